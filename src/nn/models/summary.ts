import { formatBytes, formatNumberWithCommas, formatTable } from '../../core/format.js';
import type { Variable } from '../../tensor/index.js';
import { formatLayerShape, isShapeList, type Layer, type LayerShape } from '../layer.js';

/* Keras 3's `model.summary()`: its table (core/format's formatTable draws the same box) and totals. */

export interface SummaryRow {
  layer: Layer;
  /** Null when unknown (a subclassed model's layers, shown as `?` as Keras does). */
  outputShape: LayerShape | readonly LayerShape[] | null;
}

const bytesOf = (weights: readonly Variable[]) => weights.reduce((n, w) => n + w.size * (w.dtype === 'float64' ? 8 : 4), 0);
const countOf = (weights: readonly Variable[]) => weights.reduce((n, w) => n + w.size, 0);

export function printSummary(
  name: string,
  rows: readonly SummaryRow[],
  trainable: readonly Variable[],
  nonTrainable: readonly Variable[],
  printFn: (line: string) => void,
): void {
  const cells = rows.map(({ layer, outputShape }) => [
    `${layer.name} (${layer.className})`,
    outputShape === null
      ? '?'
      : isShapeList(outputShape)
        ? `[${outputShape.map(formatLayerShape).join(', ')}]`
        : formatLayerShape(outputShape),
    formatNumberWithCommas(layer.built ? layer.countParams() : 0) + (layer.built ? '' : ' (unbuilt)'),
  ]);
  // Keras's column widths, widened to fit.
  const table = formatTable(cells, [
    { header: 'Layer (type)', width: 31 },
    { header: 'Output Shape', width: 22 },
    { header: 'Param #', width: 13, align: 'right' },
  ]);
  printFn(`Model: "${name}"`);
  for (const line of table.split('\n')) printFn(line);
  const total = countOf(trainable) + countOf(nonTrainable);
  printFn(` Total params: ${formatNumberWithCommas(total)} (${formatBytes(bytesOf(trainable) + bytesOf(nonTrainable))})`);
  printFn(` Trainable params: ${formatNumberWithCommas(countOf(trainable))} (${formatBytes(bytesOf(trainable))})`);
  printFn(` Non-trainable params: ${formatNumberWithCommas(countOf(nonTrainable))} (${formatBytes(bytesOf(nonTrainable))})`);
}
