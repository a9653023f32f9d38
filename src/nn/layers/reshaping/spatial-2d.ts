import { is } from '../../../core/index.js';
import { checkCropping, pairOfPairsOption, pairOption } from '../../../core/geometry.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { crop2dParsed, upSample2dParsed } from '../../../ops/image.js';
import { registerLayer, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { ImageLayer, imageShape, type ImageLayerOptions, type IntPair, type PairOfPairs } from '../spatial.js';

/*
 * Layers that change the height and width of NHWC images without weights. Each reads its amounts
 * once, at construction; `apply` has checked the images' rank against the input spec by the time
 * `call` runs, and the ops check what reaches memory.
 */

const grow = (d: number | null, by: number) => (d === null ? null : d + by);

type Sides = readonly [readonly [number, number], readonly [number, number]];

/** ZeroPadding2D and Cropping2D: an amount per side of the height and width, read from one option. */
abstract class Sides2D extends ImageLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  /** `[[top, bottom], [left, right]]`. */
  protected readonly sides: Sides;
  /** The option that holds the amounts. */
  private readonly sidesOption: 'padding' | 'cropping';

  constructor(option: 'padding' | 'cropping', fallback: number, args: readonly unknown[]) {
    super(...args);
    this.sidesOption = option;
    this.sides = pairOfPairsOption(this.options<Record<string, unknown>>()[option] ?? fallback, this.where, option);
  }

  /** The image shape with each known height and width changed by `sign` times its two amounts. */
  protected resized(inputShape: LayerShape, sign: 1 | -1): LayerShape {
    const [n, h, w, c] = imageShape(inputShape, this.where);
    const [[top, bottom], [left, right]] = this.sides;
    return [n!, grow(h!, sign * (top + bottom)), grow(w!, sign * (left + right)), c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), [this.sidesOption]: this.sides.map((p) => [...p]) };
  }
}
declareLayerOptions(Sides2D, {});

export interface ZeroPadding2DOptions extends ImageLayerOptions {
  /** An int (all four sides), `[height, width]` (top = bottom, left = right) or `[[top, bottom], [left, right]]`. Default 1. */
  padding?: PairOfPairs;
}

/**
 * Pads images with zeros: `[N, H, W, C]` -> `[N, H + top + bottom, W + left + right, C]`.
 *
 * ```ts
 * const layer = new nr.layers.ZeroPadding2D({ padding: 2 });
 * layer.apply(nr.ones([1, 28, 28, 1])).shape; // [1, 32, 32, 1]
 * ```
 */
export class ZeroPadding2D extends Sides2D {
  /** `[[top, bottom], [left, right]]`. */
  readonly padding: Sides = this.sides;
  /** The amounts as pad takes them, for all four axes (the batch and channels get none). */
  private readonly widths: (readonly [number, number])[] = [[0, 0], this.sides[0], this.sides[1], [0, 0]];

  constructor(padding: PairOfPairs, options?: Omit<ZeroPadding2DOptions, 'padding'>);
  constructor(options?: ZeroPadding2DOptions);
  constructor(...args: unknown[]) {
    super('padding', 1, args);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return ops.pad(inputs, this.widths);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return this.resized(inputShape, 1);
  }
}
declareLayerOptions(ZeroPadding2D, {
  positional: ['padding'],
  keys: { padding: is.any } satisfies OwnOptionChecks<ZeroPadding2DOptions, ImageLayerOptions>,
});
registerLayer(ZeroPadding2D, 'ZeroPadding2D');

export interface Cropping2DOptions extends ImageLayerOptions {
  /** An int (all four sides), `[height, width]` or `[[top, bottom], [left, right]]`. Default 0. */
  cropping?: PairOfPairs;
}

/**
 * Crops rows and columns off the borders: `[N, H, W, C]` -> `[N, H - top - bottom, W - left - right, C]`.
 *
 * ```ts
 * const layer = new nr.layers.Cropping2D({ cropping: [[1, 1], [2, 0]] });
 * layer.apply(nr.ones([1, 5, 5, 3])).shape; // [1, 3, 3, 3]
 * ```
 */
export class Cropping2D extends Sides2D {
  /** `[[top, bottom], [left, right]]`. */
  readonly cropping: Sides = this.sides;

  constructor(cropping: PairOfPairs, options?: Omit<Cropping2DOptions, 'cropping'>);
  constructor(options?: Cropping2DOptions);
  constructor(...args: unknown[]) {
    super('cropping', 0, args);
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return crop2dParsed(this.where, inputs, this.sides);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const shape = this.resized(inputShape, -1);
    checkCropping(inputShape, this.sides, this.where);
    return shape;
  }
}
declareLayerOptions(Cropping2D, {
  positional: ['cropping'],
  keys: { cropping: is.any } satisfies OwnOptionChecks<Cropping2DOptions, ImageLayerOptions>,
});
registerLayer(Cropping2D, 'Cropping2D');

export interface UpSampling2DOptions extends ImageLayerOptions {
  /** Factor for rows and columns: an int or `[height, width]` (default 2). */
  size?: IntPair;
  /** 'nearest' repeats pixels (default); 'bilinear' interpolates. */
  interpolation?: 'nearest' | 'bilinear';
}

/**
 * Enlarges images by whole factors: `[N, H, W, C]` -> `[N, H * sh, W * sw, C]`.
 *
 * ```ts
 * const layer = new nr.layers.UpSampling2D({ size: 2 });
 * layer.apply(nr.ones([1, 3, 4, 2])).shape; // [1, 6, 8, 2]
 * ```
 */
export class UpSampling2D extends ImageLayer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly size: readonly [number, number];
  readonly interpolation: 'nearest' | 'bilinear';

  constructor(size: IntPair, options?: Omit<UpSampling2DOptions, 'size'>);
  constructor(options?: UpSampling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<UpSampling2DOptions>();
    this.size = Object.freeze(pairOption(options.size ?? 2, this.where, 'size'));
    this.interpolation = options.interpolation ?? 'nearest';
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    return upSample2dParsed(this.where, inputs, this.size[0], this.size[1], this.interpolation);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, h, w, c] = imageShape(inputShape, this.where);
    return [n!, h === null ? null : h! * this.size[0], w === null ? null : w! * this.size[1], c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: [...this.size], interpolation: this.interpolation };
  }
}
declareLayerOptions(UpSampling2D, {
  positional: ['size'],
  keys: { size: is.any, interpolation: is.oneOf('nearest', 'bilinear') } satisfies OwnOptionChecks<UpSampling2DOptions, ImageLayerOptions>,
});
registerLayer(UpSampling2D, 'UpSampling2D');
