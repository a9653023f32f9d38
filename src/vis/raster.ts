/**
 * SVG to PNG and file output for the plot functions (Node-only: reads the WebAssembly module and the
 * font from disk, writes files). resvg, compiled to WebAssembly, rasterises the SVG; it sees no system
 * fonts, so text is drawn with the DejaVu Sans subset shipped in assets/fonts (see its README).
 * @resvg/resvg-wasm is an optional peer dependency, like vega (src/vis/optional.ts).
 */
import { readFile, mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, extname } from 'node:path';
import { configError, show } from '../core/index.js';
import { writeFileAtomic } from '../io/atomic.js';
import { encodeRgbaPng, type RgbaImage } from './grid.js';
import { chartImportFailed } from './optional.js';

type ResvgModule = typeof import('@resvg/resvg-wasm');

const FONT_URL = new URL('../../assets/fonts/DejaVuSans-subset.ttf', import.meta.url);
const FONT_FAMILY = 'DejaVu Sans';

let ready: Promise<{ resvg: ResvgModule; font: Uint8Array }> | null = null;

/** Loads resvg's WebAssembly and the font once per process (initWasm may only run once). */
function loadRenderer(): Promise<{ resvg: ResvgModule; font: Uint8Array }> {
  ready ??= (async () => {
    const resvg = await import('@resvg/resvg-wasm').catch((error) => chartImportFailed('svgToImage', '@resvg/resvg-wasm', error));
    const wasmPath = createRequire(import.meta.url).resolve('@resvg/resvg-wasm/index_bg.wasm');
    const [wasm, font] = await Promise.all([readFile(wasmPath), readFile(FONT_URL)]);
    await resvg.initWasm(wasm);
    return { resvg, font: new Uint8Array(font) };
  })();
  ready.catch(() => {
    ready = null;
  });
  return ready;
}

/** Options for rasterising an SVG. */
export interface RasterOptions {
  /** Pixels per SVG unit (default 1: the PNG has the SVG's width and height; 2 for sharper text). */
  scale?: number;
}

/**
 * Rasterises an SVG string to RGBA pixels (white where the SVG draws nothing).
 *
 * ```ts
 * import * as nr from 'neurona';
 * const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="4" height="2"><rect width="2" height="2" fill="red"/></svg>';
 * const image = await nr.vis.svgToImage(svg);
 * [image.width, image.height, ...image.rgba.subarray(0, 4)]; // [4, 2, 255, 0, 0, 255]
 * ```
 */
export async function svgToImage(svg: string, options: RasterOptions = {}): Promise<RgbaImage> {
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale) || scale <= 0 || scale > 16) {
    throw configError('svgToImage', { expected: 'scale must be a number in (0, 16]', got: show(scale) });
  }
  const { resvg, font } = await loadRenderer();
  const renderer = new resvg.Resvg(svg, {
    font: {
      fontBuffers: [font],
      defaultFontFamily: FONT_FAMILY,
      sansSerifFamily: FONT_FAMILY,
      serifFamily: FONT_FAMILY,
      monospaceFamily: FONT_FAMILY,
    },
    fitTo: { mode: 'zoom', value: scale },
    background: 'white',
  });
  try {
    const rendered = renderer.render();
    try {
      return { width: rendered.width, height: rendered.height, rgba: new Uint8Array(rendered.pixels) };
    } finally {
      rendered.free();
    }
  } finally {
    renderer.free();
  }
}

/** The file kinds the save functions write, chosen by the path's extension. */
function outputKind(where: string, path: string): 'svg' | 'png' {
  const extension = extname(path).toLowerCase();
  if (extension === '.svg') return 'svg';
  if (extension === '.png') return 'png';
  throw configError(where, {
    expected: `cannot tell the image format of ${JSON.stringify(path)}`,
    hint: 'end the path with .png or .svg',
  });
}

/**
 * Writes a chart to `path`: the SVG itself for `.svg`, rasterised for `.png`; atomically, creating
 * missing folders.
 */
export async function saveSvg(where: string, svg: string, path: string, options: RasterOptions = {}): Promise<void> {
  const kind = outputKind(where, path);
  const bytes = kind === 'svg' ? svg : encodeRgbaPng(await svgToImage(svg, options));
  await mkdir(dirname(path) || '.', { recursive: true });
  await writeFileAtomic(path, bytes);
}

/**
 * Writes a pixel image to `path`: a PNG for `.png`; for `.svg`, an SVG of the same size holding the
 * PNG (pixelated when zoomed), so every save function accepts both extensions.
 */
export async function saveImage(where: string, image: RgbaImage, path: string): Promise<void> {
  const kind = outputKind(where, path);
  const png = encodeRgbaPng(image);
  const bytes =
    kind === 'png'
      ? png
      : `<svg xmlns="http://www.w3.org/2000/svg" width="${image.width}" height="${image.height}" ` +
        `viewBox="0 0 ${image.width} ${image.height}">` +
        `<image width="${image.width}" height="${image.height}" style="image-rendering:pixelated" ` +
        `href="data:image/png;base64,${Buffer.from(png).toString('base64')}"/></svg>`;
  await mkdir(dirname(path) || '.', { recursive: true });
  await writeFileAtomic(path, bytes);
}
