import { broadcastShapes, configError, dtypeError, formatShape, shapeError, show } from '../core/index.js';
import { LINEAR_ACTIVATIONS, kernelProvider, kernels, type LinearActivation, type MatmulArgs } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { unaryGradient } from './elementwise.js';
import { empty, requireFloat, toTensor, unbroadcast, unfilled, unfilledScratch, type Operand } from './helpers.js';
import { sum } from './reduce.js';
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
    throw dtypeError('matmul', {
      expected: 'operands must have the same dtype',
      got: `${a0.dtype} ${formatShape(a0.shape)} and ${b0.dtype} ${formatShape(b0.shape)}`,
      hint: 'cast one of them',
    });
  }
  if (a0.rank === 0 || b0.rank === 0) {
    throw shapeError('matmul', {
      expected: 'operands must have at least one dimension',
      got: `${formatShape(a0.shape)} and ${formatShape(b0.shape)}`,
      hint: 'use mul for scalars',
    });
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
    throw shapeError('matmul', {
      expected: 'inner dimensions must match',
      got:
        `a ${formatShape(a.shape)}${transA ? ' (transposed)' : ''} with k = ${k} ` +
        `and b ${formatShape(b.shape)}${transB ? ' (transposed)' : ''} with k = ${kb}`,
      rule: 'the last axis of a must equal the second-to-last of b',
    });
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
  // Every backend's matmul writes each element of its output (zeros for k = 0).
  const out = unfilled([...batchShape, m, n], a.dtype, 'matmul');
  kernels().matmul(fa.t._data as Float32Array, fb.t._data as Float32Array, out._data as Float32Array, {
    batch,
    m,
    n,
    k,
    transA,
    transB,
    aBatchStride: fa.stride,
    bBatchStride: fb.stride,
  });
  return record(
    'matmul',
    out,
    [a, b],
    (g) => [
      a.requiresGrad ? unbroadcast(transA ? matmulBatched(b, g, transB, true) : matmulBatched(g, b, false, !transB), a.shape) : null,
      b.requiresGrad ? unbroadcast(transB ? matmulBatched(g, a, true, transA) : matmulBatched(a, g, !transA, false), b.shape) : null,
    ],
    true,
  );
}

export type { LinearActivation };

/**
 * A dense layer's computation as one op: `activation(x @ kernel + bias)` for x `[..., inFeatures]`,
 * kernel `[inFeatures, units]` and bias `[units]` (or null), giving `[..., units]`. `activation` is
 * 'linear' (default), 'relu', 'sigmoid' or 'tanh'. It records a single node whose gradient computes
 * dx, dKernel and dBias straight from the output gradient, where matmul, add and the activation
 * would record three nodes and several temporaries (this is most of a small MLP's step).
 *
 * ```ts
 * nr.linear(nr.ones([2, 3]), nr.ones([3, 4]), nr.ones([4]), 'relu').toArray(); // [[4, 4, 4, 4], [4, 4, 4, 4]]
 * ```
 */
