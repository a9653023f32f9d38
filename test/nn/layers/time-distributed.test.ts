import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

const L = nr.layers;

/** The inner layer applied to each step on its own, stacked along the steps axis. */
function stepByStep(layer: nr.layers.Layer, x: nr.Tensor): nr.Tensor {
  const steps = Array.from({ length: x.shape[1]! }, (_, t) =>
    layer.apply(x.slice([0, t], [-1, 1]).reshape([x.shape[0]!, ...x.shape.slice(2)])),
  );
  return nr.stack(steps, 1);
}

test('TimeDistributed(Dense) and TimeDistributed(Conv2D) equal the inner layer applied to each step', () => {
  const dense = new L.Dense({ units: 3, activation: 'tanh' });
  const td = new L.TimeDistributed(dense);
  const x = nr.randn([2, 4, 5]);
  const y = td.apply(x);
  assert.deepEqual(y.shape, [2, 4, 3]);
  assertClose(y, stepByStep(dense, x), { rtol: 1e-6, atol: 1e-6 });
  const conv = new L.Conv2D({ filters: 2, kernelSize: 3, padding: 'same' });
  const frames = new L.TimeDistributed({ layer: conv });
  const video = nr.randn([2, 3, 5, 4, 1]);
  const out = frames.apply(video);
  assert.deepEqual(out.shape, [2, 3, 5, 4, 2]);
  assertClose(out, stepByStep(conv, video), { rtol: 1e-6, atol: 1e-6 });
  // The weights are the inner layer's: one kernel for every step.
  assert.deepEqual(frames.weights, conv.weights);
  assert.equal(frames.countParams(), 3 * 3 * 1 * 2 + 2);
  assert.deepEqual(frames.computeOutputShape([null, 7, 5, 4, 1]), [null, 7, 5, 4, 2]);
  assert.deepEqual(new L.TimeDistributed(new L.Conv2D(2, 3)).apply(nr.Input({ shape: [null, 6, 6, 1] })).shape, [null, null, 4, 4, 2]);
});

test('TimeDistributed passes the shared layer test; float64 gradients w.r.t. the input and the inner weights', () => {
  // The float64 check of the shared test rebuilds the wrapper only; the inner layer keeps its own dtype, so it is done below.
  runLayerTest(() => new L.TimeDistributed(new L.Dense(2)), { inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 2], gradCheck: false });
  runLayerTest(() => new L.TimeDistributed({ layer: new L.Conv2D(2, 2) }), {
    inputShape: [1, 2, 3, 3, 1],
    expectedOutputShape: [1, 2, 2, 2, 2],
    gradCheck: false,
  });
  const td = new L.TimeDistributed(new L.Dense({ units: 2, dtype: 'float64' }));
  const x = randomFloat64([2, 3, 3]);
  td.apply(x);
  for (const w of td.trainableWeights) w.assign(randomFloat64([...w.shape]));
  gradCheck((input) => td.apply(input!), [x, ...td.trainableWeights], { label: 'TimeDistributed(Dense) float64' });
});

test('TimeDistributed passes the mask on, freezes its inner layer, and reports its regularization losses', () => {
  const masked = new L.Masking().apply(
    nr.tensor([
      [
        [1, 2],
        [0, 0],
      ],
    ]),
  );
  const inner = new L.Dense({ units: 3, kernelRegularizer: 'l2' });
  const td = new L.TimeDistributed(inner);
  const y = td.apply(masked);
  assert.deepEqual(nr.getMask(y)?.toArray(), [[1, 0]]);
  assert.equal(td.losses.length, 1, 'the inner kernel regularizer is a loss of the wrapper');
  td.trainable = false;
  assert.equal(inner.trainable, false);
  assert.deepEqual(td.trainableWeights, []);
  assert.equal(td.nonTrainableWeights.length, 2);
  td.trainable = true;
  assert.equal(td.trainableWeights.length, 2);
  const config = td.getConfig();
  assert.equal((config.layer as { className: string }).className, 'Dense');
  assert.equal((config.layer as { config: { units: number } }).config.units, 3);
});

test('TimeDistributed misuse: errors name the layer, the rule and the fix', () => {
  assert.throws(
    () => new L.TimeDistributed({ layer: 'dense' as never, name: 't' }),
    (e: Error) =>
      e instanceof nr.ConfigError && /^TimeDistributed "t": layer must be a layer instance, got "dense"; e\.g\./.test(e.message),
  );
  assert.throws(
    () => new L.TimeDistributed(new L.Dense(2), { name: 't' }).apply(nr.ones([2, 4])),
    (e: Error) =>
      e instanceof nr.ShapeError && /TimeDistributed "t" \(input shape \[2, 4\]\): expected input of rank 3 or more/.test(e.message),
  );
  assert.throws(
    () => new L.TimeDistributed(new L.Conv2D(2, 3), { name: 't' }).apply(nr.ones([1, 2, 5, 5])),
    (e: Error) => e instanceof nr.ShapeError && /TimeDistributed "t".*expected input of rank 4/.test(e.message),
  );
});

