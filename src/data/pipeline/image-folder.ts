/**
 * `nr.data.imageDatasetFromDirectory`: Keras's image_dataset_from_directory. Files are listed and
 * labelled on the main thread; they are read, decoded and resized by a pool of worker threads
 * (image-pool.ts) that keeps about two batches ahead of the consumer.
 */
import { readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Random, configError, formatError, globalRandom, is, notice, parseOptions, show } from '../../core/index.js';
import { Tensor } from '../../tensor/index.js';
import { type ColorMode, CHANNELS, COLOR_MODES, checkSize } from '../../io/image.js';
import { type Interpolation, checkInterpolation } from '../../io/image-resize.js';
import { type ImageJob, defaultWorkers, sharedImagePool } from '../image-pool.js';
import type { Decoder } from '../sharp-decoder.js';
import { Dataset } from './dataset.js';
import { numpyShuffle } from './numpy-shuffle.js';

/** The extensions Keras lists; PNG and JPEG are decoded, GIF and BMP files are skipped with a warning. */
export const IMAGE_EXTENSIONS = ['.bmp', '.gif', '.jpeg', '.jpg', '.png'] as const;

export interface ImageFolderOptions {
  /** 'inferred' (default): one class per subfolder; null: no labels; or one label per file in sorted order. */
  labels?: 'inferred' | null | readonly number[];
  /** 'int' (default, int32 [b]), 'categorical' (float32 one-hot [b, k]), 'binary' (float32 [b, 1], 2 classes) or null. */
  labelMode?: 'int' | 'categorical' | 'binary' | null;
  /** The subfolders to use, in this order (default: all, sorted). */
  classNames?: readonly string[];
  /** 'rgb' (default), 'rgba' or 'grayscale'. */
  colorMode?: ColorMode;
  /** Images per batch (default 32); null yields single images [h, w, c]. */
  batchSize?: number | null;
  /** [height, width] every image is resized to (default [256, 256]). */
  imageSize?: readonly number[];
  /** Shuffle the file list before splitting (numpy's order for the seed) and each epoch's order. Default true. */
  shuffle?: boolean;
  /** Seed of the shuffles; required with validationSplit when shuffling. Default: drawn from nr.setSeed's stream. */
  seed?: number;
  /** The fraction (0..1) of files kept for validation: the last ones after the shuffle. */
  validationSplit?: number;
  /** 'training', 'validation' or 'both' ([training, validation]); required with validationSplit. */
  subset?: 'training' | 'validation' | 'both';
  /** 'bilinear' (default), 'nearest', 'bicubic' or 'area'. */
  interpolation?: Interpolation;
  /** Descend into symbolic links to folders. Default false. */
  followLinks?: boolean;
  /** Centre-crop each image to the aspect ratio of imageSize before resizing. Default false. */
  cropToAspectRatio?: boolean;
  /** Pad each image with zeros to the aspect ratio of imageSize before resizing. Default false. */
  padToAspectRatio?: boolean;
  /** A file that cannot be decoded: 'skip' (default) it with a warning naming it, or 'raise' a FormatError. */
  onError?: 'skip' | 'raise';
  /** Worker threads that decode (default: the machine's cores less one); 0 decodes on the main thread. */
  numParallelCalls?: number;
  /** 'js' (default, pure JavaScript) or 'sharp', the optional native decoder (`npm install sharp`), faster. */
  decoder?: Decoder;
  /** Print "Found N files belonging to K classes." as Keras does. Default true. */
  verbose?: boolean;
}

/** A dataset of [images, labels] batches (or images alone), with the class names and files it reads. */
export type ImageFolderDataset = Dataset & {
  /** The class of each label index: the subfolders (sorted, or `classNames` as given), or the distinct `labels` sorted, as strings. */
  classNames: string[];
  /** The files of this subset, in the order labels were assigned (before each epoch's shuffle). */
  filePaths: string[];
};

const WHERE = 'imageDatasetFromDirectory';

