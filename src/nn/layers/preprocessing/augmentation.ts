import { Random, configError, formatShape, globalRandom, is, shapeError, show } from '../../../core/index.js';
import { tensor, type Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  registerLayer,
  type InputSpec,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';
import { IMAGE_INPUT_SPEC, floatInput, imageShape } from '../spatial.js';
import {
  checkTransformOptions,
  rotationTransform,
  transformImages,
  translationTransform,
  zoomTransform,
  type FillMode,
  type Interpolation,
} from './transform.js';

/*
 * Data augmentation layers (Keras 3's preprocessing family): each draws random parameters per
 * image and acts only in training (inside `fit`, or with `{training: true}`); otherwise it returns
 * its input unchanged, so `predict` and `evaluate` see the real images and gradients pass through.
 * Input and output `[N, H, W, C]`, or one image `[H, W, C]` when called on a tensor (as Keras
 * accepts an unbatched image; in a model the batch axis is always there). Random draws come from the layer's own stream when it has a
 * `seed`, else from the global stream that `nr.setSeed` seeds.
 */

export interface AugmentationOptions extends LayerOptions {
  /** Seed of this layer's own random stream (default: the global stream). */
  seed?: number | null;
}

/** A factor given as one number `f` (meaning `[-f, f]`, or `[f, f]` when `symmetric` is false) or `[lower, upper]`. */
export type Factor = number | readonly [number, number];

/** The base of the augmentation layers: seed handling, the training switch, the image check. */
export abstract class RandomAugmentation extends Layer {
  /** None for `apply` to check: `call` takes rank 3 or 4 and checks the rank itself. */
  override get inputSpec(): InputSpec | null {
    return null;
  }

  readonly seed: number | null;
  private readonly ownRandom: Random | null;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<AugmentationOptions>();
    this.seed = options.seed ?? null;
    if (this.seed !== null && !Number.isFinite(this.seed)) {
      throw configError(this.where, { expected: 'seed must be a finite number', got: show(this.seed) });
    }
    this.ownRandom = this.seed === null ? null : new Random(this.seed);
  }

  protected get where(): string {
    return `${this.className} "${this.name}"`;
  }

  protected get random(): Random {
    return this.ownRandom ?? globalRandom();
  }

  /** Uniform in [low, high). */
  protected uniform(low: number, high: number): number {
    return low + (high - low) * this.random.next();
  }

  /**
   * `[lower, upper]` from a Factor, checked against [min, max]; `rule` words the bounds in errors
   * (default: from min and max).
   */
  protected factorRange(value: unknown, option: string, min: number, max: number, rule?: string): [number, number] {
    if (value === undefined || value === null) {
      throw configError(this.where, {
        expected: `option ${option} is required: a number f (drawn from [-f, f]) or a pair [lower, upper]`,
      });
    }
    const range = typeof value === 'number' ? [-Math.abs(value), Math.abs(value)] : value;
    if (
      !Array.isArray(range) ||
      range.length !== 2 ||
      range.some((v) => typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) ||
      range[0] > range[1]
    ) {
      const bounds =
        rule ??
        (Number.isFinite(min) && Number.isFinite(max)
          ? `values in [${min}, ${max}]`
          : Number.isFinite(min)
            ? `values >= ${min}`
            : 'finite values');
      throw configError(this.where, {
        expected: `${option} must be a number or a pair [lower, upper] (lower <= upper) with ${bounds}`,
        got: show(value),
      });
    }
    return [range[0], range[1]];
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (inputs.rank === 3) {
      // One image [H, W, C]: augmented as a batch of one, returned without the batch axis.
      if (!options.training) return inputs;
      return this.augment(floatInput(inputs, this.dtype).reshape([1, ...inputs.shape])).reshape([...inputs.shape]);
    }
    if (inputs.rank !== 4) {
      throw shapeError(this.where, {
        expected: `expected input of rank 4 [${IMAGE_INPUT_SPEC.axes}] or one image of rank 3 [height, width, channels]`,
        got: formatShape(inputs.shape),
        hint: IMAGE_INPUT_SPEC.hint!(inputs.rank).replace(/^; /, ''),
      });
    }
    return options.training ? this.augment(floatInput(inputs, this.dtype)) : inputs;
  }

  /** The random transformation of a batch (training only). */
  protected abstract augment(inputs: Tensor): Tensor;

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return imageShape(inputShape, this.where);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seed };
  }
}
declareLayerOptions(RandomAugmentation, {
  keys: { seed: is.nullable(is.number) } satisfies OwnOptionChecks<AugmentationOptions, LayerOptions>,
});

