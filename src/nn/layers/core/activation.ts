import { ConfigError, normalizeAxis } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions } from '../../layer.js';

/*
 * The activation layers: shape-preserving, weightless, the same in training and inference.
 */

export interface ActivationOptions extends LayerOptions {
  /** Activation name (`'relu'`, `'leaky_relu'`, ...; see `nr.activations.ACTIVATION_NAMES`) or function. */
  activation: ActivationIdentifier;
}

/**
 * Applies an activation function elementwise. Any input shape; output has the same shape.
 *
 * ```ts
 * const layer = new nr.layers.Activation({ activation: 'relu' });
 * layer.apply(nr.tensor([[-1, 2]])).toArray(); // [[0, 2]]
 * ```
 */
export class Activation extends Layer {
  readonly activation: ActivationIdentifier;
  private readonly activationFn: ActivationFn;

  constructor(options: ActivationOptions) {
    super(options);
    if (options?.activation === undefined) {
      throw new ConfigError(`Activation "${this.name}": the activation option is required, e.g. {activation: 'relu'}`);
    }
    this.activation = options.activation;
    this.activationFn = getActivation(this.activation, `Activation "${this.name}"`);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return this.activationFn(inputs);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), activation: activationName(this.activation) };
  }
}
registerLayer(Activation);

function nonNegative(layer: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ConfigError(`${layer}: ${option} must be a finite number >= 0, got ${String(value)}`);
  }
  return value;
}

export interface ReLUOptions extends LayerOptions {
  /** Upper bound of the output (default none). */
  maxValue?: number | null;
  /** Slope below the threshold (default 0). */
  negativeSlope?: number;
  /** Inputs below this are treated as "negative" (default 0). */
  threshold?: number;
}

/**
 * Rectified linear unit with Keras 3's options: `maxValue` for x >= maxValue, `x` for
 * threshold <= x < maxValue, `negativeSlope * (x - threshold)` otherwise. Defaults (no max,
 * slope 0, threshold 0) give plain `max(x, 0)`. Any input shape; output has the same shape.
 *
 * ```ts
 * const relu6 = new nr.layers.ReLU({ maxValue: 6 });
 * relu6.apply(nr.tensor([[-1, 3, 9]])).toArray(); // [[0, 3, 6]]
 * ```
 */
export class ReLU extends Layer {
  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(options: ReLUOptions = {}) {
    super(options);
    const where = `ReLU "${this.name}"`;
    this.maxValue = options.maxValue === undefined || options.maxValue === null ? null : nonNegative(where, 'maxValue', options.maxValue);
    this.negativeSlope = nonNegative(where, 'negativeSlope', options.negativeSlope ?? 0);
    this.threshold = nonNegative(where, 'threshold', options.threshold ?? 0);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    let out: Tensor;
    if (this.threshold === 0 && this.negativeSlope === 0) out = ops.relu(inputs);
    else if (this.threshold === 0) out = ops.leakyRelu(inputs, this.negativeSlope);
    else {
      const below = this.negativeSlope === 0 ? 0 : ops.mul(ops.sub(inputs, this.threshold), this.negativeSlope);
      out = ops.where(ops.greaterEqual(inputs, this.threshold), inputs, below);
    }
    return this.maxValue === null ? out : ops.minimum(out, this.maxValue);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maxValue: this.maxValue, negativeSlope: this.negativeSlope, threshold: this.threshold };
  }
}
registerLayer(ReLU);

export interface LeakyReLUOptions extends LayerOptions {
  /** Slope for x < 0 (Keras 3 default 0.3). */
  negativeSlope?: number;
  /** Keras 2's name for `negativeSlope`. */
  alpha?: number;
}

/**
 * Leaky ReLU: `x` for x >= 0, `negativeSlope * x` otherwise (default slope 0.3, as Keras 3's layer;
 * note the `leaky_relu` activation function defaults to 0.2). `alpha` is accepted as an alias.
 * Any input shape; output has the same shape.
 *
 * ```ts
 * const layer = new nr.layers.LeakyReLU({ negativeSlope: 0.1 });
 * layer.apply(nr.tensor([[-10, 2]])).toArray(); // [[-1, 2]]
 * ```
 */
export class LeakyReLU extends Layer {
  readonly negativeSlope: number;

  constructor(options: LeakyReLUOptions = {}) {
    super(options);
    const where = `LeakyReLU "${this.name}"`;
    if (options.negativeSlope !== undefined && options.alpha !== undefined && options.negativeSlope !== options.alpha) {
      throw new ConfigError(`${where}: negativeSlope (${options.negativeSlope}) and its alias alpha (${options.alpha}) disagree; give only negativeSlope`);
    }
    this.negativeSlope = nonNegative(where, 'negativeSlope', options.negativeSlope ?? options.alpha ?? 0.3);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.leakyRelu(inputs, this.negativeSlope);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), negativeSlope: this.negativeSlope };
  }
}
registerLayer(LeakyReLU);

export interface SoftmaxOptions extends LayerOptions {
  /** Axis to normalize over (default -1, the last). */
  axis?: number;
}

/**
 * Softmax along `axis` (default the last): each slice along it becomes positive and sums to 1.
 * Any input shape of rank > |axis|; output has the same shape.
 *
 * ```ts
 * const layer = new nr.layers.Softmax();
 * layer.apply(nr.tensor([[1, 1]])).toArray(); // [[0.5, 0.5]]
 * ```
 */
export class Softmax extends Layer {
  readonly axis: number;

  constructor(options: SoftmaxOptions = {}) {
    super(options);
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw new ConfigError(`Softmax "${this.name}": axis must be an integer, got ${String(options.axis)}`);
  }

  override build(inputShape: readonly (number | null)[]): void {
    normalizeAxis(this.axis, inputShape.length, `Softmax "${this.name}"`);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.softmax(inputs, this.axis);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: this.axis };
  }
}
registerLayer(Softmax);
