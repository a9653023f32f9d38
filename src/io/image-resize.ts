/**
 * Image resizing on plain pixel arrays (no tensors), with tf.image.resize's rules (antialias off):
 * pixel centres at half-integers, so that enlarging then shrinking by the same factor lines up, and
 * `resize(x, same size)` is `x`. Keras's Resizing layer and image_dataset_from_directory use these.
 *
 * - 'bilinear': the two nearest source pixels per axis (torch's interpolate with align_corners=False).
 * - 'nearest': the source pixel whose cell holds the output centre (torch's 'nearest-exact').
 * - 'bicubic': Keys' cubic with a = -0.5 over four pixels per axis, taps outside the image dropped and
 *   the rest renormalised, the fraction rounded to TF's table of 1024 steps (TF's half-pixel bicubic;
 *   torch uses a = -0.75 and repeats the border).
 * - 'area': each output pixel is the mean of the source box it covers, partial pixels by their share.
 *
 * Shrinking by large factors without antialiasing skips pixels, as TF does; 'area' is the mode that
 * keeps every pixel. Each axis is resampled apart (rows, then columns) through tables of taps.
 */
import { configError, show } from '../core/index.js';

export const INTERPOLATIONS = ['bilinear', 'nearest', 'bicubic', 'area'] as const;
export type Interpolation = (typeof INTERPOLATIONS)[number];

/** The taps of one axis: output pixel `o` is the sum of `weight[o * taps + k] * source[index[o * taps + k]]`. */
interface AxisTaps {
  taps: number;
  index: Int32Array;
  weight: Float32Array;
}

function keys(distance: number): number {
  const a = -0.5;
  const d = Math.abs(distance);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  return d < 2 ? (((d - 5) * d + 8) * d - 4) * a : 0;
}

/**
 * Keras/TF's half-pixel resize of one axis as taps: for each output position, its (input index,
 * weight) pairs (taps outside the input are left out; bicubic's remaining weights are renormalised).
 * The image decoder and the Resizing layer both use these rows, so a folder and a layer resize alike.
 */
export function resizeTapRows(from: number, to: number, mode: Interpolation): [number, number][][] {
  const scale = from / to;
  const rows: [number, number][][] = [];
  for (let o = 0; o < to; o++) {
    const centre = (o + 0.5) * scale - 0.5;
    if (mode === 'nearest') {
      rows.push([[Math.min(Math.floor((o + 0.5) * scale), from - 1), 1]]);
    } else if (mode === 'bilinear') {
      const low = Math.floor(centre);
      const t = centre - low;
      rows.push([
        [Math.max(low, 0), 1 - t],
        [Math.min(low + 1, from - 1), t],
      ]);
    } else if (mode === 'bicubic') {
      const low = Math.floor(centre);
      // TF reads the weights from a table of 1024 steps: the fraction is rounded to 1/1024.
      const t = Math.round((centre - low) * 1024) / 1024;
      const row: [number, number][] = [];
      for (let j = low - 1; j <= low + 2; j++) if (j >= 0 && j < from) row.push([j, keys(j - low - t)]);
      const total = row.reduce((sum, [, w]) => sum + w, 0);
      rows.push(row.map(([j, w]) => [j, w / total]));
    } else {
      const start = o * scale;
      const end = start + scale;
      const row: [number, number][] = [];
      for (let j = Math.floor(start); j < Math.ceil(end); j++) {
        const overlap = Math.min(end, j + 1) - Math.max(start, j);
        if (overlap > 0) row.push([Math.min(j, from - 1), overlap / scale]);
      }
      rows.push(row);
    }
  }
  return rows;
}

function axisTaps(from: number, to: number, mode: Interpolation): AxisTaps {
  const rows = resizeTapRows(from, to, mode);
  const taps = Math.max(...rows.map((r) => r.length));
  const index = new Int32Array(to * taps);
  const weight = new Float32Array(to * taps);
  rows.forEach((row, o) => {
    row.forEach(([j, w], k) => {
      index[o * taps + k] = j;
      weight[o * taps + k] = w;
    });
  });
  return { taps, index, weight };
}