export type FlipMode = 'horizontal' | 'vertical' | 'horizontal_and_vertical';

export interface RandomFlipOptions extends AugmentationOptions {
  /** Which flips to draw, each with probability 1/2 per image (default 'horizontal_and_vertical'). */
  mode?: FlipMode;
}

/**
 * Flips each image left-right ('horizontal') and/or top-bottom ('vertical'), each with
 * probability 1/2, in training only.
 *
 * ```ts
 * const flip = new nr.layers.RandomFlip({ mode: 'horizontal', seed: 1 });
 * flip.apply(nr.randu([4, 8, 8, 3]), { training: true }).shape; // [4, 8, 8, 3]
 * ```
 */
export class RandomFlip extends RandomAugmentation {
  readonly mode: FlipMode;

  constructor(mode: FlipMode, options?: Omit<RandomFlipOptions, 'mode'>);
  constructor(options?: RandomFlipOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RandomFlipOptions>();
    this.mode = options.mode ?? 'horizontal_and_vertical';
    if (!['horizontal', 'vertical', 'horizontal_and_vertical'].includes(this.mode)) {
      throw configError(this.where, {
        expected: "mode must be 'horizontal', 'vertical' or 'horizontal_and_vertical'",
        got: show(options.mode),
      });
    }
  }

  protected augment(inputs: Tensor): Tensor {
    const [n, height, width, channels] = inputs.shape as [number, number, number, number];
    const input = inputs.data();
    const output = new Float64Array(input.length);
    const size = height * width * channels;
    for (let b = 0; b < n; b++) {
      const flipColumns = this.mode !== 'vertical' && this.random.next() < 0.5;
      const flipRows = this.mode !== 'horizontal' && this.random.next() < 0.5;
      for (let y = 0; y < height; y++) {
        const fromRow = flipRows ? height - 1 - y : y;
        for (let x = 0; x < width; x++) {
          const from = b * size + (fromRow * width + (flipColumns ? width - 1 - x : x)) * channels;
          const to = b * size + (y * width + x) * channels;
          for (let c = 0; c < channels; c++) output[to + c] = input[from + c]!;
        }
      }
    }
    return tensor(output, inputs.shape, inputs.dtype);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), mode: this.mode };
  }
}
declareLayerOptions(RandomFlip, {
  positional: ['mode'],
  keys: { mode: is.oneOf('horizontal', 'vertical', 'horizontal_and_vertical') } satisfies OwnOptionChecks<
    RandomFlipOptions,
    AugmentationOptions
  >,
});
registerLayer(RandomFlip, 'RandomFlip');

/** Options of the layers that resample images (translation, rotation, zoom). */
export interface ResamplingOptions extends AugmentationOptions {
  /** How points outside the image are filled (default 'reflect'). */
  fillMode?: FillMode;
  /** 'bilinear' (default) or 'nearest'. */
  interpolation?: Interpolation;
  /** The value outside the image for fillMode 'constant' (default 0). */
  fillValue?: number;
}

abstract class ResamplingAugmentation extends RandomAugmentation {
  readonly fillMode: FillMode;
  readonly interpolation: Interpolation;
  readonly fillValue: number;

  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ResamplingOptions>();
    ({
      fillMode: this.fillMode,
      interpolation: this.interpolation,
      fillValue: this.fillValue,
    } = checkTransformOptions(options, this.where));
  }

  /** The transform of one image of the given size. */
  protected abstract drawTransform(height: number, width: number): number[];

  protected augment(inputs: Tensor): Tensor {
    const [n, height, width] = inputs.shape as [number, number, number, number];
    const transforms = Array.from({ length: n }, () => this.drawTransform(height, width));
    return transformImages(inputs, transforms, { fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue });
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fillMode: this.fillMode, interpolation: this.interpolation, fillValue: this.fillValue };
  }
}
declareLayerOptions(ResamplingAugmentation, {
  keys: { fillMode: is.string, interpolation: is.string, fillValue: is.number } satisfies OwnOptionChecks<
    ResamplingOptions,
    AugmentationOptions
  >,
});

