import { checkTensorSize, configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import { tensor, type Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { INTERPOLATIONS, resizeTapRows, type Interpolation } from '../../../io/image-resize.js';
import {
  Layer,
  registerLayer,
  type CallOptions,
  type InputSpec,
  type LayerOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';
import { IMAGE_INPUT_SPEC, checkDataFormat, floatInput, imageShape, type ImageLayerOptions } from '../spatial.js';

/*
 * Image resizing as Keras 3 does it on TensorFlow (`tf.image.resize`, antialias off): half-pixel
 * centres, so output pixel o samples input position (o + 0.5) * in / out - 0.5. Each axis is
 * resized separately, as a weighted sum of a few gathered rows (or columns): the weights depend only
 * on the sizes, so the resize is linear in the image and its gradient comes from gather and mul.
 *   bilinear  2 taps, clamped at the border (= PyTorch's interpolate, align_corners=False)
 *   nearest   the pixel at floor((o + 0.5) * in / out) (= PyTorch's 'nearest-exact')
 *   bicubic   4 taps of Keys's cubic (a = -0.5); taps outside the image get weight 0 and the rest
 *             are renormalised, and the fraction is rounded to 1/1024, as TensorFlow's table does
 *   area      each output averages the input interval it covers, partial pixels by their overlap
 */

export type ResizeInterpolation = Interpolation;
export const RESIZE_INTERPOLATIONS: readonly ResizeInterpolation[] = INTERPOLATIONS;

/** For one axis, `taps` lists of (input index, weight) per output position. */
export interface AxisTaps {
  readonly indices: Int32Array[];
  readonly weights: Float64Array[];
}

/** The taps of Keras/TF's half-pixel resize of one axis (the decoder's rule, src/io/image-resize.ts). */
export function resizeAxisTaps(inSize: number, outSize: number, method: ResizeInterpolation): AxisTaps {
  const rows = resizeTapRows(inSize, outSize, method);
  return packTaps(
    rows.map((row) => [row.map(([i]) => i), row.map(([, w]) => w)]),
    outSize,
  );
}

/** Per-output (indices, weights) lists as `taps` arrays of one entry per output; missing taps get weight 0. */
export function packTaps(perOutput: readonly (readonly [readonly number[], readonly number[]])[], outSize: number): AxisTaps {
  const taps = Math.max(...perOutput.map(([indices]) => indices.length));
  const indices = Array.from({ length: taps }, () => new Int32Array(outSize));
  const weights = Array.from({ length: taps }, () => new Float64Array(outSize));
  perOutput.forEach(([i, w], o) => {
    for (let k = 0; k < i.length; k++) {
      indices[k]![o] = i[k]!;
      weights[k]![o] = w[k]!;
    }
  });
  return { indices, weights };
}

/**
 * `sum_k images[..., indices[k][o], ...] * weights[k][o]` along axis 1 (height) or 2 (width) of NHWC
 * images: a resize or an adaptive pooling of that axis, linear in the images.
 */
export function gatherWeighted(images: Tensor, axis: 1 | 2, { indices, weights }: AxisTaps, unitWeights = false): Tensor {
  const size = indices[0]!.length;
  const weightShape = axis === 1 ? [size, 1, 1] : [size, 1];
  let out: Tensor | null = null;
  for (let k = 0; k < indices.length; k++) {
    const gathered = ops.gather(images, tensor(indices[k]!, [size], 'int32'), axis);
    const term = unitWeights ? gathered : ops.mul(gathered, tensor(weights[k]!, weightShape, images.dtype));
    out = out === null ? term : ops.add(out, term);
  }
  return out!;
}

/** Resizes axis 1 (height) or 2 (width) of NHWC images to `size`. */
function resizeAxis(images: Tensor, axis: 1 | 2, size: number, method: ResizeInterpolation): Tensor {
  const inSize = images.shape[axis]!;
  return inSize === size ? images : gatherWeighted(images, axis, resizeAxisTaps(inSize, size, method), method === 'nearest');
}

/**
 * Resizes NHWC float images to `[height, width]` as `tf.image.resize` does without antialiasing (see
 * the interpolations above). Differentiable with respect to the images.
 *
 * ```ts
 * const x = nr.tensor([0, 10, 20, 30], [1, 2, 2, 1]);
 * nr.layers.resizeImages(x, [4, 4]).shape; // [1, 4, 4, 1]
 * ```
 */
export function resizeImages(images: Tensor, size: readonly [number, number], interpolation: ResizeInterpolation = 'bilinear'): Tensor {
  if (images.rank !== 4) {
    throw shapeError('resizeImages', { expected: 'expected images [batch, height, width, channels]', got: formatShape(images.shape) });
  }
  if (!RESIZE_INTERPOLATIONS.includes(interpolation)) {
    throw configError('resizeImages', {
      expected: `interpolation must be one of ${quoted(RESIZE_INTERPOLATIONS)}`,
      got: show(interpolation),
    });
  }
  if (!size.every((d) => Number.isInteger(d) && d > 0) || images.shape[1] === 0 || images.shape[2] === 0) {
    throw shapeError('resizeImages', {
      expected: 'a positive target size and non-empty images',
      got: `size ${show(size)}, images ${formatShape(images.shape)}`,
    });
  }
  const [n, , , c] = images.shape as [number, number, number, number];
  checkTensorSize(n * size[0] * size[1] * c, images.dtype, `resizeImages: the output [${n}, ${size[0]}, ${size[1]}, ${c}]`);
  return resizeAxis(resizeAxis(images, 1, size[0], interpolation), 2, size[1], interpolation);
}

const quoted = (values: readonly string[]) => values.map((v) => `'${v}'`).join(', ');

/** Keras's crop (or pad) box for the target aspect ratio: sizes in float32 arithmetic, truncated, at least 1. */
function aspectBox(height: number, width: number, targetHeight: number, targetWidth: number, grow: boolean) {
  const f = Math.fround;
  let boxHeight = Math.trunc(f(f(width * targetHeight) / targetWidth));
  let boxWidth = Math.trunc(f(f(height * targetWidth) / targetHeight));
  boxHeight = grow ? Math.max(height, boxHeight) : Math.max(Math.min(height, boxHeight), 1);
  boxWidth = grow ? Math.max(width, boxWidth) : Math.max(Math.min(width, boxWidth), 1);
  return { boxHeight, boxWidth };
}

/** The centred window of the target aspect ratio, then the resize (Keras's smart_resize, and cropToAspectRatio). */
function cropThenResize(images: Tensor, height: number, width: number, interpolation: ResizeInterpolation): Tensor {
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const { boxHeight, boxWidth } = aspectBox(h, w, height, width, false);
  const top = Math.trunc((h - boxHeight) / 2);
  const left = Math.trunc((w - boxWidth) / 2);
  const cropped = boxHeight === h && boxWidth === w ? images : ops.slice(images, [0, top, left, 0], [n, boxHeight, boxWidth, c]);
  return resizeImages(cropped, [height, width], interpolation);
}

/** The options of the layers that output images of a fixed size. */
export interface SizedImageOptions extends ImageLayerOptions {
  /** Output height. */
  height: number;
  /** Output width. */
  width: number;
}

/**
 * Resizing and CenterCrop: the target size, read and checked once; the output shape; and, as
 * Keras's image preprocessing layers, one image `[H, W, C]` when called on a tensor (a model's
 * symbolic input always has the batch axis).
 */
abstract class SizedImageLayer extends Layer {
  readonly height: number;
  readonly width: number;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<SizedImageOptions>();
    checkDataFormat(options.dataFormat, this.where);
    for (const key of ['height', 'width'] as const) {
      if (!Number.isInteger(options[key]) || options[key] < 1) {
        throw configError(this.where, { expected: `${key} must be a positive integer`, got: show(options[key]) });
      }
    }
    this.height = options.height;
    this.width = options.width;
  }

  protected get where(): string {
    return `${this.className} "${this.name}"`;
  }

  /** None for `apply` to check: `call` takes rank 3 or 4 and checks the rank itself. */
  override get inputSpec(): InputSpec | null {
    return null;
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (inputs.rank === 3) {
      const out = this.resize(floatInput(inputs, this.dtype).reshape([1, ...inputs.shape]));
      return out.reshape(out.shape.slice(1));
    }
    if (inputs.rank !== 4) {
      throw shapeError(this.where, {
        expected: `expected input of rank 4 [${IMAGE_INPUT_SPEC.axes}] or one image of rank 3 [height, width, channels]`,
        got: formatShape(inputs.shape),
        hint: IMAGE_INPUT_SPEC.hint!(inputs.rank).replace(/^; /, ''),
      });
    }
    return this.resize(floatInput(inputs, this.dtype));
  }

  /** The float images `[N, H, W, C]` at the target size. */
  protected abstract resize(images: Tensor): Tensor;

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = imageShape(inputShape, this.where);
    return [n!, this.height, this.width, c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), height: this.height, width: this.width };
  }
}
declareLayerOptions(SizedImageLayer, {
  positional: ['height', 'width'],
  keys: { height: is.any, width: is.any, dataFormat: is.any } satisfies OwnOptionChecks<SizedImageOptions, LayerOptions>,
});

