/**
 * CIFAR-10, read from the standard binary batches like Keras's `cifar10.load_data()`.
 *
 * Where the files come from, first match wins:
 * 1. `path`: a directory holding data_batch_1.bin ... data_batch_5.bin and test_batch.bin (directly or
 *    in its `cifar-10-batches-bin/` subdirectory), or the path of cifar-10-binary.tar.gz itself.
 * 2. the cache: `<cacheDir>/datasets/cifar-10/` (`cacheDir` defaults to `$NEURONA_CACHE_DIR`, else `~/.neurona`).
 * 3. a download of cifar-10-binary.tar.gz (about 160 MB) from `baseUrl` (default
 *    `$NEURONA_DATASETS_MIRROR`, else https://www.cs.toronto.edu/~kriz/), whose six batches are
 *    validated, then written into the cache atomically.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { configError } from '../core/index.js';
import { CIFAR_CHANNELS, CIFAR_SIDE, parseCifarBatch, type CifarBatch } from '../io/cifar.js';
import { gunzipIfNeeded } from '../io/idx.js';
import { readTar } from '../io/tar.js';
import { writeFileAtomic } from '../io/atomic.js';
import { tensor, type Tensor } from '../tensor/index.js';
import { cacheRoot, fetchBytes } from './common.js';
import type { Dataset, LoadDataOptions } from './mnist.js';

const TRAIN_FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'];
const TEST_FILE = 'test_batch.bin';
const ALL_FILES = [...TRAIN_FILES, TEST_FILE];
const ARCHIVE = 'cifar-10-binary.tar.gz';
const SUBDIR = 'cifar-10-batches-bin';
const MIRROR = 'https://www.cs.toronto.edu/~kriz/';

/** One split as raw bytes: `images` holds `count * 32 * 32 * 3` pixels 0..255 channels-last. */
export type CifarSplit = CifarBatch;

/** The raw result of `cifar10.loadRawData`. */
export interface CifarRawDataset {
  train: CifarSplit;
  test: CifarSplit;
  /** The shape of one image: `[32, 32, 3]`. */
  imageShape: [number, number, number];
  source: { kind: 'path' | 'cache' | 'download'; dir: string };
}

function batchesIn(dir: string): string | undefined {
  for (const candidate of [dir, join(dir, SUBDIR)]) {
    if (ALL_FILES.every((f) => existsSync(join(candidate, f)))) return candidate;
  }
  return undefined;
}

/** The ways to get the files without a network, for the library's callers and the CLI's users alike. */
function howToProvide(cacheDir: string): string {
  return (
    `To load CIFAR-10 without a network, download ${MIRROR}${ARCHIVE} elsewhere and either unpack its six files ` +
    `(${ALL_FILES.join(', ')}) into ${cacheDir}, or give the .tar.gz or the directory with the .bin files as ` +
    "{path: '<path>'} to loadData or as --data <path> to the CLI (neurona train cifar10-v1 --data <path>); " +
    'to download from another mirror set {baseUrl} or NEURONA_DATASETS_MIRROR.'
  );
}

/** Both splits from `read(file)` (each file any whole number of records: the real ones hold 10,000, test files fewer). */
function parseSplits(read: (file: string) => { bytes: Uint8Array; name: string }): { train: CifarSplit; test: CifarSplit } {
  const parts = TRAIN_FILES.map((f) => {
    const { bytes, name } = read(f);
    return parseCifarBatch(bytes, name);
  });
  const count = parts.reduce((n, p) => n + p.count, 0);
  const train: CifarSplit = {
    images: new Uint8Array(count * CIFAR_SIDE * CIFAR_SIDE * CIFAR_CHANNELS),
    labels: new Uint8Array(count),
    count,
  };
  let at = 0;
  for (const part of parts) {
    train.images.set(part.images, at * CIFAR_SIDE * CIFAR_SIDE * CIFAR_CHANNELS);
    train.labels.set(part.labels, at);
    at += part.count;
  }
  const { bytes, name } = read(TEST_FILE);
  return { train, test: parseCifarBatch(bytes, name) };
}

/** The six batch files out of the archive's bytes (gzipped or not), keyed by file name. */
function unpackArchive(archive: Uint8Array, name: string): Map<string, Uint8Array> {
  const entries = readTar(gunzipIfNeeded(archive, name), name);
  const files = new Map<string, Uint8Array>();
  for (const entry of entries) {
    const file = entry.name.split('/').pop()!;
    if (ALL_FILES.includes(file)) files.set(file, entry.bytes);
  }
  const missing = ALL_FILES.filter((f) => !files.has(f));
  if (missing.length > 0) {
    throw configError('cifar10.loadData', {
      expected: `the archive must be the CIFAR-10 binary version (${ARCHIVE}) with its six .bin files`,
      got: `${name}, which lacks ${missing.join(', ')}`,
      hint: 'the Python and MATLAB versions hold other files: download the binary one',
    });
  }
  return files;
}

