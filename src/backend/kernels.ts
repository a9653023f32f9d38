import type { TypedArray, FloatArray, Random } from '../core/index.js';

/**
 * The fixed list of kernels every backend is measured against. A kernel is a plain function over
 * typed arrays: it trusts its inputs (ops validate them first) and writes into the output array it
 * is given. `js` implements all of them; another backend may implement any subset, and the registry
 * falls back to `js` one kernel at a time.
 */

/** Elementwise functions of one input. `param` is the slope of `leakyRelu` and the alpha of `elu`. */
export const UNARY_OPS = [
  'neg', 'abs', 'sign', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal',
  'sin', 'cos', 'tanh', 'sigmoid', 'relu', 'leakyRelu', 'elu', 'softplus', 'floor', 'ceil', 'round',
  'logicalNot',
] as const;
export type UnaryOp = (typeof UNARY_OPS)[number];

/**
 * Unary ops with a closed-form derivative that `unaryGrad` computes in one pass:
 * dx = dy * f'(x), using x or the forward output y, whichever the derivative is cheaper in.
 */
export const UNARY_GRAD_OPS = [
  'abs', 'exp', 'expm1', 'log', 'log1p', 'sqrt', 'rsqrt', 'square', 'reciprocal', 'sin', 'cos',
  'tanh', 'sigmoid', 'relu', 'leakyRelu', 'elu', 'softplus',
] as const;
export type UnaryGradOp = (typeof UNARY_GRAD_OPS)[number];

/** Broadcasting binary ops. Comparison and logical ops write 0/1 into a `Uint8Array`. */
export const BINARY_OPS = [
  'add', 'sub', 'mul', 'div', 'pow', 'maximum', 'minimum', 'floorDiv', 'mod',
  'equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr',
] as const;
export type BinaryOp = (typeof BINARY_OPS)[number];

export const REDUCE_OPS = ['sum', 'prod', 'max', 'min', 'logsumexp'] as const;
export type ReduceOp = (typeof REDUCE_OPS)[number];

export type ArgReduceOp = 'argmax' | 'argmin';

/**
 * A reduction, softmax or gather works on a tensor seen as `[outer, length, inner]`: the axis being
 * reduced has `length` elements, `outer` is the product of the dimensions before it and `inner` the
 * product of those after it.
 */
export interface AxisView {
  outer: number;
  length: number;
  inner: number;
}

/** `out[b] = op(A[b]) @ op(B[b])`, row-major; A is `[m, k]` (or `[k, m]` with `transA`). */
export interface MatmulArgs {
  batch: number;
  m: number;
  n: number;
  k: number;
  transA: boolean;
  transB: boolean;
  /** Elements between consecutive batch matrices of A; 0 broadcasts one matrix over the batch. */
  aBatchStride: number;
  bBatchStride: number;
}

export interface Kernels {
  unary(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void;
  unaryGrad(op: UnaryGradOp, x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, param: number): void;
  binary(op: BinaryOp, a: TypedArray, aShape: readonly number[], b: TypedArray, bShape: readonly number[],
    out: TypedArray, outShape: readonly number[]): void;
  /** `out = cond ? a : b`, all three broadcast to `outShape`. */
  where(cond: Uint8Array, condShape: readonly number[], a: TypedArray, aShape: readonly number[],
    b: TypedArray, bShape: readonly number[], out: TypedArray, outShape: readonly number[]): void;
  /** Converts between dtypes (float to int truncates toward zero; anything to bool is `x != 0`). */
  cast(x: TypedArray, out: TypedArray): void;
  /** Reduces `[outer, length, inner]` over `length` into `out` of `[outer, inner]`. */
  reduce(op: ReduceOp, x: TypedArray, view: AxisView, out: TypedArray): void;
  /** Index of the first maximum / minimum along the axis. */
  argReduce(op: ArgReduceOp, x: TypedArray, view: AxisView, out: Int32Array): void;
  matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void;
  softmax(x: FloatArray, view: AxisView, out: FloatArray): void;
  logSoftmax(x: FloatArray, view: AxisView, out: FloatArray): void;
  /** Permutes the axes: output axis i is input axis `perm[i]`. */
  transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void;
  /** Copies the box starting at `begin` with extent `size`. */
  slice(x: TypedArray, shape: readonly number[], begin: readonly number[], size: readonly number[], out: TypedArray): void;
  /** Joins inputs along an axis; each input is `[outer, lengths[i] * inner]` in the flattened view. */
  concat(inputs: readonly TypedArray[], outer: number, chunks: readonly number[], out: TypedArray): void;
  /** Constant padding: `padding[i] = [before, after]` for axis i. */
  pad(x: TypedArray, shape: readonly number[], padding: readonly (readonly [number, number])[], value: number, out: TypedArray): void;
  /** `out[o, j, i] = x[o, indices[j], i]` with `view.length` the size of the gathered axis. */
  gather(x: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void;
  /** The transpose of gather: `out[o, indices[j], i] += dy[o, j, i]` (out must be zeroed by the caller). */
  scatterAdd(dy: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void;
  /** `out[i, indices[i]] = onValue`, every other entry `offValue`; out is `[indices.length, depth]`. */
  oneHot(indices: Int32Array, depth: number, onValue: number, offValue: number, out: TypedArray): void;
  fillUniform(out: TypedArray, low: number, high: number, random: Random): void;
  fillNormal(out: TypedArray, mean: number, std: number, random: Random): void;
}

export type KernelName = keyof Kernels;

export const KERNEL_NAMES: readonly KernelName[] = [
  'unary', 'unaryGrad', 'binary', 'where', 'cast', 'reduce', 'argReduce', 'matmul', 'softmax',
  'logSoftmax', 'transpose', 'slice', 'concat', 'pad', 'gather', 'scatterAdd', 'oneHot',
  'fillUniform', 'fillNormal',
];

/** A backend: a name and the kernels it implements (any it lacks come from `js`). */
export interface Backend {
  readonly name: string;
  readonly kernels: Partial<Kernels>;
  /** Sets the size of the backend's thread pool, when it has one. */
  setNumThreads?(n: number): void;
}
