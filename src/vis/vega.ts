/**
 * Chart rendering shared by the plot functions: a Vega-Lite spec becomes an SVG string through Vega's
 * headless renderer. Platform-independent (no `node:` imports), so charts work in browsers too; vega
 * and vega-lite are optional peer dependencies, imported on first use (src/vis/optional.ts).
 */
import { configError, show } from '../core/index.js';
import { chartImportFailed } from './optional.js';

/**
 * The colours of series and classes, in order (Vega's "tableau10"): blue, orange, red, teal, green,
 * yellow, purple, pink, brown, gray. Plots assign them by index so a class or optimizer keeps its
 * colour across charts.
 */
export const PALETTE: readonly string[] = [
  '#4c78a8',
  '#f58518',
  '#e45756',
  '#72b7b2',
  '#54a24b',
  '#eeca3b',
  '#b279a2',
  '#ff9da6',
  '#9d755d',
  '#bab0ac',
];

/** Size options every chart takes (pixels of one plot area; axes, titles and legends add to them). */
export interface ChartSizeOptions {
  /** Width of the plot area in pixels. */
  width?: number;
  /** Height of the plot area in pixels. */
  height?: number;
  /** A title above the chart (default none). */
  title?: string;
}

/** A Vega-Lite specification (plain JSON). */
export type VegaLiteSpec = Record<string, unknown>;

/** Shared look: no frame around views, quiet grid lines, white background (PNG output has no transparency). */
const BASE_CONFIG = {
  background: 'white',
  view: { stroke: null },
  axis: { gridColor: '#e6e6e6', labelFontSize: 10, titleFontSize: 11 },
  legend: { labelFontSize: 10, titleFontSize: 11 },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

/**
 * Compiles a Vega-Lite spec and renders it to an SVG string with Vega's headless renderer. The spec's
 * own `config` entries override the shared look.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const encoding = { x: { field: 'a', type: 'quantitative' }, y: { field: 'b', type: 'quantitative' } };
 * const svg = await nr.vis.renderVegaLite({ data: { values: [{ a: 1, b: 2 }] }, mark: 'point', encoding });
 * svg.startsWith('<svg'); // true
 * ```
 */
export async function renderVegaLite(spec: VegaLiteSpec): Promise<string> {
  const { vega, vegaLite } = await loadVega('renderVegaLite');
  const config = { ...BASE_CONFIG, ...(spec.config as Record<string, unknown> | undefined) };
  // Vega-Lite's TopLevelSpec type is a large union; the spec is plain JSON built by our plot functions.
  const compiled = vegaLite.compile({ ...spec, config } as Parameters<typeof vegaLite.compile>[0]).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

/**
 * vega and vega-lite (optional peer dependencies), imported on first use; `where` names the caller in
 * the error when one is not installed. Report calls it before training, so that a missing package
 * does not cost an epoch.
 */
export async function loadVega(where: string): Promise<{ vega: typeof import('vega'); vegaLite: typeof import('vega-lite') }> {
  // One at a time, so that with both missing the message names the first of the install command.
  const vega = await import('vega').catch((error) => chartImportFailed(where, 'vega', error));
  const vegaLite = await import('vega-lite').catch((error) => chartImportFailed(where, 'vega-lite', error));
  return { vega, vegaLite };
}

/** Checks an optional pixel size option. */
export function sizeOption(where: string, name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 10 || value > 10000) {
    throw configError(where, { expected: `${name} must be a number of pixels between 10 and 10000`, got: show(value) });
  }
  return value;
}

/** The colour of series or class `index` (the palette repeats after ten). */
export function paletteColor(index: number): string {
  return PALETTE[index % PALETTE.length]!;
}

/**
 * The background layer of a 2-D plane chart: rectangles `{x, x2, y, y2}` filling the plane
 * [x0, x1] x [y0, y1] (clipped to it, no axis padding), coloured by `fill` (a Vega-Lite fill
 * encoding). The layers drawn over it share its scales.
 */
export function planeCellsLayer(
  cells: readonly object[],
  [x0, x1, y0, y1]: readonly number[],
  titles: [string, string],
  fill: object,
): VegaLiteSpec {
  return {
    data: { values: cells },
    mark: { type: 'rect', clip: true },
    encoding: {
      x: { field: 'x', type: 'quantitative', scale: { domain: [x0, x1], nice: false, zero: false }, title: titles[0] },
      x2: { field: 'x2' },
      y: { field: 'y', type: 'quantitative', scale: { domain: [y0, y1], nice: false, zero: false }, title: titles[1] },
      y2: { field: 'y2' },
      fill,
    },
  };
}

/** Optional title entry for a spec. */
export function titleEntry(title: string | undefined): VegaLiteSpec {
  return title ? { title } : {};
}
