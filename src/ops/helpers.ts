import {
  POOL_DEBUG,
  allocate,
  dtypeError,
  formatShape,
  isFloat,
  numericsError,
  promoteTypes,
  shapeError,
  shapesEqual,
  wasGivenBack,
  type DType,
  type Shape,
} from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, record, stepScratchTensor, tensor, type TensorLike } from '../tensor/index.js';

/** Anything an op accepts as a tensor operand: a tensor, a number, or nested arrays. */
export type Operand = TensorLike;

/** A fresh tensor of zeros to be written by a kernel; `op` names the op if it is too large. */
export function empty(shape: Shape, dtype: DType, op?: string, zeroed = true): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  // The description is made only for the error (formatting it on every allocation showed in profiles).
  const what = (): string => `${op ? `${op}: the result` : 'a result'} of shape ${formatShape(shape)}`;
  return new Tensor(allocate(dtype, size, what, zeroed), shape, dtype);
}

/**
 * `empty` for a result whose every element the op's kernel writes, on every backend: recycled
 * storage is not zero-filled first (the kernels of the ops that use it assign each element, never
 * add to it; NEURONA_DEBUG_POOL=1 fills it with NaN so that the tests would show an element missed).
 */
export function unfilled(shape: Shape, dtype: DType, op?: string): Tensor {
  return empty(shape, dtype, op, false);
}

/**
 * `empty` for an op's working array that nothing reads after the op (or its backward function) is
 * done with it: during `fit`'s step its storage is recycled with the step's (see stepScratchTensor).
 */
export function scratch(shape: Shape, dtype: DType): Tensor {
  return stepScratchTensor(empty(shape, dtype));
}

/** `scratch` for a working array that a kernel then writes whole (as `unfilled`: recycled storage is not zeroed). */
export function unfilledScratch(shape: Shape, dtype: DType): Tensor {
  return stepScratchTensor(unfilled(shape, dtype));
}

/**
 * Converts an operand to a tensor. A plain number next to a tensor takes that tensor's dtype when it
 * fits (a float next to float64 stays float64; an integer next to int32 stays int32), as PyTorch
 * treats Python scalars.
 */
export function toTensor(x: Operand, like?: Tensor): Tensor {
  if (x instanceof Tensor) {
    if (POOL_DEBUG && wasGivenBack(x._data)) throw givenBackError(x);
    return x;
  }
  if (typeof x === 'number' && like) {
    const dtype = isFloat(like.dtype) ? like.dtype : Number.isInteger(x) ? 'int32' : 'float32';
    const data = allocate(dtype, 1);
    data[0] = x;
    return new Tensor(data, [], dtype);
  }
  if (typeof x === 'boolean' && like) return tensor(x);
  return tensor(x);
}

/** NEURONA_DEBUG_POOL=1 caught an op reading storage that a finished training step gave back. */
function givenBackError(x: Tensor): Error {
  return numericsError('NEURONA_DEBUG_POOL', {
    expected: 'an op must not read a tensor whose storage a finished training step gave back to the buffer pool',
    got: `a ${x.dtype} tensor of shape ${formatShape(x.shape)}, now filled with NaN`,
    rule: 'fit recycles every activation and gradient of a step once the weights are updated',
    hint:
      'a custom layer, loss, metric or callback kept a tensor it computed during an earlier step; keep t.clone() ' +
      'instead, or compute it under nr.noGrad',
  });
}

/** Both operands of a binary op as tensors, each scalar adapting to the other side. */
export function operands(a: Operand, b: Operand): [Tensor, Tensor] {
  const ta = a instanceof Tensor ? a : undefined;
  const tb = b instanceof Tensor ? b : undefined;
  return [toTensor(a, tb), toTensor(b, ta)];
}

export function resultType(a: Tensor, b: Tensor): DType {
  return promoteTypes(a.dtype, b.dtype);
}