const tapCache = new Map<string, AxisTaps>();

/** Tables are reused: a dataset resizes thousands of images between the same few sizes. */
function cachedTaps(from: number, to: number, mode: Interpolation): AxisTaps {
  const key = `${from} ${to} ${mode}`;
  let taps = tapCache.get(key);
  if (!taps) {
    if (tapCache.size > 64) tapCache.clear();
    taps = axisTaps(from, to, mode);
    tapCache.set(key, taps);
  }
  return taps;
}

/** Checks an interpolation name, with the list of those supported. */
export function checkInterpolation(where: string, value: unknown): Interpolation {
  if (!INTERPOLATIONS.includes(value as Interpolation)) {
    throw configError(where, {
      expected: `interpolation must be one of ${INTERPOLATIONS.map((m) => `'${m}'`).join(', ')}`,
      got: show(value),
    });
  }
  return value as Interpolation;
}

/**
 * Resizes `height` rows of `width * channels` interleaved samples to `toHeight x toWidth`, as float32.
 * The source may be 8-bit (a decoded file) or float; values are not rounded or clamped (bicubic can
 * overshoot 0..255 slightly, as in TF).
 */
export function resizePixels(
  pixels: Uint8Array | Uint8ClampedArray | Float32Array,
  height: number,
  width: number,
  channels: number,
  toHeight: number,
  toWidth: number,
  interpolation: Interpolation = 'bilinear',
): Float32Array {
  const sizes = [height, width, channels, toHeight, toWidth];
  if (!sizes.every((n) => Number.isInteger(n) && n > 0)) {
    throw configError('resizePixels', { expected: 'sizes must be positive integers', got: show(sizes) });
  }
  if (pixels.length !== height * width * channels) {
    throw configError('resizePixels', {
      expected: `a ${height}x${width} image with ${channels} channel(s) needs ${height * width * channels} samples`,
      got: String(pixels.length),
    });
  }
  checkInterpolation('resizePixels', interpolation);
  if (height === toHeight && width === toWidth) return Float32Array.from(pixels);
  const across = cachedTaps(width, toWidth, interpolation);
  const down = cachedTaps(height, toHeight, interpolation);
  const rowOut = toWidth * channels;
  const wide = new Float32Array(height * rowOut);
  const { taps, index, weight } = across;
  // Sums kept in locals per channel (images have 1 to 4): a read-modify-write of the output per tap
  // made this pass twice as slow.
  for (let y = 0; y < height; y++) {
    const inRow = y * width * channels;
    let to = y * rowOut;
    for (let x = 0; x < toWidth; x++, to += channels) {
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      for (let k = x * taps; k < (x + 1) * taps; k++) {
        const w = weight[k]!;
        const from = inRow + index[k]! * channels;
        s0 += w * pixels[from]!;
        if (channels > 1) {
          s1 += w * pixels[from + 1]!;
          if (channels > 2) s2 += w * pixels[from + 2]!;
          if (channels > 3) s3 += w * pixels[from + 3]!;
        }
      }
      wide[to] = s0;
      if (channels > 1) wide[to + 1] = s1;
      if (channels > 2) wide[to + 2] = s2;
      if (channels > 3) wide[to + 3] = s3;
      for (let c = 4; c < channels; c++) {
        let sum = 0;
        for (let k = x * taps; k < (x + 1) * taps; k++) sum += weight[k]! * pixels[inRow + index[k]! * channels + c]!;
        wide[to + c] = sum;
      }
    }
  }
  const out = new Float32Array(toHeight * rowOut);
  for (let y = 0; y < toHeight; y++) {
    const to = y * rowOut;
    for (let k = 0; k < down.taps; k++) {
      const w = down.weight[y * down.taps + k]!;
      if (w === 0) continue;
      const from = down.index[y * down.taps + k]! * rowOut;
      for (let i = 0; i < rowOut; i++) out[to + i]! += w * wide[from + i]!;
    }
  }
  return out;
}
