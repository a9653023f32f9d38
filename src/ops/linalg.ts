import { DTypeError, ShapeError, broadcastShapes, formatShape } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { empty, requireFloat, toTensor, type Operand } from './helpers.js';
import { unbroadcast } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';

export interface MatmulOptions {
  /** Use the transpose of the last two axes of `a` (no copy is made). */
  transposeA?: boolean;
  /** Use the transpose of the last two axes of `b` (no copy is made). */
  transposeB?: boolean;
}

/**
 * Matrix product with NumPy/PyTorch rules: 2-D @ 2-D, batched over leading axes that broadcast,
 * and 1-D operands treated as a row (left) or column (right) vector that is removed afterwards.
 *
 * ```ts
 * nr.matmul(nr.ones([2, 3]), nr.ones([3, 4])).shape;     // [2, 4]
 * nr.randn([8, 2, 3]).matmul(nr.randn([3, 5])).shape;    // [8, 2, 5]
 * ```
 */
export function matmul(left: Operand, right: Operand, options: MatmulOptions = {}): Tensor {
  const a0 = toTensor(left);
  const b0 = toTensor(right);
  requireFloat(a0, 'matmul', 'left operand');
  requireFloat(b0, 'matmul', 'right operand');
  if (a0.dtype !== b0.dtype) {
    throw new DTypeError(`matmul: operands must have the same dtype, got ${a0.dtype} ${formatShape(a0.shape)} and ${b0.dtype} ${formatShape(b0.shape)}`);
  }
  if (a0.rank === 0 || b0.rank === 0) {
    throw new ShapeError(`matmul: operands must have at least one dimension, got ${formatShape(a0.shape)} and ${formatShape(b0.shape)}; use mul for scalars`);
  }
  const transA = options.transposeA ?? false;
  const transB = options.transposeB ?? false;
  const a = a0.rank === 1 ? reshape(a0, transA ? [a0.size, 1] : [1, a0.size]) : a0;
  const b = b0.rank === 1 ? reshape(b0, transB ? [1, b0.size] : [b0.size, 1]) : b0;
  const out = matmulBatched(a, b, transA, transB);
  if (a0.rank === 1 || b0.rank === 1) {
    const shape = [...out.shape];
    if (b0.rank === 1) shape.pop();
    if (a0.rank === 1) shape.splice(shape.length - (b0.rank === 1 ? 1 : 2), 1);
    return reshape(out, shape);
  }
  return out;
}

function matmulBatched(a: Tensor, b: Tensor, transA: boolean, transB: boolean): Tensor {
  const [ar, ac] = a.shape.slice(-2) as [number, number];
  const [br, bc] = b.shape.slice(-2) as [number, number];
  const m = transA ? ac : ar;
  const k = transA ? ar : ac;
  const kb = transB ? bc : br;
  const n = transB ? br : bc;
  if (k !== kb) {
    throw new ShapeError(
      `matmul: inner dimensions do not match: a ${formatShape(a.shape)}${transA ? ' (transposed)' : ''} has k = ${k} ` +
        `but b ${formatShape(b.shape)}${transB ? ' (transposed)' : ''} has k = ${kb}; the last axis of a must equal the second-to-last of b`,
    );
  }
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const batchShape = broadcastShapes(aBatch, bBatch, 'matmul (batch dimensions)');
  const batch = batchShape.reduce((p, d) => p * d, 1);
  // An operand whose batch is not the full batch and not a single matrix is expanded first.
  const fit = (t: Tensor, tb: readonly number[]) => {
    const size = tb.reduce((p, d) => p * d, 1);
    if (size === batch || size === 1) return { t, stride: size === 1 ? 0 : t.shape.at(-1)! * t.shape.at(-2)! };
    const e = broadcastTo(t, [...batchShape, ...t.shape.slice(-2)]);
    return { t: e, stride: t.shape.at(-1)! * t.shape.at(-2)! };
  };
  const fa = fit(a, aBatch);
  const fb = fit(b, bBatch);
  const out = empty([...batchShape, m, n], a.dtype);
  kernels().matmul(fa.t._data as Float32Array, fb.t._data as Float32Array, out._data as Float32Array, {
    batch, m, n, k, transA, transB, aBatchStride: fa.stride, bBatchStride: fb.stride,
  });
  return record('matmul', out, [a, b], (g) => [
    a.requiresGrad
      ? unbroadcast(transA ? matmulBatched(b, g, transB, true) : matmulBatched(g, b, false, !transB), a.shape)
      : null,
    b.requiresGrad
      ? unbroadcast(transB ? matmulBatched(g, a, true, transA) : matmulBatched(a, g, !transA, false), b.shape)
      : null,
  ]);
}
