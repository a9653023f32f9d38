import { DTypeError, allocate, formatShape, isFloat, promoteTypes, type DType, type Shape } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, stepScratchTensor, tensor, type TensorLike } from '../tensor/index.js';

/** Anything an op accepts as a tensor operand: a tensor, a number, or nested arrays. */
export type Operand = TensorLike;

/** A fresh tensor of zeros to be written by a kernel; `op` names the op if it is too large. */
export function empty(shape: Shape, dtype: DType, op?: string): Tensor {
  let size = 1;
  for (const d of shape) size *= d;
  return new Tensor(allocate(dtype, size, `${op ? `${op}: the result` : 'a result'} of shape ${formatShape(shape)}`), shape, dtype);
}

/**
 * `empty` for an op's working array that nothing reads after the op (or its backward function) is
 * done with it: during `fit`'s step its storage is recycled with the step's (see stepScratchTensor).
 */
export function scratch(shape: Shape, dtype: DType): Tensor {
  return stepScratchTensor(empty(shape, dtype));
}

/**
 * Converts an operand to a tensor. A plain number next to a tensor takes that tensor's dtype when it
 * fits (a float next to float64 stays float64; an integer next to int32 stays int32), as PyTorch
 * treats Python scalars.
 */
export function toTensor(x: Operand, like?: Tensor): Tensor {
  if (x instanceof Tensor) return x;
  if (typeof x === 'number' && like) {
    const dtype = isFloat(like.dtype) ? like.dtype : Number.isInteger(x) ? 'int32' : 'float32';
    const data = allocate(dtype, 1);
    data[0] = x;
    return new Tensor(data, [], dtype);
  }
  if (typeof x === 'boolean' && like) return tensor(x);
  return tensor(x);
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
  if (!isFloat(t.dtype)) {
    throw new DTypeError(`${op}: expected a float ${role}, got ${t.dtype} ${formatShape(t.shape)}; convert it with .cast('float32')`);
  }
}

/** Throws a DTypeError unless `t` is int32. */
export function requireInt(t: Tensor, op: string, role: string): void {
  if (t.dtype !== 'int32') {
    throw new DTypeError(`${op}: ${role} must be int32, got ${t.dtype} ${formatShape(t.shape)}; convert it with .cast('int32')`);
  }
}

/** Converts a tensor to another dtype (a no-op when it already has it). */
export function castTo(t: Tensor, dtype: DType): Tensor {
  if (t.dtype === dtype) return t;
  const out = empty(t.shape, dtype);
  kernels().cast(t._data, out._data);
  return out;
}
