/**
 * What a convolutional network learned and sees: its filters as a grid of small images, and the
 * feature maps one input produces in chosen layers, one row per layer. Node-only (writes files).
 */
import { configError, formatShape, shapeError, show } from '../core/index.js';
import { Tensor, noGrad, tensor } from '../tensor/index.js';
import type { Layer } from '../nn/layer.js';
import { imageGrid, type ImageGridOptions, type RgbaImage } from './grid.js';
import { GLYPH_HEIGHT, drawText } from './font.js';
import { saveImage } from './raster.js';

export interface FilterGridOptions extends Omit<ImageGridOptions, 'range' | 'captions'> {
  /** The input channel to show when a filter has other than 3 (default 0); 3 input channels are drawn as RGB. */
  channel?: number;
  /** Caption each tile with its filter index (default false). */
  numbered?: boolean;
}

/** Min-max scales each of `count` consecutive blocks of `size` values to [0, 1] (a constant block becomes 0.5). */
function normalizeBlocks(values: Float32Array, count: number, size: number): Float32Array {
  for (let n = 0; n < count; n++) {
    let low = Infinity;
    let high = -Infinity;
    for (let i = n * size; i < (n + 1) * size; i++) {
      low = Math.min(low, values[i]!);
      high = Math.max(high, values[i]!);
    }
    const span = high - low;
    for (let i = n * size; i < (n + 1) * size; i++) values[i] = span > 0 ? (values[i]! - low) / span : 0.5;
  }
  return values;
}

/**
 * The filters of a conv kernel `[kh, kw, inChannels, filters]` (Keras layout) as images, one per
 * output filter, each min-max normalised to [0, 1] on its own: `[filters, kh, kw, 3]` when there are
 * 3 input channels (RGB), else `[filters, kh, kw]` of input channel `channel`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * nr.vis.filterImages(nr.randn([5, 5, 1, 8])).shape; // [8, 5, 5]
 * ```
 */
export function filterImages(kernel: Tensor, channel = 0): Tensor {
  const where = 'filterImages';
  if (!(kernel instanceof Tensor) || kernel.rank !== 4) {
    throw shapeError(where, {
      expected: 'expected a conv kernel [kernelHeight, kernelWidth, inChannels, filters]',
      got: kernel instanceof Tensor ? formatShape(kernel.shape) : show(kernel),
    });
  }
  const [kh, kw, inChannels, filters] = kernel.shape as [number, number, number, number];
  const rgb = inChannels === 3;
  if (!rgb && (!Number.isInteger(channel) || channel < 0 || channel >= inChannels)) {
    throw configError(where, {
      expected: `channel must be an integer in [0, ${inChannels}) for a kernel of shape ${formatShape(kernel.shape)}`,
      got: show(channel),
    });
  }
  const source = kernel.data();
  const depth = rgb ? 3 : 1;
  const size = kh * kw * depth;
  const out = new Float32Array(filters * size);
  for (let f = 0; f < filters; f++) {
    for (let p = 0; p < kh * kw; p++) {
      for (let c = 0; c < depth; c++) out[f * size + p * depth + c] = Number(source[(p * inChannels + (rgb ? c : channel)) * filters + f]);
    }
  }
  if (out.some((v) => !Number.isFinite(v))) {
    throw configError(where, { expected: 'the kernel holds non-finite values', rule: 'the training diverged' });
  }
  return tensor(normalizeBlocks(out, filters, size), rgb ? [filters, kh, kw, 3] : [filters, kh, kw]);
}

/** Tile scale that makes a `pixels`-high image about `target` pixels high. */
function scaleFor(pixels: number, target: number): number {
  return Math.max(1, Math.round(target / pixels));
}

/** Draws a conv kernel's filters as a grid (see `filterImages`); tiles are scaled to about 32 pixels unless `scale` is given. */
export function filterGrid(kernel: Tensor, options: FilterGridOptions = {}): RgbaImage {
  const images = filterImages(kernel, options.channel ?? 0);
  const { channel: _channel, numbered, ...grid } = options;
  return imageGrid(images, {
    scale: scaleFor(images.shape[1]!, 32),
    ...grid,
    range: 'unit',
    ...(numbered ? { captions: Array.from({ length: images.shape[0]! }, (_, i) => String(i)) } : {}),
  });
}

/**
 * Writes a conv kernel `[kh, kw, inChannels, filters]` as a grid of its filters (PNG, or SVG by the
 * extension) and returns the image.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.vis.saveFilterGrid(nr.randn([3, 3, 3, 16]), `${tmpdir()}/neurona-filters.png`);
 * ```
 */
export async function saveFilterGrid(kernel: Tensor, path: string, options: FilterGridOptions = {}): Promise<RgbaImage> {
  const image = filterGrid(kernel, options);
  await saveImage('saveFilterGrid', image, path);
  return image;
}

/** A model's layer lookup, as nr.Model and nr.Sequential have it. */
interface HasLayers {
  getLayer(name: string): Layer;
}

