import { test } from 'node:test';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nr, assert } from '../../helpers.js';
import { openHdf5, type Hdf5Group } from '../../../src/io/hdf5.js';
import { kerasWeightsH5 } from '../../../src/nn/saving/keras-h5-write.js';
import { assignKerasWeights } from '../../../src/nn/saving/keras-h5.js';

/*
 * kerasWeightsH5 and model.saveWeights('x.weights.h5'): Keras 3's layout, read back by the Keras
 * reader into a fresh model of the same architecture (other layer names: the layout goes by class
 * and order) with bitwise-equal predictions. h5py's view of such a file is checked in
 * test/io/hdf5-write.test.ts.
 */

/** Conv2D, BatchNormalization, a nested Sequential (Dense, Dense) and a Dense head; every weight random. */
function build(): nr.Model {
  const input = nr.Input([5, 5, 2]);
  let x = new nr.layers.Conv2D(3, 3, { padding: 'same' }).apply(input);
  x = new nr.layers.BatchNormalization().apply(x);
  x = new nr.layers.Conv2D(2, 2).apply(x);
  x = new nr.layers.Flatten().apply(x);
  const inner = new nr.Sequential([
    new nr.layers.Dense(6, { activation: 'tanh', inputShape: [32] }),
    new nr.layers.BatchNormalization(),
    new nr.layers.Dense(4),
  ]);
  x = inner.apply(x);
  return new nr.Model({ inputs: input, outputs: new nr.layers.Dense(3, { activation: 'softmax' }).apply(x) });
}

function randomize(model: nr.Model): void {
  // Moving variances stay positive; everything else is any value, so a misplaced weight shows.
  for (const w of model.weights)
    w.assign(
      /moving_variance/.test(w.name)
        ? nr
            .randn([...w.shape])
            .abs()
            .add(0.5)
        : nr.randn([...w.shape]),
    );
}

const sameBits = (a: nr.Tensor, b: nr.Tensor) =>
  Buffer.from((a.data() as Float32Array).buffer).equals(Buffer.from((b.data() as Float32Array).buffer));

test('kerasWeightsH5 of a Conv2D/BatchNormalization/nested-Sequential model reads back bitwise: same predictions', () => {
  nr.setSeed(3);
  const model = build();
  randomize(model);
  const fresh = build();
  assert.notEqual(fresh.layers[1]!.name, model.layers[1]!.name, 'the copy has other layer names');
  assignKerasWeights(fresh, openHdf5(kerasWeightsH5(model), 'model.weights.h5'), 'model.weights.h5');
  model.weights.forEach((w, i) => assert.ok(sameBits(w, fresh.weights[i]!), w.name));
  const x = nr.randn([4, 5, 5, 2]);
  assert.ok(sameBits(model.predict(x), fresh.predict(x)));
});

test("the layout is Keras 3's: vars groups named after the layers, class-numbered groups, the nested model's own layers/", () => {
  nr.setSeed(4);
  const model = build();
  const file = openHdf5(kerasWeightsH5(model), 'x.weights.h5');
  const group = (path: string) => {
    const g = file.get(path);
    assert.equal(g?.kind, 'group', path);
    return g as Hdf5Group;
  };
  assert.deepEqual(group('/').keys().sort(), ['layers', 'vars']);
  assert.equal(group('vars').attrs().name, model.name);
  assert.deepEqual(group('layers').keys(), ['input_layer', 'conv2d', 'batch_normalization', 'conv2d_1', 'flatten', 'sequential', 'dense']);
  assert.deepEqual(group('layers/flatten/vars').keys(), []); // layers without weights keep their vars group
  assert.deepEqual(group('layers/batch_normalization/vars').keys(), ['0', '1', '2', '3']);
  assert.equal(group('layers/conv2d_1/vars').attrs().name, model.layers[3]!.name);
  // Sequential lists no InputLayer (as Keras's Sequential.layers); its BatchNormalization is numbered apart.
  assert.deepEqual(group('layers/sequential/layers').keys(), ['dense', 'batch_normalization', 'dense_1']);
  const kernel = file.get('layers/sequential/layers/dense_1/vars/0');
  assert.equal(kernel?.kind, 'dataset');
  assert.deepEqual(kernel.kind === 'dataset' && kernel.shape, [6, 4]);
});

test("model.saveWeights('x.weights.h5') and loadWeights: a trained Sequential predicts the same after the round trip", async () => {
  nr.setSeed(5);
  const make = () =>
    new nr.Sequential([
      new nr.layers.Dense(8, { activation: 'relu', inputShape: [3] }),
      new nr.layers.BatchNormalization(),
      new nr.layers.Dense(2),
    ]);
  const model = make();
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const x = nr.randn([32, 3]);
  await model.fit(x, nr.randn([32, 2]), { epochs: 2, verbose: 0 });
  const dir = await mkdtemp(join(tmpdir(), 'neurona-h5write-'));
  for (const name of ['x.weights.h5', 'x.h5']) {
    await model.saveWeights(join(dir, name));
    const copy = make();
    await copy.loadWeights(join(dir, name));
    assert.ok(sameBits(model.predict(x), copy.predict(x)), name);
  }
});

test('misuse: a model that is not built has no weights to write (ConfigError with what to do)', async () => {
  const unbuilt = new nr.Sequential([new nr.layers.Dense(2)], { name: 'lazy' });
  const check = (e: Error) =>
    e instanceof nr.ConfigError &&
    /kerasWeightsH5: model "lazy"/.test(e.message) &&
    /not built yet/.test(e.message) &&
    /inputShape/.test(e.message);
  assert.throws(() => kerasWeightsH5(unbuilt), check);
  const dir = await mkdtemp(join(tmpdir(), 'neurona-h5write-'));
  await assert.rejects(unbuilt.saveWeights(join(dir, 'lazy.weights.h5')), check);
  assert.throws(
    () => kerasWeightsH5({} as nr.Model),
    (e: Error) => e instanceof nr.ConfigError && /expected a neurona Model/.test(e.message),
  );
});
