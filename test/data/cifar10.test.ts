import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import { ConfigError, FormatError } from '../../src/core/index.js';
import { cifar10 } from '../../src/data/index.js';
import { encodeCifarBatch } from '../../src/io/cifar.js';

const FILES = ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin', 'test_batch.bin'];

/** Six small batches: file f holds `perFile` records; pixel k of record i is (f * 31 + i + k) % 256, label (f + i) % 10. */
function writeBatches(dir: string, perFile = 3): void {
  mkdirSync(dir, { recursive: true });
  FILES.forEach((name, f) => {
    const images = Uint8Array.from({ length: perFile * 3072 }, (_, k) => (f * 31 + Math.floor(k / 3072) + (k % 3072)) % 256);
    const labels = Uint8Array.from({ length: perFile }, (_, i) => (f + i) % 10);
    writeFileSync(join(dir, name), encodeCifarBatch(images, labels));
  });
}

const temp = () => mkdtempSync(join(tmpdir(), 'neurona-cifar-'));

function checkSmall(data: Awaited<ReturnType<typeof cifar10.loadData>>): void {
  const [x, y] = data.train;
  assert.deepEqual(x.shape, [15, 32, 32, 3]);
  assert.equal(x.dtype, 'int32');
  assert.deepEqual(y.shape, [15]);
  // Files are concatenated in order: record 3 is the first of data_batch_2 (f = 1).
  assert.deepEqual(y.toArray(), [0, 1, 2, 1, 2, 3, 2, 3, 4, 3, 4, 5, 4, 5, 6]);
  assert.equal(x.data()[3 * 3072], 31); // f * 31 + 0 + 0
  assert.deepEqual(data.test[0].shape, [3, 32, 32, 3]);
  assert.deepEqual(data.test[1].toArray(), [5, 6, 7]);
}

test('cifar10.loadData reads the six batches from a path, directly or in cifar-10-batches-bin/', async () => {
  const dir = temp();
  writeBatches(dir);
  checkSmall(await cifar10.loadData({ path: dir }));
  const parent = temp();
  writeBatches(join(parent, 'cifar-10-batches-bin'));
  const raw = await cifar10.loadRawData({ path: parent });
  assert.equal(raw.source.kind, 'path');
  assert.deepEqual(raw.imageShape, [32, 32, 3]);
  assert.equal(raw.train.count, 15);
});

function makeArchive(dir: string): string {
  const src = join(dir, 'src');
  writeBatches(join(src, 'cifar-10-batches-bin'));
  const archive = join(dir, 'cifar-10-binary.tar.gz');
  const made = spawnSync('tar', ['-czf', archive, '-C', src, 'cifar-10-batches-bin']);
  assert.equal(made.status, 0, String(made.stderr));
  return archive;
}

test('cifar10.loadData reads the .tar.gz given as path', async (t) => {
  if (spawnSync('tar', ['--version']).status !== 0) {
    t.skip('no tar command on this machine');
    return;
  }
  checkSmall(await cifar10.loadData({ path: makeArchive(temp()) }));
});

test('cifar10.loadData downloads the archive into the cache once, then reads the cache', async (t) => {
  if (spawnSync('tar', ['--version']).status !== 0) {
    t.skip('no tar command on this machine');
    return;
  }
  const archive = readFileSync(makeArchive(temp()));
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    if (req.url === '/mirror/cifar-10-binary.tar.gz') res.writeHead(200).end(archive);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const cacheDir = temp();
    const baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/mirror`;
    const first = await cifar10.loadRawData({ cacheDir, baseUrl });
    assert.equal(first.source.kind, 'download');
    assert.equal(hits, 1);
    assert.deepEqual(readdirSync(join(cacheDir, 'datasets', 'cifar-10')).sort(), [...FILES].sort());
    const second = await cifar10.loadData({ cacheDir, baseUrl });
    assert.equal(hits, 1, 'the second load reads the cache');
    checkSmall(second);
  } finally {
    server.close();
  }
});

test('cifar10.loadData offline: a clear error saying where to put the files; nothing cached', async () => {
  const cacheDir = temp();
  // A port nothing listens on: the connection is refused at once.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  server.close();
  await assert.rejects(
    cifar10.loadData({ cacheDir, baseUrl: `http://127.0.0.1:${port}/` }),
    (e: unknown) =>
      e instanceof ConfigError &&
      /cifar10\.loadData: could not download/.test(e.message) &&
      e.message.includes(join(cacheDir, 'datasets', 'cifar-10')) &&
      /data_batch_1\.bin/.test(e.message) &&
      /\{path:/.test(e.message) &&
      /--data <path> to the CLI/.test(e.message),
  );
  assert.ok(!existsSync(join(cacheDir, 'datasets', 'cifar-10', 'data_batch_1.bin')));
});

test('cifar10.loadData: a missing file and a file of the wrong length are named', async () => {
  const dir = temp();
  writeBatches(dir);
  writeFileSync(join(dir, 'data_batch_3.bin'), new Uint8Array(3073 * 2 + 100));
  await assert.rejects(
    cifar10.loadData({ path: dir }),
    (e: unknown) => e instanceof FormatError && e.message.includes(join(dir, 'data_batch_3.bin')) && /100 bytes left over/.test(e.message),
  );
  const partial = temp();
  writeBatches(partial);
  const { rmSync } = await import('node:fs');
  rmSync(join(partial, 'test_batch.bin'));
  await assert.rejects(
    cifar10.loadData({ path: partial }),
    (e: unknown) => e instanceof ConfigError && /lacks test_batch\.bin/.test(e.message),
  );
});
