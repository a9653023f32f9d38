import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('Dropout passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.Dropout({ rate: 0.5 }), { inputShape: [4, 8], expectedOutputShape: [4, 8], trainingDiffers: true });
  runLayerTest(() => new nr.layers.Dropout({ rate: 0.3, seed: 3, noiseShape: [null, 1, null] }), {
    inputShape: [4, 3, 8],
    expectedOutputShape: [4, 3, 8],
    trainingDiffers: true,
  });
});

test('Dropout zeroes about rate of the inputs, scales the rest and keeps the mean', () => {
  nr.setSeed(1);
  const rate = 0.3;
  const layer = new nr.layers.Dropout({ rate });
  const x = nr.ones([100, 1000]);
  const y = layer.apply(x, { training: true }).data();
  let zeros = 0;
  let sum = 0;
  for (const v of y) {
    if (v === 0) zeros++;
    else assert.ok(Math.abs(v - 1 / (1 - rate)) < 1e-6, `kept values are scaled by 1/(1-rate), got ${v}`);
    sum += v;
  }
  // Binomial std of the fraction: sqrt(0.3 * 0.7 / 1e5) = 0.00145; allow 4 std.
  assert.ok(Math.abs(zeros / y.length - rate) < 0.006, `zeroed fraction ${zeros / y.length}`);
  assert.ok(Math.abs(sum / y.length - 1) < 0.01, `mean ${sum / y.length}`);
  assert.deepEqual(Array.from(layer.apply(x).data()), Array.from(x.data()));
  assert.equal(layer.apply(x), x, 'inference is the identity');
});

test('Dropout masks repeat for the same seed', () => {
  const x = nr.ones([50, 20]);
  nr.setSeed(42);
  const a = new nr.layers.Dropout({ rate: 0.5 }).apply(x, { training: true }).data();
  nr.setSeed(42);
  const b = new nr.layers.Dropout({ rate: 0.5 }).apply(x, { training: true }).data();
  assert.deepEqual(Array.from(a), Array.from(b));
  const c = new nr.layers.Dropout({ rate: 0.5 }).apply(x, { training: true }).data();
  assert.notDeepEqual(Array.from(a), Array.from(c));
  // A layer seed gives its own stream, whatever the global seed.
  nr.setSeed(1);
  const d = new nr.layers.Dropout({ rate: 0.5, seed: 9 }).apply(x, { training: true }).data();
  nr.setSeed(2);
  const e = new nr.layers.Dropout({ rate: 0.5, seed: 9 }).apply(x, { training: true }).data();
  assert.deepEqual(Array.from(d), Array.from(e));
});

test('Dropout noiseShape shares the mask along broadcast axes', () => {
  nr.setSeed(5);
  const y = new nr.layers.Dropout({ rate: 0.5, noiseShape: [null, 1] })
    .apply(nr.ones([64, 10]), { training: true })
    .toArray() as number[][];
  for (const row of y)
    assert.ok(
      row.every((v) => v === row[0]),
      `one mask value per row, got ${row}`,
    );
  assert.ok(y.some((r) => r[0] === 0) && y.some((r) => r[0] === 2));
  assert.throws(
    () => new nr.layers.Dropout({ rate: 0.5, noiseShape: [null, 3] }).apply(nr.ones([2, 10]), { training: true }),
    nr.ShapeError,
  );
});

test('Dropout gradient in training is the mask', () => {
  const layer = new nr.layers.Dropout({ rate: 0.4, dtype: 'float64' });
  gradCheck(
    (x) => {
      nr.setSeed(11);
      return layer.apply(x, { training: true });
    },
    [randomFloat64([3, 5])],
  );
  nr.setSeed(11);
  const x = nr.ones([3, 5], 'float64');
  x.requiresGrad = true;
  const y = layer.apply(x, { training: true });
  y.sum().backward();
  assertClose(x.grad!, y);
});

test('Dropout rate must be in [0, 1)', () => {
  for (const rate of [-0.1, 1, 1.5, Number.NaN]) assert.throws(() => new nr.layers.Dropout({ rate }), nr.ConfigError);
  const x = nr.ones([2, 2]);
  assert.equal(new nr.layers.Dropout({ rate: 0 }).apply(x, { training: true }), x);
});

test('Dropout noiseShape that is not an array is a ConfigError (found by the model.json fuzz: it was a TypeError)', () => {
  for (const noiseShape of [3, 'x', true, {}]) {
    assert.throws(
      () => new nr.layers.Dropout({ rate: 0.5, noiseShape: noiseShape as never }),
      (e: unknown) =>
        e instanceof nr.ConfigError &&
        /noiseShape must be an array of positive integers and nulls \(or null\), got /.test((e as Error).message),
    );
  }
});