export function linear(input: Operand, kernel: Operand, bias: Operand | null = null, activation: LinearActivation = 'linear'): Tensor {
  const x = toTensor(input);
  const w = toTensor(kernel);
  const b = bias === null ? null : toTensor(bias);
  requireFloat(x, 'linear', 'input');
  requireFloat(w, 'linear', 'kernel');
  if (!LINEAR_ACTIVATIONS.includes(activation)) {
    throw configError('linear', {
      expected: `activation must be one of ${LINEAR_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`,
      got: show(activation),
      hint: 'apply other activations to the result',
    });
  }
  if (w.rank !== 2) throw shapeError('linear', { expected: 'the kernel must be [inFeatures, units]', got: formatShape(w.shape) });
  const [k, n] = w.shape as [number, number];
  if (x.rank === 0 || x.shape[x.rank - 1] !== k) {
    throw shapeError('linear', {
      expected: `expected an input with last dimension ${k} for the kernel ${formatShape(w.shape)}`,
      got: formatShape(x.shape),
    });
  }
  if (b !== null && (b.rank !== 1 || b.shape[0] !== n)) {
    throw shapeError('linear', { expected: `the bias must be [${n}] for the kernel ${formatShape(w.shape)}`, got: formatShape(b.shape) });
  }
  for (const [t, role] of [
    [w, 'kernel'],
    [b, 'bias'],
  ] as const) {
    if (t !== null && t.dtype !== x.dtype) {
      throw dtypeError('linear', {
        expected: `the ${role} must have the input's dtype ${x.dtype}`,
        got: `${t.dtype} ${formatShape(t.shape)}`,
        hint: 'cast one of them',
      });
    }
  }
  let m = 1;
  for (let i = 0; i < x.rank - 1; i++) m *= x.shape[i]!;
  const shape = [...x.shape.slice(0, -1), n];
  const out = empty(shape, x.dtype);
  if (m === 0 || n === 0)
    return recordLinear(out, x, w, b, activation, { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 });
  const args: MatmulArgs = { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
  const table = kernels();
  const xData = x._data as Float32Array;
  const bData = b === null ? null : (b._data as Float32Array);
  if (kernelProvider('matmulBiasActivation') === kernelProvider('matmul')) {
    // The backend that multiplies also finishes the result in the same pass.
    table.matmulBiasActivation(xData, w._data as Float32Array, bData, out._data as Float32Array, args, activation);
  } else {
    // Its matmul, then its elementwise kernels (separate outputs: kernels are not promised to run in place).
    table.matmul(xData, w._data as Float32Array, out._data as Float32Array, args);
    let result = out;
    if (bData !== null) {
      const biased = empty(shape, x.dtype);
      table.binary('add', result._data, [m, n], bData, [n], biased._data, [m, n]);
      result = biased;
    }
    if (activation !== 'linear') {
      const activated = empty(shape, x.dtype);
      table.unary(activation, result._data, activated._data, 0);
      result = activated;
    }
    return recordLinear(result, x, w, b, activation, args);
  }
  return recordLinear(out, x, w, b, activation, args);
}

function recordLinear(y: Tensor, x: Tensor, w: Tensor, b: Tensor | null, activation: LinearActivation, args: MatmulArgs): Tensor {
  const { m, n, k } = args;
  return record(
    'linear',
    y,
    b === null ? [x, w] : [x, w, b],
    (g, createGraph) => {
      if (createGraph) return linearGradientByOps(g, y, x, w, b, activation);
      const table = kernels();
      // dz = g * activation'(z), from the output alone (relu's test z > 0 is y > 0).
      let dz = g;
      if (activation !== 'linear') {
        dz = unfilledScratch(y.shape, g.dtype);
        table.unaryGrad(activation, y._data as Float32Array, y._data as Float32Array, g._data as Float32Array, dz._data as Float32Array, 0);
      }
      const dzData = dz._data as Float32Array;
      // The products write their whole output; with an empty inner dimension the gradient is zeros.
      const product = m > 0 && k > 0 && n > 0;
      let dx: Tensor | null = null;
      if (x.requiresGrad) {
        dx = product ? unfilled(x.shape, g.dtype) : empty(x.shape, g.dtype);
        if (product) {
          table.matmul(dzData, w._data as Float32Array, dx._data as Float32Array, { ...args, m, n: k, k: n, transB: true });
        }
      }
      let dw: Tensor | null = null;
      if (w.requiresGrad) {
        dw = product ? unfilled(w.shape, g.dtype) : empty(w.shape, g.dtype);
        if (product) {
          table.matmul(x._data as Float32Array, dzData, dw._data as Float32Array, { ...args, m: k, n, k: m, transA: true });
        }
      }
      let db: Tensor | null = null;
      if (b?.requiresGrad) {
        db = empty(b.shape, g.dtype);
        if (m > 0 && n > 0) table.reduce('sum', dzData, { outer: 1, length: m, inner: n }, db._data);
      }
      return b === null ? [dx, dw] : [dx, dw, db];
    },
    true,
  );
}

/** The gradients of `linear` built from differentiable ops (for higher-order gradients). */
function linearGradientByOps(
  g: Tensor,
  y: Tensor,
  x: Tensor,
  w: Tensor,
  b: Tensor | null,
  activation: LinearActivation,
): (Tensor | null)[] {
  const [k, n] = w.shape as [number, number];
  const m = x.shape.slice(0, -1).reduce((p, d) => p * d, 1);
  const dz = reshape(activation === 'linear' ? g : unaryGradient(activation, y, y, g), [m, n]);
  const dx = x.requiresGrad ? reshape(matmul(dz, w, { transposeB: true }), x.shape) : null;
  const dw = w.requiresGrad ? matmul(reshape(x, [m, k]), dz, { transposeA: true }) : null;
  const db = b?.requiresGrad ? sum(dz, 0) : null;
  return b === null ? [dx, dw] : [dx, dw, db];
}
