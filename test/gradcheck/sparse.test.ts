import { test } from 'node:test';
import { assert, gradCheck, gradGradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central differences of nr.sparseMatmul w.r.t. the dense operand and the sparse values
 * (a graph attention layer learns its coefficients through the latter), first and second order.
 * The structure has an empty row, a repeated column and an unused column.
 */

const rowPtr = Int32Array.from([0, 2, 2, 5, 6]);
const colIdx = Int32Array.from([0, 3, 1, 3, 4, 3]);

test('gradcheck sparseMatmul: w.r.t. the values and the dense operand', () => {
  nr.setSeed(2020);
  const values = randomFloat64([6]);
  const dense = randomFloat64([5, 3]);
  const product = (v: nr.Tensor, b: nr.Tensor) => nr.sparseMatmul({ shape: [4, 5], rowPtr, colIdx, values: v }, b);
  assert.deepEqual(nr.noGrad(() => product(values, dense)).shape, [4, 3]);
  gradCheck(product, [values, dense], { label: 'sparseMatmul' });
  gradGradCheck(product, [values, dense], { label: 'sparseMatmul second order' });
});
