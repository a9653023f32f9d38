import { ConfigError, ShapeError, is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, formatLayerShape, registerLayer, type InputSpec, type CallOptions, type LayerOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { IMAGE_INPUT_SPEC, checkDataFormat, intPair, pairOfPairs, requireImages, type IntPair, type PairOfPairs } from '../spatial.js';

/* Layers that change the height and width of NHWC images without weights. */

const grow = (d: number | null, by: number) => (d === null ? null : d + by);

export interface ZeroPadding2DOptions extends LayerOptions {
  /** An int (all four sides), `[height, width]` (top = bottom, left = right) or `[[top, bottom], [left, right]]`. Default 1. */
  padding?: PairOfPairs;
  dataFormat?: 'channels_last';
}

/**
 * Pads images with zeros: `[N, H, W, C]` -> `[N, H + top + bottom, W + left + right, C]`.
 *
 * ```ts
 * const layer = new nr.layers.ZeroPadding2D({ padding: 2 });
 * layer.apply(nr.ones([1, 28, 28, 1])).shape; // [1, 32, 32, 1]
 * ```
 */
export class ZeroPadding2D extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly padding: [[number, number], [number, number]];

  constructor(padding: PairOfPairs, options?: Omit<ZeroPadding2DOptions, 'padding'>);
  constructor(options?: ZeroPadding2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ZeroPadding2DOptions>();
    checkDataFormat(options.dataFormat, `ZeroPadding2D "${this.name}"`);
    this.padding = pairOfPairs(options.padding ?? 1, 'padding', `ZeroPadding2D "${this.name}"`);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    requireImages(inputs, `ZeroPadding2D "${this.name}"`);
    return ops.pad(inputs, [[0, 0], this.padding[0], this.padding[1], [0, 0]]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, h, w, c] = requireImages(inputShape, `ZeroPadding2D "${this.name}"`);
    return [n!, grow(h!, this.padding[0][0] + this.padding[0][1]), grow(w!, this.padding[1][0] + this.padding[1][1]), c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), padding: this.padding.map((p) => [...p]) };
  }
}
declareLayerOptions(ZeroPadding2D, { positional: ['padding'], keys: { padding: is.any, dataFormat: is.any } satisfies OwnOptionChecks<ZeroPadding2DOptions, LayerOptions> });
registerLayer(ZeroPadding2D);

export interface Cropping2DOptions extends LayerOptions {
  /** An int (all four sides), `[height, width]` or `[[top, bottom], [left, right]]`. Default 0. */
  cropping?: PairOfPairs;
  dataFormat?: 'channels_last';
}

/**
 * Crops rows and columns off the borders: `[N, H, W, C]` -> `[N, H - top - bottom, W - left - right, C]`.
 *
 * ```ts
 * const layer = new nr.layers.Cropping2D({ cropping: [[1, 1], [2, 0]] });
 * layer.apply(nr.ones([1, 5, 5, 3])).shape; // [1, 3, 3, 3]
 * ```
 */
export class Cropping2D extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly cropping: [[number, number], [number, number]];

  constructor(cropping: PairOfPairs, options?: Omit<Cropping2DOptions, 'cropping'>);
  constructor(options?: Cropping2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<Cropping2DOptions>();
    checkDataFormat(options.dataFormat, `Cropping2D "${this.name}"`);
    this.cropping = pairOfPairs(options.cropping ?? 0, 'cropping', `Cropping2D "${this.name}"`);
  }

  override build(inputShape: LayerShape): void {
    this.computeOutputShape(inputShape);
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const [, h, w] = this.computeOutputShape(inputs.shape) as number[];
    return ops.slice(inputs, [0, this.cropping[0][0], this.cropping[1][0], 0], [-1, h!, w!, -1]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, h, w, c] = requireImages(inputShape, `Cropping2D "${this.name}"`);
    const out = [grow(h!, -this.cropping[0][0] - this.cropping[0][1]), grow(w!, -this.cropping[1][0] - this.cropping[1][1])];
    if (out.some((d) => d !== null && d < 1)) {
      throw new ShapeError(`Cropping2D "${this.name}": cropping ${JSON.stringify(this.cropping)} removes all of the input ${formatLayerShape(inputShape)}; `
        + 'crop less than the height and width');
    }
    return [n!, out[0]!, out[1]!, c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), cropping: this.cropping.map((p) => [...p]) };
  }
}
declareLayerOptions(Cropping2D, { positional: ['cropping'], keys: { cropping: is.any, dataFormat: is.any } satisfies OwnOptionChecks<Cropping2DOptions, LayerOptions> });
registerLayer(Cropping2D);

export interface UpSampling2DOptions extends LayerOptions {
  /** Factor for rows and columns: an int or `[height, width]` (default 2). */
  size?: IntPair;
  /** 'nearest' repeats pixels (default); 'bilinear' interpolates. */
  interpolation?: 'nearest' | 'bilinear';
  dataFormat?: 'channels_last';
}

/**
 * Enlarges images by whole factors: `[N, H, W, C]` -> `[N, H * sh, W * sw, C]`.
 *
 * ```ts
 * const layer = new nr.layers.UpSampling2D({ size: 2 });
 * layer.apply(nr.ones([1, 3, 4, 2])).shape; // [1, 6, 8, 2]
 * ```
 */
export class UpSampling2D extends Layer {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  readonly size: [number, number];
  readonly interpolation: 'nearest' | 'bilinear';

  constructor(size: IntPair, options?: Omit<UpSampling2DOptions, 'size'>);
  constructor(options?: UpSampling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<UpSampling2DOptions>();
    checkDataFormat(options.dataFormat, `UpSampling2D "${this.name}"`);
    this.size = intPair(options.size ?? 2, 'size', `UpSampling2D "${this.name}"`);
    this.interpolation = options.interpolation ?? 'nearest';
    if (this.interpolation !== 'nearest' && this.interpolation !== 'bilinear') {
      throw new ConfigError(`UpSampling2D "${this.name}": interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(options.interpolation)}`);
    }
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    requireImages(inputs, `UpSampling2D "${this.name}"`);
    return ops.upSample2d(inputs, this.size, this.interpolation);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, h, w, c] = requireImages(inputShape, `UpSampling2D "${this.name}"`);
    return [n!, h === null ? null : h! * this.size[0], w === null ? null : w! * this.size[1], c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), size: [...this.size], interpolation: this.interpolation };
  }
}
declareLayerOptions(UpSampling2D, { positional: ['size'], keys: { size: is.any, interpolation: is.string, dataFormat: is.any } satisfies OwnOptionChecks<UpSampling2DOptions, LayerOptions> });
registerLayer(UpSampling2D);
