import { ConfigError } from './errors.js';

/*
 * Global numeric settings, named as in Keras's backend module: the fuzz factor used to keep
 * logarithms and divisions finite (losses clip probabilities to [epsilon, 1 - epsilon]) and the
 * default float dtype of layers and weights.
 */

let fuzz = 1e-7;
let defaultFloat: 'float32' | 'float64' = 'float32';

/** The small constant Keras calls `epsilon()` (default 1e-7). */
export function epsilon(): number {
  return fuzz;
}

export function setEpsilon(value: number): void {
  if (!(value > 0 && value < 1)) throw new ConfigError(`setEpsilon: expected a number in (0, 1), got ${value}`);
  fuzz = value;
}

/** The default float dtype of weights and layers (`'float32'`; `'float64'` for gradient checks). */
export function floatx(): 'float32' | 'float64' {
  return defaultFloat;
}

export function setFloatx(dtype: 'float32' | 'float64'): void {
  if (dtype !== 'float32' && dtype !== 'float64') {
    throw new ConfigError(`setFloatx: expected 'float32' or 'float64', got ${JSON.stringify(dtype)}`);
  }
  defaultFloat = dtype;
}
