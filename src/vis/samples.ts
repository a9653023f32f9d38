/**
 * Sample images with their labels, and the images a model gets wrong captioned "true -> predicted".
 * Node-only (writes files).
 */
import { configError, formatShape, shapeError, show } from '../core/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { imageGrid, type ImageGridOptions, type RgbaImage } from './grid.js';
import { predictClasses, type Classifier2D } from './decision-boundary.js';
import { saveImage } from './raster.js';

/** A model (anything with `predict(x)` returning a Tensor) or a function from inputs to predictions. */
export type ImageClassifier = Exclude<Classifier2D, import('../classic/index.js').Perceptron>;

export interface SampleGridOptions extends Omit<ImageGridOptions, 'captions'> {
  /** Names of the classes for captions (default the class index). */
  classNames?: readonly string[];
  /** At most this many images (default 25). */
  count?: number;
  /** The shape of one image when `x` holds flat rows, e.g. [28, 28] for MNIST vectors of 784. */
  imageShape?: readonly number[];
}

/** `x` as images [n, H, W] or [n, H, W, C]: flat rows [n, F] become square gray images when F is a square. */
function asImages(x: Tensor, imageShape: readonly number[] | undefined, where: string): Tensor {
  if (!(x instanceof Tensor)) throw configError(where, { expected: 'x must be a Tensor of images', got: show(x) });
  const n = x.shape[0]!;
  if (imageShape) {
    const size = imageShape.reduce((a, b) => a * b, 1);
    if (size * n !== x.size) {
      throw shapeError(where, { expected: `imageShape ${formatShape(imageShape)} does not fit x of shape ${formatShape(x.shape)}` });
    }
    return x.reshape([n, ...imageShape]);
  }
  if (x.rank === 3 || x.rank === 4) return x;
  if (x.rank === 2) {
    const side = Math.round(Math.sqrt(x.shape[1]!));
    if (side * side === x.shape[1]) return x.reshape([n, side, side]);
  }
  throw shapeError(where, {
    expected: `cannot draw x of shape ${formatShape(x.shape)} as images`,
    hint: 'pass images [n, H, W] or [n, H, W, C], or give imageShape',
  });
}

/** Class indices from labels: indices [n] (or [n, 1]), or one-hot rows [n, k]. */
function labelIndices(y: Tensor | readonly number[], n: number, where: string): Int32Array {
  let t = y instanceof Tensor ? y : tensor(y as number[]);
  if (t.rank === 2 && t.shape[1]! > 1) t = ops.argmax(t, -1);
  if (t.size !== n) {
    throw shapeError(where, {
      expected: `y has shape ${formatShape(t.shape)} for ${n} images`,
      hint: 'pass one class index (or one-hot row) per image',
    });
  }
  const values = t.data();
  return Int32Array.from(values, (v, i) => {
    const c = Number(v);
    if (!Number.isInteger(c) || c < 0) {
      throw configError(where, { expected: `y[${i}] = ${c} is not a class index`, rule: 'an integer >= 0' });
    }
    return c;
  });
}

function nameOf(c: number, classNames: readonly string[] | undefined, where: string): string {
  if (!classNames) return String(c);
  const name = classNames[c];
  if (name === undefined) {
    throw configError(where, { expected: `class ${c} has no name`, rule: `classNames has ${classNames.length} entries` });
  }
  return name;
}

function countOption(count: number | undefined, where: string): number {
  const value = count ?? 25;
  if (!Number.isInteger(value) || value < 1) throw configError(where, { expected: 'count must be a positive integer', got: show(value) });
  return value;
}

/** Picks rows of a tensor along the first axis. */
function rows(x: Tensor, indices: readonly number[]): Tensor {
  return ops.gather(x, tensor(indices, [indices.length], 'int32'), 0);
}

/**
 * Writes the first `count` (25) images of `x` as a grid captioned with their labels `y` (class
 * indices or one-hot rows; `classNames` turn them into names; null for no captions). Images are
 * scaled 2 times with 6 pixels between cells unless `scale`/`padding` say otherwise. Returns the image.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * const path = `${tmpdir()}/neurona-samples.png`;
 * await nr.vis.saveSamples(nr.randu([6, 28, 28]), [0, 1, 2, 0, 1, 2], path, { classNames: ['zero', 'one', 'two'] });
 * ```
 */
