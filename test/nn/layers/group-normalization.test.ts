import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;

test('GroupNormalization passes the shared layer test (NHWC, rank 3, channel axis 1, no center/scale)', () => {
  runLayerTest(() => new L.GroupNormalization({ groups: 2 }), { inputShape: [2, 3, 2, 4], expectedOutputShape: [2, 3, 2, 4] });
  runLayerTest(() => new L.GroupNormalization({ groups: 3, epsilon: 1e-5 }), { inputShape: [2, 4, 6], expectedOutputShape: [2, 4, 6] });
  runLayerTest(() => new L.GroupNormalization({ groups: 2, axis: 1 }), { inputShape: [2, 4, 3], expectedOutputShape: [2, 4, 3] });
  runLayerTest(() => new L.GroupNormalization({ groups: 1, center: false, scale: false }), {
    inputShape: [3, 5],
    expectedOutputShape: [3, 5],
  });
});

test('GroupNormalization: Keras defaults and weight names; values per (sample, group) by hand', () => {
  L.resetLayerNames();
  const norm = new L.GroupNormalization({ groups: 2, epsilon: 0 });
  const defaults = new L.GroupNormalization();
  assert.deepEqual([defaults.groups, defaults.axis, defaults.epsilon, defaults.center, defaults.scale], [32, -1, 1e-3, true, true]);
  const x = nr.tensor([
    [
      [1, 3, 10, 10],
      [3, 1, 10, 14],
    ],
  ]); // [1, 2, 4]: group 0 = {1, 3, 3, 1}, group 1 = {10, 10, 10, 14}
  norm.apply(x);
  assert.deepEqual(
    norm.weights.map((w) => [w.name, w.shape]),
    [
      ['group_normalization/gamma', [4]],
      ['group_normalization/beta', [4]],
    ],
  );
  norm.setWeights([nr.tensor([1, 2, 1, 1]), nr.tensor([0, 0, 0, 1])]);
  const s1 = Math.sqrt(3);
  assertClose(norm.apply(x), [-1, 2, -1 / s1, -1 / s1 + 1, 1, -2, -1 / s1, 3 / s1 + 1]);
});

test('GroupNormalization, UnitNormalization and SinusoidalEmbedding save and load with bitwise-equal predictions', async () => {
  nr.setSeed(19);
  const image = nr.Input({ shape: [4, 4, 8] });
  const t = nr.Input({ shape: [1] });
  const embedded = new L.Dense({ units: 8 }).apply(new L.SinusoidalEmbedding({ dim: 6, maxPeriod: 100 }).apply(t));
  const h = new L.Add().apply([
    new L.GroupNormalization({ groups: 4, epsilon: 1e-5 }).apply(image),
    new L.Reshape([1, 1, 8]).apply(embedded),
  ]);
  const out = new L.UnitNormalization({ axis: [1, 2] }).apply(h);
  const model = new nr.Model({ inputs: [image, t], outputs: out });
  const probe = [nr.randn([2, 4, 4, 8]), nr.tensor([[3], [250]])];
  const before = model.predict(probe).data();
  assert.ok(
    before.some((v) => v !== before[0]),
    'predictions not constant',
  );
  await assertSaveLoadSame(model as nr.Model, probe as unknown as nr.Tensor);
});

test('UnitNormalization passes the shared layer test and scales each sample to unit L2 norm', () => {
  runLayerTest(() => new L.UnitNormalization(), { inputShape: [3, 5], expectedOutputShape: [3, 5] });
  runLayerTest(() => new L.UnitNormalization({ axis: [1, 2] }), { inputShape: [2, 3, 2], expectedOutputShape: [2, 3, 2] });
  const y = new L.UnitNormalization().apply(
    nr.tensor([
      [3, 4],
      [0, 0],
    ]),
  );
  assertClose(y, [0.6, 0.8, 0, 0]);
});

test('SinusoidalEmbedding passes the shared layer test and equals nr.timestepEmbedding', () => {
  runLayerTest(() => new L.SinusoidalEmbedding({ dim: 6 }), { inputShape: [3], expectedOutputShape: [3, 6] });
  runLayerTest(() => new L.SinusoidalEmbedding(5, { maxPeriod: 50 }), { inputShape: [2, 1], expectedOutputShape: [2, 1, 5] });
  const t = nr.tensor([0, 4, 900]);
  assert.deepEqual(new L.SinusoidalEmbedding({ dim: 8 }).apply(t).toArray(), nr.timestepEmbedding(t, 8).toArray());
});

test('GroupNormalization, UnitNormalization and SinusoidalEmbedding reject bad options and inputs, naming the layer', () => {
  assert.throws(
    () => new L.GroupNormalization({ groups: 0, name: 'gn' }),
    (e: Error) => e instanceof nr.ConfigError && /GroupNormalization "gn": groups must be a positive integer, got 0/.test(e.message),
  );
  assert.throws(
    () => new L.GroupNormalization({ name: 'gn32' }).apply(nr.zeros([2, 4, 4, 16])),
    (e: Error) =>
      e instanceof nr.ShapeError &&
      /"gn32".*16 channels of axis 3 must be a known multiple of groups = 32.*Keras defaults to 32/s.test(e.message),
  );
  assert.throws(
    () => new L.GroupNormalization({ groups: 1, axis: 0, name: 'gn0' }).apply(nr.zeros([2, 4])),
    (e: Error) => e instanceof nr.ShapeError && /"gn0".*axis 0 must name a channel axis.*not the batch axis/s.test(e.message),
  );
  const built = new L.GroupNormalization({ groups: 2, name: 'gnb' });
  built.apply(nr.zeros([1, 4]));
  assert.throws(
    () => built.apply(nr.zeros([1, 6])),
    (e: Error) => e instanceof nr.ShapeError && /"gnb".*expected 4 channels on axis 1/s.test(e.message),
  );
  assert.throws(
    () => new L.UnitNormalization({ axis: [] }),
    (e: Error) => e instanceof nr.ConfigError && /axis must name at least one axis/.test(e.message),
  );
  assert.throws(
    () => new L.SinusoidalEmbedding({ dim: 0, name: 'se' }),
    (e: Error) => e instanceof nr.ConfigError && /SinusoidalEmbedding "se": dim must be a positive integer, got 0/.test(e.message),
  );
});
