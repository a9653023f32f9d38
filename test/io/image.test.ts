import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { runImageFuzz } from './image.fuzz.js';
import { decodeImage, prepareImage, sniffImageFormat, toChannels } from '../../src/io/image.js';
import { INTERPOLATIONS, resizePixels } from '../../src/io/image-resize.js';
import { decodeJpeg } from '../../src/io/jpeg.js';
import { encodePng } from '../../src/io/png.js';

// Fixtures written by test/fixtures/images/make_fixtures.py (PIL's libjpeg-turbo, torch, numpy).
const FIXTURES = 'test/fixtures/images';
const jpegFixtures = JSON.parse(readFileSync(join(FIXTURES, 'jpeg-pixels.json'), 'utf8')) as Record<
  string,
  { width: number; height: number; mode: string; pixels: number[]; source?: number[] }
>;
const resizeFixtures = JSON.parse(readFileSync(join(FIXTURES, 'resize.json'), 'utf8')) as Array<
  { shape: [number, number, number]; size: [number, number]; input: number[] } & Record<string, number[]>
>;
const fileBytes = (name: string) => new Uint8Array(readFileSync(join(FIXTURES, name)));

function formatError(fn: () => unknown, ...patterns: RegExp[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof nr.FormatError, `expected FormatError, got ${String(error)}`);
    for (const p of patterns) assert.match((error as Error).message, p);
    return true;
  });
}

function differences(a: ArrayLike<number>, b: ArrayLike<number>): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  let max = 0;
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

test('JPEG: baseline, progressive, gray, CMYK and 4:2:0 files decode to what libjpeg gives, within its rounding', () => {
  // jpeg-js's IDCT rounds differently from libjpeg's (a level or two); 4:2:0 chroma is upsampled by
  // repeating pixels where libjpeg interpolates, so only its mean is close on this tiny, colourful image.
  const limits: Record<string, { max: number; mean: number; channels: number }> = {
    'baseline-444.jpg': { max: 4, mean: 1, channels: 3 },
    'progressive.jpg': { max: 4, mean: 1, channels: 3 },
    'gray.jpg': { max: 2, mean: 0.5, channels: 1 },
    'cmyk.jpg': { max: 2, mean: 0.5, channels: 3 },
    'baseline-420.jpg': { max: 80, mean: 8, channels: 3 },
  };
  for (const [name, limit] of Object.entries(limits)) {
    const expected = jpegFixtures[name]!;
    const image = decodeJpeg(fileBytes(name), name);
    assert.deepEqual([image.width, image.height, image.channels], [expected.width, expected.height, limit.channels], name);
    const { max, mean } = differences(image.pixels, expected.pixels);
    assert.ok(max <= limit.max && mean <= limit.mean, `${name}: max ${max}, mean ${mean.toFixed(2)} vs limits ${JSON.stringify(limit)}`);
  }
});

test('JPEG: EXIF orientation is not applied (as in Keras and tf.io.decode_jpeg)', () => {
  const tagged = decodeJpeg(fileBytes('exif-orientation-6.jpg'));
  const plain = decodeJpeg(fileBytes('baseline-444.jpg'));
  assert.deepEqual([tagged.width, tagged.height], [20, 14]);
  assert.deepEqual(tagged.pixels, plain.pixels);
});

test('JPEG: truncated and cut files are FormatErrors naming the file, never a crash', () => {
  const bytes = fileBytes('progressive.jpg');
  for (const cut of [2, 3, 20, 200, bytes.length - 40]) {
    formatError(() => decodeJpeg(bytes.subarray(0, cut), 'cat.jpg'), /^cat\.jpg: /);
  }
  formatError(() => decodeJpeg(new Uint8Array([0x89, 0x50]), 'x.jpg'), /not a JPEG file/);
});

test('JPEG: the pixel limit is checked from the frame header before decoding', () => {
  formatError(() => decodeJpeg(fileBytes('gray.jpg'), 'big.jpg', { maxPixels: 100 }), /20 x 14 = 280 pixels, more than the limit of 100/);
});

test('decodeImage: sniffs PNG and JPEG by their bytes, whatever the name; GIF, BMP and others are clear errors', () => {
  const png = encodePng({ width: 2, height: 1, channels: 3, pixels: new Uint8Array([10, 20, 30, 40, 50, 60]) });
  assert.equal(sniffImageFormat(png), 'png');
  assert.equal(sniffImageFormat(fileBytes('gray.jpg')), 'jpeg');
  assert.deepEqual(decodeImage(png, { name: 'looks-like.jpg' }).pixels, new Uint8Array([10, 20, 30, 40, 50, 60]));
  assert.equal(decodeImage(fileBytes('gray.jpg'), { name: 'looks-like.png' }).channels, 1);
  formatError(() => decodeImage(new TextEncoder().encode('GIF89a......'), { name: 'a.gif' }), /^a\.gif: a GIF file/, /convert it to PNG/);
  formatError(() => decodeImage(new Uint8Array([0x42, 0x4d, ...new Array(20).fill(0)]), { name: 'b.bmp' }), /a BMP file/);
  formatError(
    () => decodeImage(new TextEncoder().encode('hello'), { name: 'c.png' }),
    /^c\.png: not a PNG or JPEG file, got first bytes 68 65 6c 6c/,
  );
  formatError(() => decodeImage(new Uint8Array(0), { name: 'd.png' }), /an empty file/);
  assert.throws(() => decodeImage(png, { colorMode: 'rgbx' as never }), nr.ConfigError);
});