const SPEC = {
  keys: {
    ...Object.fromEntries(
      ['labels', 'labelMode', 'classNames', 'colorMode', 'batchSize', 'imageSize', 'seed', 'validationSplit', 'subset'].map((k) => [
        k,
        is.any,
      ]),
    ),
    ...Object.fromEntries(['interpolation', 'onError', 'numParallelCalls', 'decoder'].map((k) => [k, is.any])),
    ...Object.fromEntries(['shuffle', 'followLinks', 'cropToAspectRatio', 'padToAspectRatio', 'verbose'].map((k) => [k, is.boolean])),
  },
};

const DEFAULTS = {
  labels: 'inferred',
  labelMode: 'int',
  colorMode: 'rgb',
  batchSize: 32,
  imageSize: [256, 256],
  shuffle: true,
  interpolation: 'bilinear',
  followLinks: false,
  cropToAspectRatio: false,
  padToAspectRatio: false,
  onError: 'skip',
  decoder: 'js',
  verbose: true,
} as const satisfies ImageFolderOptions;

/** Files under `dir` with an image extension: folders by sorted path, files sorted within each (Keras's walk). */
async function listImages(dir: string, followLinks: boolean): Promise<string[]> {
  const folders: { path: string; files: string[] }[] = [];
  const seen = new Set<string>();
  const walk = async (path: string) => {
    if (followLinks) {
      const real = await realpath(path);
      if (seen.has(real)) return; // a link back up the tree
      seen.add(real);
    }
    const files: string[] = [];
    folders.push({ path, files });
    for (const entry of await readdir(path, { withFileTypes: true })) {
      const full = join(path, entry.name);
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        const target = await stat(full).catch(() => null);
        if (!target) continue; // a dangling link
        isDirectory = target.isDirectory();
        if (isDirectory && !followLinks) continue;
      }
      if (isDirectory) await walk(full);
      else if (IMAGE_EXTENSIONS.some((ext) => entry.name.toLowerCase().endsWith(ext))) files.push(entry.name);
    }
  };
  await walk(dir);
  folders.sort((a, b) => compare(a.path, b.path));
  return folders.flatMap(({ path, files }) => files.sort(compare).map((name) => join(path, name)));
}

/** Python's string order (code points), which Keras's sorted() uses; localeCompare would differ. */
function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

interface Indexed {
  paths: string[];
  labels: number[] | null;
  classNames: string[];
}

async function indexDirectory(dir: string, options: ImageFolderOptions): Promise<Indexed> {
  const followLinks = options.followLinks ?? false;
  const labels = options.labels === undefined ? 'inferred' : options.labels;
  if (labels !== 'inferred') {
    if (options.classNames) {
      throw configError(WHERE, { expected: "classNames can only be given with labels: 'inferred'", got: `labels ${show(labels)}` });
    }
    const paths = await listImages(dir, followLinks);
    if (labels !== null && labels.length !== paths.length) {
      throw configError(WHERE, {
        expected: `labels must hold one label per image file, ${paths.length} found under ${dir}`,
        got: `${labels.length} labels`,
      });
    }
    if (labels === null) return { paths, labels: null, classNames: [] };
    const bad = labels.find((label) => !Number.isInteger(label));
    if (bad !== undefined) throw configError(WHERE, { expected: 'labels must be integers', got: show(bad) });
    // As Keras: the classes are the distinct labels, sorted, named by their decimal strings.
    const classNames = [...new Set(labels)].sort((a, b) => a - b).map(String);
    return { paths, labels: [...labels], classNames };
  }
  const entries = await readdir(dir, { withFileTypes: true });
  const folders: string[] = [];
  for (const entry of entries.sort((a, b) => compare(a.name, b.name))) {
    if (entry.name.startsWith('.')) continue;
    const isFolder =
      entry.isDirectory() || (entry.isSymbolicLink() && (await stat(join(dir, entry.name)).catch(() => null))?.isDirectory());
    if (isFolder) folders.push(entry.name);
  }
  let classNames = folders;
  if (options.classNames) {
    const missing = options.classNames.filter((name) => !folders.includes(name));
    if (missing.length > 0) {
      throw configError(WHERE, {
        expected: `every class name must be a subfolder of ${dir}; ${show(missing)} is not`,
        got: `subfolders ${show(folders)}`,
      });
    }
    classNames = [...options.classNames];
  }
  const paths: string[] = [];
  const indices: number[] = [];
  for (const [index, name] of classNames.entries()) {
    const files = await listImages(join(dir, name), followLinks);
    paths.push(...files);
    indices.push(...files.map(() => index));
  }
  return { paths, labels: indices, classNames };
}

