/*
 * Pixel-image plots: conv filters, feature maps, sample and misclassified grids. Each is written to a
 * PNG, decoded, and its pixels compared with the values they stand for.
 */
import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { assert, assertClose } from '../helpers.js';
import * as nr from '../../src/index.js';
import * as vis from '../../src/vis/index.js';
import { decodePng } from '../../src/io/png.js';
import type { RgbaImage } from '../../src/vis/grid.js';
import { withDir } from './pixels.js';

const gray = (image: RgbaImage, x: number, y: number) => image.rgba[(y * image.width + x) * 4]!;

/** A layer with a 4-D kernel weight, standing in for Conv2D. */
class KernelLayer extends nr.layers.Layer {
  constructor(
    private readonly kernelShape: number[],
    options: nr.layers.LayerOptions = {},
  ) {
    super(options);
  }
  override build(shape: nr.layers.LayerShape): void {
    this.addWeight({ name: 'kernel', shape: this.kernelShape, initializer: 'zeros' });
    super.build(shape);
  }
  override call(x: nr.Tensor): nr.Tensor {
    return x;
  }
}

test('filterImages: one image per output filter, normalised on its own, RGB for 3 input channels', () => {
  // kernel [2, 2, 1, 2]: filter 0 holds 0, 1, 2, 3 (row-major taps); filter 1 is constant.
  const values = [0, 5, 1, 5, 2, 5, 3, 5];
  const images = vis.filterImages(nr.tensor(values, [2, 2, 1, 2]));
  assert.deepEqual(images.shape, [2, 2, 2]);
  assertClose(images, [0, 1 / 3, 2 / 3, 1, 0.5, 0.5, 0.5, 0.5]);
  // Two input channels: channel 1 is chosen, with its own normalisation.
  const twoChannels = nr.tensor([0, 10, 1, 20, 2, 30, 3, 40], [2, 2, 2, 1]);
  assertClose(vis.filterImages(twoChannels, 1), [0, 1 / 3, 2 / 3, 1]);
  // RGB: one filter [1, 1, 3, 1] with channel values -1, 0, 1 -> 0, 0.5, 1 (one scale for all channels).
  const rgb = vis.filterImages(nr.tensor([-1, 0, 1], [1, 1, 3, 1]));
  assert.deepEqual(rgb.shape, [1, 1, 1, 3]);
  assertClose(rgb, [0, 0.5, 1]);
  assert.throws(() => vis.filterImages(nr.zeros([3, 3, 4])), nr.ShapeError);
  assert.throws(() => vis.filterImages(nr.zeros([3, 3, 2, 4]), 2), nr.ConfigError);
});

test('saveFilterGrid / saveFilters write the filters as scaled tiles with the right shades', async () => {
  await withDir(async (dir) => {
    const kernel = nr.tensor([0, 5, 1, 5, 2, 5, 3, 5], [2, 2, 1, 2]);
    const path = join(dir, 'filters.png');
    const image = await vis.saveFilterGrid(kernel, path, { padding: 2, background: 255 });
    const png = decodePng(readFileSync(path), path);
    // 2 x 2 filters scaled 16 times (to about 32 pixels), two tiles in a row.
    assert.deepEqual([png.width, png.height], [2 + 2 * (32 + 2), 2 + 32 + 2]);
    assert.deepEqual([image.width, image.height], [png.width, png.height]);
    assert.equal(gray(image, 2 + 8, 2 + 8), 0, 'filter 0, tap (0, 0) = its minimum: black');
    assert.equal(gray(image, 2 + 24, 2 + 8), 85, 'tap (0, 1) = 1/3');
    assert.equal(gray(image, 2 + 8, 2 + 24), 170, 'tap (1, 0) = 2/3');
    assert.equal(gray(image, 2 + 24, 2 + 24), 255, 'tap (1, 1) = its maximum: white');
    assert.equal(gray(image, 2 + 34 + 16, 2 + 16), 128, 'a constant filter is mid-gray');

    const layer = new KernelLayer([3, 3, 1, 4], { name: 'features' });
    layer.apply(nr.zeros([1, 5, 5, 1]));
    layer.weights[0]!.assign(nr.randn([3, 3, 1, 4]));
    const fromLayer = await vis.saveFilters(layer, join(dir, 'layer.png'), { scale: 4, padding: 1 });
    assert.deepEqual([fromLayer.width, fromLayer.height], [1 + 2 * (12 + 1), 1 + 2 * (12 + 1)]);
    const model = new nr.Sequential([new KernelLayer([3, 3, 3, 6], { name: 'rgb', inputShape: [5, 5, 3] })]);
    model.predict(nr.zeros([1, 5, 5, 3]));
    const fromModel = await vis.saveFilters(model, 'rgb', join(dir, 'model.svg'), { scale: 2, numbered: true });
    const svg = readFileSync(join(dir, 'model.svg'), 'utf8');
    assert.match(
      svg,
      new RegExp(`^<svg [^>]*width="${fromModel.width}" height="${fromModel.height}"[^>]*><image [^>]*href="data:image/png;base64,`),
    );
    await assert.rejects(vis.saveFilters(new nr.layers.Dense({ units: 2, name: 'flat' }), join(dir, 'x.png')), /no conv kernel/);
  });
});

