import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import { FormatError } from '../../src/core/index.js';
import { CIFAR_RECORD_BYTES, encodeCifarBatch, parseCifarBatch } from '../../src/io/cifar.js';
import { readTar } from '../../src/io/tar.js';

/** A record laid out by hand as the format defines it: label, 1024 red, 1024 green, 1024 blue bytes. */
function handRecord(label: number, red: number, green: number, blue: number): number[] {
  return [label, ...Array(1024).fill(red), ...Array(1024).fill(green), ...Array(1024).fill(blue)];
}

test('parseCifarBatch: label byte first, then the R, G and B planes, interleaved channels-last', () => {
  const bytes = Uint8Array.from([...handRecord(3, 10, 20, 30), ...handRecord(9, 200, 0, 255)]);
  // A distinctive pixel: record 0, row 1, column 2 gets red 99 (plane offset 1 * 32 + 2).
  bytes[1 + 34] = 99;
  const batch = parseCifarBatch(bytes, 'hand.bin');
  assert.equal(batch.count, 2);
  assert.deepEqual([...batch.labels], [3, 9]);
  assert.deepEqual([...batch.images.subarray(0, 3)], [10, 20, 30]);
  assert.deepEqual([...batch.images.subarray(34 * 3, 34 * 3 + 3)], [99, 20, 30]);
  const second = 32 * 32 * 3;
  assert.deepEqual([...batch.images.subarray(second, second + 3)], [200, 0, 255]);
  assert.equal(batch.images.length, 2 * 32 * 32 * 3);
});

test('encodeCifarBatch is the inverse of parseCifarBatch', () => {
  const images = Uint8Array.from({ length: 3 * 3072 }, (_, i) => (i * 7) % 256);
  const labels = Uint8Array.from([0, 5, 9]);
  const bytes = encodeCifarBatch(images, labels);
  assert.equal(bytes.length, 3 * CIFAR_RECORD_BYTES);
  const back = parseCifarBatch(bytes, 'x.bin');
  assert.deepEqual([...back.labels], [0, 5, 9]);
  assert.deepEqual(back.images, images);
});

test('parseCifarBatch: a file of the wrong length names the file, the record size and the leftover', () => {
  const good = encodeCifarBatch(new Uint8Array(2 * 3072), Uint8Array.from([1, 2]));
  assert.throws(
    () => parseCifarBatch(good.subarray(0, good.length - 5), 'data_batch_1.bin'),
    (e: unknown) =>
      e instanceof FormatError &&
      /data_batch_1\.bin/.test(e.message) &&
      /3073-byte records/.test(e.message) &&
      /6141 bytes/.test(e.message) &&
      /3068 bytes left over/.test(e.message),
  );
  assert.throws(
    () => parseCifarBatch(new Uint8Array(0), 'empty.bin'),
    (e: unknown) => e instanceof FormatError && /empty\.bin/.test(e.message),
  );
  assert.throws(
    () => parseCifarBatch(good, 'test_batch.bin', 10000),
    (e: unknown) => e instanceof FormatError && /expected 10000/.test(e.message) && /got 2/.test(e.message),
  );
});

test('parseCifarBatch: a label outside 0..9 is refused (e.g. a CIFAR-100 file)', () => {
  const bytes = encodeCifarBatch(new Uint8Array(3072), Uint8Array.from([0]));
  bytes[0] = 42;
  assert.throws(
    () => parseCifarBatch(bytes, 'c100.bin'),
    (e: unknown) => e instanceof FormatError && /record 0 has label 42/.test(e.message) && /c100\.bin/.test(e.message),
  );
});

test('readTar reads the regular files of an archive written by the system tar (ustar and gnu formats)', (t) => {
  const probe = spawnSync('tar', ['--version'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('no tar command on this machine');
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'neurona-tar-'));
  const inner = join(dir, 'src', 'cifar-10-batches-bin');
  mkdirSync(inner, { recursive: true });
  writeFileSync(
    join(inner, 'a.bin'),
    Uint8Array.from({ length: 1000 }, (_, i) => i % 251),
  );
  writeFileSync(join(inner, 'empty.txt'), '');
  const longName = `${'x'.repeat(120)}.bin`;
  writeFileSync(join(inner, longName), 'long');
  for (const format of ['ustar', 'gnu']) {
    const archive = join(dir, `${format}.tar`);
    const made = spawnSync('tar', ['-cf', archive, `--format=${format}`, '-C', join(dir, 'src'), 'cifar-10-batches-bin'], {
      encoding: 'utf8',
    });
    if (format === 'ustar' && made.status !== 0) continue; // ustar cannot hold the 124-character name; gnu can
    assert.equal(made.status, 0, made.stderr);
    const entries = readTar(readFileSync(archive), archive);
    const byName = new Map(entries.map((e) => [e.name.replace(/\/$/, ''), e.bytes]));
    assert.deepEqual(
      [...byName.get('cifar-10-batches-bin/a.bin')!],
      Array.from({ length: 1000 }, (_, i) => i % 251),
      format,
    );
    assert.equal(byName.get('cifar-10-batches-bin/empty.txt')!.length, 0);
    assert.equal(new TextDecoder().decode(byName.get(`cifar-10-batches-bin/${longName}`)!), 'long', `${format}: long names`);
    assert.ok(![...byName.keys()].some((k) => k === 'cifar-10-batches-bin'), 'directories are skipped');
  }
});

test('readTar: a corrupt header or a truncated entry is a FormatError naming the archive', () => {
  const header = new Uint8Array(512);
  new TextEncoder().encodeInto('f.bin', header);
  new TextEncoder().encodeInto('0000644\0', header.subarray(100));
  new TextEncoder().encodeInto('00000001750\0', header.subarray(124)); // 1000 bytes
  header[156] = '0'.charCodeAt(0);
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : header[i]!;
  new TextEncoder().encodeInto(`${sum.toString(8).padStart(6, '0')}\0 `, header.subarray(148));
  const truncated = new Uint8Array([...header, ...new Uint8Array(100)]);
  assert.throws(
    () => readTar(truncated, 'x.tar'),
    (e: unknown) => e instanceof FormatError && /x\.tar/.test(e.message) && /needs 1000 bytes/.test(e.message),
  );
  const corrupt = Uint8Array.from(truncated);
  corrupt[0] = 'g'.charCodeAt(0);
  assert.throws(
    () => readTar(corrupt, 'y.tar'),
    (e: unknown) => e instanceof FormatError && /y\.tar/.test(e.message) && /checksum/.test(e.message),
  );
});
