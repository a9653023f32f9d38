/**
 * `neurona predict <model dir> <image ...>`: turns PNG and JPEG files into the model's input (gray or RGB,
 * resized, scaled to [0, 1], inverted to white-on-black when needed) and prints the top classes.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as nr from '../index.js';
import { NeuronaError, configError, show } from '../core/index.js';
import { readImageBytes } from '../data/image-io.js';
import { type DecodedImage, decodeImage } from '../io/image.js';

/** How the model wants its images: size, channels and the layout of one input row. */
export interface ImageInput {
  height: number;
  width: number;
  channels: 1 | 3;
  /** The input shape without the batch axis, e.g. [28, 28], [28, 28, 1] or [784]. */
  shape: number[];
}

export type ResizeMode = 'nearest' | 'bilinear';
export type InvertMode = 'auto' | 'yes' | 'no';

export interface PreprocessOptions {
  resize?: ResizeMode;
  /**
   * 'auto' (default): for a gray model, invert an image whose border is bright, since digit models
   * learn MNIST's white strokes on black; RGB images are never inverted. 'yes' / 'no' force it.
   */
  invert?: InvertMode;
}

/** The image input of a model, read from its input shape ([H, W], [H, W, 1|3] or a square [H*W]). */
export function imageInputOf(model: nr.Model): ImageInput {
  const batchShape =
    model instanceof nr.Sequential ? (model.builtInputShape ?? model.layers[0]?.batchInputShape) : model.layers[0]?.batchInputShape;
  const shape = batchShape ? batchShape.slice(1) : null;
  if (shape?.every((d) => typeof d === 'number' && d > 0)) {
    const dims = shape as number[];
    if (dims.length === 2) return { height: dims[0]!, width: dims[1]!, channels: 1, shape: dims };
    if (dims.length === 3 && (dims[2] === 1 || dims[2] === 3)) return { height: dims[0]!, width: dims[1]!, channels: dims[2], shape: dims };
    const side = Math.round(Math.sqrt(dims[0] ?? 0));
    if (dims.length === 1 && side * side === dims[0]) return { height: side, width: side, channels: 1, shape: dims };
  }
  throw configError('predict', {
    expected: `model "${model.name}" takes inputs of shape ${show(batchShape ?? null)}, which is not an image`,
    rule: '[batch, height, width], [batch, height, width, 1 or 3] or a flat square [batch, height*width]',
  });
}

/**
 * 1-D resampling weights from `from` pixels to `to` pixels: area averaging when shrinking (every
 * source pixel counts, so thin strokes do not vanish), linear interpolation between pixel centres
 * when enlarging, or the nearest pixel.
 */
function resampleWeights(from: number, to: number, mode: ResizeMode): Array<Array<[number, number]>> {
  const scale = from / to;
  const weights: Array<Array<[number, number]>> = [];
  for (let o = 0; o < to; o++) {
    if (mode === 'nearest') {
      weights.push([[Math.min(from - 1, Math.floor((o + 0.5) * scale)), 1]]);
    } else if (scale > 1) {
      const start = o * scale;
      const end = start + scale;
      const row: Array<[number, number]> = [];
      for (let i = Math.floor(start); i < Math.min(from, Math.ceil(end)); i++) {
        const overlap = Math.min(end, i + 1) - Math.max(start, i);
        if (overlap > 0) row.push([i, overlap / scale]);
      }
      weights.push(row);
    } else {
      const centre = Math.max(0, Math.min(from - 1, (o + 0.5) * scale - 0.5));
      const left = Math.floor(centre);
      const right = Math.min(from - 1, left + 1);
      const t = centre - left;
      weights.push(
        t === 0
          ? [[left, 1]]
          : [
              [left, 1 - t],
              [right, t],
            ],
      );
    }
  }
  return weights;
}

/** Resizes `channels`-interleaved float pixels, rows then columns. */
export function resizeImage(
  pixels: Float32Array,
  width: number,
  height: number,
  channels: number,
  toWidth: number,
  toHeight: number,
  mode: ResizeMode = 'bilinear',
): Float32Array {
  if (width === toWidth && height === toHeight) return pixels;
  const across = resampleWeights(width, toWidth, mode);
  const down = resampleWeights(height, toHeight, mode);
  const wide = new Float32Array(height * toWidth * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < toWidth; x++) {
      for (const [source, w] of across[x]!) {
        for (let c = 0; c < channels; c++) wide[(y * toWidth + x) * channels + c]! += w * pixels[(y * width + source) * channels + c]!;
      }
    }
  }
  const out = new Float32Array(toHeight * toWidth * channels);
  for (let y = 0; y < toHeight; y++) {
    for (const [source, w] of down[y]!) {
      for (let i = 0; i < toWidth * channels; i++) out[y * toWidth * channels + i]! += w * wide[source * toWidth * channels + i]!;
    }
  }
  return out;
}

/** Pixels 0..1 with `channels` (1 or 3) per pixel; transparency is composited over white, as viewers show it. */
function toChannels(image: DecodedImage, channels: 1 | 3): Float32Array {
  const n = image.width * image.height;
  const out = new Float32Array(n * channels);
  const p = image.pixels;
  for (let i = 0; i < n; i++) {
    let r: number;
    let g: number;
    let b: number;
    if (image.channels === 1) r = g = b = p[i]! / 255;
    else if (image.channels === 2) {
      const alpha = p[i * 2 + 1]! / 255;
      r = g = b = (p[i * 2]! / 255) * alpha + (1 - alpha);
    } else {
      const base = i * image.channels;
      const alpha = image.channels === 4 ? p[base + 3]! / 255 : 1;
      [r, g, b] = [0, 1, 2].map((c) => (p[base + c]! / 255) * alpha + (1 - alpha)) as [number, number, number];
    }
    if (channels === 1)
      out[i] = 0.299 * r + 0.587 * g + 0.114 * b; // ITU-R BT.601 luma, as PIL's convert('L')
    else out.set([r, g, b], i * 3);
  }
  return out;
}