export interface ResizingOptions extends SizedImageOptions {
  /** 'bilinear' (default), 'nearest', 'bicubic' or 'area'. */
  interpolation?: ResizeInterpolation;
  /** Crop the largest centred window of the output's aspect ratio first, so nothing is stretched (default false). */
  cropToAspectRatio?: boolean;
  /** Pad the images (with fillValue) to the output's aspect ratio first, so nothing is cut (default false). */
  padToAspectRatio?: boolean;
  /** Only 'constant' (Keras's only choice for Resizing). */
  fillMode?: 'constant';
  /** The padding value for padToAspectRatio (default 0). */
  fillValue?: number;
  /** Only false: the resize does not low-pass filter when downscaling (Keras's default). */
  antialias?: boolean;
}

/**
 * Resizes images to `[height, width]`, in training and inference, as Keras 3's Resizing on
 * TensorFlow does: `[N, H, W, C]` -> `[N, height, width, C]`, float output (raw integer pixels are
 * cast first). `cropToAspectRatio` crops the largest centred window with the output's aspect ratio
 * before resizing; `padToAspectRatio` pads to it with `fillValue`.
 *
 * ```ts
 * const resize = new nr.layers.Resizing({ height: 64, width: 64, cropToAspectRatio: true });
 * resize.apply(nr.ones([2, 120, 160, 3])).shape; // [2, 64, 64, 3] (from the centred 120 x 120 window)
 * ```
 */
