import { test } from 'node:test';
import { decode as decodeFast } from 'fast-png';
import { deflateSync } from 'node:zlib';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { Random } from '../../src/core/random.js';
import { crc32, decodePng, encodePng, type PngImage } from '../../src/io/png.js';

function assertFormatError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof nr.FormatError, `expected FormatError, got ${String(error)}`);
    for (const p of patterns) assert.match((error as Error).message, p);
    return true;
  });
}

function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('hex');
}

function randomImage(width: number, height: number, channels: 1 | 2 | 3 | 4, seed: number): PngImage {
  const random = new Random(seed);
  const pixels = new Uint8Array(width * height * channels);
  for (let i = 0; i < pixels.length; i++) pixels[i] = random.nextInt(256);
  return { width, height, channels, pixels };
}

/** A PNG built by hand around raw (already filtered) scanlines, for decoder tests. */
function handBuilt(width: number, height: number, colorType: number, raw: Uint8Array, depth = 8): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const out = new Uint8Array(12 + data.length);
    const view = new DataView(out.buffer);
    view.setUint32(0, data.length);
    out.set(Buffer.from(type, 'latin1'), 4);
    out.set(data, 8);
    view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
    return out;
  };
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header[8] = depth;
  header[9] = colorType;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

test("crc32 matches the standard check value and PNG's IEND CRC", () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926); // the CRC-32 catalogue's check value
  assert.equal(crc32(Buffer.from('IEND')), 0xae426082); // the last 4 bytes of every PNG file
});

test('a 1x1 gray PNG is byte-exact against the bytes the PNG spec prescribes', () => {
  // Built from the spec by hand (and identical to Python's zlib.crc32/zlib.compress at level 6):
  // signature | IHDR len 13, 1x1, depth 8, color 0, CRC 3A7E9B55 | IDAT zlib("00 80") | IEND AE426082.
  const expected =
    '89504e470d0a1a0a' +
    '0000000d' +
    '49484452' +
    '00000001' +
    '00000001' +
    '0800000000' +
    '3a7e9b55' +
    '0000000a' +
    '49444154' +
    '789c6368000000820081' +
    '77cd72b6' +
    '00000000' +
    '49454e44' +
    'ae426082';
  assert.equal(hex(encodePng({ width: 1, height: 1, channels: 1, pixels: new Uint8Array([128]) })), expected);
});

test('the encoder agrees with an independent encoder in Python (when python3 is present)', (t) => {
  const probe = spawnSync('python3', ['-c', 'import zlib'], { encoding: 'utf8' });
  if (probe.status !== 0) {
    t.skip('python3 with zlib is not available');
    return;
  }
  const image = randomImage(5, 3, 3, 7);
  const script = `
import zlib, struct, sys
w, h, px = 5, 3, bytes.fromhex(sys.argv[1])
raw = b''.join(b'\\x00' + px[y*w*3:(y+1)*w*3] for y in range(h))
def chunk(t, d): return struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d))
ihdr = chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
sys.stdout.write((b'\\x89PNG\\r\\n\\x1a\\n' + ihdr + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b'')).hex())`;
  const run = spawnSync('python3', ['-c', script, hex(image.pixels)], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(hex(encodePng(image)), run.stdout.trim());
});

test('gray, gray + alpha, RGB and RGBA images survive an encode/decode round trip', () => {
  for (const channels of [1, 2, 3, 4] as const) {
    for (const [width, height] of [
      [1, 1],
      [7, 3],
      [40, 33],
    ] as const) {
      const image = randomImage(width, height, channels, width * 100 + channels);
      const back = decodePng(encodePng(image));
      assert.deepEqual([back.width, back.height, back.channels], [width, height, channels]);
      assert.deepEqual(back.pixels, image.pixels, `${width}x${height}x${channels}`);
    }
  }
});

test('the decoder undoes filter types 1-4 (Sub, Up, Average, Paeth) on hand-built scanlines', () => {
  // Two RGB pixels per row (bpp 3), three rows. The expected image is known; each row is filtered
  // by hand here with the spec's formulas and a different filter type, then decoded.
  const width = 2;
  const rows = [
    [10, 20, 30, 200, 100, 50],
    [15, 25, 35, 190, 110, 40],
    [250, 5, 128, 3, 255, 60],
    // The last two rows make Paeth's ties matter (a = left, b = up, c = up-left): pixel 2 channel 0
    // has a=7 b=16 c=10 (pb = pc < pa: b wins), channel 1 has a=16 b=7 c=10 (pa = pc < pb: a wins).
    [10, 10, 0, 16, 7, 0],
    [7, 16, 2, 99, 3, 4],
  ];
  const bpp = 3;
  const paeth = (a: number, b: number, c: number) => {
    const p = a + b - c;
    const [pa, pb, pc] = [Math.abs(p - a), Math.abs(p - b), Math.abs(p - c)];
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
  };
  for (const types of [
    [1, 2, 3, 0, 4],
    [4, 4, 4, 4, 4],
    [3, 1, 2, 3, 1],
    [2, 3, 4, 1, 2],
    [0, 4, 1, 2, 3],
  ]) {
    const raw: number[] = [];
    rows.forEach((row, y) => {
      raw.push(types[y]!);
      row.forEach((value, i) => {
        const a = i >= bpp ? row[i - bpp]! : 0;
        const b = y > 0 ? rows[y - 1]![i]! : 0;
        const c = y > 0 && i >= bpp ? rows[y - 1]![i - bpp]! : 0;
        const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][types[y]!]!;
        raw.push((value - predictor) & 0xff);
      });
    });
    const decoded = decodePng(handBuilt(width, rows.length, 2, new Uint8Array(raw)));
    assert.deepEqual([...decoded.pixels], rows.flat(), `filters ${types.join(',')}`);
  }
  assertFormatError(() => decodePng(handBuilt(1, 1, 0, new Uint8Array([5, 0]))), /cannot decode the image data \(Unsupported filter: 5\)/);
});