test('colour modes: gray <-> RGB as PIL converts, alpha dropped as stored or added as 255', () => {
  const rgba = { width: 2, height: 1, channels: 4 as const, pixels: new Uint8Array([255, 0, 0, 7, 10, 200, 30, 128]) };
  // PIL: Image.new('RGB', (1, 1), (255, 0, 0)).convert('L') is 76; (10, 200, 30) gives 124
  assert.deepEqual(toChannels(rgba, 1).pixels, new Uint8Array([76, 124]));
  assert.deepEqual(toChannels(rgba, 3).pixels, new Uint8Array([255, 0, 0, 10, 200, 30]));
  const grayAlpha = { width: 1, height: 1, channels: 2 as const, pixels: new Uint8Array([9, 100]) };
  assert.deepEqual(toChannels(grayAlpha, 4).pixels, new Uint8Array([9, 9, 9, 100]));
  assert.deepEqual(toChannels(grayAlpha, 3).pixels, new Uint8Array([9, 9, 9]));
  const gray = { width: 1, height: 1, channels: 1 as const, pixels: new Uint8Array([9]) };
  assert.deepEqual(toChannels(gray, 4).pixels, new Uint8Array([9, 9, 9, 255]));
});

test('resize: bilinear and nearest equal torch.nn.functional.interpolate (align_corners=False), bicubic and area TF rules (1e-4 of 255)', () => {
  for (const fixture of resizeFixtures) {
    const [h, w, c] = fixture.shape;
    const input = Float32Array.from(fixture.input);
    for (const mode of INTERPOLATIONS) {
      const out = resizePixels(input, h, w, c, fixture.size[0], fixture.size[1], mode);
      const { max } = differences(out, fixture[mode]!);
      assert.ok(max < 1e-4, `${mode} ${fixture.shape} -> ${fixture.size}: max difference ${max}`);
    }
  }
});

test('resize: 8-bit input, same size copies, bad arguments are ConfigErrors', () => {
  const bytes = new Uint8Array([0, 255, 100, 50]);
  assert.deepEqual(resizePixels(bytes, 2, 2, 1, 2, 2), Float32Array.from(bytes));
  assert.deepEqual(resizePixels(bytes, 2, 2, 1, 1, 1, 'area'), Float32Array.from([101.25]));
  assert.throws(() => resizePixels(bytes, 2, 2, 1, 0, 1), nr.ConfigError);
  assert.throws(() => resizePixels(bytes, 2, 3, 1, 1, 1), /needs 6 samples, got 4/);
  assert.throws(() => resizePixels(bytes, 2, 2, 1, 1, 1, 'lanczos3' as never), /interpolation must be one of 'bilinear', 'nearest'/);
});

test('prepareImage: crop and pad to the aspect ratio follow Keras (centred box, truncated sizes, zero padding)', () => {
  // a 6 wide x 2 high gray image whose columns are 0..5
  const image = { width: 6, height: 2, channels: 1 as const, pixels: new Uint8Array([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 5]) };
  const cropped = prepareImage(image, { size: [2, 2], cropToAspectRatio: true, interpolation: 'nearest' });
  assert.deepEqual(Array.from(cropped.pixels), [2, 3, 2, 3]); // the centred 2x2 box starts at column 2
  const padded = prepareImage(image, { size: [3, 3], padToAspectRatio: true, interpolation: 'nearest' });
  // padded to 6x6 with the image on rows 2..3, then every second pixel: rows 1, 3, 5 of the canvas
  assert.deepEqual(Array.from(padded.pixels), [0, 0, 0, 1, 3, 5, 0, 0, 0]);
  const same = prepareImage(image);
  assert.deepEqual([same.height, same.width, same.channels], [2, 6, 1]);
  assert.throws(() => prepareImage(image, { size: [2, 2], cropToAspectRatio: true, padToAspectRatio: true }), nr.ConfigError);
  assert.throws(() => prepareImage(image, { size: [2, 0] }), /size must be \[height, width\]/);
});

test('damaged PNG and JPEG files (test/io/image.fuzz.ts, 3,000 cases): each decodes or is a FormatError naming the file', () => {
  // Mutations of every fixture, structure-aware (CRCs recomputed, IDAT re-deflated, segment lengths
  // and frame sizes edited); `npm run fuzz` runs the same harness longer.
  const report = runImageFuzz(3000, 20240607);
  assert.equal(report.crashes, 0, report.examples.join('\n'));
  assert.equal(report.hangs, 0, report.examples.join('\n'));
  assert.ok(report.rejected > 2000 && report.accepted > 100, `most mutants are rejected, some still decode: ${JSON.stringify(report)}`);
});