export class Resizing extends SizedImageLayer {
  readonly interpolation: ResizeInterpolation;
  readonly cropToAspectRatio: boolean;
  readonly padToAspectRatio: boolean;
  readonly fillValue: number;

  constructor(height: number, width: number, options?: Omit<ResizingOptions, 'height' | 'width'>);
  constructor(options: ResizingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ResizingOptions>();
    this.interpolation = options.interpolation ?? 'bilinear';
    if (!RESIZE_INTERPOLATIONS.includes(this.interpolation)) {
      throw configError(this.where, {
        expected: `interpolation must be one of ${quoted(RESIZE_INTERPOLATIONS)}`,
        got: show(options.interpolation),
        hint: 'lanczos and gaussian kernels are not implemented',
      });
    }
    this.cropToAspectRatio = options.cropToAspectRatio ?? false;
    this.padToAspectRatio = options.padToAspectRatio ?? false;
    this.fillValue = options.fillValue ?? 0;
    if (this.cropToAspectRatio && this.padToAspectRatio) {
      throw configError(this.where, { expected: 'only one of cropToAspectRatio and padToAspectRatio can be true' });
    }
    if ((options.fillMode ?? 'constant') !== 'constant') {
      throw configError(this.where, {
        expected: "fillMode must be 'constant' (the only one Resizing pads with)",
        got: show(options.fillMode),
      });
    }
    if (!Number.isFinite(this.fillValue))
      throw configError(this.where, { expected: 'fillValue must be a finite number', got: show(this.fillValue) });
    if (options.antialias === true) {
      throw configError(this.where, {
        expected: 'antialias is not supported',
        hint: "for a downscale that averages every input pixel, use interpolation 'area'",
      });
    }
  }

  protected resize(images: Tensor): Tensor {
    if (this.cropToAspectRatio) return cropThenResize(images, this.height, this.width, this.interpolation);
    if (this.padToAspectRatio) {
      const [, h, w] = images.shape as [number, number, number, number];
      const { boxHeight, boxWidth } = aspectBox(h, w, this.height, this.width, true);
      // As Keras, the same amount on both sides (an odd remainder is dropped).
      const top = Math.trunc((boxHeight - h) / 2);
      const left = Math.trunc((boxWidth - w) / 2);
      const padded =
        top > 0 || left > 0
          ? ops.pad(
              images,
              [
                [0, 0],
                [top, top],
                [left, left],
                [0, 0],
              ],
              this.fillValue,
            )
          : images;
      return resizeImages(padded, [this.height, this.width], this.interpolation);
    }
    return resizeImages(images, [this.height, this.width], this.interpolation);
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      interpolation: this.interpolation,
      cropToAspectRatio: this.cropToAspectRatio,
      padToAspectRatio: this.padToAspectRatio,
      fillMode: 'constant',
      fillValue: this.fillValue,
      antialias: false,
    };
  }
}
declareLayerOptions(Resizing, {
  keys: {
    interpolation: is.any,
    cropToAspectRatio: is.boolean,
    padToAspectRatio: is.boolean,
    fillMode: is.any,
    fillValue: is.number,
    antialias: is.boolean,
  } satisfies OwnOptionChecks<ResizingOptions, SizedImageOptions>,
});
registerLayer(Resizing, 'Resizing');

export type CenterCropOptions = SizedImageOptions;

/**
 * Keras 3's CenterCrop: the centred `[height, width]` window of each image (the top-left one of the
 * two middles when the difference is odd). An image smaller than that on either axis is instead
 * cropped to the output's aspect ratio and resized (bilinear), as Keras does. `[N, H, W, C]` ->
 * `[N, height, width, C]`, float output.
 *
 * ```ts
 * const crop = new nr.layers.CenterCrop({ height: 224, width: 224 });
 * crop.apply(nr.ones([1, 256, 320, 3])).shape; // [1, 224, 224, 3]
 * ```
 */
export class CenterCrop extends SizedImageLayer {
  constructor(height: number, width: number, options?: Omit<CenterCropOptions, 'height' | 'width'>);
  constructor(options: CenterCropOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  protected resize(images: Tensor): Tensor {
    const [n, h, w, c] = images.shape as [number, number, number, number];
    if (h < this.height || w < this.width) return cropThenResize(images, this.height, this.width, 'bilinear');
    const top = Math.floor((h - this.height) / 2);
    const left = Math.floor((w - this.width) / 2);
    return ops.slice(images, [0, top, left, 0], [n, this.height, this.width, c]);
  }
}
declareLayerOptions(CenterCrop, {});
registerLayer(CenterCrop, 'CenterCrop');
