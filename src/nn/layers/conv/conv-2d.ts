import { configError, is, show } from '../../../core/index.js';
import { outputPaddingOption, transposeOutputSize } from '../../../core/geometry.js';
import { tensor, type Tensor, type Variable } from '../../../tensor/index.js';
import type * as ops from '../../../ops/index.js';
import { conv2dParsed, conv2dTransposeParsed } from '../../../ops/conv.js';
import { mul } from '../../../ops/elementwise.js';
import type { InitializerIdentifier } from '../../initializers.js';
import { registerLayer, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import type { RegularizerIdentifier } from '../../regularizers.js';
import type { IntPair } from '../spatial.js';
import { BaseConv, checkCount, kernelConfig, kernelOptions, type BaseConvOptions, type KernelOptions } from './base-conv.js';

export interface Conv2DOptions extends BaseConvOptions {
  /** Number of output channels (kernels). */
  filters: number;
  kernelInitializer?: InitializerIdentifier;
  kernelRegularizer?: RegularizerIdentifier;
}

/** What Conv2D and Conv2DTranspose share: `filters` output channels and one weight, `kernel`. */
abstract class FilterConv extends BaseConv {
  readonly filters: number;
  private readonly kernelSpec: KernelOptions;
  kernel: Variable | null = null;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Conv2DOptions>();
    this.filters = checkCount(options.filters, 'filters', this.where);
    this.kernelSpec = kernelOptions(options, 'kernel');
  }

  protected outputChannels(): number {
    return this.filters;
  }

  /** Keras's kernel layout for `inputChannels` input channels. */
  protected abstract kernelShape(inputChannels: number): number[];

  protected buildKernels(inputChannels: number): void {
    this.kernel = this.addKernel('kernel', this.kernelShape(inputChannels), this.kernelSpec);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), filters: this.filters, ...kernelConfig(this.kernelSpec) };
  }
}
const CONV2D_OPTIONS = {
  filters: is.any,
  kernelInitializer: is.identifier,
  kernelRegularizer: is.nullable(is.identifier),
} satisfies OwnOptionChecks<Conv2DOptions, BaseConvOptions>;
declareLayerOptions(FilterConv, { keys: CONV2D_OPTIONS });

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
export class Conv2D extends FilterConv {
  /** @internal conv2d writes a new array (see Layer.outputFresh); its gradient reads its input, so only inference may overwrite it. */
  override get outputFresh(): boolean {
    return this.constructor === Conv2D;
  }

  constructor(filters: number, kernelSize: IntPair, options?: Omit<Conv2DOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  protected kernelShape(inputChannels: number): number[] {
    return [...this.kernelSize, inputChannels, this.filters];
  }

  protected convolve(inputs: Tensor): Tensor {
    return conv2dParsed(this.where, inputs, this.kernel!, this.window, null, 'linear');
  }

  protected override convolveBiasActivation(inputs: Tensor, bias: Tensor | null, activation: ops.LinearActivation): Tensor {
    return conv2dParsed(this.where, inputs, this.kernel!, this.window, bias, activation);
  }
}
declareLayerOptions(Conv2D, { positional: ['filters', 'kernelSize'] });
registerLayer(Conv2D, 'Conv2D');

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
export class Conv2DTranspose extends FilterConv {
  readonly outputPadding: readonly [number, number] | null;

  constructor(filters: number, kernelSize: IntPair, options?: Omit<Conv2DTransposeOptions, 'filters' | 'kernelSize'>);
  constructor(options: Conv2DTransposeOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const outputPadding = outputPaddingOption(this.options<Conv2DTransposeOptions>().outputPadding, this.strides, this.where);
    this.outputPadding = outputPadding && Object.freeze(outputPadding);
  }

  protected kernelShape(inputChannels: number): number[] {
    return [...this.kernelSize, this.filters, inputChannels];
  }

