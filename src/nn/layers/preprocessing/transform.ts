import { configError, formatShape, shapeError, show } from '../../../core/index.js';
import { tensor, type Tensor } from '../../../tensor/index.js';

/*
 * The projective image transform behind RandomTranslation, RandomRotation and RandomZoom (Keras's
 * `affine_transform`). Each image has eight numbers [a0, a1, a2, b0, b1, b2, c0, c1] that map an
 * OUTPUT pixel (x = column, y = row) to the INPUT point it samples:
 *   x_in = (a0 x + a1 y + a2) / k,  y_in = (b0 x + b1 y + b2) / k,  k = c0 x + c1 y + 1.
 * Sampling reads the integer pixels around that point; a pixel outside the image is replaced
 * according to the fill mode, on the integer index (as Keras 3 and scipy's map_coordinates do):
 *   reflect  (d c b a | a b c d | d c b a)   the edge pixel is repeated once, then mirrored
 *   wrap     (a b c d | a b c d | a b c d)
 *   nearest  (a a a a | a b c d | d d d d)
 *   constant (k k k k | a b c d | k k k k)   k = fillValue
 * It runs on plain arrays (`t.data()`): augmentation needs no gradient through its random
 * parameters, and the layers that use it are the identity (with gradients) outside training.
 */

export type FillMode = 'reflect' | 'wrap' | 'constant' | 'nearest';
export type Interpolation = 'bilinear' | 'nearest';

export const FILL_MODES: readonly FillMode[] = ['reflect', 'wrap', 'constant', 'nearest'];
export const INTERPOLATIONS: readonly Interpolation[] = ['bilinear', 'nearest'];

export interface TransformOptions {
  interpolation?: Interpolation;
  fillMode?: FillMode;
  /** The value outside the image for fillMode 'constant' (default 0). */
  fillValue?: number;
}

/** The in-range index for `index` on an axis of `size`, or -1 for "use the fill value". */
function fixIndex(index: number, size: number, mode: FillMode): number {
  if (index >= 0 && index < size) return index;
  switch (mode) {
    case 'constant':
      return -1;
    case 'nearest':
      return index < 0 ? 0 : size - 1;
    case 'wrap':
      return ((index % size) + size) % size;
    case 'reflect': {
      const period = 2 * size;
      const m = ((index % period) + period) % period;
      return m < size ? m : period - 1 - m;
    }
  }
}

/** Checks the options of a layer that transforms images (`where` names it). */
export function checkTransformOptions(options: TransformOptions, where: string): Required<TransformOptions> {
  const fillMode = options.fillMode ?? 'reflect';
  const interpolation = options.interpolation ?? 'bilinear';
  const fillValue = options.fillValue ?? 0;
  if (!FILL_MODES.includes(fillMode)) {
    throw configError(where, {
      expected: `fillMode must be one of ${FILL_MODES.map((m) => `'${m}'`).join(', ')}`,
      got: show(options.fillMode),
    });
  }
  if (!INTERPOLATIONS.includes(interpolation)) {
    throw configError(where, { expected: "interpolation must be 'bilinear' or 'nearest'", got: show(options.interpolation) });
  }
  if (typeof fillValue !== 'number' || !Number.isFinite(fillValue)) {
    throw configError(where, { expected: 'fillValue must be a finite number', got: show(options.fillValue) });
  }
  return { fillMode, interpolation, fillValue };
}

/**
 * Applies one projective transform per image to NHWC `images` (`transforms[n]` has 8 numbers, see
 * above). Returns a new tensor of the same shape and dtype, with no gradient.
 */
export function transformImages(images: Tensor, transforms: readonly (readonly number[])[], options: TransformOptions = {}): Tensor {
  if (images.rank !== 4) {
    throw shapeError('transformImages', { expected: 'expected images [batch, height, width, channels]', got: formatShape(images.shape) });
  }
  const [n, height, width, channels] = images.shape as [number, number, number, number];
  if (transforms.length !== n || transforms.some((t) => t.length !== 8)) {
    const short = transforms.findIndex((t) => t.length !== 8);
    throw shapeError('transformImages', {
      expected: `expected ${n} transforms of 8 numbers (one per image)`,
      got: transforms.length !== n ? String(transforms.length) : `transform ${short} of ${transforms[short]!.length} numbers`,
    });
  }
  const { interpolation, fillMode, fillValue } = checkTransformOptions(options, 'transformImages');
  const input = images.data() as Float32Array | Float64Array;
  const output = new Float64Array(input.length);
  const pixel = (base: number, row: number, column: number, channel: number): number => {
    const r = fixIndex(row, height, fillMode);
    const c = fixIndex(column, width, fillMode);
    return r < 0 || c < 0 ? fillValue : input[base + (r * width + c) * channels + channel]!;
  };
  for (let b = 0; b < n; b++) {
    const [a0, a1, a2, b0, b1, b2, c0, c1] = transforms[b]! as number[];
    const base = b * height * width * channels;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const out = base + (y * width + x) * channels;
        const k = c0! * x + c1! * y + 1;
        if (k === 0) {
          output.fill(fillValue, out, out + channels);
          continue;
        }
        const xIn = (a0! * x + a1! * y + a2!) / k;
        const yIn = (b0! * x + b1! * y + b2!) / k;
        if (interpolation === 'nearest') {
          // Half away from zero, as TensorFlow's kernel rounds.
          const row = Math.sign(yIn) * Math.round(Math.abs(yIn));
          const column = Math.sign(xIn) * Math.round(Math.abs(xIn));
          for (let ch = 0; ch < channels; ch++) output[out + ch] = pixel(base, row, column, ch);
          continue;
        }
        const row0 = Math.floor(yIn);
        const column0 = Math.floor(xIn);
        const dy = yIn - row0;
        const dx = xIn - column0;
        for (let ch = 0; ch < channels; ch++) {
          const top = (1 - dx) * pixel(base, row0, column0, ch) + dx * pixel(base, row0, column0 + 1, ch);
          const bottom = (1 - dx) * pixel(base, row0 + 1, column0, ch) + dx * pixel(base, row0 + 1, column0 + 1, ch);
          output[out + ch] = (1 - dy) * top + dy * bottom;
        }
      }
    }
  }
  return tensor(output, images.shape, images.dtype);
}

/** Translation by `dx` columns and `dy` rows (content moves right and down for positive values). */
export function translationTransform(dx: number, dy: number): number[] {
  return [1, 0, -dx, 0, 1, -dy, 0, 0];
}

/**
 * Rotation by `angle` radians about the image centre (Keras's matrix; positive turns the content
 * counter-clockwise as displayed, rows going down).
 */
export function rotationTransform(angle: number, height: number, width: number): number[] {
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const xOffset = (width - 1 - (cos * (width - 1) - sin * (height - 1))) / 2;
  const yOffset = (height - 1 - (sin * (width - 1) + cos * (height - 1))) / 2;
  return [cos, -sin, xOffset, sin, cos, yOffset, 0, 0];
}

/** Zoom about the image centre: factors above 1 sample a larger area (zoom out), below 1 zoom in. */
export function zoomTransform(heightZoom: number, widthZoom: number, height: number, width: number): number[] {
  return [widthZoom, 0, ((width - 1) / 2) * (1 - widthZoom), 0, heightZoom, ((height - 1) / 2) * (1 - heightZoom), 0, 0];
}