/** Throws a DTypeError unless `t` is float32 or float64. */
export function requireFloat(t: Tensor, op: string, role = 'input'): void {
  // The layers' trusted paths (conv2dParsed, pool2dParsed, ...) take tensors without toTensor; they all come here.
  if (POOL_DEBUG && wasGivenBack(t._data)) throw givenBackError(t);
  if (!isFloat(t.dtype)) {
    throw dtypeError(op, {
      expected: `expected a float ${role}`,
      got: `${t.dtype} ${formatShape(t.shape)}`,
      hint: "convert it with .cast('float32')",
    });
  }
}

/** Throws a DTypeError unless `t` is int32. */
export function requireInt(t: Tensor, op: string, role: string): void {
  if (t.dtype !== 'int32') {
    throw dtypeError(op, {
      expected: `${role} must be int32`,
      got: `${t.dtype} ${formatShape(t.shape)}`,
      hint: "convert it with .cast('int32')",
    });
  }
}

/** Converts a tensor to another dtype (a no-op when it already has it). */
export function castTo(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = empty(t.shape, dtype);
  kernels().cast(t._data, out._data);
  return out;
}

/*
 * The pair every broadcasting op's gradient needs: `unbroadcast` sums a gradient back to an input's
 * shape, and `expand` copies values out to a broadcast shape; each is the other's gradient. They
 * live here, on the kernels alone, so that elementwise.ts, shape.ts and linalg.ts use them without
 * importing reduce.ts, whose own gradients use elementwise.ts and shape.ts.
 */

/**
 * Sums a broadcast gradient back to the shape of the input it came from: over the leading axes
 * broadcasting added, and over the axes where the input had size 1. Every binary op uses this.
 * The sum is the one `sum(g, axes, true)` computes (the same kernel over the same view), so the
 * values are the same bits.
 */
export function unbroadcast(g: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(g.shape, shape)) return g;
  const lead = g.rank - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && d !== g.shape[i + lead])) {
    throw shapeError('unbroadcast', {
      expected: `the gradient must have a shape that ${formatShape(shape)} broadcasts to`,
      got: formatShape(g.shape),
      hint: "a backward function must return one gradient of each input's shape",
    });
  }
  const axes: number[] = [];
  for (let i = 0; i < g.rank; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) axes.push(i);
  }
  let count = 1;
  for (const a of axes) count *= g.shape[a]!;
  const first = axes[0]!;
  const last = axes[axes.length - 1]!;
  let source = g._data;
  let outer = g.size / Math.max(count, 1);
  let inner = 1;
  if (last - first + 1 === axes.length) {
    // Adjacent axes: one [outer, count, inner] view of g as it is.
    outer = 1;
    for (let i = 0; i < first; i++) outer *= g.shape[i]!;
    for (let i = last + 1; i < g.rank; i++) inner *= g.shape[i]!;
  } else {
    // Kept axes first, summed axes last (reduce.ts's plan does the same).
    const perm = [...g.shape.keys()].filter((i) => !axes.includes(i)).concat(axes);
    source = scratch(
      perm.map((p) => g.shape[p]!),
      g.dtype,
    )._data;
    kernels().transpose(g._data, g.shape, perm, source);
  }
  const out = empty(shape, isFloat(g.dtype) ? g.dtype : 'int32');
  if (out.size > 0) kernels().reduce('sum', source, { outer, length: count, inner }, out._data);
  return record('unbroadcast', out, [g], (gg) => [expand(gg, g.shape)], true);
}

/** `where`'s condition when it only broadcasts: always take the first operand. */
const ALWAYS = new Uint8Array([1]);

/**
 * Copies `x` out to `shape`, which it must broadcast to (broadcastTo in shape.ts checks that for
 * users); the gradient sums back with `unbroadcast`.
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  if (shapesEqual(x.shape, shape)) return x;
  const out = unfilled(shape, x.dtype);
  kernels().where(ALWAYS, [], x._data, x.shape, x._data, x.shape, out._data, shape);
  return record('broadcastTo', out, [x], (g) => [unbroadcast(g, x.shape)], true);
}
