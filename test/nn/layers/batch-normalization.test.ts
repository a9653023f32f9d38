import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

/** Per-channel mean and biased variance over every axis but `axis`, by plain loops in float64. */
function channelMoments(x: nr.Tensor, axis: number): { mean: number[]; variance: number[] } {
  const shape = x.shape;
  const channels = shape[axis]!;
  const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
  const values = x.data();
  const sums = new Array<number>(channels).fill(0);
  const squares = new Array<number>(channels).fill(0);
  for (let i = 0; i < values.length; i++) {
    const c = Math.floor(i / inner) % channels;
    sums[c]! += values[i]!;
    squares[c]! += values[i]! * values[i]!;
  }
  const count = values.length / channels;
  const mean = sums.map((s) => s / count);
  return { mean, variance: squares.map((s, c) => s / count - mean[c]! ** 2) };
}

test('BatchNormalization passes the shared layer test (last axis, axis 1, no center/scale)', () => {
  runLayerTest(() => new nr.layers.BatchNormalization(), {
    inputShape: [4, 3, 3, 2],
    expectedOutputShape: [4, 3, 3, 2],
    trainingDiffers: true,
  });
  runLayerTest(() => new nr.layers.BatchNormalization({ axis: 1, momentum: 0.5 }), {
    inputShape: [3, 2, 4],
    expectedOutputShape: [3, 2, 4],
    trainingDiffers: true,
  });
  runLayerTest(() => new nr.layers.BatchNormalization({ center: false, scale: false, epsilon: 0.01 }), {
    inputShape: [5, 3],
    expectedOutputShape: [5, 3],
    trainingDiffers: true,
  });
});

test('BatchNormalization weights: Keras names, shapes, order and trainability', () => {
  nr.layers.resetLayerNames();
  const bn = new nr.layers.BatchNormalization();
  bn.apply(nr.ones([2, 4, 4, 3]));
  assert.deepEqual(
    bn.weights.map((w) => [w.name, w.shape, w.trainable]),
    [
      ['batch_normalization/gamma', [3], true],
      ['batch_normalization/beta', [3], true],
      ['batch_normalization/moving_mean', [3], false],
      ['batch_normalization/moving_variance', [3], false],
    ],
  );
  assert.equal(bn.trainableWeights.length, 2);
  assert.equal(bn.countParams(), 12);
  assert.deepEqual(Array.from(bn.movingVariance!.data()), [1, 1, 1]);
  const noScale = new nr.layers.BatchNormalization({ scale: false, axis: 1 });
  noScale.apply(nr.ones([2, 5, 3]));
  assert.deepEqual(
    noScale.weights.map((w) => w.name.split('/')[1]),
    ['beta', 'moving_mean', 'moving_variance'],
  );
  assert.deepEqual(noScale.beta!.shape, [5]);
});

test('BatchNormalization: moving statistics after several training calls equal the closed form; inference uses them', () => {
  const momentum = 0.9;
  const epsilon = 1e-3;
  const bn = new nr.layers.BatchNormalization({
    momentum,
    epsilon,
    gammaInitializer: 'random_normal',
    betaInitializer: 'random_normal',
    dtype: 'float64',
  });
  const expectedMean = [0, 0, 0];
  const expectedVariance = [1, 1, 1];
  for (let step = 0; step < 4; step++) {
    const x = nr.randn([6, 2, 3, 3], { mean: step, std: 1 + step, dtype: 'float64' });
    const y = bn.apply(x, { training: true });
    const { mean, variance } = channelMoments(x, 3);
    // Training output: normalized by the batch's own statistics.
    const gamma = bn.gamma!.data();
    const beta = bn.beta!.data();
    assertClose(
      y,
      Array.from(x.data(), (v, i) => ((v - mean[i % 3]!) / Math.sqrt(variance[i % 3]! + epsilon)) * gamma[i % 3]! + beta[i % 3]!),
      { rtol: 1e-9, atol: 1e-9 },
    );
    for (let c = 0; c < 3; c++) {
      expectedMean[c] = expectedMean[c]! * momentum + mean[c]! * (1 - momentum);
      expectedVariance[c] = expectedVariance[c]! * momentum + variance[c]! * (1 - momentum);
    }
    assertClose(bn.movingMean!, expectedMean, { rtol: 1e-9, atol: 1e-12, message: `moving mean after ${step + 1} steps` });
    assertClose(bn.movingVariance!, expectedVariance, { rtol: 1e-9, message: `moving variance after ${step + 1} steps` });
  }
  // Inference: the moving statistics, and no update.
  const x = nr.randn([2, 2, 3, 3], { dtype: 'float64' });
  const gamma = bn.gamma!.data();
  const beta = bn.beta!.data();
  const expected = Array.from(
    x.data(),
    (v, i) => ((v - expectedMean[i % 3]!) / Math.sqrt(expectedVariance[i % 3]! + epsilon)) * gamma[i % 3]! + beta[i % 3]!,
  );
  assertClose(bn.apply(x), expected, { rtol: 1e-9, atol: 1e-12 });
  assertClose(bn.movingMean!, expectedMean, { rtol: 1e-9, atol: 1e-12, message: 'inference leaves the moving mean alone' });
  // A frozen layer (Keras 3) runs in inference mode even in training, and updates nothing.
  bn.trainable = false;
  assertClose(bn.apply(x, { training: true }), expected, { rtol: 1e-9, atol: 1e-12 });
  assertClose(bn.movingMean!, expectedMean, { rtol: 1e-9, atol: 1e-12 });
});

