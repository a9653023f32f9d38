import { configError, is, shapeError } from '../../../core/index.js';
import { convOutputLength, convWindow, type ConvWindow } from '../../../core/geometry.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { conv2dParsed } from '../../../ops/conv.js';
import { activationName, getActivation, type ActivationFn, type ActivationIdentifier } from '../../activations.js';
import type { InitializerIdentifier } from '../../initializers.js';
import {
  formatLayerShape,
  registerLayer,
  declareLayerOptions,
  type CallOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { fusedActivationOf } from '../fused-activation.js';
import {
  SequenceLayer,
  asImages,
  asSequences,
  checkStepsFit,
  lengthOption,
  padding1DOption,
  type Length,
  type Padding1D,
  type SequenceLayerOptions,
} from '../temporal.js';
import { checkCount, kernelConfig, kernelOptions, regularizerConfig, type KernelOptions } from './base-conv.js';

export interface Conv1DOptions extends SequenceLayerOptions {
  /** Number of output channels. */
  filters: number;
  /** Window length: an int (or `[int]`). */
  kernelSize: Length;
  /** Step of the window (default 1). */
  strides?: Length;
  /** 'valid' (default), 'same' (output `ceil(steps / strides)`), or 'causal' (left padding: step t sees steps <= t only). */
  padding?: Padding1D;
  /** Spacing between kernel taps (default 1); cannot be combined with strides > 1. */
  dilationRate?: Length;
  /** Split the channels into this many groups, each convolved with its own filters / groups filters (default 1). */
  groups?: number;
  /** Activation name or function (default linear). */
  activation?: ActivationIdentifier;
  useBias?: boolean;
  kernelInitializer?: InitializerIdentifier;
  biasInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
  biasRegularizer?: RegularizerIdentifier;
}

/**
 * A 1-D convolution over sequences: `[batch, steps, channels]` -> `[batch, steps', filters]`, kernel
 * `[kernelSize, channels / groups, filters]` and bias `[filters]` as in Keras. 'valid' keeps the
 * windows that fit, 'same' pads as TensorFlow, 'causal' pads `(kernelSize - 1) * dilationRate` steps
 * in front, so output step t depends on input steps up to t only (WaveNet's convolution). It runs on
 * the 2-D convolution kernels with a height of 1; with `groups`, one convolution per group.
 *
 * ```ts
 * const conv = new nr.layers.Conv1D(16, 3, { padding: 'causal', dilationRate: 2, activation: 'relu' });
 * conv.apply(nr.ones([4, 50, 8])).shape; // [4, 50, 16]
 * ```
 */
export class Conv1D extends SequenceLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return typeof this.activation !== 'function';
  }

  readonly filters: number;
  readonly kernelSize: number;
  readonly strides: number;
  readonly padding: Padding1D;
  readonly dilationRate: number;
  readonly groups: number;
  readonly activation: ActivationIdentifier;
  readonly useBias: boolean;
  private readonly window: ConvWindow;
  private readonly kernelSpec: KernelOptions;
  private readonly biasInitializer: InitializerIdentifier;
  private readonly biasRegularizer: Regularizer | null;
  private readonly activationFn: ActivationFn;
  private readonly fusedActivation: ops.LinearActivation | null;
  kernel: Variable | null = null;
  bias: Variable | null = null;

  constructor(filters: number, kernelSize: Length, options?: Omit<Conv1DOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv1DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Conv1DOptions>();
    const where = this.where;
    if (options.kernelSize === undefined) {
      throw configError(where, { expected: 'kernelSize is required (an int)', hint: 'e.g. new nr.layers.Conv1D(32, 3)' });
    }
    this.filters = checkCount(options.filters, 'filters', where);
    this.kernelSize = lengthOption(options.kernelSize, where, 'kernelSize');
    this.strides = lengthOption(options.strides ?? 1, where, 'strides');
    this.dilationRate = lengthOption(options.dilationRate ?? 1, where, 'dilationRate');
    this.padding = padding1DOption(options.padding, where, true);
    this.groups = checkCount(options.groups ?? 1, 'groups', where);
    if (this.filters % this.groups !== 0) {
      throw configError(where, { expected: `filters (${this.filters}) must be divisible by groups (${this.groups})` });
    }
    if (this.strides > 1 && this.dilationRate > 1) {
      throw configError(where, {
        expected: `strides ${this.strides} cannot be combined with dilationRate ${this.dilationRate}`,
        rule: 'strides > 1 with dilationRate > 1 is refused, as in Keras',
        hint: 'use strides 1 with a dilation, or dilationRate 1 with strides',
      });
    }
    // 'causal' is 'valid' on a sequence padded in front.
    const padding = this.padding === 'same' ? 'same' : 'valid';
    this.window = convWindow({ strides: [1, this.strides], dilationRate: [1, this.dilationRate], padding }, where);
    this.activation = options.activation ?? null;
    this.activationFn = getActivation(this.activation, where);
    this.fusedActivation = fusedActivationOf(this.activation);
    this.useBias = options.useBias ?? true;
    this.kernelSpec = kernelOptions(options, 'kernel');
    this.biasInitializer = options.biasInitializer ?? 'zeros';
    this.biasRegularizer = getRegularizer(options.biasRegularizer);
  }

  /** Steps the kernel covers with its dilation. */
  private get span(): number {
    return (this.kernelSize - 1) * this.dilationRate + 1;
  }

  /** Steps added in front for 'causal' padding. */
  private get causalPadding(): number {
    return this.padding === 'causal' ? (this.kernelSize - 1) * this.dilationRate : 0;
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    const channels = inputShape[2] ?? null;
    if (channels === null) {
      throw shapeError(this.where, { expected: 'the channels axis of the input must be known', got: formatLayerShape(inputShape) });
    }
    if (channels % this.groups !== 0) {
      throw shapeError(this.where, {
        expected: `the input's ${channels} channels must be divisible by groups (${this.groups})`,
        got: formatLayerShape(inputShape),
      });
    }
    const kernel = this.kernelSpec;
    this.kernel = this.addWeight({
      name: 'kernel',
      shape: [this.kernelSize, channels / this.groups, this.filters],
      initializer: kernel.initializer,
      regularizer: kernel.regularizer,
    });
    if (this.useBias) {
      this.bias = this.addWeight({
        name: 'bias',
        shape: [this.filters],
        initializer: this.biasInitializer,
        regularizer: this.biasRegularizer,
      });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    // Checked here in 1-D terms: the 2-D op would word its errors for the [batch, 1, steps, channels] view.
    const channels = this.kernel!.shape[1]! * this.groups;
    if (inputs.shape[2] !== channels) {
      throw shapeError(this.where, {
        expected: `expected input with ${channels} channels (last axis)`,
        got: `[${inputs.shape.join(', ')}]`,
      });
    }
    if (this.padding === 'valid') checkStepsFit(inputs.shape, this.span, this.where, 'kernel');
    let x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    const front = this.causalPadding;
    if (front > 0)
      x = ops.pad(x, [
        [0, 0],
        [front, 0],
        [0, 0],
      ]);
    const images = asImages(x);
    const kernel = ops.reshape(this.kernel!, [1, ...this.kernel!.shape]);
    if (this.groups === 1 && this.fusedActivation !== null) {
      return asSequences(conv2dParsed(this.where, images, kernel, this.window, this.bias, this.fusedActivation));
    }
    const out = asSequences(this.convolveGroups(images, kernel));
    return this.activationFn(this.bias ? ops.add(out, this.bias) : out);
  }

  /** One convolution per group of channels, each with its slice of the filters, joined along the channels. */
  private convolveGroups(images: Tensor, kernel: Tensor): Tensor {
    if (this.groups === 1) return conv2dParsed(this.where, images, kernel, this.window, null, 'linear');
    const inPerGroup = kernel.shape[2]!;
    const outPerGroup = this.filters / this.groups;
    const parts: Tensor[] = [];
    for (let g = 0; g < this.groups; g++) {
      const x = ops.slice(images, [0, 0, 0, g * inPerGroup], [-1, -1, -1, inPerGroup]);
      const w = ops.slice(kernel, [0, 0, 0, g * outPerGroup], [-1, -1, -1, outPerGroup]);
      parts.push(conv2dParsed(this.where, x, w, this.window, null, 'linear'));
    }
    return ops.concat(parts, 3);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [batch, steps, channels] = inputShape;
    if (this.padding === 'valid') checkStepsFit(inputShape, this.span, this.where, 'kernel');
    const length =
      steps === null || steps === undefined
        ? null
        : convOutputLength(steps + this.causalPadding, this.kernelSize, this.strides, this.dilationRate, this.window.padding);
    return [batch ?? null, length, channels === null || channels === undefined ? null : this.filters];
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      kernelSize: [this.kernelSize],
      strides: [this.strides],
      padding: this.padding,
      dilationRate: [this.dilationRate],
      groups: this.groups,
      activation: activationName(this.activation),
      useBias: this.useBias,
      ...kernelConfig(this.kernelSpec),
      biasInitializer: this.biasInitializer,
      ...regularizerConfig('biasRegularizer', this.biasRegularizer),
    };
  }
}
declareLayerOptions(Conv1D, {
  positional: ['filters', 'kernelSize'],
  keys: {
    filters: is.any,
    kernelSize: is.any,
    strides: is.any,
    padding: is.any,
    dilationRate: is.any,
    groups: is.any,
    activation: is.nullable(is.identifier),
    useBias: is.boolean,
    kernelInitializer: is.identifier,
    biasInitializer: is.identifier,
    kernelRegularizer: is.nullable(is.identifier),
    biasRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<Conv1DOptions, SequenceLayerOptions>,
});
registerLayer(Conv1D, 'Conv1D');