function labelTensor(labels: number[], mode: 'int' | 'categorical' | 'binary', classes: number): Tensor {
  if (mode === 'int') return new Tensor(Int32Array.from(labels), [labels.length], 'int32');
  if (mode === 'binary') return new Tensor(Float32Array.from(labels), [labels.length, 1], 'float32');
  const oneHot = new Float32Array(labels.length * classes);
  labels.forEach((label, i) => {
    oneHot[i * classes + label] = 1;
  });
  return new Tensor(oneHot, [labels.length, classes], 'float32');
}

/**
 * A dataset of the images under `directory`, as Keras's `image_dataset_from_directory`: with
 * `labels: 'inferred'` each subfolder is a class (class names sorted, dot-folders ignored), and the
 * images are the files with the extensions Keras allows, found at any depth. The file list is
 * shuffled with numpy's order for `seed` and the last `validationSplit` fraction is the validation
 * subset, so a seed splits a folder as Keras does. Elements are batches `[images, labels]`: images
 * float32 `[b, height, width, channels]` with values 0..255, labels as `labelMode` says; or the
 * images alone with `labels: null` or `labelMode: null`. The dataset has `classNames` and
 * `filePaths`.
 *
 * Each epoch visits the files in a new seeded order. A file that cannot be read or decoded (corrupt,
 * truncated, not an image, GIF or BMP) is skipped with a warning naming it; the epoch is then
 * shorter than `cardinality()`, which counts the files found. `onError: 'raise'` makes it a
 * FormatError instead.
 *
 * ```ts
 * import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const { encodePng } = nr.io; // any PNG or JPEG files will do
 * const dir = mkdtempSync(join(tmpdir(), 'pets-'));
 * for (const [k, name] of ['cats', 'dogs'].entries()) {
 *   mkdirSync(join(dir, name));
 *   for (let i = 0; i < 5; i++) {
 *     const pixels = new Uint8Array(8 * 8 * 3).fill(k * 200 + i);
 *     writeFileSync(join(dir, name, `${i}.png`), encodePng({ width: 8, height: 8, channels: 3, pixels }));
 *   }
 * }
 * const [train, val] = await nr.data.imageDatasetFromDirectory(dir, {
 *   imageSize: [4, 4], batchSize: 4, validationSplit: 0.2, subset: 'both', seed: 1,
 * });
 * train.classNames; // ['cats', 'dogs']
 * for await (const [x, y] of train) console.log(x.shape, y.dtype); // [4, 4, 4, 3] int32, [4, 4, 4, 3] int32
 * ```
 */