test('a corrupted CRC is a FormatError naming the chunk', () => {
  const png = encodePng(randomImage(4, 4, 3, 1));
  const broken = png.slice();
  broken[8 + 8 + 13 + 2]! ^= 0xff; // inside the IHDR CRC
  assertFormatError(() => decodePng(broken, 'grid.png'), /grid\.png/, /CRC mismatch in chunk IHDR/);
  const data = png.slice();
  data[45]! ^= 0x01; // a byte of the IDAT data
  assertFormatError(() => decodePng(data), /CRC mismatch in chunk IDAT/);
});

test('truncated and malformed files are FormatErrors that say what is wrong', () => {
  const png = encodePng(randomImage(4, 4, 1, 2));
  for (const cut of [0, 5, 8, 20, 33, png.length - 12, png.length - 1]) {
    assertFormatError(() => decodePng(png.subarray(0, cut)), cut < 8 ? /not a PNG file/ : /truncated/);
  }
  const notPng = Buffer.from('GIF89a and more bytes');
  assertFormatError(() => decodePng(notPng), /signature/);
  assertFormatError(() => decodePng(handBuilt(2, 2, 0, new Uint8Array(3))), /inflates to 3 bytes/);
  assertFormatError(() => decodePng(handBuilt(1, 1, 3, new Uint8Array(2))), /palette image \(color type 3\) without a PLTE chunk/);
  assertFormatError(() => decodePng(handBuilt(1, 1, 2, new Uint8Array(3), 4)), /invalid pixel format: bit depth 4, color type 2/);
  assertFormatError(() => decodePng(handBuilt(1, 1, 0, new Uint8Array(3), 16).subarray(0, 33)), /truncated/);
});

test('the encoder rejects sizes that do not match the pixel buffer', () => {
  assert.throws(() => encodePng({ width: 2, height: 2, channels: 3, pixels: new Uint8Array(11) }), nr.ConfigError);
  assert.throws(() => encodePng({ width: 0, height: 2, channels: 1, pixels: new Uint8Array(0) }), nr.ConfigError);
  assert.throws(() => encodePng({ width: 1, height: 1, channels: 5 as 1, pixels: new Uint8Array(5) }), nr.ConfigError);
});

test('every kind of valid PNG decodes: bit depths 1-16, palette, gray + alpha, tRNS, Adam7 (fixtures from generate_png.py)', () => {
  // Written by test/fixtures/generate_png.py with an encoder of its own and checked there against Pillow.
  const dir = 'test/fixtures/png';
  const expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as Record<
    string,
    { width: number; height: number; channels: number; pixels: number[] }
  >;
  const names = Object.keys(expected);
  assert.equal(names.length, 29);
  for (const kind of [
    'gray-1',
    'gray-2',
    'gray-4',
    'gray-16',
    'palette-1',
    'palette-8-trns',
    'gray-alpha-16',
    'rgb-16-trns',
    'gray-1-interlaced',
    'palette-4-interlaced',
    'rgba-16-interlaced',
  ]) {
    assert.ok(names.includes(kind), kind);
  }
  for (const name of names) {
    const image = decodePng(readFileSync(join(dir, `${name}.png`)), name);
    const want = expected[name]!;
    assert.deepEqual([image.width, image.height, image.channels], [want.width, want.height, want.channels], name);
    assert.deepEqual([...image.pixels], want.pixels, name);
  }
});