test('BatchNormalization axis=1 normalizes channels-first data per axis-1 entry', () => {
  const bn = new nr.layers.BatchNormalization({ axis: 1, momentum: 0, epsilon: 1e-3, dtype: 'float64' });
  const x = nr.randn([4, 3, 2, 5], { mean: 2, std: 3, dtype: 'float64' });
  const y = bn.apply(x, { training: true });
  const { mean, variance } = channelMoments(x, 1);
  const channelOf = (i: number) => Math.floor(i / 10) % 3;
  assertClose(
    y,
    Array.from(x.data(), (v, i) => (v - mean[channelOf(i)]!) / Math.sqrt(variance[channelOf(i)]! + 1e-3)),
    { rtol: 1e-9, atol: 1e-9 },
  );
  // momentum 0: the moving statistics are the last batch's.
  assertClose(bn.movingMean!, mean, { rtol: 1e-9 });
  assertClose(bn.movingVariance!, variance, { rtol: 1e-9 });
  assert.deepEqual(bn.gamma!.shape, [3]);
  assert.throws(
    () => bn.apply(nr.zeros([4, 2, 2, 5], 'float64')),
    (e: Error) => e instanceof nr.ShapeError && /expected input of rank 4 with 3 features on axis 1, got \[4, 2, 2, 5\]/.test(e.message),
  );
  assert.throws(
    () => new nr.layers.BatchNormalization({ axis: 3 }).apply(nr.zeros([2, 3])),
    /axis 3 is out of range for an input of shape \(None, 3\)/,
  );
});

test('BatchNormalization gradients in training mode (through the batch statistics)', () => {
  const bn = new nr.layers.BatchNormalization({ dtype: 'float64' });
  const x = randomFloat64([5, 2, 3], -2, 2);
  bn.apply(x);
  for (const w of bn.trainableWeights) w.assign(randomFloat64([...w.shape], -1, 1));
  gradCheck((input) => bn.apply(input, { training: true }), [x, ...bn.trainableWeights], {
    label: 'BatchNormalization training gradients',
  });
});

test('BatchNormalization updates its moving statistics in fit (closed form with full batches), not through the tape', async () => {
  nr.setSeed(3);
  const momentum = 0.8;
  const bn = new nr.layers.BatchNormalization({ momentum, inputShape: [2] });
  const model = new nr.Sequential([bn, new nr.layers.Dense({ units: 1 })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.05 }), loss: 'mse' });
  const x = nr.randn([16, 2], { mean: 4, std: 2 });
  const y = x.sum(-1, true);
  const steps = 5;
  // One batch per epoch holding every sample: each step sees the same batch statistics, so after k
  // steps moving = init * m^k + batch * (1 - m^k).
  await model.fit(x, y, { epochs: steps, batchSize: 16, verbose: 0 });
  const { mean, variance } = channelMoments(x, 1);
  const decay = momentum ** steps;
  assertClose(
    bn.movingMean!,
    mean.map((m) => m * (1 - decay)),
    { rtol: 1e-5, atol: 1e-6 },
  );
  assertClose(
    bn.movingVariance!,
    variance.map((v) => decay + v * (1 - decay)),
    { rtol: 1e-4 },
  );
  assert.ok(
    bn.gamma!.data().some((g) => g !== 1),
    'gamma trained',
  );
  // predict and evaluate run in inference mode: no further update.
  const before = Array.from(bn.movingMean!.data());
  model.predict(x);
  await model.evaluate(x, y, { verbose: 0 });
  assert.deepEqual(Array.from(bn.movingMean!.data()), before);
});

test('BatchNormalization options are checked', () => {
  assert.throws(() => new nr.layers.BatchNormalization({ momentum: 1.5 }), /momentum must be a number in \[0, 1\]/);
  assert.throws(() => new nr.layers.BatchNormalization({ epsilon: 0 }), /epsilon must be a positive number/);
  assert.throws(() => new nr.layers.BatchNormalization({ axis: 0.5 }), /axis must be an integer/);
  assert.throws(
    () => new nr.layers.BatchNormalization({ axis: 0 }).apply(nr.ones([2, 3])),
    /axis 0 is out of range .* \(not the batch axis\)/,
  );
});