function fromFiles(files: Map<string, Uint8Array>, name: string) {
  return parseSplits((f) => ({ bytes: files.get(f)!, name: `${name}:${f}` }));
}

async function loadRaw(options: LoadDataOptions = {}): Promise<CifarRawDataset> {
  const finish = (
    data: { train: CifarSplit; test: CifarSplit },
    kind: CifarRawDataset['source']['kind'],
    dir: string,
  ): CifarRawDataset => ({ ...data, imageShape: [CIFAR_SIDE, CIFAR_SIDE, CIFAR_CHANNELS], source: { kind, dir } });
  const readDir = (dir: string) => parseSplits((f) => ({ bytes: readFileSync(join(dir, f)), name: join(dir, f) }));
  if (options.path !== undefined) {
    const path = options.path;
    if (existsSync(path) && statSync(path).isFile()) return finish(fromFiles(unpackArchive(readFileSync(path), path), path), 'path', path);
    const dir = batchesIn(path);
    if (!dir) {
      const missing = existsSync(path) ? ALL_FILES.filter((f) => !existsSync(join(path, f))) : ALL_FILES;
      throw configError('cifar10.loadData', {
        expected: `path must be the directory with the six .bin files or the ${ARCHIVE} file`,
        got: `${path}, which lacks ${missing.join(', ')} (also looked in ${join(path, SUBDIR)})`,
        hint: 'leave out path to use the cache or a download',
      });
    }
    return finish(readDir(dir), 'path', dir);
  }
  const cacheDir = join(cacheRoot(options.cacheDir), 'datasets', 'cifar-10');
  if (batchesIn(cacheDir) === cacheDir) return finish(readDir(cacheDir), 'cache', cacheDir);
  const base = options.baseUrl ?? (process.env.NEURONA_DATASETS_MIRROR || MIRROR);
  const url = `${base.endsWith('/') ? base : `${base}/`}${ARCHIVE}`;
  const files = unpackArchive(await fetchBytes(url, 'cifar10.loadData', howToProvide(cacheDir)), url);
  // Everything is parsed (validated) before anything is cached, so the cache never holds a bad set.
  const data = fromFiles(files, url);
  await mkdir(cacheDir, { recursive: true });
  for (const file of ALL_FILES) await writeFileAtomic(join(cacheDir, file), files.get(file)!);
  return finish(data, 'download', cacheDir);
}

function toTensors(raw: CifarRawDataset): Dataset {
  const split = (s: CifarSplit): [Tensor, Tensor] => [
    tensor(s.images, [s.count, CIFAR_SIDE, CIFAR_SIDE, CIFAR_CHANNELS], 'int32'),
    tensor(s.labels, [s.count], 'int32'),
  ];
  return { train: split(raw.train), test: split(raw.test) };
}

/**
 * CIFAR-10: 50,000 training and 10,000 test colour images of 32x32 pixels in 10 classes
 * (`cifar10.classNames`).
 *
 * `await cifar10.loadData(options?)` returns `{train: [x, y], test: [x, y]}` with x an int32 tensor
 * `[N, 32, 32, 3]` (channels last, pixels 0..255, as Keras gives them) and y an int32 tensor `[N]`
 * (Keras gives `[N, 1]`; a flat vector is what neurona's losses and `oneHot` take). Scale x yourself:
 * `x.cast('float32').div(255)`. `loadRawData` gives `Uint8Array`s (600 MB less memory). Options:
 * `path` (the six .bin files or the .tar.gz), `cacheDir`, `baseUrl`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * try {
 *   const { train: [x, y] } = await nr.datasets.cifar10.loadData({ path: '/data/cifar-10' });
 *   x.shape; // [50000, 32, 32, 3]
 * } catch (error) {
 *   console.log((error as Error).message); // names the missing files and where to put them
 * }
 * ```
 */
export const cifar10 = {
  name: 'cifar-10',
  classNames: ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'] as const,
  loadData: async (options?: LoadDataOptions): Promise<Dataset> => toTensors(await loadRaw(options)),
  loadRawData: (options?: LoadDataOptions): Promise<CifarRawDataset> => loadRaw(options),
};
