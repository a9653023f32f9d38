import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { IDX_IMAGES_MAGIC, IDX_LABELS_MAGIC, encodeIdx, gunzipIfNeeded, isGzip, parseIdx, readIdxFile } from '../../src/io/idx.js';
import { writeFileAtomic } from '../../src/io/atomic.js';

/** Asserts that `fn` throws a FormatError whose message matches every pattern. */
function assertFormatError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof nr.FormatError, `expected FormatError, got ${String(error)}`);
    for (const p of patterns) assert.match((error as Error).message, p);
    return true;
  });
}

function header(type: number, dims: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * dims.length);
  out[2] = type;
  out[3] = dims.length;
  const view = new DataView(out.buffer);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false));
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

test('idx: MNIST-style images and labels round-trip, with the exact header bytes', () => {
  const pixels = Uint8Array.from({ length: 2 * 28 * 28 }, (_, i) => (i * 7) % 256);
  const images = encodeIdx(pixels, [2, 28, 28]);
  assert.deepEqual([...images.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 28, 0, 0, 0, 28]);
  const parsed = parseIdx(images, 'images', { magic: IDX_IMAGES_MAGIC });
  assert.equal(parsed.type, 'uint8');
  assert.deepEqual(parsed.shape, [2, 28, 28]);
  assert.ok(parsed.data instanceof Uint8Array);
  assert.deepEqual([...parsed.data], [...pixels]);
  const labels = parseIdx(encodeIdx(new Uint8Array([7, 2, 1]), [3]), 'labels', { magic: IDX_LABELS_MAGIC });
  assert.deepEqual(labels.shape, [3]);
  assert.deepEqual([...labels.data], [7, 2, 1]);
});

test('idx: every element type round-trips big-endian', () => {
  const cases: [ArrayLike<number> & { constructor: unknown }, string, number][] = [
    [new Int8Array([-128, -1, 0, 127]), 'int8', 0x09],
    [new Int16Array([-32768, -2, 258, 32767]), 'int16', 0x0b],
    [new Int32Array([-2147483648, -3, 16909060, 2147483647]), 'int32', 0x0c],
    [new Float32Array([-1.5, 0, 3.25, 1e30]), 'float32', 0x0d],
    [new Float64Array([-1.5, Math.PI, 1e300, -0]), 'float64', 0x0e],
  ];
  for (const [data, type, code] of cases) {
    const bytes = encodeIdx(data as never, [2, 2]);
    assert.equal(bytes[2], code, type);
    const parsed = parseIdx(bytes, type);
    assert.equal(parsed.type, type);
    assert.deepEqual(parsed.shape, [2, 2]);
    assert.deepEqual([...parsed.data], [...(data as ArrayLike<number> & Iterable<number>)], type);
  }
  // Big-endian on disk: int32 16909060 is 01 02 03 04.
  const one = encodeIdx(new Int32Array([16909060]), [1]);
  assert.deepEqual([...one.subarray(8)], [1, 2, 3, 4]);
  // Rank 0 (a scalar) and a zero-sized dimension are well-formed.
  assert.deepEqual([...parseIdx(concat(header(0x08, []), new Uint8Array([9]))).data], [9]);
  assert.equal(parseIdx(header(0x08, [0, 28, 28])).data.length, 0);
});

