import { configError, isFloat, normalizeAxis, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';

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
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    // A user's function may return a tensor it keeps (see Layer.keepsNoTensors).
    return typeof this.activation !== 'function';
  }

  /** @internal relu and relu6 may write over their input (see Layer.outputOverwritable). */
  override get overwritesInput(): boolean {
    return this.constructor === Activation && (this.activationFn === ops.relu || this.activationFn === ops.relu6);
  }

  readonly activation: ActivationIdentifier;
  private readonly activationFn: ActivationFn;

  constructor(activation: ActivationIdentifier, options?: Omit<ActivationOptions, 'activation'>);
  constructor(options: ActivationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ActivationOptions>();
    if (options.activation === undefined) {
      throw configError(`Activation "${this.name}"`, { expected: 'the activation option is required', hint: "e.g. {activation: 'relu'}" });
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
declareLayerOptions(Activation, {
  positional: ['activation'],
  keys: { activation: is.nullable(is.identifier) } satisfies OwnOptionChecks<ActivationOptions, LayerOptions>,
});
registerLayer(Activation, 'Activation');

function nonNegative(layer: string, option: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw configError(layer, { expected: `${option} must be a finite number >= 0`, got: show(value) });
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
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  /** @internal Plain and bounded relu may write over their input (see Layer.outputOverwritable). */
  override get overwritesInput(): boolean {
    return this.constructor === ReLU && this.threshold === 0 && this.negativeSlope === 0;
  }

  readonly maxValue: number | null;
  readonly negativeSlope: number;
  readonly threshold: number;

  constructor(
    maxValue?: number | null,
    negativeSlope?: number,
    threshold?: number,
    options?: Omit<ReLUOptions, 'maxValue' | 'negativeSlope' | 'threshold'>,
  );
  constructor(options?: ReLUOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ReLUOptions>();
    const where = `ReLU "${this.name}"`;
    this.maxValue = options.maxValue === undefined || options.maxValue === null ? null : nonNegative(where, 'maxValue', options.maxValue);
    this.negativeSlope = nonNegative(where, 'negativeSlope', options.negativeSlope ?? 0);
    this.threshold = nonNegative(where, 'threshold', options.threshold ?? 0);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (this.threshold === 0 && this.negativeSlope === 0) {
      // One op, whose gradient reads only its output: it may then write over its input. (An integer
      // input goes through minimum below, which gives float32 for a fractional bound, as before.)
      if (this.maxValue === null) return ops.relu(inputs);
      if (isFloat(inputs.dtype)) return ops.boundedRelu(inputs, this.maxValue);
    }
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
declareLayerOptions(ReLU, {
  positional: ['maxValue', 'negativeSlope', 'threshold'],
  keys: { maxValue: is.nullable(is.number), negativeSlope: is.number, threshold: is.number } satisfies OwnOptionChecks<
    ReLUOptions,
    LayerOptions
  >,
});
registerLayer(ReLU, 'ReLU');

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
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly negativeSlope: number;

  constructor(negativeSlope: number, options?: Omit<LeakyReLUOptions, 'negativeSlope' | 'alpha'>);
  constructor(options?: LeakyReLUOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<LeakyReLUOptions>();
    const where = `LeakyReLU "${this.name}"`;
    if (options.negativeSlope !== undefined && options.alpha !== undefined && options.negativeSlope !== options.alpha) {
      throw configError(where, {
        expected: `negativeSlope (${show(options.negativeSlope)}) and its alias alpha (${show(options.alpha)}) disagree`,
        hint: 'give only negativeSlope',
      });
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
declareLayerOptions(LeakyReLU, {
  positional: ['negativeSlope'],
  keys: { negativeSlope: is.number, alpha: is.number } satisfies OwnOptionChecks<LeakyReLUOptions, LayerOptions>,
});
registerLayer(LeakyReLU, 'LeakyReLU');

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
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly axis: number;

  constructor(axis: number, options?: Omit<SoftmaxOptions, 'axis'>);
  constructor(options?: SoftmaxOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<SoftmaxOptions>();
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) {
      throw configError(`Softmax "${this.name}"`, { expected: 'axis must be an integer', got: show(options.axis) });
    }
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
declareLayerOptions(Softmax, { positional: ['axis'], keys: { axis: is.integer } satisfies OwnOptionChecks<SoftmaxOptions, LayerOptions> });
registerLayer(Softmax, 'Softmax');
