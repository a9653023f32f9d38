import { is } from '../../../core/index.js';
import { poolOutputSize, poolWindow, type PoolWindow } from '../../../core/geometry.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { pool2dParsed } from '../../../ops/pool.js';
import { registerLayer, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { ImageLayer, floatInput, imageShape, type ImageLayerOptions, type IntPair, type Padding } from '../spatial.js';

export interface Pooling2DOptions extends ImageLayerOptions {
  /** Window size: an int or `[height, width]` (default 2). */
  poolSize?: IntPair;
  /** Step between windows (default: poolSize, so windows do not overlap). */
  strides?: IntPair | null;
  /** 'valid' (default) keeps the windows that fit; 'same' pads so the output is ceil(size / strides). */
  padding?: Padding;
  /**
   * With 'valid': also keep a last window that runs past the bottom or right edge, pooling the
   * pixels it covers, so the output is `ceil((size - poolSize) / strides) + 1` (PyTorch's
   * `ceil_mode=True`, which torchvision's GoogLeNet uses). Not a Keras option. Default false.
   */
  ceilMode?: boolean;
}

/**
 * The shared part of MaxPooling2D and AveragePooling2D: the window, read once here into the form
 * the pooling op takes; the input shape, checked in computeOutputShape (so in build); and the config.
 * Each call goes to the op, which checks the images it hands to the kernel.
 */
abstract class Pooling2D extends ImageLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly poolSize: readonly [number, number];
  readonly strides: readonly [number, number];
  readonly padding: Padding;
  readonly ceilMode: boolean;
  private readonly window: PoolWindow;
  protected abstract readonly op: 'max' | 'avg';

  constructor(
    poolSize?: IntPair,
    strides?: IntPair | null,
    padding?: Padding,
    options?: Omit<Pooling2DOptions, 'poolSize' | 'strides' | 'padding'>,
  );
  constructor(options?: Pooling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.window = poolWindow(this.options<Pooling2DOptions>(), this.where);
    this.poolSize = this.window.size;
    this.strides = this.window.strides;
    this.padding = this.window.padding;
    this.ceilMode = this.window.ceilMode;
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return pool2dParsed(this.op, this.where, floatInput(inputs, this.dtype), this.window);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = imageShape(inputShape, this.where);
    const [h, w] = poolOutputSize(inputShape, this.window, this.where);
    return [n!, h, w, c!];
  }

  override getConfig(): Record<string, unknown> {
    const config = { ...super.getConfig(), poolSize: [...this.poolSize], strides: [...this.strides], padding: this.padding };
    // Written only when set, so that configs stay Keras's for every Keras pooling.
    return this.ceilMode ? { ...config, ceilMode: true } : config;
  }
}
declareLayerOptions(Pooling2D, {
  positional: ['poolSize', 'strides', 'padding'],
  keys: { poolSize: is.any, strides: is.any, padding: is.any, ceilMode: is.boolean } satisfies OwnOptionChecks<
    Pooling2DOptions,
    ImageLayerOptions
  >,
});

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
  protected readonly op = 'max';
}
declareLayerOptions(MaxPooling2D, {});
registerLayer(MaxPooling2D, 'MaxPooling2D');

/**
 * The mean of each window (with 'same' padding, of the values inside the image only, as Keras).
 *
 * ```ts
 * const layer = new nr.layers.AveragePooling2D({ poolSize: 3, strides: 1, padding: 'same' });
 * layer.apply(nr.ones([1, 5, 5, 2])).shape; // [1, 5, 5, 2]
 * ```
 */
export class AveragePooling2D extends Pooling2D {
  protected readonly op = 'avg';
}
declareLayerOptions(AveragePooling2D, {});
registerLayer(AveragePooling2D, 'AveragePooling2D');

export interface GlobalPooling2DOptions extends ImageLayerOptions {
  /** Keep the height and width axes with size 1: `[N, 1, 1, C]` instead of `[N, C]` (default false). */
  keepdims?: boolean;
}

abstract class GlobalPooling2D extends ImageLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly keepdims: boolean;

  constructor(options?: GlobalPooling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.keepdims = this.options<GlobalPooling2DOptions>().keepdims ?? false;
  }

  /** The images, whose rank `apply` checked against the input spec, as floats. */
  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return this.reduce(floatInput(inputs, this.dtype));
  }

  protected abstract reduce(inputs: Tensor): Tensor;

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = imageShape(inputShape, this.where);
    return this.keepdims ? [n!, 1, 1, c!] : [n!, c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), keepdims: this.keepdims };
  }
}
declareLayerOptions(GlobalPooling2D, {
  keys: { keepdims: is.boolean } satisfies OwnOptionChecks<GlobalPooling2DOptions, ImageLayerOptions>,
});

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
registerLayer(GlobalAveragePooling2D, 'GlobalAveragePooling2D');

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
registerLayer(GlobalMaxPooling2D, 'GlobalMaxPooling2D');
