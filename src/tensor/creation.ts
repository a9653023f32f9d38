import {
  allocate,
  checkShape,
  configError,
  dtypeError,
  formatShape,
  globalRandom,
  isFloat,
  parseDType,
  shapeError,
  show,
  sizeOf,
  type DType,
  type TypedArray,
} from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, type NestedArray } from './tensor.js';

export type TensorLike = Tensor | NestedArray | TypedArray | ArrayLike<number>;

/** @internal Wraps storage without copying. */
export function fromStorage(data: TypedArray, shape: readonly number[], dtype: DType): Tensor {
  return new Tensor(data, shape, dtype);
}

function inferShape(data: NestedArray): number[] {
  const shape: number[] = [];
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    shape.push(level.length);
    if (level.length === 0) break;
    level = level[0]!;
  }
  return shape;
}

function flattenInto(data: NestedArray, shape: readonly number[], axis: number, out: TypedArray, offset: { i: number }): void {
  if (axis === shape.length) {
    if (Array.isArray(data)) {
      throw shapeError('tensor', {
        expected: 'nested arrays are ragged',
        rule: `too deep at an element of axis ${axis}`,
        hint: 'every row must have the same length',
      });
    }
    const v = typeof data === 'boolean' ? (data ? 1 : 0) : data;
    if (typeof v !== 'number')
      throw configError('tensor', { expected: 'expected numbers or booleans', got: `${typeof data} ${show(data)}` });
    out[offset.i++] = out instanceof Uint8Array ? (v ? 1 : 0) : v;
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[axis]) {
    throw shapeError('tensor', {
      expected: `nested arrays are ragged: axis ${axis} should have length ${shape[axis]} (from the first row)`,
      got: `an element with ${Array.isArray(data) ? `length ${data.length}` : 'no sub-array'}`,
      hint: 'every row must have the same length',
    });
  }
  for (const item of data) flattenInto(item, shape, axis + 1, out, offset);
}

function firstLeaf(data: NestedArray): NestedArray | undefined {
  let level: NestedArray = data;
  while (Array.isArray(level)) {
    if (level.length === 0) return undefined;
    level = level[0]!;
  }
  return level;
}

/**
 * Creates a tensor from a number, nested arrays, or a typed array (copied). The dtype is inferred
 * (booleans -> bool, Int32Array and other integer typed arrays -> int32, everything else -> float32)
 * unless given; a flat input takes `shape` to be reshaped.
 *
 * ```ts
 * nr.tensor([[1, 2], [3, 4]]);               // float32 [2, 2]
 * nr.tensor([1, 2, 3, 4], [2, 2], 'int32');  // int32 [2, 2]
 * nr.tensor(new Float32Array(6), [2, 3]);
 * ```
 */
export function tensor(data: TensorLike, shape?: readonly number[], dtype?: DType): Tensor {
  if (dtype !== undefined) dtype = parseDType(dtype, 'tensor');
  if (data instanceof Tensor) {
    const target = dtype ?? data.dtype;
    const out = allocate(target, data.size);
    kernels().cast(data._data, out);
    return new Tensor(out, shape ? checkedShape(shape, out.length) : data.shape, target);
  }
  let flat: TypedArray;
  let inferred: number[];
  if (ArrayBuffer.isView(data)) {
    const view = data as unknown as ArrayLike<number>;
    const isInt =
      data instanceof Int32Array ||
      data instanceof Uint8Array ||
      data instanceof Uint8ClampedArray ||
      data instanceof Int8Array ||
      data instanceof Int16Array ||
      data instanceof Uint16Array;
    const target = dtype ?? (isInt ? 'int32' : 'float32');
    flat = allocate(target, view.length);
    if (target === 'bool') for (let i = 0; i < view.length; i++) flat[i] = view[i] ? 1 : 0;
    else flat.set(view as ArrayLike<number>);
    inferred = [view.length];
    dtype = target;
  } else if (typeof data === 'number' || typeof data === 'boolean' || Array.isArray(data)) {
    inferred = inferShape(data as NestedArray);
    const leaf = firstLeaf(data as NestedArray);
    const target = dtype ?? (typeof leaf === 'boolean' ? 'bool' : 'float32');
    flat = allocate(target, sizeOf(inferred));
    flattenInto(data as NestedArray, inferred, 0, flat, { i: 0 });
    dtype = target;
  } else {
    throw configError('tensor', {
      expected: `cannot make a tensor from ${data === null || data === undefined ? String(data) : `${typeof data} ${show(data)}`}`,
      hint: 'pass a number, nested arrays or a typed array',
    });
  }
  return new Tensor(flat, shape ? checkedShape(shape, flat.length) : inferred, dtype);
}

