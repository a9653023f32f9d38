import { ConfigError, ShapeError, formatShape, is } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { fusedActivationOf } from '../fused-activation.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { Layer, type InputSpec, type CallOptions, type LayerOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { IMAGE_INPUT_SPEC, checkDataFormat, checkPadding, intPair, requireImages, type IntPair, type Padding } from '../spatial.js';

/** The options every 2D convolution takes (Keras's names and defaults). */
export interface BaseConvOptions extends LayerOptions {
  /** Window size: an int or `[height, width]`. */
  kernelSize: IntPair;
  /** Step of the window (default 1). */
  strides?: IntPair;
  /** 'valid' (default): no padding; 'same': TensorFlow's padding, output = ceil(input / strides). */
  padding?: Padding;
  /** Spacing between kernel taps (default 1); cannot be combined with strides > 1. */
  dilationRate?: IntPair;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
  useBias?: boolean;
  biasInitializer?: InitializerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
  dataFormat?: 'channels_last';
}

/**
 * The shared part of Conv2D, Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: option checks,
 * the bias, the activation, input checks and the common config keys. A subclass creates its kernels
 * in `buildKernels` and computes in `convolve`.
 */
export abstract class BaseConv extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly kernelSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;
  readonly dilationRate: [number, number];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  protected readonly biasInitializer: InitializerIdentifier;
  protected readonly biasRegularizer: Regularizer | null;
  private readonly activationFn: ActivationFn;
  /** The activation when the convolution op can apply it itself (see `convolveBiasActivation`), else null. */
  private readonly fusedActivation: ops.LinearActivation | null;
  bias: Variable | null = null;
  /** Input channels, known once built. */
  protected inputChannels = 0;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<BaseConvOptions>();
    const where = this.where;
    checkDataFormat(options.dataFormat, where);
    if (options.kernelSize === undefined) throw new ConfigError(`${where}: kernelSize is required (an int or [height, width]), e.g. kernelSize: 3`);
    this.kernelSize = intPair(options.kernelSize, 'kernelSize', where);
    this.strides = intPair(options.strides ?? 1, 'strides', where);
    this.padding = checkPadding(options.padding, where);
    this.dilationRate = intPair(options.dilationRate ?? 1, 'dilationRate', where);
    if (this.strides.some((s) => s > 1) && this.dilationRate.some((d) => d > 1)) {
      throw new ConfigError(`${where}: strides ${JSON.stringify(this.strides)} > 1 cannot be combined with dilationRate ${JSON.stringify(this.dilationRate)} > 1 (as in Keras); use one of them`);
    }
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, where);
    this.fusedActivation = fusedActivationOf(this.activation);
    this.useBias = options.useBias ?? true;
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  protected get where(): string {
    return `${this.className} "${this.name}"`;
  }

  /** Number of output channels for `inputChannels` input channels. */
  protected abstract outputChannels(inputChannels: number): number;

  /** Creates the kernel weights (the bias is created after them, as in Keras). */
  protected abstract buildKernels(inputChannels: number): void;

  /** The convolution itself, on an input already checked and cast to the layer's dtype. */
  protected abstract convolve(inputs: Tensor): Tensor;

  /**
   * The convolution finished with the bias and a fusable activation in one op, or null where the
   * subclass has no such op (then `call` adds the bias and applies the activation after `convolve`).
   */
  protected convolveBiasActivation(_inputs: Tensor, _bias: Tensor | null, _activation: ops.LinearActivation): Tensor | null {
    return null;
  }

  /** Output height and width for the input's. */
  protected abstract spatialOutputShape(inputShape: LayerShape): [number | null, number | null];

  override build(inputShape: LayerShape): void {
    requireImages(inputShape, this.where);
    const channels = inputShape[3];
    if (channels === null || channels === undefined) {
      throw new ShapeError(`${this.where}: the channels axis of the input must be known, got ${formatShape(inputShape.map((d) => d ?? -1))}`);
    }
    this.spatialOutputShape(inputShape);
    this.inputChannels = channels;
    this.buildKernels(channels);
    if (this.useBias) {
      this.bias = this.addWeight({ name: 'bias', shape: [this.outputChannels(channels)], initializer: this.biasInitializer, regularizer: this.biasRegularizer });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    requireImages(inputs, this.where);
    if (inputs.shape[3] !== this.inputChannels) {
      throw new ShapeError(`${this.where}: expected input with ${this.inputChannels} channels (last axis), got ${formatShape(inputs.shape)}`);
    }
    this.spatialOutputShape(inputs.shape);
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    if (this.fusedActivation !== null) {
      const fused = this.convolveBiasActivation(x, this.bias, this.fusedActivation);
      if (fused) return fused;
    }
    const out = this.convolve(x);
    return this.activationFn(this.bias ? ops.add(out, this.bias) : out);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = requireImages(inputShape, this.where);
    const [h, w] = this.spatialOutputShape(inputShape);
    return [n!, h, w, c === null ? null : this.outputChannels(c!)];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(), kernelSize: [...this.kernelSize], strides: [...this.strides], padding: this.padding,
      dilationRate: [...this.dilationRate], activation: activationName(this.activation), useBias: this.useBias, biasInitializer: this.biasInitializer,
    };
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}
declareLayerOptions(BaseConv, { keys: { kernelSize: is.any, strides: is.any, padding: is.any, dilationRate: is.any, activation: is.nullable(is.identifier), useBias: is.boolean, biasInitializer: is.identifier, biasRegularizer: is.nullable(is.identifier), dataFormat: is.any } satisfies OwnOptionChecks<BaseConvOptions, LayerOptions> });


/** Checks Keras's `filters` option. */
export function checkFilters(value: unknown, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) throw new ConfigError(`${where}: filters must be a positive integer, got ${JSON.stringify(value)}`);
  return value as number;
}

/** A regularizer's config for getConfig (only when it has one). */
export function regularizerConfig(key: string, regularizer: Regularizer | null): Record<string, unknown> {
  return regularizer?.config ? { [key]: regularizer.config } : {};
}