/** The 4-D kernel of a layer: its weight named `kernel` (Conv2D, Keras's naming), else its only 4-D weight. */
export function kernelOf(layer: Layer): Tensor {
  const weights = layer.weights;
  const fourD = weights.filter((w) => w.rank === 4);
  const named = fourD.find((w) => w.name === 'kernel' || w.name.endsWith('/kernel'));
  const kernel = named ?? (fourD.length === 1 ? fourD[0] : undefined);
  if (!kernel) {
    throw configError(`${layer.className} "${layer.name}"`, {
      expected: 'has no conv kernel to draw',
      rule: `weights: ${weights.map((w) => `${w.name} ${formatShape(w.shape)}`).join(', ') || 'none, is the layer built?'}`,
      hint: 'pick a Conv2D layer',
    });
  }
  return kernel;
}

/**
 * Writes the filters of a conv layer as a grid: `saveFilters(layer, path, options?)` or
 * `saveFilters(model, layerName, path, options?)`. One tile per output filter, input channel
 * `channel` (default 0) or RGB when the layer has 3 input channels, normalised per filter.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * // Any layer with a 4-D kernel weight works; a Conv2D is the usual one.
 * class Filters extends nr.layers.Layer {
 *   override build(shape: (number | null)[]) {
 *     this.addWeight({ name: 'kernel', shape: [3, 3, 1, 4], initializer: 'glorotUniform' });
 *     super.build(shape);
 *   }
 *   override call(x: nr.Tensor) { return x; }
 * }
 * const layer = new Filters({});
 * layer.apply(nr.zeros([1, 8, 8, 1]));
 * await nr.vis.saveFilters(layer, `${tmpdir()}/neurona-layer-filters.png`);
 * ```
 */
export async function saveFilters(layer: Layer, path: string, options?: FilterGridOptions): Promise<RgbaImage>;
export async function saveFilters(model: HasLayers, layerName: string, path: string, options?: FilterGridOptions): Promise<RgbaImage>;
export async function saveFilters(
  target: Layer | HasLayers,
  a: string,
  b?: string | FilterGridOptions,
  c?: FilterGridOptions,
): Promise<RgbaImage> {
  const byName = typeof b === 'string';
  const layer = byName ? (target as HasLayers).getLayer(a) : (target as Layer);
  const path = byName ? b : a;
  const options = (byName ? c : (b as FilterGridOptions | undefined)) ?? {};
  if (!layer || typeof (layer as Layer).weights === 'undefined') {
    throw configError('saveFilters', { expected: 'expected a layer, or a model and a layer name', got: show(target) });
  }
  const image = filterGrid(kernelOf(layer as Layer), options);
  await saveImage('saveFilters', image, path);
  return image;
}

/** A model that can predict and look up layers by name (nr.Model, nr.Sequential). */
export interface ModelWithLayers extends HasLayers {
  predict(x: Tensor, options?: { batchSize?: number }): Tensor | Tensor[];
}

/**
 * The outputs of the named layers when the model predicts `x` (one input, batch axis included:
 * pass one image as [1, H, W, C]; saveFeatureMaps adds that axis itself). Each layer's `call` is observed for the duration of one
 * `predict`, so it works for Sequential, functional and subclassed models alike.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const model = new nr.Sequential([new nr.layers.Dense({ units: 4, inputShape: [2], name: 'hidden' }), new nr.layers.Dense({ units: 1 })]);
 * const [hidden] = nr.vis.featureMaps(model, nr.ones([1, 2]), ['hidden']);
 * hidden.shape; // [1, 4]
 * ```
 */
export function featureMaps(model: ModelWithLayers, x: Tensor, layerNames: readonly string[]): Tensor[] {
  const where = 'featureMaps';
  if (!Array.isArray(layerNames) || layerNames.length === 0) {
    throw configError(where, { expected: 'layerNames must be a non-empty array of layer names', got: show(layerNames) });
  }
  const layers = layerNames.map((name) => model.getLayer(name));
  const captured = new Map<Layer, Tensor>();
  const restore: (() => void)[] = [];
  for (const layer of new Set(layers)) {
    const own = Object.hasOwn(layer, 'call');
    const original = layer.call;
    // An instance property shadows the class's call for this layer only, and is removed afterwards.
    layer.call = function observed(this: Layer, inputs: Tensor, options) {
      const out = original.call(this, inputs, options);
      if (!captured.has(layer) && out instanceof Tensor) captured.set(layer, out);
      return out;
    };
    restore.push(() => {
      if (own) layer.call = original;
      else delete (layer as { call?: unknown }).call;
    });
  }
  try {
    noGrad(() => model.predict(x, { batchSize: Math.max(1, x.shape[0] ?? 1) }));
  } finally {
    restore.forEach((undo) => undo());
  }
  return layers.map((layer, i) => {
    const out = captured.get(layer);
    if (!out) {
      throw configError(where, {
        expected: `layer "${layerNames[i]}" was not called while predicting`,
        hint: "is it part of the model's path from input to output?",
      });
    }
    return out;
  });
}