function checkedShape(shape: readonly number[], size: number): number[] {
  checkShape(shape, 'tensor');
  if (sizeOf(shape) !== size) {
    throw shapeError('tensor', { expected: `${size} values cannot fill shape ${formatShape(shape)}`, rule: `${sizeOf(shape)} elements` });
  }
  return [...shape];
}

function filled(shape: readonly number[], value: number, dtype: DType, where: string): Tensor {
  checkShape(shape, where);
  dtype = parseDType(dtype, where);
  if (typeof value !== 'number' && typeof value !== 'boolean') {
    throw configError(where, { expected: `the fill value must be a number${dtype === 'bool' ? ' or a boolean' : ''}`, got: show(value) });
  }
  const data = allocate(dtype, sizeOf(shape), `${where}: shape ${formatShape(shape)}`);
  if (value !== 0) data.fill(dtype === 'bool' ? (value ? 1 : 0) : value);
  return new Tensor(data, [...shape], dtype);
}

/** A tensor of zeros: `nr.zeros([2, 3])`. */
export function zeros(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return filled(shape, 0, dtype, 'zeros');
}

/** A tensor of ones: `nr.ones([2, 3])`. */
export function ones(shape: readonly number[], dtype: DType = 'float32'): Tensor {
  return filled(shape, 1, dtype, 'ones');
}

/** A tensor filled with one value: `nr.full([2, 2], 7)`. */
export function full(shape: readonly number[], value: number, dtype: DType = 'float32'): Tensor {
  return filled(shape, value, dtype, 'full');
}

function floatDType(dtype: DType, where: string): DType {
  const d = parseDType(dtype, where);
  if (!isFloat(d)) throw dtypeError(where, { expected: 'random samples need a float dtype', got: d });
  return d;
}

/**
 * Samples from a normal distribution, drawing from the seeded stream (`nr.setSeed`).
 *
 * ```ts
 * nr.setSeed(7);
 * const w = nr.randn([3, 4], { std: 0.1 });
 * ```
 */
export function randn(shape: readonly number[], options: { mean?: number; std?: number; dtype?: DType } = {}): Tensor {
  const t = filled(shape, 0, floatDType(options.dtype ?? 'float32', 'randn'), 'randn');
  kernels().fillNormal(t._data, options.mean ?? 0, options.std ?? 1, globalRandom());
  return t;
}

/** Samples uniformly from `[low, high)` (default `[0, 1)`), from the seeded stream. */
export function randu(shape: readonly number[], options: { low?: number; high?: number; dtype?: DType } = {}): Tensor {
  const low = options.low ?? 0;
  const high = options.high ?? 1;
  if (!(high >= low)) throw configError('randu', { expected: `high (${show(high)}) must be at least low (${show(low)})` });
  const t = filled(shape, 0, floatDType(options.dtype ?? 'float32', 'randu'), 'randu');
  kernels().fillUniform(t._data, low, high, globalRandom());
  return t;
}

/**
 * Evenly spaced values in `[start, stop)`: `arange(5)` is `[0, 1, 2, 3, 4]`, `arange(1, 2, 0.25)`
 * is `[1, 1.25, 1.5, 1.75]`. The dtype is int32 when every argument is an integer, else float32.
 */
export function arange(start: number, stop?: number, step = 1, dtype?: DType): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0 || !Number.isFinite(step) || !Number.isFinite(start) || !Number.isFinite(stop)) {
    throw configError('arange', {
      expected: 'start, stop and step must be finite and step non-zero',
      got: [start, stop, step].map(show).join(', '),
    });
  }
  const target = dtype ?? ([start, stop, step].every(Number.isInteger) ? 'int32' : 'float32');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const data = allocate(parseDType(target, 'arange'), n, `arange(${start}, ${stop}, ${step})`);
  for (let i = 0; i < n; i++) data[i] = start + i * step;
  return new Tensor(data, [n], target);
}

/** An identity matrix with `n` rows (and `m` columns, default n). */
export function eye(n: number, m: number = n, dtype: DType = 'float32'): Tensor {
  const t = filled([n, m], 0, dtype, 'eye');
  for (let i = 0; i < Math.min(n, m); i++) t._data[i * m + i] = 1;
  return t;
}