test('featureMaps observes the chosen layers during one predict and leaves them as they were', () => {
  const model = new nr.Sequential([
    new nr.layers.Dense({ units: 3, inputShape: [2], name: 'hidden', kernelInitializer: 'ones' }),
    new nr.layers.Dense({ units: 1, name: 'out', kernelInitializer: 'ones' }),
  ]);
  const x = nr.tensor([[1, 2]]);
  const [hidden, out] = vis.featureMaps(model, x, ['hidden', 'out']);
  assertClose(hidden!, [3, 3, 3]);
  assertClose(out!, [9]);
  assert.equal(Object.hasOwn(model.getLayer('hidden'), 'call'), false, 'the observer is removed');
  assert.throws(() => vis.featureMaps(model, x, ['nope']), nr.ConfigError);
});

test('saveFeatureMaps draws one labelled row per layer, each map normalised (dark = low)', async () => {
  await withDir(async (dir) => {
    const model = new nr.Sequential([
      new nr.layers.Reshape({ targetShape: [4, 4, 2], inputShape: [32], name: 'maps' }),
      new nr.layers.Flatten({ name: 'flat' }),
    ]);
    // Channel 0 rises along the rows (0..15), channel 1 falls.
    const values = Array.from({ length: 16 }, (_, p) => [p, 15 - p]).flat();
    const path = join(dir, 'maps.png');
    const image = await vis.saveFeatureMaps(model, nr.tensor(values, [32]), ['maps', 'flat'], path, { tileSize: 16, padding: 2 });
    const png = decodePng(readFileSync(path), path);
    assert.deepEqual([png.width, png.height], [image.width, image.height]);
    // Row 1: a 13-pixel label band, then two 4 x 4 maps scaled 4 times with 2 pixels of padding.
    const top = 13 + 2;
    const tile = (c: number, y: number, x: number) => gray(image, 2 + c * 18 + x * 4 + 1, top + y * 4 + 1);
    assert.equal(tile(0, 0, 0), 0);
    assert.equal(tile(0, 3, 3), 255);
    assert.equal(tile(0, 1, 2), Math.round((6 / 15) * 255));
    assert.equal(tile(1, 0, 0), 255);
    assert.equal(tile(1, 3, 3), 0);
    // The label is drawn in the band above the maps.
    let dark = 0;
    for (let y = 0; y < 13; y++) for (let x = 0; x < 40; x++) if (gray(image, x, y) < 128) dark++;
    assert.ok(dark > 20, `${dark} label pixels`);
    // Row 2: the 32 flat values wrap into a 6 x 6 tile (scaled 3 times to about 16 pixels).
    assert.equal(image.height, top + 16 + 2 + 13 + 2 + 18 + 2);
  });
});

test('saveMisclassified captions the wrong ones "true -> predicted"; saveSamples captions labels', async () => {
  await withDir(async (dir) => {
    // 6 images whose brightness encodes the index; the "model" predicts class 1 for all.
    const x = nr.tensor(
      Array.from({ length: 6 * 16 }, (_, i) => Math.floor(i / 16) / 5),
      [6, 16],
    );
    const y = [1, 0, 1, 2, 1, 0];
    const model = (input: nr.Tensor) => nr.oneHot(nr.tensor(Array(input.shape[0]).fill(1), undefined, 'int32'), 3);
    const found = vis.misclassified(model, x, y);
    assert.deepEqual(found, { indices: [1, 3, 5], trueClasses: [0, 2, 0], predictedClasses: [1, 1, 1], total: 3 });
    assert.deepEqual(vis.misclassified(model, x, y, { count: 2 }).indices, [1, 3]);

    const path = join(dir, 'wrong.png');
    const result = await vis.saveMisclassified(model, x, y, path, { classNames: ['zero', 'one', 'two'], columns: 3, scale: 4, padding: 2 });
    assert.deepEqual(result.indices, [1, 3, 5]);
    const image = result.image!;
    const png = decodePng(readFileSync(path), path);
    assert.deepEqual([png.width, png.height], [image.width, image.height]);
    // Flat rows of 16 become 4 x 4 images; captions "zero -> one" (11 glyphs) widen the cells.
    const cellWidth = 11 * 6 - 1;
    assert.equal(image.width, 2 + 3 * (cellWidth + 2));
    assert.equal(image.height, 2 + 16 + 9 + 2);
    // The tiles are images 1, 3 and 5: gray levels 0.2, 0.6, 1.0.
    const centre = (k: number) => gray(image, 2 + k * (cellWidth + 2) + Math.floor(cellWidth / 2), 2 + 8);
    assert.deepEqual([centre(0), centre(1), centre(2)], [51, 153, 255]);
    let captionPixels = 0;
    for (let yy = 2 + 16; yy < image.height; yy++) for (let xx = 0; xx < image.width; xx++) if (gray(image, xx, yy) < 128) captionPixels++;
    assert.ok(captionPixels > 100, `${captionPixels} caption pixels`);

    const none = await vis.saveMisclassified(model, x, [1, 1, 1, 1, 1, 1], join(dir, 'none.png'));
    assert.equal(none.image, null);
    assert.equal(none.total, 0);

    const samples = await vis.saveSamples(x, y, join(dir, 'samples.png'), {
      count: 4,
      scale: 2,
      columns: 4,
      classNames: ['zero', 'one', 'two'],
    });
    // Default padding 6 keeps neighbouring captions apart.
    assert.equal(samples.width, 6 + 4 * (4 * 6 - 1 + 6)); // "zero" is the widest caption
    assert.throws(() => vis.misclassified(model, x, [1, 2]), nr.ShapeError);
    await assert.rejects(vis.saveSamples(nr.zeros([2, 15]), null, join(dir, 'odd.png')), /imageShape/);
  });
});
