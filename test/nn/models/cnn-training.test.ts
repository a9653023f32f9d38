import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert, assertClose, nr } from '../../helpers.js';

const L = nr.layers;

/** n images 8x8x1: class 0 a vertical bar, class 1 a horizontal bar, at a random place, plus noise. */
function bars(n: number): { x: nr.Tensor; y: nr.Tensor; labels: number[] } {
  const size = 8;
  const values = nr.randn([n, size, size, 1], { std: 0.2 }).data();
  const places = nr.randu([n]).data();
  const labels: number[] = [];
  for (let i = 0; i < n; i++) {
    const label = i % 2;
    const at = 1 + Math.floor(places[i]! * (size - 2));
    for (let k = 0; k < size; k++) values[i * size * size + (label === 0 ? k * size + at : at * size + k)]! += 1;
    labels.push(label);
  }
  return { x: nr.tensor(values, [n, size, size, 1]), y: nr.oneHot(nr.tensor(labels, [n], 'int32'), 2), labels };
}

test('a tiny CNN learns vertical vs horizontal bars (> 0.9 accuracy in a few epochs)', async () => {
  nr.setSeed(21);
  const model = new nr.Sequential([
    nr.Input({ shape: [8, 8, 1] }),
    new L.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new L.MaxPooling2D(),
    new L.Conv2D({ filters: 8, kernelSize: 3, activation: 'relu' }),
    new L.GlobalMaxPooling2D(),
    new L.Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.02 }), loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const train = bars(256);
  const test_ = bars(128);
  await model.fit(train.x, train.y, { epochs: 6, batchSize: 16, verbose: 0 });
  const { accuracy } = await model.evaluate(test_.x, test_.y, { verbose: 0 });
  assert.ok(accuracy! > 0.9, `test accuracy ${accuracy}`);
});

class TrainingProbe extends L.Layer {
  seen: boolean[] = [];
  override call(inputs: nr.Tensor, options: nr.layers.CallOptions): nr.Tensor {
    this.seen.push(options.training === true);
    return inputs;
  }
}

const AUGMENTATION = 'a Sequential of augmentation layers';
test(`${AUGMENTATION} as the first layer of a functional model: active in fit, identity in predict/evaluate`, async () => {
  nr.setSeed(22);
  const probe = new TrainingProbe();
  const augmentation = new nr.Sequential(
    [new L.RandomFlip({ mode: 'horizontal', seed: 3 }), new L.RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1, seed: 4 }), probe],
    { name: 'augmentation' },
  );
  const input = nr.Input({ shape: [8, 8, 1] });
  let x = augmentation.apply(input);
  assert.deepEqual(x.shape, [null, 8, 8, 1]);
  x = new L.Conv2D({ filters: 4, kernelSize: 3, activation: 'relu' }).apply(x);
  x = new L.BatchNormalization().apply(x);
  x = new L.GlobalAveragePooling2D().apply(x);
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2, activation: 'softmax' }).apply(x) });
  assert.equal(model.layers[1], augmentation, 'the nested Sequential is one layer of the model');
  model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy', metrics: ['accuracy'] });
  const data = bars(64);
  const history = await model.fit(data.x, data.y, { epochs: 2, batchSize: 16, verbose: 0, validationData: [data.x, data.y] });
  assert.ok(probe.seen.includes(true), 'the augmentation ran with training true inside fit');
  assert.equal(history.history.loss!.length, 2);
  probe.seen = [];
  const predicted = model.predict(data.x);
  await model.evaluate(data.x, data.y, { verbose: 0 });
  assert.ok(probe.seen.length > 0 && probe.seen.every((t) => t === false), 'predict and evaluate run it in inference mode');
  // Inference skips the augmentation: predict equals the rest of the model applied to the raw images.
  const rest = model.layers.slice(2);
  let manual = data.x;
  for (const layer of rest) manual = layer.apply(manual);
  assertClose(predicted, manual, { rtol: 1e-5, atol: 1e-6 });
  // In training mode the same images give different outputs (flips and shifts drawn).
  const trained = nr.noGrad(() => model.apply(data.x, { training: true }));
  assert.ok(trained.data().some((v, i) => Math.abs(v - predicted.data()[i]!) > 1e-4));
});

test('a model with Conv2D, BatchNormalization, a merge and augmentation saves and loads with identical predictions', async () => {
  nr.setSeed(23);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-cnn-'));
  try {
    const input = nr.Input({ shape: [8, 8, 2] });
    const augmented = new nr.Sequential([new L.RandomFlip(), new L.RandomRotation({ factor: 0.05 })]).apply(input);
    const scaled = new L.Rescaling({ scale: 0.5, offset: 0.1 }).apply(augmented);
    const a = new L.BatchNormalization().apply(
      new L.Conv2D({ filters: 4, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(scaled),
    );
    const b = new L.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same' }).apply(scaled);
    let x = new L.Add().apply([a, b]);
    x = new L.Concatenate().apply([x, new L.SeparableConv2D({ filters: 2, kernelSize: 3, padding: 'same' }).apply(x)]);
    x = new L.MaxPooling2D().apply(new L.SpatialDropout2D({ rate: 0.2 }).apply(x));
    x = new L.Conv2DTranspose({ filters: 3, kernelSize: 2, strides: 2 }).apply(x);
    x = new L.UpSampling2D({ interpolation: 'bilinear' }).apply(
      new L.Cropping2D({ cropping: 1 }).apply(new L.ZeroPadding2D({ padding: 1 }).apply(x)),
    );
    x = new L.AveragePooling2D({ poolSize: 4 }).apply(x);
    x = new L.Flatten().apply(x);
    const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2, activation: 'softmax' }).apply(x) });
    model.compile({ optimizer: 'adam', loss: 'categorical_crossentropy' });
    const data = nr.randn([16, 8, 8, 2], { mean: 1, std: 2 });
    const labels = nr.oneHot(
      nr.tensor(
        Array.from({ length: 16 }, (_, i) => i % 2),
        [16],
        'int32',
      ),
      2,
    );
    await model.fit(data, labels, { epochs: 2, batchSize: 8, verbose: 0 });
    const bn = model.layers.find((l) => l instanceof L.BatchNormalization) as InstanceType<typeof L.BatchNormalization>;
    assert.ok(
      bn.movingMean!.data().some((v) => v !== 0),
      'fit moved the moving mean',
    );
    const before = model.predict(data);
    await model.save(dir);
    const loaded = await nr.loadModel(dir);
    assert.deepEqual(
      loaded.layers.map((l) => l.className),
      model.layers.map((l) => l.className),
    );
    assert.deepEqual(Array.from(loaded.predict(data).data()), Array.from(before.data()), 'identical predictions');
    const loadedBn = loaded.getLayer(bn.name) as InstanceType<typeof L.BatchNormalization>;
    assert.deepEqual(Array.from(loadedBn.movingVariance!.data()), Array.from(bn.movingVariance!.data()));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
