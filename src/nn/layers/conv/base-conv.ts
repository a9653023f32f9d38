import { configError, is, shapeError, show } from '../../../core/index.js';
import { convWindow, pairOption, windowOutputSize, type ConvWindow } from '../../../core/geometry.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import { fusedActivationOf } from '../fused-activation.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { formatLayerShape, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { ImageLayer, imageShape, type ImageLayerOptions, type IntPair, type Padding } from '../spatial.js';

/** The options every 2D convolution takes (Keras's names and defaults). */
export interface BaseConvOptions extends ImageLayerOptions {
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
}

/** The Keras prefix of a kernel's options: `kernelInitializer`, `depthwiseRegularizer`, ... */
type KernelRole = 'kernel' | 'depthwise' | 'pointwise';

/** A kernel's initializer (`<role>Initializer`, default glorot_uniform) and regularizer (`<role>Regularizer`). */
export interface KernelOptions {
  readonly role: KernelRole;
  readonly initializer: InitializerIdentifier;
  readonly regularizer: Regularizer | null;
}

export function kernelOptions(options: object, role: KernelRole): KernelOptions {
  const given = options as Record<string, unknown>;
  return {
    role,
    initializer: (given[`${role}Initializer`] as InitializerIdentifier | undefined) ?? 'glorot_uniform',
    regularizer: getRegularizer(given[`${role}Regularizer`] as RegularizerIdentifier | undefined),
  };
}

/** A kernel's options as getConfig writes them (the regularizer only when there is one). */
export function kernelConfig(kernel: KernelOptions): Record<string, unknown> {
  return { [`${kernel.role}Initializer`]: kernel.initializer, ...regularizerConfig(`${kernel.role}Regularizer`, kernel.regularizer) };
}

/**
 * The shared part of Conv2D, Conv2DTranspose, DepthwiseConv2D and SeparableConv2D: option checks,
 * the bias, the activation and the common config keys. The window is read here once, into the
 * form the conv ops take, and the input shape is checked in computeOutputShape (so in build); each
 * call then goes to the op, which checks the tensors it hands to the kernels and names this layer
 * in its errors. A subclass creates its kernels in `buildKernels` and computes in `convolve`.
 */
export abstract class BaseConv extends ImageLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    // A user's activation function may return a tensor it keeps (see Layer.keepsNoTensors).
    return typeof this.activation !== 'function';
  }

  readonly kernelSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly dilationRate: readonly [number, number];
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  /** strides, dilationRate and padding as the conv ops take them. */
  protected readonly window: ConvWindow;
  protected readonly biasInitializer: InitializerIdentifier;
  protected readonly biasRegularizer: Regularizer | null;
  private readonly activationFn: ActivationFn;
  /** The activation when the convolution op can apply it itself (see `convolveBiasActivation`), else null. */
  private readonly fusedActivation: ops.LinearActivation | null;
  bias: Variable | null = null;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<BaseConvOptions>();
    const where = this.where;
    if (options.kernelSize === undefined) {
      throw configError(where, { expected: 'kernelSize is required (an int or [height, width])', hint: 'e.g. kernelSize: 3' });
    }
    this.kernelSize = Object.freeze(pairOption(options.kernelSize, where, 'kernelSize'));
    this.window = convWindow(options, where);
    this.strides = this.window.strides;
    this.dilationRate = this.window.dilation;
    this.padding = this.window.padding;
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, where);
    this.fusedActivation = fusedActivationOf(this.activation);
    this.useBias = options.useBias ?? true;
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  /** Number of output channels for `inputChannels` input channels. */
  protected abstract outputChannels(inputChannels: number): number;

  /** Creates the kernel weights (the bias is created after them, as in Keras). */
  protected abstract buildKernels(inputChannels: number): void;

  /** Creates one kernel weight named `name` with its initializer and regularizer. */
  protected addKernel(name: string, shape: readonly number[], kernel: KernelOptions): Variable {
    return this.addWeight({ name, shape, initializer: kernel.initializer, regularizer: kernel.regularizer });
  }

  /** The convolution itself, on an input cast to the layer's dtype (the op checks it). */
  protected abstract convolve(inputs: Tensor): Tensor;

  /**
   * The convolution finished with the bias and a fusable activation in one op, or null where the
   * subclass has no such op (then `call` adds the bias and applies the activation after `convolve`).
   */
  protected convolveBiasActivation(_inputs: Tensor, _bias: Tensor | null, _activation: ops.LinearActivation): Tensor | null {
    return null;
  }

  /** Output height and width for the input's, after checking that the window fits (Conv2DTranspose has its own rule). */
  protected spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    const { strides, dilation, padding } = this.window;
    return windowOutputSize(inputShape, this.kernelSize[0], this.kernelSize[1], strides, dilation, padding, this.where, 'kernel');
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    const channels = inputShape[3] ?? null;
    if (channels === null) {
      throw shapeError(this.where, { expected: 'the channels axis of the input must be known', got: formatLayerShape(inputShape) });
    }
    this.buildKernels(channels);
    if (this.useBias) {
      this.bias = this.addWeight({
        name: 'bias',
        shape: [this.outputChannels(channels)],
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
      });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    if (this.fusedActivation !== null) {
      const fused = this.convolveBiasActivation(x, this.bias, this.fusedActivation);
      if (fused) return fused;
    }
    const out = this.convolve(x);
    return this.activationFn(this.bias ? ops.add(out, this.bias) : out);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = imageShape(inputShape, this.where);
    const [h, w] = this.spatialOutputShape(inputShape);
    return [n!, h, w, c === null ? null : this.outputChannels(c!)];
  }

  override getConfig(): Record<string, unknown> {
    const config: Record<string, unknown> = {
      ...super.getConfig(),
      kernelSize: [...this.kernelSize],
      strides: [...this.strides],
      padding: this.padding,
      dilationRate: [...this.dilationRate],
      activation: activationName(this.activation),
      useBias: this.useBias,
      biasInitializer: this.biasInitializer,
    };
    if (this.biasRegularizer?.config) config.biasRegularizer = this.biasRegularizer.config;
    return config;
  }
}
declareLayerOptions(BaseConv, {
  keys: {
    kernelSize: is.any,
    strides: is.any,
    padding: is.any,
    dilationRate: is.any,
    activation: is.nullable(is.identifier),
    useBias: is.boolean,
    biasInitializer: is.identifier,
    biasRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<BaseConvOptions, ImageLayerOptions>,
});

/** Checks a count option of Keras's (`filters`, `depthMultiplier`): a positive integer. */
export function checkCount(value: unknown, option: string, where: string): number {
  if (!Number.isInteger(value) || (value as number) < 1) {
    throw configError(where, { expected: `${option} must be a positive integer`, got: show(value) });
  }
  return value as number;
}

/** A regularizer's config for getConfig (only when it has one). */
export function regularizerConfig(key: string, regularizer: Regularizer | null): Record<string, unknown> {
  return regularizer?.config ? { [key]: regularizer.config } : {};
}