export interface RandomTranslationOptions extends ResamplingOptions {
  /** Vertical shift as a fraction of the height: `f` means [-f, f], or `[lower, upper]`; within [-1, 1]. */
  heightFactor: Factor;
  /** Horizontal shift as a fraction of the width, the same forms. */
  widthFactor: Factor;
}

/**
 * Shifts each image by a random fraction of its height and width (drawn uniformly per image), in
 * training only; uncovered pixels are filled by `fillMode` (default 'reflect').
 *
 * ```ts
 * const shift = new nr.layers.RandomTranslation({ heightFactor: 0.1, widthFactor: 0.1, fillMode: 'constant' });
 * shift.apply(nr.randu([2, 16, 16, 3]), { training: true }).shape; // [2, 16, 16, 3]
 * ```
 */
export class RandomTranslation extends ResamplingAugmentation {
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number];

  constructor(heightFactor: Factor, widthFactor: Factor, options?: Omit<RandomTranslationOptions, 'heightFactor' | 'widthFactor'>);
  constructor(options: RandomTranslationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RandomTranslationOptions>();
    this.heightFactor = this.factorRange(options.heightFactor, 'heightFactor', -1, 1);
    this.widthFactor = this.factorRange(options.widthFactor, 'widthFactor', -1, 1);
  }

  protected drawTransform(height: number, width: number): number[] {
    const dy = this.uniform(...this.heightFactor) * height;
    const dx = this.uniform(...this.widthFactor) * width;
    return translationTransform(dx, dy);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: [...this.heightFactor], widthFactor: [...this.widthFactor] };
  }
}
declareLayerOptions(RandomTranslation, {
  positional: ['heightFactor', 'widthFactor'],
  keys: { heightFactor: is.any, widthFactor: is.any } satisfies OwnOptionChecks<RandomTranslationOptions, ResamplingOptions>,
});
registerLayer(RandomTranslation, 'RandomTranslation');

export interface RandomRotationOptions extends ResamplingOptions {
  /** Angle as a fraction of a full turn (2 pi): `f` means [-f, f], or `[lower, upper]`. */
  factor: Factor;
}

/**
 * Rotates each image about its centre by a random angle (a fraction of 2 pi, drawn uniformly per
 * image), in training only. `factor: 0.1` rotates by up to +-36 degrees.
 *
 * ```ts
 * const rotate = new nr.layers.RandomRotation({ factor: 0.1 });
 * rotate.apply(nr.randu([2, 16, 16, 3]), { training: true }).shape; // [2, 16, 16, 3]
 * ```
 */
export class RandomRotation extends ResamplingAugmentation {
  readonly factor: [number, number];

  constructor(factor: Factor, options?: Omit<RandomRotationOptions, 'factor'>);
  constructor(options: RandomRotationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RandomRotationOptions>();
    this.factor = this.factorRange(options.factor, 'factor', -Infinity, Infinity);
  }

  protected drawTransform(height: number, width: number): number[] {
    return rotationTransform(this.uniform(...this.factor) * 2 * Math.PI, height, width);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: [...this.factor] };
  }
}
declareLayerOptions(RandomRotation, {
  positional: ['factor'],
  keys: { factor: is.any } satisfies OwnOptionChecks<RandomRotationOptions, ResamplingOptions>,
});
registerLayer(RandomRotation, 'RandomRotation');

export interface RandomZoomOptions extends ResamplingOptions {
  /**
   * Zoom of the height as a fraction: positive zooms out, negative zooms in; `f` means [-f, f], or
   * `[lower, upper]` (each > -1). The image is scaled by `1 + value`.
   */
  heightFactor: Factor;
  /** Zoom of the width, the same forms (default: the height's zoom, keeping the aspect ratio). */
  widthFactor?: Factor | null;
}

/**
 * Zooms each image in or out about its centre by a random amount, in training only.
 *
 * ```ts
 * const zoom = new nr.layers.RandomZoom({ heightFactor: [-0.2, 0.2] });
 * zoom.apply(nr.randu([2, 16, 16, 3]), { training: true }).shape; // [2, 16, 16, 3]
 * ```
 */
export class RandomZoom extends ResamplingAugmentation {
  readonly heightFactor: [number, number];
  readonly widthFactor: [number, number] | null;

