import type { Variable } from '../../tensor/index.js';
import { formatLayerShape, type Layer, type LayerShape } from '../layer.js';

/* Keras 3's `model.summary()` table, drawn with the same box characters. */

export interface SummaryRow {
  layer: Layer;
  /** Null when unknown (a subclassed model's layers, shown as `?` as Keras does). */
  outputShape: LayerShape | null;
}

/** 6370 -> '6,370'. */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** Bytes as Keras prints them: '24.88 KB', '0.00 B'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(2)} ${units[unit]}`;
}

const bytesOf = (weights: readonly Variable[]) => weights.reduce((n, w) => n + w.size * (w.dtype === 'float64' ? 8 : 4), 0);
const countOf = (weights: readonly Variable[]) => weights.reduce((n, w) => n + w.size, 0);

export function printSummary(name: string, rows: readonly SummaryRow[], trainable: readonly Variable[], nonTrainable: readonly Variable[],
  printFn: (line: string) => void): void {
  const cells = rows.map(({ layer, outputShape }) => [
    `${layer.name} (${layer.className})`,
    outputShape ? formatLayerShape(outputShape) : '?',
    formatCount(layer.built ? layer.countParams() : 0) + (layer.built ? '' : ' (unbuilt)'),
  ]);
  const header = ['Layer (type)', 'Output Shape', 'Param #'];
  const widths = [31, 22, 13].map((min, c) => Math.max(min, header[c]!.length, ...cells.map((r) => r[c]!.length)));
  const line = (left: string, fill: string, mid: string, right: string) => left + widths.map((w) => fill.repeat(w + 2)).join(mid) + right;
  const row = (edge: string, values: string[]) => edge + values.map((v, c) => ` ${c === 2 ? v.padStart(widths[c]!) : v.padEnd(widths[c]!)} `).join(edge) + edge;
  printFn(`Model: "${name}"`);
  printFn(line('┏', '━', '┳', '┓'));
  printFn(row('┃', header));
  printFn(line('┡', '━', '╇', '┩'));
  cells.forEach((r, i) => {
    printFn(row('│', r));
    if (i < cells.length - 1) printFn(line('├', '─', '┼', '┤'));
  });
  printFn(line('└', '─', '┴', '┘'));
  const total = countOf(trainable) + countOf(nonTrainable);
  printFn(` Total params: ${formatCount(total)} (${formatBytes(bytesOf(trainable) + bytesOf(nonTrainable))})`);
  printFn(` Trainable params: ${formatCount(countOf(trainable))} (${formatBytes(bytesOf(trainable))})`);
  printFn(` Non-trainable params: ${formatCount(countOf(nonTrainable))} (${formatBytes(bytesOf(nonTrainable))})`);
}
