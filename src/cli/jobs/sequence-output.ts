/*
 * Output the sequence examples share: a line per epoch as training goes, and the two charts nr.vis
 * has no function for, lines over time (sine-forecast) and an attention heat-map
 * (seq2seq-attention), Vega-Lite specs drawn by nr.vis.renderVegaLite and written as PNG or SVG by
 * the path's extension.
 */
import * as nr from '../../index.js';
import { saveSvg } from '../../vis/raster.js';

/** Prints `epoch k/N - loss: x - val_loss: y` after each epoch: the full-size runs take minutes. */
export function epochLines(epochs: number, print: (line: string) => void): nr.callbacks.Callback {
  return new nr.callbacks.LambdaCallback({
    onEpochEnd: (epoch, logs = {}) => {
      const figures = ['loss', 'val_loss'].filter((key) => key in logs).map((key) => `${key}: ${Number(logs[key]).toFixed(4)}`);
      print([`epoch ${epoch + 1}/${epochs}`, ...figures].join(' - '));
    },
  });
}

/** Writes one line per series over a shared x axis. */
export async function saveLines(path: string, series: Record<string, readonly number[]>, options: { title: string; x: string; y: string }) {
  const values = Object.entries(series).flatMap(([name, ys]) => ys.map((y, x) => ({ x, y, series: name })));
  const spec = {
    title: options.title,
    width: 720,
    height: 280,
    data: { values },
    mark: { type: 'line', strokeWidth: 1.5 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: options.x },
      y: { field: 'y', type: 'quantitative', title: options.y },
      // Keep the series in the order given (Vega would sort them by name).
      color: { field: 'series', type: 'nominal', title: null, sort: Object.keys(series) },
    },
  };
  await saveSvg('saveLines', await nr.vis.renderVegaLite(spec), path, { scale: 2 });
}

/**
 * Writes `weights[i][j]` (how much output step i attends to input step j) as a grid of cells,
 * darker for more weight, with the input tokens across and the output tokens down.
 */
export async function saveHeatmap(
  path: string,
  weights: readonly (readonly number[])[],
  columns: readonly string[],
  rows: readonly string[],
  title: string,
) {
  // Positions prefix the labels so that a repeated letter or phone keeps its own row or column.
  const column = (j: number) => `${j + 1} ${columns[j]}`;
  const row = (i: number) => `${i + 1} ${rows[i]}`;
  const values = weights.flatMap((line, i) => line.map((weight, j) => ({ input: column(j), output: row(i), weight })));
  const spec = {
    title,
    width: 24 * columns.length,
    height: 24 * rows.length,
    data: { values },
    mark: 'rect',
    encoding: {
      x: { field: 'input', type: 'ordinal', sort: columns.map((_, j) => column(j)), title: 'input letters', axis: { labelAngle: 0 } },
      y: { field: 'output', type: 'ordinal', sort: rows.map((_, i) => row(i)), title: 'output phones' },
      color: { field: 'weight', type: 'quantitative', scale: { domain: [0, 1], range: ['#ffffff', '#08306b'] }, title: 'attention' },
    },
  };
  await saveSvg('saveHeatmap', await nr.vis.renderVegaLite(spec), path, { scale: 2 });
}
