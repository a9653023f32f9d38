import { test } from 'node:test';
import { assert, assertClose, gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

test('gradcheck layerNorm w.r.t. x, gamma and beta: last axis, two trailing axes, a middle axis, rms', () => {
  const cases: [number[], number | number[], boolean][] = [
    [[2, 5, 8], -1, false],
    [[3, 2, 4], [1, 2], false],
    [[2, 4, 3], 1, false],
    [[4, 6], -1, true],
  ];
  for (const [shape, axis, rms] of cases) {
    const axes = (Array.isArray(axis) ? axis : [axis]).map((a) => (a < 0 ? a + shape.length : a));
    const spanned = axes.map((a) => shape[a]!);
    const x = randomFloat64(shape);
    const gamma = randomFloat64(spanned, 0.5, 2);
    const beta = randomFloat64(spanned);
    const label = `layerNorm ${JSON.stringify(shape)} axis ${JSON.stringify(axis)}${rms ? ' rms' : ''}`;
    gradCheck((a, g, b) => nr.layerNorm(a, g, b, { axis, rms }), [x, gamma, beta], { label });
    gradCheck((a) => nr.layerNorm(a, null, null, { axis, epsilon: 1e-5, rms }), [x], { label: `${label}, no gamma/beta` });
    gradGradCheck((a, g, b) => nr.layerNorm(a, g, b, { axis, rms }), [x, gamma, beta], { label: `${label} (second order)` });
  }
});

test('layerNorm values by hand: rows to mean 0 and variance 1, then gamma and beta; rms divides by the root mean square', () => {
  const x = nr.tensor([
    [1, 2, 3, 6],
    [-2, 0, 0, 2],
  ]);
  const y = nr.layerNorm(x, [1, 2, 1, 1], [0, 0, 1, 0], { epsilon: 0 });
  // Row 0: mean 3, variance (4 + 1 + 0 + 9) / 4 = 3.5; row 1: mean 0, variance 2.
  const s0 = Math.sqrt(3.5);
  const s1 = Math.sqrt(2);
  assertClose(y.data(), [-2 / s0, -2 / s0, 1, 3 / s0, -2 / s1, 0, 1, 2 / s1]);
  const r = nr.layerNorm(nr.tensor([[3, 4]]), null, null, { rms: true, epsilon: 0 });
  assertClose(r.data(), [3 / Math.sqrt(12.5), 4 / Math.sqrt(12.5)]);
});

test('nr.logSumExp is logsumexp (Keras spelling), with its gradient', () => {
  assert.equal(nr.logSumExp, nr.logsumexp);
  gradCheck((a) => nr.logSumExp(a, 1), [randomFloat64([3, 4])], { label: 'logSumExp' });
});

test('layerNorm rejects bad arguments with messages naming the op and the shapes', () => {
  const x = nr.randn([2, 3, 4]);
  assert.throws(
    () => nr.layerNorm(x, nr.ones([3]), null),
    (e: Error) => e instanceof nr.ShapeError && /layerNorm: gamma must have shape \[4\], got \[3\]/.test(e.message),
  );
  assert.throws(() => nr.layerNorm(x, null, nr.ones([4]), { axis: [1, 2] }), /beta must have shape \[3, 4\], got \[4\]/);
  assert.throws(
    () => nr.layerNorm(x, null, null, { axis: 3 }),
    (e: Error) => e instanceof nr.ShapeError && /axis 3 is out of range/.test(e.message),
  );
  assert.throws(() => nr.layerNorm(x, null, null, { axis: [2, -1] }), /each axis may appear once/);
  assert.throws(
    () => nr.layerNorm(x, null, null, { epsilon: -1 }),
    (e: Error) => e instanceof nr.ConfigError && /epsilon/.test(e.message),
  );
  assert.throws(() => nr.layerNorm(nr.tensor([1, 2], undefined, 'int32'), null, null), nr.DTypeError);
  assert.throws(
    () => nr.layerNorm(x, nr.ones([4], 'float64'), null),
    (e: Error) => e instanceof nr.DTypeError && /gamma/.test(e.message),
  );
});