test("the layers of Conv1D's family, the 1-D padding layers, Masking and TimeDistributed save and load in one model with bitwise-equal predictions", async () => {
  nr.setSeed(18);
  const input = nr.Input({ shape: [12, 3] });
  const masked = new L.Masking({ maskValue: 0 }).apply(input);
  const perStep = new L.TimeDistributed(new L.Dense({ units: 4, activation: 'relu' })).apply(masked);
  const average = new L.GlobalAveragePooling1D().apply(perStep);
  let x = new L.Conv1D({ filters: 6, kernelSize: 3, padding: 'causal', dilationRate: 2, activation: 'relu' }).apply(input);
  x = new L.Conv1D({ filters: 4, kernelSize: 2, strides: 2, padding: 'same', groups: 2 }).apply(x);
  x = new L.MaxPooling1D({ poolSize: 2, padding: 'same' }).apply(x);
  x = new L.AveragePooling1D({ poolSize: 2, strides: 1 }).apply(x);
  x = new L.Cropping1D([1, 0]).apply(new L.UpSampling1D(2).apply(new L.ZeroPadding1D([0, 2]).apply(x)));
  const max = new L.GlobalMaxPooling1D().apply(x);
  const output = new L.Dense(2).apply(new L.Concatenate().apply([average, max]));
  const model = new nr.Model({ inputs: input, outputs: output });
  const probe = nr.randn([3, 12, 3]).mul(nr.tensor([1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0], [1, 12, 1]));
  const before = model.predict(probe).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-conv1d-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    assert.deepEqual(
      loaded.layers.map((l) => l.className),
      model.layers.map((l) => l.className),
    );
    const after = loaded.predict(probe).data();
    assert.equal(after.length, 6);
    assert.ok(
      before.some((v) => v !== 0),
      'the probe must reach the output',
    );
    for (let i = 0; i < before.length; i++) assert.ok(Object.is(after[i], before[i]), `prediction ${i}: ${after[i]} vs ${before[i]}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a damaged inner layer in a saved TimeDistributed is a FormatError that says where it is', async () => {
  const input = nr.Input({ shape: [3, 2] });
  const model = new nr.Model({ inputs: input, outputs: new L.TimeDistributed(new L.Dense({ units: 2, name: 'inner' })).apply(input) });
  const dir = mkdtempSync(join(tmpdir(), 'neurona-td-'));
  try {
    await model.save(join(dir, 'm'));
    const file = join(dir, 'm', 'model.json');
    const json = JSON.parse(readFileSync(file, 'utf8'));
    json.modelConfig.config.layers[1].config.layer.config.unitz = 3;
    writeFileSync(file, JSON.stringify(json));
    await assert.rejects(
      nr.loadModel(join(dir, 'm')),
      (e: Error) =>
        e instanceof nr.FormatError && /layer "inner" \(Dense\) at modelConfig\.config\.layers\[1\]\.config\.layer\b/.test(e.message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TimeDistributed wraps a whole model: values step by step, and a save/load round trip', async () => {
  const inner = new nr.Sequential([new L.Dense(4, { activation: 'relu' }), new L.Dense(2)]);
  const x = nr.randn([2, 3, 5]);
  const y = new L.TimeDistributed(inner).apply(x);
  assertClose(y, stepByStep(inner, x), { rtol: 1e-6, atol: 1e-6 });
  const input = nr.Input({ shape: [3, 5] });
  const model = new nr.Model({ inputs: input, outputs: new L.TimeDistributed(inner).apply(input) });
  const before = model.predict(x).data();
  const dir = mkdtempSync(join(tmpdir(), 'neurona-td-model-'));
  try {
    await model.save(join(dir, 'm'));
    const after = (await nr.loadModel(join(dir, 'm'))).predict(x).data();
    assert.ok(before.length === 12 && before.every((v, i) => Object.is(v, after[i])), 'bitwise-equal predictions');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('TimeDistributed hands an inner layer that supports masking its per-step mask (Keras)', () => {
  // [batch 2, sentences 2, words 3, features 2]; zero feature rows are padding words.
  nr.setSeed(3);
  const x = nr.randn([2, 2, 3, 2]).mul(nr.tensor([1, 1, 0, 1, 0, 0, 1, 1, 1, 1, 1, 0], [2, 2, 3, 1]));
  const masked = new nr.layers.Masking().apply(x);
  assert.deepEqual(nr.getMask(masked)!.shape, [2, 2, 3]);
  const lstm = new nr.layers.LSTM({ units: 4 });
  const out = new nr.layers.TimeDistributed(lstm).apply(masked);
  // The same LSTM on each sentence alone, with its own mask: padding words are skipped.
  const folded = x.reshape([4, 3, 2]);
  const expected = lstm.apply(folded, { mask: nr.getMask(masked)!.reshape([4, 3]) });
  assertClose(out.reshape([4, 4]), expected, { rtol: 1e-6, atol: 1e-7 });
  // Without the mask the padded words would change the result.
  const unmasked = lstm.apply(folded);
  assert.ok(Math.max(...Array.from(unmasked.sub(expected).abs().data())) > 1e-3);
});