/** Mean value of the outermost ring of pixels (all channels). */
function borderMean(pixels: Float32Array, width: number, height: number, channels: number): number {
  let sum = 0;
  let count = 0;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (y !== 0 && y !== height - 1 && x !== 0 && x !== width - 1) continue;
      for (let c = 0; c < channels; c++) sum += pixels[(y * width + x) * channels + c]!;
      count += channels;
    }
  }
  return sum / count;
}

/** A decoded image as one model input row, and whether it was inverted. */
export function preprocessImage(
  image: DecodedImage,
  input: ImageInput,
  options: PreprocessOptions = {},
): { values: Float32Array; inverted: boolean } {
  const values = resizeImage(
    toChannels(image, input.channels),
    image.width,
    image.height,
    input.channels,
    input.width,
    input.height,
    options.resize ?? 'bilinear',
  );
  const invert = options.invert ?? 'auto';
  const inverted =
    invert === 'yes' || (invert === 'auto' && input.channels === 1 && borderMean(values, input.width, input.height, 1) > 0.5);
  if (inverted) for (let i = 0; i < values.length; i++) values[i] = 1 - values[i]!;
  return { values, inverted };
}

/** Reads and decodes a PNG or JPEG file (told apart by its bytes); any other file is refused with a message that names it. */
export async function readImage(path: string, options: { maxPixels?: number } = {}): Promise<DecodedImage> {
  return decodeImage(await readImageBytes(path), { name: path, maxPixels: options.maxPixels });
}

/** Loads a model directory, with a one-line error that names the path when it is not one. */
export async function loadModelDir(dir: string): Promise<nr.Model> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw configError('', { expected: `no model directory at ${dir}` });
  if (!existsSync(join(dir, 'model.json'))) {
    throw configError('', {
      expected: `${dir} holds no model.json`,
      hint: "give a directory written by model.save() or 'neurona train <example> --save <dir>'",
    });
  }
  return nr.loadModel(dir);
}

/** Class probabilities of model outputs [N, k]: kept when they already are, else softmax (or sigmoid for k = 1). */
export function probabilitiesOf(outputs: nr.Tensor): number[][] {
  const [n, k] = outputs.rank === 1 ? [outputs.shape[0]!, 1] : [outputs.shape[0]!, outputs.size / outputs.shape[0]!];
  const values = outputs.cast('float32').data();
  const rows: number[][] = [];
  for (let i = 0; i < n; i++) {
    const row = Array.from(values.subarray(i * k, (i + 1) * k));
    if (k === 1) {
      const p = row[0]! >= 0 && row[0]! <= 1 ? row[0]! : 1 / (1 + Math.exp(-row[0]!));
      rows.push([1 - p, p]);
      continue;
    }
    const isDistribution = row.every((v) => v >= 0 && v <= 1) && Math.abs(row.reduce((a, b) => a + b, 0) - 1) < 1e-3;
    if (isDistribution) rows.push(row);
    else {
      const max = Math.max(...row);
      const exps = row.map((v) => Math.exp(v - max));
      const sum = exps.reduce((a, b) => a + b, 0);
      rows.push(exps.map((e) => e / sum));
    }
  }
  return rows;
}

export interface PredictOptions extends PreprocessOptions {
  /** Classes printed per image (default 3). */
  top?: number;
  /** The largest image accepted, in pixels (default 64 megapixels, see decodePng). */
  maxPixels?: number;
}

/**
 * Runs the model on PNG files: one line per image, `file: class (p%), class (p%), class (p%)`, in
 * `lines`. A file that cannot be read or decoded does not stop the others: its error is in
 * `failures` (one line each, naming the file) and it gets no line in `lines`.
 */
export async function predictImages(
  modelDir: string,
  files: readonly string[],
  options: PredictOptions = {},
): Promise<{ lines: string[]; failures: string[] }> {
  const model = await loadModelDir(modelDir);
  const input = imageInputOf(model);
  const rowSize = input.height * input.width * input.channels;
  const rows: { file: string; values: Float32Array; inverted: boolean }[] = [];
  const failures: string[] = [];
  for (const file of files) {
    try {
      const row = preprocessImage(await readImage(file, { maxPixels: options.maxPixels }), input, options);
      rows.push({ file, ...row });
    } catch (error) {
      if (!(error instanceof NeuronaError)) throw error;
      failures.push(error.message.replace(/\s*\n\s*/g, ' '));
    }
  }
  if (rows.length === 0) return { lines: [], failures };
  const batch = new Float32Array(rows.length * rowSize);
  rows.forEach((row, i) => batch.set(row.values, i * rowSize));
  const outputs = model.predict(nr.tensor(batch, [rows.length, ...input.shape]));
  const top = options.top ?? 3;
  const lines = probabilitiesOf(outputs).map((probabilities, i) => {
    const ranked = probabilities
      .map((p, c) => [c, p] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, top);
    const classes = ranked.map(([c, p]) => `${c} (${(100 * p).toFixed(1)}%)`).join(', ');
    const note =
      rows[i]!.inverted && (options.invert ?? 'auto') === 'auto' ? '  [dark on light: inverted to white on black, as MNIST]' : '';
    return `${rows[i]!.file}: ${classes}${note}`;
  });
  return { lines, failures };
}