test('idx: gzipped bytes and files are decompressed transparently', () => {
  const plain = encodeIdx(new Uint8Array([3, 1, 4, 1, 5, 9]), [2, 3]);
  const gz = new Uint8Array(gzipSync(plain));
  assert.ok(isGzip(gz) && !isGzip(plain));
  assert.deepEqual([...gunzipIfNeeded(gz)], [...plain]);
  assert.equal(gunzipIfNeeded(plain), plain);
  assert.deepEqual([...parseIdx(gz).data], [3, 1, 4, 1, 5, 9]);
  const dir = mkdtempSync(join(tmpdir(), 'neurona-idx-'));
  try {
    writeFileSync(join(dir, 'a.gz'), gz);
    writeFileSync(join(dir, 'a'), plain);
    assert.deepEqual(readIdxFile(join(dir, 'a.gz')).shape, [2, 3]);
    assert.deepEqual([...readIdxFile(join(dir, 'a')).data], [3, 1, 4, 1, 5, 9]);
    assertFormatError(() => readIdxFile(join(dir, 'a'), { magic: IDX_IMAGES_MAGIC }), /a: wrong IDX magic.*0x00000803.*0x00000802/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('idx: malformed files are rejected with a FormatError naming the file and the problem', () => {
  const good = encodeIdx(new Uint8Array(12), [3, 4]);
  assertFormatError(() => parseIdx(new Uint8Array(0), 'empty.idx'), /empty\.idx: truncated IDX file: 0 bytes/);
  assertFormatError(() => parseIdx(good.subarray(0, 3), 'f'), /truncated IDX file: 3 bytes/);
  assertFormatError(() => parseIdx(good.subarray(0, 9), 'f'), /truncated IDX header: rank 2 needs 12 header bytes, the file has 9/);
  assertFormatError(() => parseIdx(good.subarray(0, good.length - 1), 'short.idx'), /short\.idx: .*\[3, 4\].*need more than 11 bytes/);
  assertFormatError(() => parseIdx(concat(good, new Uint8Array(2)), 'long.idx'), /long\.idx: .*need 12 data bytes.*holds 14.*2 extra/);
  const badZero = good.slice();
  badZero[0] = 0x50; // e.g. a PNG or text file
  assertFormatError(() => parseIdx(badZero, 'x.png'), /x\.png: not an IDX file: magic number 0x50000802/);
  const badSecond = good.slice();
  badSecond[1] = 1;
  assertFormatError(() => parseIdx(badSecond, 'f'), /not an IDX file/);
  const badType = good.slice();
  badType[2] = 0x0a;
  assertFormatError(() => parseIdx(badType, 'f'), /unsupported IDX element type code 0x0a/);
  assertFormatError(
    () => parseIdx(good, 'labels', { magic: IDX_LABELS_MAGIC }),
    /labels: wrong IDX magic number: expected 0x00000801, got 0x00000802/,
  );
  // Forged dimensions whose product overflows 2^32 and even 2^53 are caught before any allocation.
  const huge = concat(header(0x08, [0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff]), new Uint8Array(16));
  assertFormatError(() => parseIdx(huge, 'huge.idx'), /huge\.idx: IDX dimensions \[4294967295, \.\.\.\] need more than 16 bytes/);
  const wrapsTo16 = concat(header(0x0c, [0x40000001, 4]), new Uint8Array(16)); // (2^30+1)*4*4 bytes, mod 2^32 = 16
  assertFormatError(() => parseIdx(wrapsTo16, 'f'), /need more than 16 bytes of int32/);
  const float64Short = concat(header(0x0e, [2]), new Uint8Array(12));
  assertFormatError(() => parseIdx(float64Short, 'f'), /need more than 12 bytes of float64/);
  // Corrupt gzip: correct magic, garbage or truncated stream.
  const gz = new Uint8Array(gzipSync(good));
  assertFormatError(
    () => parseIdx(gz.subarray(0, gz.length - 10), 'cut.gz'),
    /cut\.gz: starts with the gzip magic but does not decompress/,
  );
  assertFormatError(() => parseIdx(new Uint8Array([0x1f, 0x8b, 1, 2, 3]), 'junk.gz'), /junk\.gz: .*does not decompress/);
});

test('writeFileAtomic: replaces the file whole and leaves no temporary file behind', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-atomic-'));
  try {
    const path = join(dir, 'weights.bin');
    await writeFileAtomic(path, new Uint8Array([1, 2, 3]));
    await writeFileAtomic(path, new Uint8Array([4, 5]));
    assert.deepEqual([...readFileSync(path)], [4, 5]);
    assert.deepEqual(readdirSync(dir), ['weights.bin']);
    await assert.rejects(writeFileAtomic(join(dir, 'missing', 'x.bin'), new Uint8Array(1)), /ENOENT/);
    assert.deepEqual(readdirSync(dir), ['weights.bin']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
