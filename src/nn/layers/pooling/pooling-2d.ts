import { ConfigError, is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, registerLayer, type InputSpec, type CallOptions, type LayerOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { IMAGE_INPUT_SPEC, checkDataFormat, floatInput, checkPadding, intPair, requireImages, windowOutputShape, type IntPair, type Padding } from '../spatial.js';

export interface Pooling2DOptions extends LayerOptions {
  /** Window size: an int or `[height, width]` (default 2). */
  poolSize?: IntPair;
  /** Step between windows (default: poolSize, so windows do not overlap). */
  strides?: IntPair | null;
  /** 'valid' (default) keeps the windows that fit; 'same' pads so the output is ceil(size / strides). */
  padding?: Padding;
  dataFormat?: 'channels_last';
}

/** The shared part of MaxPooling2D and AveragePooling2D: options, checks, output shape, config. */
abstract class Pooling2D extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly poolSize: [number, number];
  readonly strides: [number, number];
  readonly padding: Padding;

  constructor(poolSize?: IntPair, strides?: IntPair | null, padding?: Padding, options?: Omit<Pooling2DOptions, 'poolSize' | 'strides' | 'padding'>);
  constructor(options?: Pooling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Pooling2DOptions>();
    const where = `${this.className} "${this.name}"`;
    checkDataFormat(options.dataFormat, where);
    this.poolSize = intPair(options.poolSize ?? 2, 'poolSize', where);
    this.strides = intPair(options.strides ?? this.poolSize, 'strides', where);
    this.padding = checkPadding(options.padding, where);
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    this.computeOutputShape(inputs.shape);
    return this.pool(floatInput(inputs, this.dtype), { poolSize: this.poolSize, strides: this.strides, padding: this.padding });
  }

  protected abstract pool(inputs: Tensor, options: { poolSize: [number, number]; strides: [number, number]; padding: Padding }): Tensor;

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const where = `${this.className} "${this.name}"`;
    const [n, , , c] = requireImages(inputShape, where);
    const [h, w] = windowOutputShape(inputShape, this.poolSize, this.strides, [1, 1], this.padding, where, 'pool window');
    return [n!, h, w, c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding };
  }
}
declareLayerOptions(Pooling2D, { positional: ['poolSize', 'strides', 'padding'], keys: { poolSize: is.any, strides: is.any, padding: is.any, dataFormat: is.any } satisfies OwnOptionChecks<Pooling2DOptions, LayerOptions> });

/**
 * The maximum of each window: `[N, H, W, C]` -> `[N, H', W', C]` with `H' = floor((H - poolH) /
 * strideH) + 1` ('valid') or `ceil(H / strideH)` ('same').
 *
 * ```ts
 * const layer = new nr.layers.MaxPooling2D(); // 2x2 windows, stride 2
 * layer.apply(nr.ones([1, 28, 28, 8])).shape; // [1, 14, 14, 8]
 * ```
 */
export class MaxPooling2D extends Pooling2D {
  protected pool(inputs: Tensor, options: { poolSize: [number, number]; strides: [number, number]; padding: Padding }): Tensor {
    return ops.maxPool2d(inputs, options);
  }
}
declareLayerOptions(MaxPooling2D, {});
registerLayer(MaxPooling2D);

/**
 * The mean of each window (with 'same' padding, of the values inside the image only, as Keras).
 *
 * ```ts
 * const layer = new nr.layers.AveragePooling2D({ poolSize: 3, strides: 1, padding: 'same' });
 * layer.apply(nr.ones([1, 5, 5, 2])).shape; // [1, 5, 5, 2]
 * ```
 */
export class AveragePooling2D extends Pooling2D {
  protected pool(inputs: Tensor, options: { poolSize: [number, number]; strides: [number, number]; padding: Padding }): Tensor {
    return ops.avgPool2d(inputs, options);
  }
}
declareLayerOptions(AveragePooling2D, {});
registerLayer(AveragePooling2D);

export interface GlobalPooling2DOptions extends LayerOptions {
  /** Keep the height and width axes with size 1: `[N, 1, 1, C]` instead of `[N, C]` (default false). */
  keepdims?: boolean;
  dataFormat?: 'channels_last';
}

abstract class GlobalPooling2D extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly keepdims: boolean;

  constructor(options?: GlobalPooling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GlobalPooling2DOptions>();
    checkDataFormat(options.dataFormat, `${this.className} "${this.name}"`);
    this.keepdims = options.keepdims ?? false;
    if (typeof this.keepdims !== 'boolean') throw new ConfigError(`${this.className} "${this.name}": keepdims must be a boolean, got ${JSON.stringify(options.keepdims)}`);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    requireImages(inputs, `${this.className} "${this.name}"`);
    return this.reduce(floatInput(inputs, this.dtype));
  }

  protected abstract reduce(inputs: Tensor): Tensor;

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = requireImages(inputShape, `${this.className} "${this.name}"`);
    return this.keepdims ? [n!, 1, 1, c!] : [n!, c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}
declareLayerOptions(GlobalPooling2D, { keys: { keepdims: is.boolean, dataFormat: is.any } satisfies OwnOptionChecks<GlobalPooling2DOptions, LayerOptions> });

/**
 * The mean over height and width of each channel: `[N, H, W, C]` -> `[N, C]` (or `[N, 1, 1, C]`
 * with `keepdims`). A common replacement for Flatten before the classifier.
 *
 * ```ts
 * new nr.layers.GlobalAveragePooling2D().apply(nr.ones([2, 7, 7, 16])).shape; // [2, 16]
 * ```
 */
export class GlobalAveragePooling2D extends GlobalPooling2D {
  protected reduce(inputs: Tensor): Tensor {
    return ops.mean(inputs, [1, 2], this.keepdims);
  }
}
declareLayerOptions(GlobalAveragePooling2D, {});
registerLayer(GlobalAveragePooling2D);

/**
 * The maximum over height and width of each channel: `[N, H, W, C]` -> `[N, C]` (or `[N, 1, 1, C]`).
 *
 * ```ts
 * new nr.layers.GlobalMaxPooling2D({ keepdims: true }).apply(nr.ones([2, 7, 7, 16])).shape; // [2, 1, 1, 16]
 * ```
 */
export class GlobalMaxPooling2D extends GlobalPooling2D {
  protected reduce(inputs: Tensor): Tensor {
    return ops.max(inputs, [1, 2], this.keepdims);
  }
}
declareLayerOptions(GlobalMaxPooling2D, {});
registerLayer(GlobalMaxPooling2D);
