import { is } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import { conv2dParsed, depthwiseConv2dParsed } from '../../../ops/conv.js';
import { convWindow } from '../../../core/geometry.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { registerLayer, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import type { RegularizerIdentifier } from '../../regularizers.js';
import type { IntPair } from '../spatial.js';
import { BaseConv, checkCount, kernelConfig, kernelOptions, type BaseConvOptions, type KernelOptions } from './base-conv.js';

export interface DepthwiseConv2DOptions extends BaseConvOptions {
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
}

/**
 * Convolves each input channel with its own `depthMultiplier` filters (no mixing across channels):
 * `[N, H, W, C]` -> `[N, H', W', C * depthMultiplier]`, kernel `[kh, kw, C, depthMultiplier]` and
 * bias `[C * depthMultiplier]` as in Keras (output channel `c * depthMultiplier + m`).
 *
 * ```ts
 * const layer = new nr.layers.DepthwiseConv2D({ kernelSize: 3, depthMultiplier: 2, padding: 'same' });
 * layer.apply(nr.ones([1, 8, 8, 3])).shape; // [1, 8, 8, 6]
 * ```
 */
export class DepthwiseConv2D extends BaseConv {
  /** @internal A new array (see Layer.outputFresh). */
  override get outputFresh(): boolean {
    return this.constructor === DepthwiseConv2D;
  }

  readonly depthMultiplier: number;
  private readonly depthwise: KernelOptions;
  kernel: Variable | null = null;

  constructor(kernelSize: IntPair, options?: Omit<DepthwiseConv2DOptions, 'kernelSize'>);
  constructor(options: DepthwiseConv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<DepthwiseConv2DOptions>();
    this.depthMultiplier = checkCount(options.depthMultiplier ?? 1, 'depthMultiplier', this.where);
    this.depthwise = kernelOptions(options, 'depthwise');
  }

  protected outputChannels(inputChannels: number): number {
    return inputChannels * this.depthMultiplier;
  }

  protected buildKernels(inputChannels: number): void {
    this.kernel = this.addKernel('kernel', [...this.kernelSize, inputChannels, this.depthMultiplier], this.depthwise);
  }

  protected convolve(inputs: Tensor): Tensor {
    return depthwiseConv2dParsed(this.where, inputs, this.kernel!, this.window);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), depthMultiplier: this.depthMultiplier, ...kernelConfig(this.depthwise) };
  }
}
const DEPTHWISE_OPTIONS = {
  depthMultiplier: is.any,
  depthwiseInitializer: is.identifier,
  depthwiseRegularizer: is.nullable(is.identifier),
} satisfies OwnOptionChecks<DepthwiseConv2DOptions, BaseConvOptions>;
declareLayerOptions(DepthwiseConv2D, { positional: ['kernelSize'], keys: DEPTHWISE_OPTIONS });
registerLayer(DepthwiseConv2D, 'DepthwiseConv2D');

export interface SeparableConv2DOptions extends DepthwiseConv2DOptions {
  /** Output channels of the pointwise (1x1) step. */
  filters: number;
  pointwiseInitializer?: InitializerIdentifier;
  pointwiseRegularizer?: RegularizerIdentifier;
}

/** The pointwise step of SeparableConv2D: a 1x1 convolution, stride 1, no padding. */
const POINTWISE = convWindow({}, 'SeparableConv2D');

/**
 * A depthwise convolution followed by a pointwise 1x1 convolution that mixes the channels: far
 * fewer weights than a Conv2D of the same size. Weights `depthwise_kernel [kh, kw, C, depthMultiplier]`,
 * `pointwise_kernel [1, 1, C * depthMultiplier, filters]`, `bias [filters]` (Keras's names and order).
 *
 * ```ts
 * const layer = new nr.layers.SeparableConv2D({ filters: 16, kernelSize: 3, padding: 'same' });
 * layer.apply(nr.ones([1, 8, 8, 3])).shape; // [1, 8, 8, 16]
 * layer.countParams(); // 3*3*3 + 3*16 + 16 = 91
 * ```
 */
export class SeparableConv2D extends BaseConv {
  readonly filters: number;
  readonly depthMultiplier: number;
  private readonly depthwise: KernelOptions;
  private readonly pointwise: KernelOptions;
  depthwiseKernel: Variable | null = null;
  pointwiseKernel: Variable | null = null;

  constructor(filters: number, kernelSize: IntPair, options?: Omit<SeparableConv2DOptions, 'filters' | 'kernelSize'>);
  constructor(options: SeparableConv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<SeparableConv2DOptions>();
    this.filters = checkCount(options.filters, 'filters', this.where);
    this.depthMultiplier = checkCount(options.depthMultiplier ?? 1, 'depthMultiplier', this.where);
    this.depthwise = kernelOptions(options, 'depthwise');
    this.pointwise = kernelOptions(options, 'pointwise');
  }

  protected outputChannels(): number {
    return this.filters;
  }

  protected buildKernels(inputChannels: number): void {
    this.depthwiseKernel = this.addKernel('depthwise_kernel', [...this.kernelSize, inputChannels, this.depthMultiplier], this.depthwise);
    this.pointwiseKernel = this.addKernel('pointwise_kernel', [1, 1, inputChannels * this.depthMultiplier, this.filters], this.pointwise);
  }

  protected convolve(inputs: Tensor): Tensor {
    const depthwise = depthwiseConv2dParsed(this.where, inputs, this.depthwiseKernel!, this.window);
    return conv2dParsed(this.where, depthwise, this.pointwiseKernel!, POINTWISE, null, 'linear');
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      filters: this.filters,
      depthMultiplier: this.depthMultiplier,
      ...kernelConfig(this.depthwise),
      ...kernelConfig(this.pointwise),
    };
  }
}
declareLayerOptions(SeparableConv2D, {
  positional: ['filters', 'kernelSize'],
  keys: {
    ...DEPTHWISE_OPTIONS,
    ...({
      filters: is.any,
      pointwiseInitializer: is.identifier,
      pointwiseRegularizer: is.nullable(is.identifier),
    } satisfies OwnOptionChecks<SeparableConv2DOptions, DepthwiseConv2DOptions>),
  },
});
registerLayer(SeparableConv2D, 'SeparableConv2D');
