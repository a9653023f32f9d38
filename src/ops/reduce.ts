import { formatShape, isFloat, normalizeAxes, normalizeAxis, shapeError, type DType } from '../core/index.js';
import { kernels, type AxisView, type ReduceOp } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { div, equal, exp, mul, sub, cast } from './elementwise.js';
import { empty, toTensor, type Operand } from './helpers.js';
import { broadcastTo, reshape, transpose } from './shape.js';

/*
 * Reductions. The axes to reduce are brought together (a transpose when they are not adjacent) so
 * one kernel call over an [outer, length, inner] view does the work.
 */

export type Axes = number | readonly number[];

interface Plan {
  /** The input, transposed when needed so that the reduced axes are adjacent. */
  source: Tensor;
  view: AxisView;
  /** Output shape with the reduced axes kept as 1 (for broadcasting gradients back). */
  keptShape: number[];
  outShape: number[];
  count: number;
}

function plan(x: Tensor, axes: Axes | undefined, keepDims: boolean, op: string): Plan {
  const list = normalizeAxes(axes, x.rank, op);
  const keptShape = x.shape.map((d, i) => (list.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : x.shape.filter((_, i) => !list.includes(i));
  let count = 1;
  for (const a of list) count *= x.shape[a]!;
  const product = (from: number, to: number, shape: readonly number[]) => {
    let p = 1;
    for (let i = from; i < to; i++) p *= shape[i]!;
    return p;
  };
  if (list.length === 0) return { source: x, view: { outer: x.size, length: 1, inner: 1 }, keptShape, outShape, count };
  const first = list[0]!;
  const last = list[list.length - 1]!;
  if (last - first + 1 === list.length) {
    const view = { outer: product(0, first, x.shape), length: count, inner: product(last + 1, x.rank, x.shape) };
    return { source: x, view, keptShape, outShape, count };
  }
  const kept = x.shape.map((_, i) => i).filter((i) => !list.includes(i));
  const source = transpose(x, [...kept, ...list]);
  return { source, view: { outer: x.size / Math.max(count, 1), length: count, inner: 1 }, keptShape, outShape, count };
}

function runReduce(op: ReduceOp, p: Plan, dtype: DType): Tensor {
  const out = empty(p.outShape, dtype);
  if (out.size > 0) kernels().reduce(op, p.source._data, p.view, out._data);
  return out;
}

/** The op's gradient `g` (of the output's shape) spread back over the reduced axes. */
function spread(g: Tensor, p: Plan, shape: readonly number[]): Tensor {
  return broadcastTo(reshape(g, p.keptShape), shape);
}

/**
 * Sum over the given axes (all when omitted). Bool and int inputs give int32.
 *
 * ```ts
 * nr.tensor([[1, 2], [3, 4]]).sum(0).toArray(); // [4, 6]
 * ```
 */
export function sum(input: Operand, axes?: Axes, keepDims = false): Tensor {
  const x = toTensor(input);
  const p = plan(x, axes, keepDims, 'sum');
  const out = runReduce('sum', p, isFloat(x.dtype) ? x.dtype : 'int32');
  return record('sum', out, [x], (g) => [spread(g, p, x.shape)], true);
}

/**
 * Mean over the given axes (all when omitted); int inputs give float32. The value is the sum divided
 * by the count (the same kernels as `div(sum(x), count)`), recorded as one node: every loss ends in it.
 */
export function mean(input: Operand, axes?: Axes, keepDims = false): Tensor {
  const x = toTensor(input);
  const source = isFloat(x.dtype) ? x : cast(x, 'float32');
  const p = plan(source, axes, keepDims, 'mean');
  const total = runReduce('sum', p, source.dtype);
  const count = x.size === 0 ? NaN : x.size / Math.max(total.size, 1);
  const divisor = empty([], source.dtype);
  divisor._data[0] = count;
  const out = empty(p.outShape, source.dtype);
  if (out.size > 0) kernels().binary('div', total._data, total.shape, divisor._data, divisor.shape, out._data, out.shape);
  return record('mean', out, [source], (g) => [spread(div(g, divisor), p, source.shape)], true);
}

function extreme(op: 'max' | 'min', input: Operand, axes: Axes | undefined, keepDims: boolean): Tensor {
  const x = toTensor(input);
  const p = plan(x, axes, keepDims, op);
  if (x.size === 0) {
    throw shapeError(op, {
      expected: 'cannot reduce an empty tensor',
      got: `shape ${formatShape(x.shape)}`,
      rule: `the ${op} of no values is undefined`,
    });
  }
  const out = runReduce(op, p, x.dtype === 'bool' ? 'int32' : x.dtype);
  return record(
    op,
    out,
    [x],
    (g) => {
      // Ties share the gradient evenly (PyTorch's amax/amin rule).
      const mask = cast(equal(x, reshape(out, p.keptShape)), g.dtype);
      const count = sum(mask, axes, true);
      return [div(mul(mask, spread(g, p, x.shape)), count)];
    },
    true,
  );
}

/** Maximum over the given axes (all when omitted). NaN propagates. */
export function max(input: Operand, axes?: Axes, keepDims = false): Tensor {
  return extreme('max', input, axes, keepDims);
}

/** Minimum over the given axes (all when omitted). NaN propagates. */
export function min(input: Operand, axes?: Axes, keepDims = false): Tensor {
  return extreme('min', input, axes, keepDims);
}

/** log(sum(exp(x))) over the axes, computed without overflow. */
export function logsumexp(input: Operand, axes?: Axes, keepDims = false): Tensor {
  const x = toTensor(input);
  const p = plan(x, axes, keepDims, 'logsumexp');
  const out = runReduce('logsumexp', p, isFloat(x.dtype) ? x.dtype : 'float32');
  return record('logsumexp', out, [x], (g) => [mul(spread(g, p, x.shape), exp(sub(x, reshape(out, p.keptShape))))], true);
}

function argExtreme(op: 'argmax' | 'argmin', input: Operand, axis: number | undefined, keepDims: boolean): Tensor {
  const x = toTensor(input);
  if (x.size === 0) {
    throw shapeError(op, {
      expected: `cannot take the ${op} of an empty tensor`,
      got: `shape ${formatShape(x.shape)}`,
      rule: 'it has no elements to point at',
    });
  }
  if (axis === undefined) {
    const out = empty(keepDims ? x.shape.map(() => 1) : [], 'int32');
    kernels().argReduce(op, x._data, { outer: 1, length: x.size, inner: 1 }, out._data as Int32Array);
    return out;
  }
  const a = normalizeAxis(axis, x.rank, op);
  const p = plan(x, a, keepDims, op);
  const out = empty(p.outShape, 'int32');
  kernels().argReduce(op, x._data, p.view, out._data as Int32Array);
  return out;
}

/** Index of the largest value along `axis` (of the flattened tensor when omitted); int32. */
export function argmax(input: Operand, axis?: number, keepDims = false): Tensor {
  return argExtreme('argmax', input, axis, keepDims);
}

/** Index of the smallest value along `axis` (of the flattened tensor when omitted); int32. */
export function argmin(input: Operand, axis?: number, keepDims = false): Tensor {
  return argExtreme('argmin', input, axis, keepDims);
}