export function imageDatasetFromDirectory(
  directory: string,
  options: ImageFolderOptions & { subset: 'both' },
): Promise<[ImageFolderDataset, ImageFolderDataset]>;
export function imageDatasetFromDirectory(directory: string, options?: ImageFolderOptions): Promise<ImageFolderDataset>;
export async function imageDatasetFromDirectory(
  directory: string,
  options: ImageFolderOptions = {},
): Promise<ImageFolderDataset | [ImageFolderDataset, ImageFolderDataset]> {
  const o = { ...DEFAULTS, ...parseOptions<ImageFolderOptions>(WHERE, options, SPEC) };
  if (typeof directory !== 'string' || !(await stat(directory).catch(() => null))?.isDirectory()) {
    throw configError(WHERE, { expected: 'directory must be the path of a folder', got: show(directory) });
  }
  const labelMode = o.labels === null ? null : o.labelMode;
  if (![null, 'int', 'categorical', 'binary'].includes(labelMode as string)) {
    throw configError(WHERE, { expected: "labelMode must be 'int', 'categorical', 'binary' or null", got: show(labelMode) });
  }
  if (!COLOR_MODES.includes(o.colorMode)) {
    throw configError(WHERE, { expected: "colorMode must be 'rgb', 'rgba' or 'grayscale'", got: show(o.colorMode) });
  }
  if (o.batchSize !== null && !(Number.isInteger(o.batchSize) && o.batchSize > 0)) {
    throw configError(WHERE, { expected: 'batchSize must be a positive integer or null', got: show(o.batchSize) });
  }
  const size = checkSize(WHERE, o.imageSize);
  checkInterpolation(WHERE, o.interpolation);
  if (o.cropToAspectRatio && o.padToAspectRatio) {
    throw configError(WHERE, { expected: 'cropToAspectRatio and padToAspectRatio cannot both be true', hint: 'choose one' });
  }
  if (o.onError !== 'skip' && o.onError !== 'raise')
    throw configError(WHERE, { expected: "onError must be 'skip' or 'raise'", got: show(o.onError) });
  if (o.decoder !== 'js' && o.decoder !== 'sharp')
    throw configError(WHERE, { expected: "decoder must be 'js' or 'sharp'", got: show(o.decoder) });
  const split = o.validationSplit;
  if (split !== undefined && !(typeof split === 'number' && split > 0 && split < 1)) {
    throw configError(WHERE, { expected: 'validationSplit must be a number between 0 and 1 (exclusive)', got: show(split) });
  }
  if ((split === undefined) !== (o.subset === undefined)) {
    throw configError(WHERE, {
      expected: 'validationSplit and subset go together: give both or neither',
      got: `${show(split)} and ${show(o.subset)}`,
    });
  }
  if (o.subset !== undefined && !['training', 'validation', 'both'].includes(o.subset)) {
    throw configError(WHERE, { expected: "subset must be 'training', 'validation' or 'both'", got: show(o.subset) });
  }
  if (split !== undefined && o.shuffle && o.seed === undefined) {
    throw configError(WHERE, {
      expected: 'a seed is required when shuffling with validationSplit',
      rule: 'the training and validation subsets must come from the same shuffled order, or they overlap',
      hint: 'pass seed: 1337 (any integer)',
    });
  }
  const seed = o.seed ?? globalRandom().nextInt(1e6);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw configError(WHERE, { expected: 'seed must be an integer from 0 to 2^32 - 1', got: show(seed) });
  }

  const indexed = await indexDirectory(directory, o);
  const explicit = o.labels !== 'inferred' && o.labels !== null;
  if (labelMode === 'binary' && indexed.classNames.length !== 2) {
    throw configError(WHERE, {
      expected: "labelMode 'binary' needs exactly 2 classes",
      got: `${indexed.classNames.length}: ${show(indexed.classNames)}`,
      hint: `use 'int' or 'categorical', or ${explicit ? 'labels with two values' : 'classNames with two folders'}`,
    });
  }
  const k = indexed.classNames.length;
  const encoded = explicit && (labelMode === 'categorical' || labelMode === 'binary');
  const outside = encoded ? indexed.labels!.find((label) => label < 0 || label >= k) : undefined;
  if (outside !== undefined) {
    // Keras would give such a label an all-zero one-hot row (or a float target of, say, 7) without a word.
    throw configError(WHERE, {
      expected: `with labelMode '${labelMode}', labels must run from 0 to ${k - 1} (${k} distinct labels)`,
      got: show(outside),
      hint: "number the classes 0, 1, ... or use labelMode 'int'",
    });
  }
  let { paths, labels } = indexed;
  if (o.shuffle) {
    paths = numpyShuffle(paths, seed);
    if (labels) labels = numpyShuffle(labels, seed);
  }
  const found = `Found ${paths.length} files${indexed.labels ? ` belonging to ${indexed.classNames.length} classes` : ''}.`;
  if (o.verbose) notice(found);
  const validationCount = split === undefined ? 0 : Math.trunc(split * paths.length);
  const subsets = o.subset === 'both' ? (['training', 'validation'] as const) : [o.subset ?? 'all'];
  const datasets = subsets.map((subset) => {
    const [from, to] =
      subset === 'training'
        ? [0, paths.length - validationCount]
        : subset === 'validation'
          ? [paths.length - validationCount, paths.length]
          : [0, paths.length];
    if (o.verbose && subset !== 'all') notice(`Using ${to - from} files for ${subset}.`);
    if (from === to) {
      throw configError(WHERE, {
        expected: `no image files for ${subset === 'all' ? directory : `the ${subset} subset`}`,
        got: `${paths.length} found${subset === 'all' ? '' : `, validationSplit ${split}`}`,
        rule: `the extensions read are ${IMAGE_EXTENSIONS.join(' ')}`,
      });
    }
    return folderDataset(paths.slice(from, to), labels?.slice(from, to) ?? null, indexed.classNames, {
      labelMode: labels ? labelMode : null,
      batchSize: o.batchSize,
      // As Keras: only the validation half of subset 'both' keeps its order; 'validation' alone is shuffled like training.
      shuffle: o.shuffle && !(o.subset === 'both' && subset === 'validation'),
      seed,
      onError: o.onError,
      numParallelCalls: o.numParallelCalls ?? defaultWorkers(),
      job: {
        colorMode: o.colorMode,
        size,
        interpolation: o.interpolation,
        cropToAspectRatio: o.cropToAspectRatio,
        padToAspectRatio: o.padToAspectRatio,
        decoder: o.decoder,
      },
    });
  });
  return o.subset === 'both' ? [datasets[0]!, datasets[1]!] : datasets[0]!;
}