  constructor(heightFactor: Factor, widthFactor?: Factor | null, options?: Omit<RandomZoomOptions, 'heightFactor' | 'widthFactor'>);
  constructor(options: RandomZoomOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RandomZoomOptions>();
    // A zoom of exactly -1 would sample a single point; Keras also requires > -1.
    this.heightFactor = this.factorRange(options.heightFactor, 'heightFactor', -0.999999, Infinity, 'values > -1');
    this.widthFactor =
      options.widthFactor === undefined || options.widthFactor === null
        ? null
        : this.factorRange(options.widthFactor, 'widthFactor', -0.999999, Infinity, 'values > -1');
  }

  protected drawTransform(height: number, width: number): number[] {
    const heightZoom = 1 + this.uniform(...this.heightFactor);
    const widthZoom = this.widthFactor ? 1 + this.uniform(...this.widthFactor) : heightZoom;
    return zoomTransform(heightZoom, widthZoom, height, width);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), heightFactor: [...this.heightFactor], widthFactor: this.widthFactor ? [...this.widthFactor] : null };
  }
}
declareLayerOptions(RandomZoom, {
  positional: ['heightFactor', 'widthFactor'],
  keys: { heightFactor: is.any, widthFactor: is.any } satisfies OwnOptionChecks<RandomZoomOptions, ResamplingOptions>,
});
registerLayer(RandomZoom, 'RandomZoom');

export interface RandomContrastOptions extends AugmentationOptions {
  /** Contrast factor range: `f` means [1 - f, 1 + f]; `[lower, upper]` means [1 - lower, 1 + upper]. Values in [0, 1]. */
  factor: Factor;
  /** The images' value range; outputs are clipped to it (default [0, 255], as Keras). */
  valueRange?: readonly [number, number];
}

/**
 * Scales each image's contrast by a random factor: per image and channel,
 * `(x - mean) * factor + mean` with the mean over height and width, then clipped to `valueRange`.
 * In training only.
 *
 * ```ts
 * const contrast = new nr.layers.RandomContrast({ factor: 0.2, valueRange: [0, 1] });
 * contrast.apply(nr.randu([2, 8, 8, 3]), { training: true }).shape; // [2, 8, 8, 3]
 * ```
 */
export class RandomContrast extends RandomAugmentation {
  readonly factor: [number, number];
  readonly valueRange: [number, number];

  constructor(factor: Factor, options?: Omit<RandomContrastOptions, 'factor'>);
  constructor(options: RandomContrastOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RandomContrastOptions>();
    const factor = options.factor;
    if (factor === undefined || factor === null) {
      throw configError(this.where, {
        expected: 'option factor is required: a number f in [0, 1] (drawn from [1 - f, 1 + f]) or a pair [lower, upper]',
      });
    }
    // Keras: one number f means lower = upper = f, so the factor is drawn from [1 - f, 1 + f].
    const pair = typeof factor === 'number' ? [factor, factor] : factor;
    if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => typeof v !== 'number' || !(v >= 0 && v <= 1))) {
      throw configError(this.where, { expected: 'factor must be a number in [0, 1] or a pair [lower, upper] of them', got: show(factor) });
    }
    this.factor = [pair[0], pair[1]];
    const range = options.valueRange ?? [0, 255];
    if (!Array.isArray(range) || range.length !== 2 || !range.every(Number.isFinite) || !(range[0] < range[1])) {
      throw configError(this.where, { expected: 'valueRange must be a pair [low, high] with low < high', got: show(options.valueRange) });
    }
    this.valueRange = [range[0], range[1]];
  }

  protected augment(inputs: Tensor): Tensor {
    const n = inputs.shape[0]!;
    const factors = Float64Array.from({ length: n }, () => this.uniform(1 - this.factor[0], 1 + this.factor[1]));
    const factor = tensor(factors, [n, 1, 1, 1], inputs.dtype);
    const mean = ops.mean(inputs, [1, 2], true);
    return ops.clip(ops.add(ops.mul(ops.sub(inputs, mean), factor), mean), this.valueRange[0], this.valueRange[1]);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), factor: [...this.factor], valueRange: [...this.valueRange] };
  }
}
declareLayerOptions(RandomContrast, {
  positional: ['factor'],
  keys: { factor: is.any, valueRange: is.any } satisfies OwnOptionChecks<RandomContrastOptions, AugmentationOptions>,
});
registerLayer(RandomContrast, 'RandomContrast');