export async function saveSamples(
  x: Tensor,
  y: Tensor | readonly number[] | null,
  path: string,
  options: SampleGridOptions = {},
): Promise<RgbaImage> {
  const where = 'saveSamples';
  const { classNames, count, imageShape, ...grid } = options;
  const images = asImages(x, imageShape, where);
  const n = Math.min(images.shape[0]!, countOption(count, where));
  if (n === 0) throw shapeError(where, { expected: 'x holds no images', rule: `shape ${formatShape(x.shape)}` });
  const picked = Array.from({ length: n }, (_, i) => i);
  const labels = y === null ? null : labelIndices(y, images.shape[0]!, where);
  const image = imageGrid(rows(images, picked), {
    scale: 2,
    padding: 6,
    ...grid,
    ...(labels ? { captions: picked.map((i) => nameOf(labels[i]!, classNames, where)) } : {}),
  });
  await saveImage(where, image, path);
  return image;
}

export interface Misclassified {
  /** Positions in `x` of the misclassified samples, in order, at most `count`. */
  indices: number[];
  trueClasses: number[];
  predictedClasses: number[];
  /** How many of all the samples are misclassified (may exceed `indices.length`). */
  total: number;
}

/**
 * The samples a model gets wrong: runs `model` (or a function) on `x` and compares the predicted
 * classes (argmax of scores, or a 0.5 threshold for one sigmoid output) with `y`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const always1 = (x: nr.Tensor) => nr.ones([x.shape[0]!], 'int32');
 * nr.vis.misclassified(always1, nr.zeros([3, 2, 2]), [1, 0, 1]).indices; // [1]
 * ```
 */
export function misclassified(
  model: ImageClassifier,
  x: Tensor,
  y: Tensor | readonly number[],
  options: { count?: number } = {},
): Misclassified {
  const where = 'misclassified';
  const n = x.shape[0]!;
  const truth = labelIndices(y, n, where);
  const count = options.count === undefined ? Infinity : countOption(options.count, where);
  const predicted = predictClasses(model, x, where);
  const result: Misclassified = { indices: [], trueClasses: [], predictedClasses: [], total: 0 };
  for (let i = 0; i < n; i++) {
    if (truth[i] === predicted[i]) continue;
    result.total++;
    if (result.indices.length >= count) continue;
    result.indices.push(i);
    result.trueClasses.push(truth[i]!);
    result.predictedClasses.push(predicted[i]!);
  }
  return result;
}

/**
 * Writes a grid of the samples `model` misclassifies, each captioned "true -> predicted" (with
 * `classNames` when given), at most `count` (25) of them, and returns what it found. With no mistakes
 * nothing is written and `image` is null.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * const model = new nr.Sequential([
 *   new nr.layers.Flatten({ inputShape: [8, 8] }),
 *   new nr.layers.Dense({ units: 3, activation: 'softmax' }),
 * ]);
 * const found = await nr.vis.saveMisclassified(model, nr.randu([20, 8, 8]), nr.zeros([20]), `${tmpdir()}/neurona-wrong.png`, { count: 9 });
 * console.log(`${found.total} of 20 wrong`);
 * ```
 */
export async function saveMisclassified(
  model: ImageClassifier,
  x: Tensor,
  y: Tensor | readonly number[],
  path: string,
  options: SampleGridOptions = {},
): Promise<Misclassified & { image: RgbaImage | null }> {
  const where = 'saveMisclassified';
  const { classNames, count, imageShape, ...grid } = options;
  const images = asImages(x, imageShape, where);
  const found = misclassified(model, x, y, { count: countOption(count, where) });
  if (found.indices.length === 0) return { ...found, image: null };
  const captions = found.indices.map(
    (_, k) => `${nameOf(found.trueClasses[k]!, classNames, where)} -> ${nameOf(found.predictedClasses[k]!, classNames, where)}`,
  );
  const image = imageGrid(rows(images, found.indices), { scale: 2, padding: 6, ...grid, captions });
  await saveImage(where, image, path);
  return { ...found, image };
}
