import { test } from 'node:test';
import { nr, assert, backendsUnderTest, withBackend } from '../helpers.js';

/*
 * unbroadcast (src/ops/helpers.ts) sums a broadcast gradient back to an input's shape on the kernels
 * alone. It must give the same bits as the sum-then-reshape it replaced, including when the summed
 * axes are not adjacent (a transpose first), and refuse a gradient its shape does not broadcast to.
 */

const CASES: [number[], number[]][] = [
  [
    [7, 5, 3],
    [5, 1],
  ],
  [
    [4, 6, 9],
    [6, 1],
  ],
  [
    [3, 5, 2],
    [1, 5, 1],
  ],
  [
    [2, 3, 4, 5],
    [3, 1, 5],
  ],
  [[64, 100], [100]],
  [[8, 7, 7, 16], [16]],
  [
    [2, 0, 3],
    [1, 3],
  ],
  [
    [3, 1, 4],
    [1, 1, 4],
  ],
];

test('unbroadcast gives the bits of sum over the broadcast axes, on every backend and float dtype', () => {
  for (const backend of backendsUnderTest()) {
    withBackend(backend, () => {
      nr.setSeed(1);
      for (const dtype of ['float32', 'float64'] as const) {
        for (const [gradShape, shape] of CASES) {
          const g = nr.randn(gradShape).cast(dtype);
          const lead = gradShape.length - shape.length;
          const axes = gradShape.map((_, i) => i).filter((i) => i < lead || (shape[i - lead] === 1 && gradShape[i] !== 1));
          const want = nr.sum(g, axes, true).reshape(shape);
          const got = nr.unbroadcast(g, shape);
          const what = `${backend} ${dtype} [${gradShape}] -> [${shape}]`;
          assert.deepEqual(got.shape, shape, what);
          assert.equal(got.dtype, dtype, what);
          assert.deepEqual(Array.from(got.data()), Array.from(want.data()), what);
        }
      }
    });
  }
});

test("unbroadcast returns a gradient of the input's shape as it is, and refuses one its shape does not broadcast to", () => {
  const g = nr.ones([2, 3]);
  assert.equal(nr.unbroadcast(g, [2, 3]), g);
  for (const shape of [
    [3, 2],
    [1, 2, 3],
    [2, 2],
  ]) {
    assert.throws(
      () => nr.unbroadcast(g, shape),
      (e: unknown) =>
        e instanceof nr.ShapeError &&
        e.message ===
          `unbroadcast: the gradient must have a shape that [${shape.join(', ')}] broadcasts to, got [2, 3]; ` +
            "a backward function must return one gradient of each input's shape",
      String(shape),
    );
  }
});