interface FolderSettings {
  labelMode: 'int' | 'categorical' | 'binary' | null | undefined;
  batchSize: number | null;
  shuffle: boolean;
  seed: number;
  onError: 'skip' | 'raise';
  numParallelCalls: number;
  job: Omit<ImageJob, 'path'> & { size: [number, number] };
}

function folderDataset(paths: string[], labels: number[] | null, classNames: string[], s: FolderSettings): ImageFolderDataset {
  const pool = sharedImagePool(s.numParallelCalls);
  const random = new Random(s.seed);
  const batch = s.batchSize ?? 1;
  const [height, width] = s.job.size;
  const channels = CHANNELS[s.job.colorMode];
  const imageSize = height * width * channels;
  // About two batches in flight: the next one decodes while the consumer trains on this one.
  const ahead = Math.max(2 * batch, 4 * Math.max(1, pool.size));
  const source = async function* () {
    const order = paths.map((_, i) => i);
    if (s.shuffle) {
      for (let i = order.length - 1; i > 0; i--) {
        const j = random.nextInt(i + 1);
        [order[i], order[j]] = [order[j]!, order[i]!];
      }
    }
    const jobs = order.map((i) => ({ ...s.job, path: paths[i]! }));
    const results: Promise<Float32Array | null>[] = [];
    const submit = (k: number) => {
      const result = pool.run(jobs[k]!).then(
        (image) => image.pixels,
        (error: unknown) => {
          if (s.onError === 'raise') throw error;
          notice(`${WHERE}: skipped ${jobs[k]!.path}: ${error instanceof Error ? error.message : String(error)}`);
          return null;
        },
      );
      result.catch(() => {}); // handled when its turn comes; never an unhandled rejection meanwhile
      results.push(result);
    };
    for (let k = 0; k < Math.min(ahead, jobs.length); k++) submit(k);
    let images = new Float32Array(batch * imageSize);
    let batchLabels: number[] = [];
    let filled = 0;
    const flush = () => {
      const x = new Tensor(filled === batch ? images : images.slice(0, filled * imageSize), [filled, height, width, channels], 'float32');
      const element = s.batchSize === null ? new Tensor(x._data, [height, width, channels], 'float32') : x;
      const y = s.labelMode ? labelTensor(batchLabels, s.labelMode, classNames.length) : null;
      const label = y && s.batchSize === null ? new Tensor(y._data, y.shape.slice(1), y.dtype) : y;
      images = new Float32Array(batch * imageSize);
      batchLabels = [];
      filled = 0;
      return label ? [element, label] : element;
    };
    for (let k = 0; k < jobs.length; k++) {
      const pixels = await results[k]!;
      if (k + ahead < jobs.length) submit(k + ahead);
      if (pixels === null) continue;
      if (pixels.length !== imageSize)
        throw formatError(jobs[k]!.path, { expected: `decoded to ${pixels.length} samples, not ${imageSize}` });
      images.set(pixels, filled * imageSize);
      if (labels) batchLabels.push(labels[order[k]!]!);
      if (++filled === batch) yield flush();
    }
    if (filled > 0) yield flush();
  };
  const cardinality = s.batchSize === null ? paths.length : Math.ceil(paths.length / batch);
  return Object.assign(
    Dataset.of(() => source(), cardinality),
    { classNames: [...classNames], filePaths: paths },
  );
}