/** A PNG whose IHDR declares any size, with `raw` (unchecked) as its image data. */
function declared(width: number, height: number, raw: Uint8Array): Uint8Array {
  const png = handBuilt(1, 1, 0, raw);
  const view = new DataView(png.buffer, png.byteOffset);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(png, 12, 29));
  return png;
}

test('the pixel limit is checked from the header, before anything is inflated; maxPixels raises it', () => {
  assertFormatError(
    () => decodePng(declared(100000, 100000, new Uint8Array(2)), 'huge.png'),
    /huge\.png: the image is 100000 x 100000 = 10,000,000,000 pixels, more than the limit of 67,108,864/,
  );
  const png = readFileSync('test/fixtures/png/rgb-8.png'); // 9 x 7
  assertFormatError(() => decodePng(png, 'small.png', { maxPixels: 62 }), /9 x 7 = 63 pixels, more than the limit of 62/);
  assert.equal(decodePng(png, 'small.png', { maxPixels: 63 }).width, 9);
  assert.throws(() => decodePng(png, 'x', { maxPixels: 0 }), nr.ConfigError);
});

test('image data that inflates past what the header declares is refused without inflating it all', () => {
  // 1 x 1 gray needs 2 bytes; this stream inflates to 64 MB from a few tens of kilobytes.
  const bomb = declared(1, 1, new Uint8Array(64 * 1024 * 1024));
  assert.ok(bomb.length < 200_000);
  assertFormatError(() => decodePng(bomb, 'bomb.png'), /bomb\.png: image data inflates to more than the 2 bytes/);
});

test('a repeated PLTE or tRNS chunk is a FormatError (fast-png would widen palette entries past the pixel size)', () => {
  const file = new Uint8Array(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'png', 'palette-2-trns.png')));
  const view = new DataView(file.buffer, file.byteOffset);
  for (const type of ['PLTE', 'tRNS']) {
    let at = 8;
    while (String.fromCharCode(...file.subarray(at + 4, at + 8)) !== type) at += 12 + view.getUint32(at);
    const end = at + 12 + view.getUint32(at);
    const twice = Buffer.concat([file.subarray(0, end), file.subarray(at)]);
    assertFormatError(() => decodePng(twice, 'twice.png'), /^twice\.png: /, new RegExp(`more than one ${type} chunk`));
  }
});

test("8-bit images unfiltered here give fast-png's samples: random pixels, every filter type, every colour type", () => {
  // decodePng undoes the filters itself for 8-bit gray, gray + alpha, RGB and RGBA without
  // interlacing or tRNS; fast-png (which decodes everything else) is the reference.
  const random = new Random(12345);
  const next = () => Math.floor(random.next() * 65536);
  for (const [colorType, bpp] of [
    [0, 1],
    [4, 2],
    [2, 3],
    [6, 4],
  ] as const) {
    const [width, height] = [7, 9];
    const stride = width * bpp;
    const pixels = Uint8Array.from({ length: stride * height }, () => next() & 255);
    const raw = new Uint8Array((stride + 1) * height);
    for (let y = 0; y < height; y++) {
      const type = y === 0 ? 4 : next() % 5;
      raw[y * (stride + 1)] = type;
      for (let i = 0; i < stride; i++) {
        const x = pixels[y * stride + i]!;
        const a = i >= bpp ? pixels[y * stride + i - bpp]! : 0;
        const b = y > 0 ? pixels[(y - 1) * stride + i]! : 0;
        const c = i >= bpp && y > 0 ? pixels[(y - 1) * stride + i - bpp]! : 0;
        const p = a + b - c;
        const paeth =
          Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
        const predicted = [0, a, b, (a + b) >> 1, paeth][type]!;
        raw[y * (stride + 1) + 1 + i] = (x - predicted) & 255;
      }
    }
    const file = handBuilt(width, height, colorType, raw);
    const ours = decodePng(file);
    assert.equal(ours.channels, bpp);
    assert.deepEqual([...ours.pixels], [...pixels], `colour type ${colorType}`);
    assert.deepEqual([...ours.pixels], [...decodeFast(file, { checkCrc: true }).data], `colour type ${colorType} against fast-png`);
  }
});
