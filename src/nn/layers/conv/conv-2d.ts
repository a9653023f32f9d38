import { ConfigError, ShapeError, is } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { formatLayerShape, registerLayer, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { intPair, windowOutputShape, type IntPair } from '../spatial.js';
import { BaseConv, checkFilters, regularizerConfig, type BaseConvOptions } from './base-conv.js';

export interface Conv2DOptions extends BaseConvOptions {
  /** Number of output channels (kernels). */
  filters: number;
  kernelInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
}

/**
 * A 2D convolution over NHWC images: `[N, H, W, C]` -> `[N, H', W', filters]`, kernel `[kh, kw, C,
 * filters]` and bias `[filters]` as in Keras. `padding: 'same'` follows TensorFlow (output
 * `ceil(H / strides)`, the odd pixel of padding at the bottom/right); 'valid' keeps the windows
 * that fit, `floor((H - kh) / strides) + 1`.
 *
 * ```ts
 * const conv = new nr.layers.Conv2D({ filters: 8, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' });
 * conv.apply(nr.ones([1, 32, 32, 3])).shape; // [1, 16, 16, 8]
 * ```
 */
export class Conv2D extends BaseConv {
  readonly filters: number;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  kernel: Variable | null = null;

  constructor(filters: number, kernelSize: IntPair, options?: Omit<Conv2DOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Conv2DOptions>();
    this.filters = checkFilters(options.filters, this.where);
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
  }

  protected outputChannels(): number {
    return this.filters;
  }

  protected buildKernels(inputChannels: number): void {
    this.kernel = this.addWeight({
      name: 'kernel', shape: [...this.kernelSize, inputChannels, this.filters], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer,
    });
  }

  protected spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    return windowOutputShape(inputShape, this.kernelSize, this.strides, this.dilationRate, this.padding, this.where, 'kernel');
  }

  protected convolve(inputs: Tensor): Tensor {
    return ops.conv2d(inputs, this.kernel!, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate });
  }

  protected override convolveBiasActivation(inputs: Tensor, bias: Tensor | null, activation: ops.LinearActivation): Tensor {
    return ops.conv2d(inputs, this.kernel!, { strides: this.strides, padding: this.padding, dilationRate: this.dilationRate, bias, activation });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), filters: this.filters, kernelInitializer: this.kernelInitializer,
      ...regularizerConfig('kernelRegularizer', this.kernelRegularizer),
    };
  }
}
const CONV2D_OPTIONS = { filters: is.any, kernelInitializer: is.identifier, kernelRegularizer: is.nullable(is.identifier) } satisfies OwnOptionChecks<Conv2DOptions, BaseConvOptions>;
declareLayerOptions(Conv2D, { positional: ['filters', 'kernelSize'], keys: CONV2D_OPTIONS });
registerLayer(Conv2D);

export interface Conv2DTransposeOptions extends Conv2DOptions {
  /**
   * Extra rows/columns added to one side of the output (an int or `[height, width]`, each smaller
   * than the stride), to pick among the output sizes that stride to the input size. Default null:
   * Keras's size, `H * strides` ('same') or `H * strides + max(kh - strides, 0)` ('valid').
   */
  outputPadding?: IntPair | null;
}

/**
 * The transpose (gradient) of a convolution, which upsamples: `[N, H, W, C]` -> `[N, H', W',
 * filters]` with `H' = H * strides` for 'same' padding. Kernel `[kh, kw, filters, C]` as in Keras.
 *
 * ```ts
 * const deconv = new nr.layers.Conv2DTranspose({ filters: 4, kernelSize: 3, strides: 2, padding: 'same' });
 * deconv.apply(nr.ones([1, 7, 7, 8])).shape; // [1, 14, 14, 4]
 * ```
 */
export class Conv2DTranspose extends BaseConv {
  readonly filters: number;
  readonly outputPadding: [number, number] | null;
  private readonly kernelInitializer: InitializerIdentifier;
  private readonly kernelRegularizer: Regularizer | null;
  kernel: Variable | null = null;

  constructor(filters: number, kernelSize: IntPair, options?: Omit<Conv2DTransposeOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv2DTransposeOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Conv2DTransposeOptions>();
    this.filters = checkFilters(options.filters, this.where);
    this.kernelInitializer = options.kernelInitializer ?? 'glorot_uniform';
    this.kernelRegularizer = getRegularizer(options.kernelRegularizer);
    this.outputPadding = options.outputPadding === undefined || options.outputPadding === null ? null : intPair(options.outputPadding, 'outputPadding', this.where, 0);
    if (this.outputPadding?.some((p, i) => p >= this.strides[i]!)) {
      throw new ConfigError(`${this.where}: outputPadding ${JSON.stringify(this.outputPadding)} must be smaller than strides ${JSON.stringify(this.strides)} on each axis`);
    }
  }

  protected outputChannels(): number {
    return this.filters;
  }

  protected buildKernels(inputChannels: number): void {
    this.kernel = this.addWeight({
      name: 'kernel', shape: [...this.kernelSize, this.filters, inputChannels], initializer: this.kernelInitializer, regularizer: this.kernelRegularizer,
    });
  }

  /** Keras's `compute_conv_transpose_output_length` for each spatial axis. */
  protected spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    const out = [0, 1].map((k) => {
      const size = inputShape[1 + k] ?? null;
      if (size === null) return null;
      const span = (this.kernelSize[k]! - 1) * this.dilationRate[k]! + 1;
      const stride = this.strides[k]!;
      if (this.outputPadding === null) return this.padding === 'valid' ? size * stride + Math.max(span - stride, 0) : size * stride;
      const pad = this.padding === 'same' ? Math.floor(span / 2) : 0;
      return (size - 1) * stride + span - 2 * pad + this.outputPadding[k]!;
    }) as [number | null, number | null];
    if (out.some((d) => d !== null && d < 1)) {
      throw new ShapeError(`${this.where}: the output for input ${formatLayerShape(inputShape)} would be empty (${out.join('x')}); use a larger input or padding 'valid'`);
    }
    return out;
  }

  protected convolve(inputs: Tensor): Tensor {
    return ops.conv2dTranspose(inputs, this.kernel!, {
      strides: this.strides, padding: this.padding, dilationRate: this.dilationRate, outputPadding: this.outputPadding ?? undefined,
    });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(), filters: this.filters, outputPadding: this.outputPadding ? [...this.outputPadding] : null,
      kernelInitializer: this.kernelInitializer, ...regularizerConfig('kernelRegularizer', this.kernelRegularizer),
    };
  }
}
declareLayerOptions(Conv2DTranspose, { positional: ['filters', 'kernelSize'], keys: { ...CONV2D_OPTIONS, ...({ outputPadding: is.any } satisfies OwnOptionChecks<Conv2DTransposeOptions, Conv2DOptions>) } });
registerLayer(Conv2DTranspose);