  /** Keras's `compute_conv_transpose_output_length` for each spatial axis. */
  protected override spatialOutputShape(inputShape: LayerShape): [number | null, number | null] {
    return transposeOutputSize(inputShape, this.kernelSize[0], this.kernelSize[1], this.window, this.outputPadding, this.where);
  }

  protected convolve(inputs: Tensor): Tensor {
    return conv2dTransposeParsed(this.where, inputs, this.kernel!, this.window, this.outputPadding);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), outputPadding: this.outputPadding ? [...this.outputPadding] : null };
  }
}
declareLayerOptions(Conv2DTranspose, {
  positional: ['filters', 'kernelSize'],
  keys: { outputPadding: is.any } satisfies OwnOptionChecks<Conv2DTransposeOptions, Conv2DOptions>,
});
registerLayer(Conv2DTranspose, 'Conv2DTranspose');

export interface MaskedConv2DOptions extends Conv2DOptions {
  /** PixelCNN's mask: 'A' hides the centre pixel (the first layer), 'B' keeps it (the layers after). */
  maskType: 'A' | 'B';
}

/**
 * PixelCNN's masked convolution (van den Oord et al., 2016): a Conv2D whose kernel is multiplied by a
 * fixed mask that keeps the rows above the centre and, in the centre row, the columns left of it
 * (`maskType: 'A'`) or up to and including it ('B'), so that with `padding: 'same'` and stride 1 the
 * output at a pixel sees only the pixels before it in raster order (and itself for 'B'), on every
 * input channel. Conv2D's options, weights and layout otherwise; the stored kernel is unmasked.
 *
 * ```ts
 * const conv = new nr.layers.MaskedConv2D({ filters: 8, kernelSize: 5, padding: 'same', maskType: 'A' });
 * conv.apply(nr.ones([1, 28, 28, 1])).shape; // [1, 28, 28, 8]
 * ```
 */
export class MaskedConv2D extends Conv2D {
  readonly maskType: 'A' | 'B';
  private mask: Tensor | null = null;

  constructor(options: MaskedConv2DOptions);
  constructor(...args: unknown[]) {
    super(args[0] as Conv2DOptions);
    this.maskType = this.options<MaskedConv2DOptions>().maskType;
    if (this.maskType !== 'A' && this.maskType !== 'B') {
      throw configError(this.where, {
        expected: "maskType must be 'A' or 'B'",
        got: show(this.maskType),
        hint: "use 'A' for the first layer, 'B' after",
      });
    }
  }

  /** The kernel times the mask `[kh, kw, 1, 1]`, made once in the kernel's dtype. */
  private maskedKernel(): Tensor {
    const kernel = this.kernel!;
    if (this.mask?.dtype !== kernel.dtype) {
      const [kh, kw] = this.kernelSize;
      const [ch, cw] = [Math.floor(kh / 2), Math.floor(kw / 2)];
      const keep = (i: number, j: number) => i < ch || (i === ch && (this.maskType === 'A' ? j < cw : j <= cw));
      const values = Array.from({ length: kh * kw }, (_, k) => (keep(Math.floor(k / kw), k % kw) ? 1 : 0));
      this.mask = tensor(values, [kh, kw, 1, 1], kernel.dtype);
    }
    return mul(kernel, this.mask);
  }

  protected override convolve(inputs: Tensor): Tensor {
    return conv2dParsed(this.where, inputs, this.maskedKernel(), this.window, null, 'linear');
  }

  protected override convolveBiasActivation(inputs: Tensor, bias: Tensor | null, activation: ops.LinearActivation): Tensor {
    return conv2dParsed(this.where, inputs, this.maskedKernel(), this.window, bias, activation);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), maskType: this.maskType };
  }
}
declareLayerOptions(MaskedConv2D, { keys: { maskType: is.oneOf('A', 'B') } satisfies OwnOptionChecks<MaskedConv2DOptions, Conv2DOptions> });
registerLayer(MaskedConv2D, 'MaskedConv2D');
