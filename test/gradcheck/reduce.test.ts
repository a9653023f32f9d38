import { test } from 'node:test';
import { assert, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of the reductions over every way of naming axes: none (all),
 * one axis, a negative axis, several adjacent axes, and several non-adjacent axes (which the op
 * transposes together before reducing), each with keepDims false and true.
 */

type Reduction = (x: nr.Tensor, axes?: number | number[], keepDims?: boolean) => nr.Tensor;

const REDUCTIONS: [string, Reduction][] = [
  ['sum', (x, axes, keep) => nr.sum(x, axes, keep)],
  ['mean', (x, axes, keep) => nr.mean(x, axes, keep)],
  ['max', (x, axes, keep) => nr.max(x, axes, keep)],
  ['min', (x, axes, keep) => nr.min(x, axes, keep)],
  ['logsumexp', (x, axes, keep) => nr.logsumexp(x, axes, keep)],
];

const AXES: (number | number[] | undefined)[] = [undefined, 0, 1, -1, -2, [0, 1], [1, 3], [0, 2], [-1, 0], [0, 1, 2, 3]];

/** Distinct values with gaps well above the finite-difference step, so max/min never tie. */
function distinctValues(shape: number[]): nr.Tensor {
  const x = randomFloat64(shape, -1, 1);
  const d = x.data();
  const n = d.length;
  // A random permutation of an evenly spaced grid, plus small jitter.
  const order = Array.from({ length: n }, (_, i) => i).sort((i, j) => d[i]! - d[j]!);
  order.forEach((src, rank) => {
    d[src] = -1 + (2 * rank) / n + (0.3 / n) * Math.abs(Math.sin(src));
  });
  return x;
}

REDUCTIONS.forEach(([name, reduce], k) => {
  for (const keepDims of [false, true]) {
    test(`gradcheck reduce: ${name} (keepDims ${keepDims})`, () => {
      nr.setSeed(300 + 2 * k + (keepDims ? 1 : 0));
      const shape = [2, 3, 4, 5];
      for (const axes of AXES) {
        const x = distinctValues(shape);
        const label = `${name} axes ${JSON.stringify(axes)} keepDims ${keepDims}`;
        const probe = nr.noGrad(() => reduce(x, axes, keepDims));
        // The output shape itself is part of the contract the gradient relies on.
        const list = axes === undefined ? [0, 1, 2, 3] : (typeof axes === 'number' ? [axes] : axes).map((a) => (a + 4) % 4);
        const expected = keepDims ? shape.map((d, i) => (list.includes(i) ? 1 : d)) : shape.filter((_, i) => !list.includes(i));
        assert.deepEqual(probe.shape, expected, `${label}: output shape`);
        gradCheck((t) => reduce(t, axes, keepDims), [x], { label });
      }
    });
  }
  test(`gradcheck reduce: ${name} of a scalar, of a vector and of size-1 axes`, () => {
    nr.setSeed(320 + k);
    gradCheck((t) => reduce(t), [randomFloat64([])], { label: `${name} []` });
    gradCheck((t) => reduce(t), [distinctValues([7])], { label: `${name} [7]` });
    gradCheck((t) => reduce(t, 0), [distinctValues([7])], { label: `${name} [7] axis 0` });
    gradCheck((t) => reduce(t, [0, 2], true), [distinctValues([1, 6, 1])], { label: `${name} [1,6,1] axes [0,2]` });
    gradCheck((t) => reduce(t, 1), [distinctValues([3, 1, 4])], { label: `${name} [3,1,4] axis 1` });
    // A reduction feeding another op, so the incoming gradient is not uniform.
    gradCheck((t) => reduce(t.mul(t), -1, true).mul(t).sum(0), [distinctValues([3, 4])], { label: `${name} in a chain` });
  });
});

test('reduce max/min split the gradient evenly among tied maxima (PyTorch amax/amin)', () => {
  const x = nr.tensor(
    [
      [1, 3, 3, 0],
      [2, 2, 2, -1],
    ],
    undefined,
    'float64',
  );
  x.requiresGrad = true;
  nr.max(x, 1).sum().backward();
  assert.deepEqual(Array.from(x.grad!.data()), [0, 0.5, 0.5, 0, 1 / 3, 1 / 3, 1 / 3, 0]);
  x.grad = null;
  nr.min(x).backward();
  assert.deepEqual(Array.from(x.grad!.data()), [0, 0, 0, 0, 0, 0, 0, 1]);
});

test('gradcheck reduce: mean of a large reduction keeps the 1/n scaling', () => {
  nr.setSeed(330);
  gradCheck((t) => nr.mean(t, [0, 2]).square(), [randomFloat64([16, 3, 12])], { label: 'mean [16,3,12] axes [0,2]' });
});

test('gradcheck reduce: logsumexp with large values does not overflow', () => {
  nr.setSeed(331);
  const x = randomFloat64([3, 4], 700, 720);
  const y = nr.noGrad(() => nr.logsumexp(x, 1));
  for (const v of y.data()) assert.ok(Number.isFinite(v), `logsumexp gave ${v}`);
  gradCheck((t) => nr.logsumexp(t, 1), [x], { label: 'logsumexp large', eps: 1e-4, rtol: 1e-4 });
});
