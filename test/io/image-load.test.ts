import { after, test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { encodePng } from '../../src/io/png.js';

const dir = mkdtempSync(join(tmpdir(), 'neurona-load-image-'));
after(() => rmSync(dir, { recursive: true, force: true }));

// A 4 x 2 RGB image whose pixel (y, x) has the colour (10 y + x, 100, 200).
const pixels = new Uint8Array(4 * 2 * 3);
for (let y = 0; y < 2; y++) for (let x = 0; x < 4; x++) pixels.set([10 * y + x, 100, 200], (y * 4 + x) * 3);
const pngPath = join(dir, 'small.png');
writeFileSync(pngPath, encodePng({ width: 4, height: 2, channels: 3, pixels }));

test('loadImage: a float32 [h, w, c] tensor of 0..255 values, as load_img + img_to_array', async () => {
  const image = await nr.io.loadImage(pngPath);
  assert.deepEqual([image.shape, image.dtype], [[2, 4, 3], 'float32']);
  assert.deepEqual(Array.from(image.data()), Array.from(pixels));
  // targetSize with load_img's default 'nearest': columns 0 and 2 of row 1 (PIL picks the same pixels)
  const small = await nr.io.loadImage(pngPath, { targetSize: [1, 2] });
  assert.deepEqual(Array.from(small.data()), [11, 100, 200, 13, 100, 200]);
  const gray = await nr.io.loadImage(pngPath, { colorMode: 'grayscale' });
  assert.deepEqual(gray.shape, [2, 4, 1]);
  assert.equal(gray.data()[0], Math.round(0.587 * 100 + 0.114 * 200)); // PIL's convert('L')
  const rgba = await nr.io.loadImage(pngPath, { colorMode: 'rgba', targetSize: [2, 2], keepAspectRatio: true });
  // keep_aspect_ratio: the centred 2 x 2 box (columns 1 and 2), alpha 255
  assert.deepEqual(Array.from(rgba.data().subarray(0, 8)), [1, 100, 200, 255, 2, 100, 200, 255]);
});

test('loadImage: JPEG from a path or bytes, whatever the file is called', async () => {
  const bytes = new Uint8Array(readFileSync('test/fixtures/images/baseline-444.jpg'));
  writeFileSync(join(dir, 'photo.png'), bytes);
  const fromPath = await nr.io.loadImage(join(dir, 'photo.png'), { targetSize: [7, 10], interpolation: 'area' });
  const fromBytes = await nr.io.loadImage(bytes, { targetSize: [7, 10], interpolation: 'area' });
  assert.deepEqual(fromPath.shape, [7, 10, 3]);
  assert.deepEqual(fromPath.data(), fromBytes.data());
});

test('loadImage: a missing file, a non-image and bad options are errors that name them', async () => {
  await assert.rejects(
    nr.io.loadImage(join(dir, 'nope.jpg')),
    (e: unknown) => e instanceof nr.FormatError && /cannot read image .*nope\.jpg \(no such file\)/.test(String(e)),
  );
  writeFileSync(join(dir, 'notes.png'), 'plain text');
  await assert.rejects(
    nr.io.loadImage(join(dir, 'notes.png')),
    (e: unknown) => e instanceof nr.FormatError && /notes\.png: not a PNG or JPEG file/.test(String(e)),
  );
  await assert.rejects(nr.io.loadImage(pngPath, { targetSize: [0, 2] }), /targetSize must be \[height, width\]/);
  await assert.rejects(nr.io.loadImage(pngPath, { colorMode: 'hsv' as never }), nr.ConfigError);
  await assert.rejects(nr.io.loadImage(pngPath, { interpolation: 'lanczos3' as never }), /interpolation must be one of/);
  await assert.rejects(nr.io.loadImage(pngPath, { target_size: [2, 2], targetSize: [2, 2] } as never), nr.ConfigError);
  await assert.rejects(nr.io.loadImage(pngPath, { maxPixels: 4 }), /more than the limit of 4/);
});
