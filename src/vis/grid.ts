/**
 * Image grids: many small images (digits, prototypes, filters) tiled into one picture, each with an
 * optional caption drawn underneath in a built-in 5x7 font, and saved as a PNG. Node-only
 * (`saveImageGrid` writes files through node:zlib and node:fs).
 */
import { configError, formatShape, numericsError, shapeError, show } from '../core/index.js';
import { encodePng } from '../io/png.js';
import { mkdir } from 'node:fs/promises';
import { dirname } from 'node:path';
import { writeFileAtomic } from '../io/atomic.js';
import type { Tensor } from '../tensor/index.js';
import { GLYPH_HEIGHT, drawText, textWidth } from './font.js';

export interface ImageGridOptions {
  /** Tiles per row (default: ceil(sqrt(N))). */
  columns?: number;
  /** One caption per image (e.g. `"7 -> 1"`), drawn under its tile; cells widen to fit long ones. */
  captions?: readonly string[];
  /** Each image pixel becomes a `scale` x `scale` square (integer, default 1). */
  scale?: number;
  /** Pixels of background around and between cells (default 2). */
  padding?: number;
  /**
   * How values map to 0..255: `'unit'` (0..1, times 255), `'byte'` (0..255 as is), or `'auto'`
   * (default): `'unit'` for a float tensor whose values all lie in [0, 1], else `'byte'`.
   * Values outside the range are clipped.
   */
  range?: 'auto' | 'unit' | 'byte';
  /** Background gray level 0..255 (default 255, white). */
  background?: number;
  /** Caption text gray level 0..255 (default 0, black). */
  textColor?: number;
  /** Caption font scale (integer, default 1: 7 pixels high). */
  textScale?: number;
}

export interface RgbaImage {
  width: number;
  height: number;
  /** `height` rows of `width` RGBA pixels. */
  rgba: Uint8Array;
}

/**
 * Tiles `images` ([N, H, W] gray, or [N, H, W, C] with C = 1, 3 or 4) into one RGBA image, row by
 * row, `columns` tiles per row, with captions under the tiles.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { imageGrid } from './src/vis/grid.js'; // internal module: run from the repository root
 * const grid = imageGrid(nr.ones([6, 28, 28]), { columns: 3, captions: ['1 -> 1', '2 -> 7', '', '', '', ''] });
 * console.log(grid.width, grid.height); // 113 80 (cells widen to fit the 35-pixel captions)
 * ```
 */