export interface FeatureMapOptions {
  /** At most this many channels per layer (default 16). */
  maxChannels?: number;
  /** Each row's tiles are scaled to about this height in pixels (default 48). */
  tileSize?: number;
  /** Pixels between tiles (default 2). */
  padding?: number;
}

/** One layer's output for the first sample as tiles [count, h, w], each normalised to [0, 1]. */
function mapTiles(output: Tensor, maxChannels: number, name: string): Tensor {
  const shape = output.shape;
  const values = output.data();
  if (shape.length === 4) {
    const [, h, w, channels] = shape as [number, number, number, number];
    const count = Math.min(channels, maxChannels);
    const tiles = new Float32Array(count * h * w);
    for (let c = 0; c < count; c++) for (let p = 0; p < h * w; p++) tiles[c * h * w + p] = Number(values[p * channels + c]);
    return tensor(normalizeBlocks(tiles, count, h * w), [count, h, w]);
  }
  if (shape.length === 3) {
    const [, h, w] = shape as [number, number, number];
    return tensor(normalizeBlocks(Float32Array.from(values.subarray(0, h * w), Number), 1, h * w), [1, h, w]);
  }
  if (shape.length === 2) {
    // A vector (a Dense layer) is wrapped into a near-square tile, filled row by row; the rest stays black.
    const units = shape[1]!;
    const side = Math.ceil(Math.sqrt(units));
    const rows = Math.ceil(units / side);
    const tile = new Float32Array(rows * side);
    const unit = normalizeBlocks(Float32Array.from(values.subarray(0, units), Number), 1, units);
    tile.set(unit);
    return tensor(tile, [1, rows, side]);
  }
  throw shapeError('saveFeatureMaps', {
    expected: 'only [batch, units], [batch, H, W] and [batch, H, W, C] can be drawn',
    got: `layer "${name}" with outputs ${formatShape(shape)}`,
  });
}

/** Stacks images vertically, each under a text label, left-aligned on `background`. */
function stackWithLabels(rows: readonly { label: string; image: RgbaImage }[], background = 255): RgbaImage {
  const labelHeight = GLYPH_HEIGHT + 6;
  const width = Math.max(...rows.map((r) => r.image.width));
  const height = rows.reduce((sum, r) => sum + labelHeight + r.image.height, 0);
  const rgba = new Uint8Array(width * height * 4).fill(background);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
  let top = 0;
  for (const { label, image } of rows) {
    drawText(rgba, width, height, label, 3, top + 4, [0, 0, 0]);
    top += labelHeight;
    for (let y = 0; y < image.height; y++)
      rgba.set(image.rgba.subarray(y * image.width * 4, (y + 1) * image.width * 4), (top + y) * width * 4);
    top += image.height;
  }
  return { width, height, rgba };
}

/**
 * Runs one input through the model and draws the outputs of the chosen layers, one row per layer
 * labelled with its name and output shape: up to `maxChannels` (16) channel maps per layer, each
 * normalised on its own (dark = low), scaled to about `tileSize` (48) pixels. Returns the image.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * const model = new nr.Sequential([
 *   new nr.layers.Reshape({ targetShape: [16], inputShape: [4, 4, 1] }),
 *   new nr.layers.Dense({ units: 32, name: 'mix' }),
 *   new nr.layers.Reshape({ targetShape: [4, 4, 2], name: 'maps' }),
 * ]);
 * await nr.vis.saveFeatureMaps(model, nr.randu([1, 4, 4, 1]), ['mix', 'maps'], `${tmpdir()}/neurona-maps.png`);
 * ```
 */
export async function saveFeatureMaps(
  model: ModelWithLayers,
  x: Tensor,
  layerNames: readonly string[],
  path: string,
  options: FeatureMapOptions = {},
): Promise<RgbaImage> {
  const where = 'saveFeatureMaps';
  const maxChannels = options.maxChannels ?? 16;
  const tileSize = options.tileSize ?? 48;
  if (!Number.isInteger(maxChannels) || maxChannels < 1) {
    throw configError(where, { expected: 'maxChannels must be a positive integer', got: show(maxChannels) });
  }
  if (!Number.isFinite(tileSize) || tileSize < 1) {
    throw configError(where, { expected: 'tileSize must be a number of pixels >= 1', got: show(tileSize) });
  }
  if (!(x instanceof Tensor)) {
    throw configError(where, { expected: 'x must be a Tensor (one input, with or without the batch axis)', got: show(x) });
  }
  const input = x.shape[0] === 1 ? x : x.reshape([1, ...x.shape]);
  const outputs = featureMaps(model, input, layerNames);
  const rows = outputs.map((output, i) => {
    const tiles = mapTiles(output, maxChannels, layerNames[i]!);
    const image = imageGrid(tiles, {
      columns: tiles.shape[0]!,
      scale: scaleFor(tiles.shape[1]!, tileSize),
      padding: options.padding ?? 2,
      range: 'unit',
    });
    // The bitmap font has no brackets: the shape is written 26x26x8.
    return { label: `${layerNames[i]} ${output.shape.slice(1).join('x')}`, image };
  });
  const image = stackWithLabels(rows);
  await saveImage(where, image, path);
  return image;
}
