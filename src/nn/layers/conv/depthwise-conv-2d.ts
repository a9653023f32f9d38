import { ConfigError, is } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { registerLayer, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { windowOutputShape, type IntPair } from '../spatial.js';
import { BaseConv, checkFilters, regularizerConfig, type BaseConvOptions } from './base-conv.js';

export interface DepthwiseConv2DOptions extends BaseConvOptions {
  /** Output channels per input channel (default 1). */
  depthMultiplier?: number;
  depthwiseInitializer?: InitializerIdentifier;
  depthwiseRegularizer?: RegularizerIdentifier;
}

function checkMultiplier(value: unknown, where: string): number {
  const multiplier = value ?? 1;
  if (!Number.isInteger(multiplier) || (multiplier as number) < 1) throw new ConfigError(`${where}: depthMultiplier must be a positive integer, got ${JSON.stringify(value)}`);
  return multiplier as number;
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
  readonly depthMultiplier: number;
  private readonly depthwiseInitializer: InitializerIdentifier;
  private readonly depthwiseRegularizer: Regularizer | null;
  kernel: Variable | null = null;

  constructor(kernelSize: IntPair, options?: Omit<DepthwiseConv2DOptions, 'kernelSize'>);
  constructor(options: DepthwiseConv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<DepthwiseConv2DOptions>();
    this.depthMultiplier = checkMultiplier(options.depthMultiplier, this.where);
    this.depthwiseInitializer = options.depthwiseInitializer ?? 'glorot_uniform';
    this.depthwiseRegularizer = getRegularizer(options.depthwiseRegularizer);
  }

  protected outputChannels(inputChannels: number): number {
    return inputChannels * this.depthMultiplier;
  }

  protected buildKernels(inputChannels: number): void {
    this.kernel = this.addWeight({
      name: 'kernel', shape: [...this.kernelSize, inputChannels, this.depthMultiplier], initializer: this.depthwiseInitializer, regularizer: this.depthwiseRegularizer,
    });
  }

  protected spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    return windowOutputShape(inputShape, this.kernelSize, this.strides, this.dilationRate, this.padding, this.where, 'kernel');
  }

  protected convolve(inputs: Tensor): Tensor {
    return ops.depthwiseConv2d(inputs, this.kernel!, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), depthMultiplier: this.depthMultiplier, depthwiseInitializer: this.depthwiseInitializer,
      ...regularizerConfig('depthwiseRegularizer', this.depthwiseRegularizer),
    };
  }
}
const DEPTHWISE_OPTIONS = { depthMultiplier: is.any, depthwiseInitializer: is.identifier, depthwiseRegularizer: is.nullable(is.identifier) } satisfies OwnOptionChecks<DepthwiseConv2DOptions, BaseConvOptions>;
declareLayerOptions(DepthwiseConv2D, { positional: ['kernelSize'], keys: DEPTHWISE_OPTIONS });
registerLayer(DepthwiseConv2D);

export interface SeparableConv2DOptions extends DepthwiseConv2DOptions {
  /** Output channels of the pointwise (1x1) step. */
  filters: number;
  pointwiseInitializer?: InitializerIdentifier;
  pointwiseRegularizer?: RegularizerIdentifier;
}

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
  private readonly depthwiseInitializer: InitializerIdentifier;
  private readonly depthwiseRegularizer: Regularizer | null;
  private readonly pointwiseInitializer: InitializerIdentifier;
  private readonly pointwiseRegularizer: Regularizer | null;
  depthwiseKernel: Variable | null = null;
  pointwiseKernel: Variable | null = null;

  constructor(filters: number, kernelSize: IntPair, options?: Omit<SeparableConv2DOptions, 'filters' | 'kernelSize'>);
  constructor(options: SeparableConv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<SeparableConv2DOptions>();
    this.filters = checkFilters(options.filters, this.where);
    this.depthMultiplier = checkMultiplier(options.depthMultiplier, this.where);
    this.depthwiseInitializer = options.depthwiseInitializer ?? 'glorot_uniform';
    this.depthwiseRegularizer = getRegularizer(options.depthwiseRegularizer);
    this.pointwiseInitializer = options.pointwiseInitializer ?? 'glorot_uniform';
    this.pointwiseRegularizer = getRegularizer(options.pointwiseRegularizer);
  }

  protected outputChannels(): number {
    return this.filters;
  }

  protected buildKernels(inputChannels: number): void {
    this.depthwiseKernel = this.addWeight({
      name: 'depthwise_kernel', shape: [...this.kernelSize, inputChannels, this.depthMultiplier], initializer: this.depthwiseInitializer, regularizer: this.depthwiseRegularizer,
    });
    this.pointwiseKernel = this.addWeight({
      name: 'pointwise_kernel', shape: [1, 1, inputChannels * this.depthMultiplier, this.filters], initializer: this.pointwiseInitializer, regularizer: this.pointwiseRegularizer,
    });
  }

  protected spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    return windowOutputShape(inputShape, this.kernelSize, this.strides, this.dilationRate, this.padding, this.where, 'kernel');
  }

  protected convolve(inputs: Tensor): Tensor {
    const depthwise = ops.depthwiseConv2d(inputs, this.depthwiseKernel!, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
    return ops.conv2d(depthwise, this.pointwiseKernel!, { strides: 1, padding: 'valid' });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), filters: this.filters, depthMultiplier: this.depthMultiplier,
      depthwiseInitializer: this.depthwiseInitializer, pointwiseInitializer: this.pointwiseInitializer,
      ...regularizerConfig('depthwiseRegularizer', this.depthwiseRegularizer), ...regularizerConfig('pointwiseRegularizer', this.pointwiseRegularizer),
    };
  }
}
declareLayerOptions(SeparableConv2D, { positional: ['filters', 'kernelSize'], keys: { ...DEPTHWISE_OPTIONS, ...({ filters: is.any, pointwiseInitializer: is.identifier, pointwiseRegularizer: is.nullable(is.identifier) } satisfies OwnOptionChecks<SeparableConv2DOptions, DepthwiseConv2DOptions>) } });
registerLayer(SeparableConv2D);
