import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;

test('LayerNormalization passes the shared layer test (last axis, two axes, a middle axis, no center/scale, rmsScaling)', () => {
  runLayerTest(() => new L.LayerNormalization(), { inputShape: [2, 5, 8], expectedOutputShape: [2, 5, 8] });
  runLayerTest(() => new L.LayerNormalization({ axis: [-2, -1], epsilon: 1e-5 }), {
    inputShape: [2, 3, 4],
    expectedOutputShape: [2, 3, 4],
  });
  runLayerTest(() => new L.LayerNormalization({ axis: 1 }), { inputShape: [2, 4, 3], expectedOutputShape: [2, 4, 3] });
  runLayerTest(() => new L.LayerNormalization({ center: false, scale: false }), { inputShape: [3, 5], expectedOutputShape: [3, 5] });
  runLayerTest(() => new L.LayerNormalization({ rmsScaling: true }), { inputShape: [3, 6], expectedOutputShape: [3, 6] });
});

test('LayerNormalization weights: Keras names and order (gamma then beta), shapes of the normalized axes', () => {
  L.resetLayerNames();
  const norm = new L.LayerNormalization({ axis: [1, 2] });
  norm.apply(nr.ones([2, 3, 4]));
  assert.deepEqual(
    norm.weights.map((w) => [w.name, w.shape, w.trainable]),
    [
      ['layer_normalization/gamma', [3, 4], true],
      ['layer_normalization/beta', [3, 4], true],
    ],
  );
  const rms = new L.LayerNormalization({ rms_scaling: true, scale: false } as nr.layers.LayerNormalizationOptions);
  rms.apply(nr.ones([2, 3]));
  assert.deepEqual(
    rms.weights.map((w) => w.name.split('/')[1]),
    ['gamma'],
    'rms_scaling keeps gamma and drops beta, as Keras',
  );
  assert.equal(new L.LayerNormalization(-1, 1e-5).epsilon, 1e-5, 'positional axis and epsilon');
});

test('LayerNormalization values: each sample over its own features, the same in training and inference', () => {
  const norm = new L.LayerNormalization({ epsilon: 0 });
  const x = nr.tensor([
    [1, 2, 3, 6],
    [10, 10, 10, 14],
  ]);
  norm.apply(x);
  norm.setWeights([nr.tensor([1, 2, 1, 1]), nr.tensor([0, 0, 1, 0])]);
  const s0 = Math.sqrt(3.5);
  const s1 = Math.sqrt(3);
  assertClose(norm.apply(x, { training: true }), [-2 / s0, -2 / s0, 1, 3 / s0, -1 / s1, -2 / s1, 1 - 1 / s1, 3 / s1]);
  // rmsScaling as Keras computes it: x * gamma / sqrt(variance + epsilon), the variance about the mean.
  const rms = new L.LayerNormalization({ rmsScaling: true, epsilon: 0 });
  assertClose(rms.apply(nr.tensor([[1, 3]])), [1, 3]);
});

test('LayerNormalization rejects bad options and inputs, naming the layer', () => {
  assert.throws(
    () => new L.LayerNormalization({ axis: [] }),
    (e: Error) => e instanceof nr.ConfigError && /at least one axis/.test(e.message),
  );
  assert.throws(() => new L.LayerNormalization({ epsilon: -1 }), /epsilon must be a finite number >= 0, got -1/);
  assert.throws(() => new L.LayerNormalization({ axis: 1.5 }), nr.ConfigError);
  assert.throws(
    () => new L.LayerNormalization({ axis: 0, name: 'ln' }).apply(nr.ones([2, 3])),
    (e: Error) => e instanceof nr.ShapeError && /LayerNormalization "ln".*axis 0 is out of range.*not the batch axis/s.test(e.message),
  );
  const built = new L.LayerNormalization({ name: 'ln2' });
  built.apply(nr.ones([2, 4]));
  assert.throws(
    () => built.apply(nr.ones([2, 5])),
    (e: Error) => e instanceof nr.ShapeError && /ln2.*sizes \[4\].*got \[2, 5\]/s.test(e.message),
  );
  assert.throws(() => new L.LayerNormalization({ gammaConstraint: 'non_neg' } as never), /gamma/);
});

test('LayerNormalization saves and loads with bitwise-equal predictions', async () => {
  nr.setSeed(18);
  const input = nr.Input({ shape: [5, 8] });
  let x = new L.LayerNormalization({ name: 'ln', gammaInitializer: 'random_normal', betaInitializer: 'random_uniform' }).apply(input);
  x = new L.LayerNormalization({ axis: [1, 2], epsilon: 1e-5, center: false }).apply(x);
  const model = new nr.Model({ inputs: input, outputs: new L.LayerNormalization({ rmsScaling: true }).apply(x) });
  await assertSaveLoadSame(model, nr.randn([3, 5, 8]));
});
