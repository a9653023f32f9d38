import { configError, show } from './errors.js';

/*
 * Global numeric settings, named as in Keras's backend module: the fuzz factor used to keep
 * logarithms and divisions finite (losses clip probabilities to [epsilon, 1 - epsilon]) and the
 * default float dtype of layers and weights.
 */

let fuzz = 1e-7;
let defaultFloat: 'float32' | 'float64' = 'float32';

/**
 * The default cap on the elements of one tensor: 2^31 - 1, the largest count a signed 32-bit
 * integer holds. Native kernels count elements in a C `long`, which is 32 bits on Windows; int32
 * tensors (gather, argmax) index with it; and it is 8 GiB of float32, past what a CPU training run
 * allocates on purpose. Above it, an allocation is a mistake (a shape like [1e6, 1e6]) that the
 * engine would otherwise report as a bare RangeError or an out-of-memory crash.
 */
export const DEFAULT_MAX_TENSOR_ELEMENTS = 2 ** 31 - 1;
let maxElements = DEFAULT_MAX_TENSOR_ELEMENTS;

/** The small constant Keras calls `epsilon()` (default 1e-7). */
export function epsilon(): number {
  return fuzz;
}

export function setEpsilon(value: number): void {
  if (!(value > 0 && value < 1)) throw configError('setEpsilon', { expected: 'expected a number in (0, 1)', got: show(value) });
  fuzz = value;
}

/** The default float dtype of weights and layers (`'float32'`; `'float64'` for gradient checks). */
export function floatx(): 'float32' | 'float64' {
  return defaultFloat;
}

export function setFloatx(dtype: 'float32' | 'float64'): void {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw configError('setFloatx', { expected: "expected 'float32' or 'float64'", got: show(dtype) });
  }
  defaultFloat = dtype;
}

/** The most elements one tensor may hold (default 2^31 - 1, see `setMaxTensorElements`). */
export function maxTensorElements(): number {
  return maxElements;
}

/**
 * Changes the cap on the elements of one tensor, checked before any storage is allocated (a
 * ShapeError stating the size and the limit). Raise it only for tensors that need it; the engine
 * has its own cap (2^32 elements on Node 20).
 */
export function setMaxTensorElements(value: number): void {
  if (!Number.isSafeInteger(value) || value < 1) {
    throw configError('setMaxTensorElements', { expected: 'expected a positive integer', got: show(value) });
  }
  maxElements = value;
}
