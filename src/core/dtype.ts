import { ConfigError } from './errors.js';
import { takePooledFloat32 } from './buffer-pool.js';

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

/** Allocates a zero-filled typed array of `size` elements for `dtype`. */
export function allocate(dtype: DType, size: number): TypedArray {
  switch (dtype) {
    case 'float32':
      return takePooledFloat32(size) ?? new Float32Array(size);
    case 'float64':
      return new Float64Array(size);
    case 'int32':
      return new Int32Array(size);
    case 'bool':
      return new Uint8Array(size);
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
  throw new ConfigError(`${where}: unknown dtype ${JSON.stringify(value)}; valid dtypes are ${DTYPES.join(', ')}`);
}
