import { dtypeError, formatShape, shapeError, shapesEqual } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { tensor, type TensorLike } from './creation.js';
import { Tensor } from './tensor.js';

/**
 * A tensor whose values can be updated in place (weights, optimizer slots). It requires grad by
 * default, so `backward()` fills its `.grad`.
 *
 * ```ts
 * const w = nr.variable(nr.zeros([3]));
 * w.assign(nr.tensor([1, 2, 3]));
 * ```
 */
export class Variable extends Tensor {
  /** Whether optimizers update it. */
  trainable: boolean;
  name: string;

  constructor(initial: Tensor, options: { trainable?: boolean; name?: string } = {}) {
    // A copy, so later assigns never change the tensor the variable was made from.
    const copy = tensor(initial);
    super(copy._data, copy.shape, copy.dtype);
    this.trainable = options.trainable ?? true;
    this.name = options.name ?? 'variable';
    if (this.trainable && (this.dtype === 'float32' || this.dtype === 'float64')) this.requiresGrad = true;
  }

  /** Replaces the values in place; the new value must have the same shape (dtype is converted). */
  assign(value: TensorLike): this {
    const source = value instanceof Tensor ? value : tensor(value, undefined, this.dtype);
    if (!shapesEqual(source.shape, this.shape)) {
      throw shapeError(`Variable "${this.name}".assign`, {
        expected: `expected shape ${formatShape(this.shape)}`,
        got: formatShape(source.shape),
      });
    }
    if (source.dtype === 'bool' && this.dtype !== 'bool') {
      throw dtypeError(`Variable "${this.name}".assign`, { expected: `cannot assign a bool tensor to a ${this.dtype} variable` });
    }
    kernels().cast(source._data, this._data);
    return this;
  }
}

/** Makes a `Variable` from a tensor or array: `nr.variable(nr.randn([3, 3]))`. */
export function variable(
  initial: TensorLike,
  options: { trainable?: boolean; name?: string; dtype?: 'float32' | 'float64' } = {},
): Variable {
  const t = initial instanceof Tensor && options.dtype === undefined ? initial : tensor(initial, undefined, options.dtype);
  return new Variable(t, options);
}
