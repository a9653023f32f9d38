import { configError, shapeError, show } from './errors.js';
import { takeFloat32 } from './buffer-pool.js';
import { deviceStorage } from './device-array.js';
import { maxTensorElements } from './settings.js';

/**
 * Element types. `float32` is the default; `float64` exists for gradient checks on the `js`
 * backend; `bool` is stored as one byte per element (0 or 1).
 */
export type DType = 'float32' | 'float64' | 'int32' | 'bool';

export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'bool'];

export type TypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export type FloatArray = Float32Array | Float64Array;

export interface DTypeToArray {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  bool: Uint8Array;
}

const BYTES: Record<DType, number> = { float32: 4, float64: 8, int32: 4, bool: 1 };

function formatBytes(bytes: number): string {
  const units = ['bytes', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  while (bytes >= 1000 && i < units.length - 1) {
    bytes /= 1000;
    i++;
  }
  return i === 0 ? `${bytes} bytes` : `${bytes.toPrecision(3)} ${units[i]}`;
}

/**
 * Checks, before anything is allocated, that `size` elements of `dtype` stay within
 * `maxTensorElements()`; the ShapeError names `what` (an op and shape, a layer weight) and states
 * the size and the limit (`what` may be a function, called only then).
 */
export function checkTensorSize(size: number, dtype: DType, what: string | (() => string)): void {
  const limit = maxTensorElements();
  if (size <= limit) return;
  if (typeof what === 'function') what = what();
  const count = Number.isFinite(size) ? size.toLocaleString('en-US') : String(size);
  throw shapeError('', {
    expected:
      `${what} holds ${count} elements (${formatBytes(size * BYTES[dtype])} as ${dtype}), more than the limit of ` +
      `${limit.toLocaleString('en-US')} elements per tensor`,
    hint: 'use a smaller shape, or raise the limit with nr.setMaxTensorElements(n)',
  });
}

/**
 * Allocates a zero-filled typed array of `size` elements for `dtype` (at most `maxTensorElements()`).
 * With `zeroed` false, for a caller that writes every element, recycled float32 storage is handed
 * out as it is (see takeFloat32).
 */
export function allocate(dtype: DType, size: number, what: string | (() => string) = 'a tensor', zeroed = true): TypedArray {
  checkTensorSize(size, dtype, what);
  switch (dtype) {
    case 'float32':
      return deviceStorage('float32', size) ?? takeFloat32(size, zeroed);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return deviceStorage('int32', size) ?? new Int32Array(size);
    case 'bool':
      return deviceStorage('bool', size) ?? new Uint8Array(size);
  }
}

/** The dtype whose storage is this typed array's class. */
export function dtypeOfArray(array: TypedArray): DType {
  if (array instanceof Float32Array) return 'float32';
  if (array instanceof Float64Array) return 'float64';
  if (array instanceof Int32Array) return 'int32';
  return 'bool';
}

export function isFloat(dtype: DType): dtype is 'float32' | 'float64' {
  return dtype === 'float32' || dtype === 'float64';
}

const RANK: Record<DType, number> = { bool: 0, int32: 1, float32: 2, float64: 3 };

/**
 * The dtype of a binary op's result, as PyTorch promotes: bool < int32 < float32 < float64.
 */
export function promoteTypes(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** Checks a user-supplied dtype name and returns it typed. */
export function parseDType(value: unknown, where: string): DType {
  if (typeof value === 'string' && (DTYPES as readonly string[]).includes(value)) return value as DType;
  throw configError(where, { expected: `unknown dtype ${show(value)}`, hint: `valid dtypes are ${DTYPES.join(', ')}` });
}