export function imageGrid(images: Tensor, options: ImageGridOptions = {}): RgbaImage {
  const where = 'imageGrid';
  if (images.rank !== 3 && images.rank !== 4) {
    throw shapeError(where, { expected: 'expected images of shape [N, H, W] or [N, H, W, C]', got: formatShape(images.shape) });
  }
  const [count, tileHeight, tileWidth] = images.shape as [number, number, number];
  const channels = images.rank === 4 ? images.shape[3]! : 1;
  if (channels !== 1 && channels !== 3 && channels !== 4) {
    throw shapeError(where, {
      expected: 'the channel axis must have 1, 3 or 4 entries (gray, RGB, RGBA)',
      got: formatShape(images.shape),
    });
  }
  if (count === 0 || tileHeight === 0 || tileWidth === 0) {
    throw shapeError(where, { expected: `no pixels to draw in images of shape ${formatShape(images.shape)}` });
  }
  const columns = positiveInteger(options.columns ?? Math.ceil(Math.sqrt(count)), 'columns');
  const scale = positiveInteger(options.scale ?? 1, 'scale');
  const textScale = positiveInteger(options.textScale ?? 1, 'textScale');
  const padding = options.padding ?? 2;
  if (!Number.isInteger(padding) || padding < 0) {
    throw configError(where, { expected: 'padding must be an integer >= 0', got: show(padding) });
  }
  const background = grayLevel(options.background ?? 255, 'background');
  const textColor = grayLevel(options.textColor ?? 0, 'textColor');
  const captions = options.captions;
  if (captions && captions.length !== count) {
    throw configError(where, {
      expected: `one caption per image for the ${count} images (use '' for none)`,
      got: `${captions.length} captions`,
    });
  }
  const values = images.data();
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i]!)) {
      throw numericsError(where, { expected: 'image values must be finite', got: `${values[i]} at flat index ${i}` });
    }
  }
  const range = options.range ?? 'auto';
  if (range !== 'auto' && range !== 'unit' && range !== 'byte') {
    throw configError(where, { expected: "range must be 'auto', 'unit' or 'byte'", got: show(range) });
  }
  const unit = range === 'unit' || (range === 'auto' && isUnitRange(images));
  const factor = unit ? 255 : 1;

  const tileW = tileWidth * scale;
  const tileH = tileHeight * scale;
  const captionWidth = captions ? Math.max(0, ...captions.map((c) => textWidth(c, textScale))) : 0;
  const cellWidth = Math.max(tileW, captionWidth);
  // A caption band: one blank line, the 7-pixel glyphs, one blank line (all times textScale).
  const captionHeight = captions ? (GLYPH_HEIGHT + 2) * textScale : 0;
  const cellHeight = tileH + captionHeight;
  const gridRows = Math.ceil(count / columns);
  const gridColumns = Math.min(columns, count);
  const width = padding + gridColumns * (cellWidth + padding);
  const height = padding + gridRows * (cellHeight + padding);
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < rgba.length; i += 4) {
    rgba[i] = rgba[i + 1] = rgba[i + 2] = background;
    rgba[i + 3] = 255;
  }
  const tileSize = tileHeight * tileWidth * channels;
  for (let n = 0; n < count; n++) {
    const cellX = padding + (n % columns) * (cellWidth + padding);
    const cellY = padding + Math.floor(n / columns) * (cellHeight + padding);
    const left = cellX + Math.floor((cellWidth - tileW) / 2);
    for (let y = 0; y < tileH; y++) {
      const sourceRow = n * tileSize + Math.floor(y / scale) * tileWidth * channels;
      for (let x = 0; x < tileW; x++) {
        const source = sourceRow + Math.floor(x / scale) * channels;
        const at = ((cellY + y) * width + left + x) * 4;
        if (channels === 1) {
          rgba[at] = rgba[at + 1] = rgba[at + 2] = toByte(values[source]!, factor);
        } else {
          rgba[at] = toByte(values[source]!, factor);
          rgba[at + 1] = toByte(values[source + 1]!, factor);
          rgba[at + 2] = toByte(values[source + 2]!, factor);
          if (channels === 4) rgba[at + 3] = toByte(values[source + 3]!, factor);
        }
      }
    }
    const caption = captions?.[n];
    if (caption) {
      const textX = cellX + Math.floor((cellWidth - textWidth(caption, textScale)) / 2);
      drawText(rgba, width, height, caption, textX, cellY + tileH + textScale, [textColor, textColor, textColor], textScale);
    }
  }
  return { width, height, rgba };
}

/**
 * Draws `images` with `imageGrid` and writes the grid to `path` as a PNG (RGB, or RGBA when any
 * pixel is translucent), atomically: readers never see a half-written file. Missing folders are created.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.saveImageGrid(`${tmpdir()}/neurona-grid.png`, nr.randu([8, 28, 28]), { columns: 4, scale: 2 });
 * ```
 */
export async function saveImageGrid(path: string, images: Tensor, options: ImageGridOptions = {}): Promise<RgbaImage> {
  const grid = imageGrid(images, options);
  await mkdir(dirname(path) || '.', { recursive: true });
  await writeFileAtomic(path, encodeRgbaPng(grid));
  return grid;
}

/** PNG bytes of an RGBA image, dropping the alpha channel when every pixel is opaque. */
export function encodeRgbaPng(image: RgbaImage): Uint8Array {
  const { width, height, rgba } = image;
  let opaque = true;
  for (let i = 3; i < rgba.length; i += 4) {
    if (rgba[i] !== 255) {
      opaque = false;
      break;
    }
  }
  if (!opaque) return encodePng({ width, height, channels: 4, pixels: rgba });
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0, j = 0; i < rgba.length; i += 4, j += 3) {
    rgb[j] = rgba[i]!;
    rgb[j + 1] = rgba[i + 1]!;
    rgb[j + 2] = rgba[i + 2]!;
  }
  return encodePng({ width, height, channels: 3, pixels: rgb });
}

function isUnitRange(images: Tensor): boolean {
  if (images.dtype !== 'float32' && images.dtype !== 'float64') return false;
  const values = images.data();
  for (let i = 0; i < values.length; i++) if (values[i]! < 0 || values[i]! > 1) return false;
  return true;
}

function toByte(value: number, factor: number): number {
  const v = Math.round(value * factor);
  return v < 0 ? 0 : v > 255 ? 255 : v;
}

function positiveInteger(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 1) {
    throw configError('imageGrid', { expected: `${name} must be a positive integer`, got: show(value) });
  }
  return value;
}

function grayLevel(value: number, name: string): number {
  if (!Number.isInteger(value) || value < 0 || value > 255) {
    throw configError('imageGrid', { expected: `${name} must be an integer gray level 0..255`, got: show(value) });
  }
  return value;
}
