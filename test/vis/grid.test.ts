import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert } from '../helpers.js';
import * as nr from '../../src/index.js';
import { imageGrid, saveImageGrid, type RgbaImage } from '../../src/vis/grid.js';
import { decodePng } from '../../src/io/png.js';

const pixel = (g: RgbaImage, x: number, y: number) => [...g.rgba.subarray((y * g.width + x) * 4, (y * g.width + x) * 4 + 4)];

/** Counts pixels darker than 128 in the rectangle [x0, x1) x [y0, y1). */
function darkPixels(g: RgbaImage, x0: number, y0: number, x1: number, y1: number): number {
  let n = 0;
  for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) if (g.rgba[(y * g.width + x) * 4]! < 128) n++;
  return n;
}

test('grid dimensions: padding + columns * (tile + padding), times scale', () => {
  const g = imageGrid(nr.zeros([5, 4, 6]), { columns: 3, padding: 2, scale: 2 });
  assert.equal(g.width, 2 + 3 * (12 + 2));
  assert.equal(g.height, 2 + 2 * (8 + 2));
  assert.equal(g.rgba.length, g.width * g.height * 4);
  // Fewer images than columns: the grid is only as wide as needed.
  assert.equal(imageGrid(nr.zeros([2, 4, 4]), { columns: 5, padding: 1 }).width, 1 + 2 * 5);
  // Default columns: ceil(sqrt(N)).
  assert.equal(imageGrid(nr.zeros([10, 3, 3]), { padding: 0 }).width, 4 * 3);
});

test('a white tile is white, a black tile is black, and the padding is the background', () => {
  const images = nr.concat([nr.ones([1, 3, 3]), nr.zeros([1, 3, 3])], 0);
  const g = imageGrid(images, { columns: 2, padding: 1, scale: 2, background: 100 });
  for (let y = 1; y < 7; y++) for (let x = 1; x < 7; x++) assert.deepEqual(pixel(g, x, y), [255, 255, 255, 255], `(${x}, ${y})`);
  for (let y = 1; y < 7; y++) for (let x = 8; x < 14; x++) assert.deepEqual(pixel(g, x, y), [0, 0, 0, 255], `(${x}, ${y})`);
  assert.deepEqual(pixel(g, 0, 0), [100, 100, 100, 255]);
  assert.deepEqual(pixel(g, 7, 3), [100, 100, 100, 255]);
});

test('values 0..1 and 0..255 are detected (and can be forced)', () => {
  const unit = imageGrid(nr.full([1, 1, 1], 0.5), { padding: 0 });
  assert.deepEqual(pixel(unit, 0, 0), [128, 128, 128, 255]);
  const bytes = imageGrid(nr.full([1, 1, 1], 128), { padding: 0 });
  assert.deepEqual(pixel(bytes, 0, 0), [128, 128, 128, 255]);
  const ints = imageGrid(nr.tensor([[[1]]], undefined, 'int32'), { padding: 0 }); // int tensors are bytes
  assert.deepEqual(pixel(ints, 0, 0), [1, 1, 1, 255]);
  const forced = imageGrid(nr.full([1, 1, 1], 0.5), { padding: 0, range: 'byte' });
  assert.deepEqual(pixel(forced, 0, 0), [1, 1, 1, 255]);
  const clipped = imageGrid(nr.tensor([[[-3, 300]]]), { padding: 0 });
  assert.deepEqual([pixel(clipped, 0, 0)[0], pixel(clipped, 1, 0)[0]], [0, 255]);
});

test('RGB and RGBA images keep their colours', () => {
  const rgb = imageGrid(
    nr.tensor([
      [
        [
          [1, 0, 0],
          [0, 0, 1],
        ],
      ],
    ]),
    { padding: 0 },
  );
  assert.deepEqual(
    [pixel(rgb, 0, 0), pixel(rgb, 1, 0)],
    [
      [255, 0, 0, 255],
      [0, 0, 255, 255],
    ],
  );
  const rgba = imageGrid(nr.tensor([[[[0, 255, 0, 100]]]]), { padding: 0 });
  assert.deepEqual(pixel(rgba, 0, 0), [0, 255, 0, 100]);
});

test('captions are drawn as dark text under each tile, and widen cells that need it', () => {
  const images = nr.ones([2, 28, 28]);
  const g = imageGrid(images, { columns: 2, padding: 2, captions: ['7 -> 1', ''] });
  const captionWidth = 6 * 6 - 1; // six 5-pixel glyphs with 1-pixel gaps
  assert.equal(g.width, 2 + 2 * (captionWidth + 2));
  assert.equal(g.height, 2 + 28 + 9 + 2);
  const cell = captionWidth + 2;
  assert.equal(darkPixels(g, 0, 0, g.width, 30), 0, 'no dark pixels on the white tiles or above them');
  const under = darkPixels(g, 2, 30, 2 + captionWidth, 30 + 9);
  assert.ok(under > 20, `only ${under} dark pixels under the captioned tile`);
  assert.equal(darkPixels(g, 2 + cell, 30, g.width, g.height), 0, 'an empty caption draws nothing');
  // The glyphs are the font's: '7' starts with a full top row of 5 pixels at the caption's left edge.
  assert.equal(darkPixels(g, 2, 31, 7, 32), 5);
  // Different captions draw different pixels.
  const other = imageGrid(images, { columns: 2, padding: 2, captions: ['1 -> 7', ''] });
  assert.notDeepEqual(other.rgba, g.rgba);
});

test('saveImageGrid writes a PNG that decodes to the same pixels', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-grid-'));
  try {
    const images = nr.randu([6, 5, 5]);
    const path = join(dir, 'grid.png');
    const g = await saveImageGrid(path, images, { columns: 3, captions: ['a', 'b', 'c', 'd', 'e', 'f'] });
    const png = decodePng(readFileSync(path), path);
    assert.deepEqual([png.width, png.height, png.channels], [g.width, g.height, 3]);
    for (let i = 0, j = 0; i < g.rgba.length; i += 4, j += 3) {
      assert.deepEqual([...png.pixels.subarray(j, j + 3)], [...g.rgba.subarray(i, i + 3)]);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('bad grids are NeuronaErrors', () => {
  assert.throws(() => imageGrid(nr.zeros([3, 3])), nr.ShapeError);
  assert.throws(() => imageGrid(nr.zeros([1, 3, 3, 2])), nr.ShapeError);
  assert.throws(() => imageGrid(nr.zeros([2, 3, 3]), { captions: ['one'] }), nr.ConfigError);
  assert.throws(() => imageGrid(nr.zeros([2, 3, 3]), { columns: 0 }), nr.ConfigError);
  assert.throws(() => imageGrid(nr.zeros([2, 3, 3]), { scale: 1.5 }), nr.ConfigError);
  assert.throws(() => imageGrid(nr.tensor([[[NaN]]])), nr.NumericsError);
});
