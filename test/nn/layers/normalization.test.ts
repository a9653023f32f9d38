import { test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('Normalization passes the shared layer test (adapted weights, fixed statistics, inverted, axis null)', () => {
  runLayerTest(() => new nr.layers.Normalization(), { inputShape: [2, 3, 3, 4], expectedOutputShape: [2, 3, 3, 4] });
  runLayerTest(
    () =>
      new nr.layers.Normalization({
        axis: [1, -1],
        mean: [
          [1, 2],
          [3, 4],
          [5, 6],
        ],
        variance: [
          [1, 4],
          [9, 1],
          [2, 3],
        ],
      }),
    {
      inputShape: [2, 3, 2],
      expectedOutputShape: [2, 3, 2],
    },
  );
  runLayerTest(() => new nr.layers.Normalization({ axis: null, invert: true }), { inputShape: [3, 2], expectedOutputShape: [3, 2] });
});

test("Normalization: Keras's documented examples (adapt per feature, axis null, fixed mean and variance, invert)", () => {
  const adaptData = nr.tensor([
    [0, 7, 4],
    [2, 9, 6],
    [0, 7, 4],
    [2, 9, 6],
  ]);
  const perFeature = new nr.layers.Normalization({ axis: -1 });
  perFeature.adapt(adaptData);
  assertClose(perFeature.apply(nr.tensor([[0, 7, 4]])), [-1, -1, -1], { atol: 1e-6 });
  const inverse = new nr.layers.Normalization({ axis: -1, invert: true });
  inverse.adapt(adaptData);
  assertClose(inverse.apply(nr.tensor([[1, 2, 3]])), [2, 10, 8], { atol: 1e-6 });
  const global = new nr.layers.Normalization({ axis: null });
  global.adapt(nr.tensor([1, 2, 3, 4, 5]));
  assertClose(global.apply(nr.tensor([1, 2, 3])), [-Math.SQRT2, -Math.SQRT1_2, 0], { atol: 1e-6 });
  assertClose(new nr.layers.Normalization({ mean: 3, variance: 2 }).apply(nr.tensor([[1], [2], [3]])), [-Math.SQRT2, -Math.SQRT1_2, 0], {
    atol: 1e-6,
  });
  // A constant feature (variance 0) is divided by 1e-7, not 0.
  const constant = new nr.layers.Normalization();
  constant.adapt(nr.tensor([[5], [5]]));
  assertClose(constant.apply(nr.tensor([[5]])), [0]);
});

test("Normalization's weights: mean, variance, count, non-trainable, 7 parameters on RGB images as Keras counts EfficientNet's", () => {
  const input = nr.Input({ shape: [8, 8, 3] });
  const norm = new nr.layers.Normalization({ axis: 3, name: 'normalization' });
  const model = new nr.Model(input, norm.apply(input));
  assert.deepEqual(
    norm.weights.map((w) => [w.name, w.shape]),
    [
      ['normalization/mean', [3]],
      ['normalization/variance', [3]],
      ['normalization/count', []],
    ],
  );
  assert.equal(norm.trainableWeights.length, 0);
  assert.equal(model.countParams(), 7);
  // Fixed statistics are constants of the graph, not weights (Keras's layer then has none).
  const fixed = new nr.layers.Normalization({ mean: [1, 2, 3], variance: [1, 1, 1] });
  fixed.apply(nr.ones([1, 3]));
  assert.equal(fixed.countParams(), 0);
});

test('Normalization: an adapted model saves and loads with its statistics', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-normalization-'));
  try {
    const input = nr.Input({ shape: [2] });
    const norm = new nr.layers.Normalization();
    norm.adapt(
      nr.tensor([
        [1, 10],
        [3, 30],
      ]),
    );
    const model = new nr.Model(input, norm.apply(input));
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    assertClose(loaded.predict(nr.tensor([[2, 20]])), [0, 0]);
    assert.equal((loaded.getLayer(norm.name) as nr.layers.Normalization).countWeight!.item(), 2);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Normalization.adapt: batches (tensors, [x, y] pairs, async) give the statistics of the whole data, in float64', async () => {
  nr.setSeed(11);
  const data = nr.add(nr.mul(nr.randn([10, 4, 4, 3]), nr.tensor([1, 10, 100])), nr.tensor([1e4, -3, 0.5]));
  const values = data.data();
  const expected = [0, 1, 2].map((c) => {
    const column = Array.from(values).filter((_, i) => i % 3 === c);
    const mean = column.reduce((a, b) => a + b, 0) / column.length;
    return [mean, column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length];
  });
  const batches = [nr.slice(data, [0], [3]), nr.slice(data, [3], [1]), nr.slice(data, [4], [6])];
  const whole = new nr.layers.Normalization();
  whole.adapt(data);
  const batched = new nr.layers.Normalization();
  batched.adapt(batches.map((b) => [b, nr.zeros([b.shape[0]!])] as const));
  const streamed = new nr.layers.Normalization();
  await streamed.adapt(
    (async function* () {
      yield* batches;
    })(),
  );
  for (const layer of [whole, batched, streamed]) {
    assertClose(
      layer.meanWeight!,
      expected.map((e) => e[0]!),
      { rtol: 1e-6 },
    );
    assertClose(
      layer.varianceWeight!,
      expected.map((e) => e[1]!),
      { rtol: 1e-5 },
    );
    assert.equal(layer.countWeight!.item(), 160);
  }
  // Per height-and-channel statistics: axis [1, 3] keeps a [4, 3] mean.
  const perRow = new nr.layers.Normalization({ axis: [1, 3] });
  perRow.adapt(data);
  assert.deepEqual(perRow.meanWeight!.shape, [4, 3]);
  assertClose(perRow.meanWeight!, nr.mean(data, [0, 2]), { rtol: 1e-5 });
  assertClose(nr.mean(perRow.apply(data), [0, 2]), nr.zeros([4, 3]), { atol: 2e-3 });
});

test('Normalization: bad options and data are ConfigErrors or ShapeErrors naming the layer', () => {
  const throwsWith = (fn: () => unknown, type: typeof nr.NeuronaError, pattern: RegExp) =>
    assert.throws(fn, (e: Error) => e instanceof type && pattern.test(e.message), pattern.source);
  throwsWith(
    () => new nr.layers.Normalization({ mean: 1, name: 'n' }),
    nr.ConfigError,
    /Normalization "n": mean and variance must be given together/,
  );
  throwsWith(
    () => new nr.layers.Normalization({ mean: [1, 2], variance: [1] }),
    nr.ShapeError,
    /mean and variance must have the same shape/,
  );
  throwsWith(
    () => new nr.layers.Normalization({ mean: [[1]], variance: [[1]] }),
    nr.ShapeError,
    /mean has rank 2, more than the 1 kept axes/,
  );
  throwsWith(() => new nr.layers.Normalization({ mean: [0], variance: [-1] }), nr.ConfigError, /variance must be >= 0/);
  throwsWith(
    () => new nr.layers.Normalization({ axis: 1.5 as never }),
    nr.ConfigError,
    /axis must be an integer, a list of integers, or null/,
  );
  throwsWith(() => new nr.layers.Normalization({ axis: 4 }).apply(nr.ones([2, 3])), nr.NeuronaError, /axis 4/);
  throwsWith(
    () => new nr.layers.Normalization({ mean: [1, 2], variance: [1, 1] }).apply(nr.ones([2, 3])),
    nr.ShapeError,
    /mean of shape \[2\]/,
  );
  throwsWith(
    () => new nr.layers.Normalization({ axis: 1 }).apply(nr.Input({ shape: [null, 3] })),
    nr.ShapeError,
    /axis 1 keeps its own statistics/,
  );
  const adapted = new nr.layers.Normalization({ name: 'm' });
  adapted.adapt(nr.ones([4, 3]));
  throwsWith(
    () => adapted.adapt(nr.ones([4, 5])),
    nr.ShapeError,
    /Normalization "m".adapt: batches of shape \(None, 3\), as built .*got \[4, 5\]/,
  );
  throwsWith(() => adapted.adapt([]), nr.ConfigError, /data with at least one value/);
  throwsWith(() => adapted.adapt(42 as never), nr.ConfigError, /data must be a tensor or an iterable of batches/);
  throwsWith(() => adapted.adapt(['x'] as never), nr.ConfigError, /each batch must be a tensor or an \[x, y\] pair/);
  throwsWith(() => new nr.layers.Normalization({ mean: 0, variance: 1 }).adapt(nr.ones([2])), nr.ConfigError, /nothing to adapt/);
});
