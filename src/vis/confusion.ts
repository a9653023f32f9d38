/**
 * The confusion matrix as a heatmap: true classes down the rows, predicted classes across the
 * columns (the layout of nr.metrics.confusionMatrix), darker cells for larger counts, each count
 * written in its cell.
 */
import { configError, formatShape, shapeError, show } from '../core/index.js';
import { Tensor } from '../tensor/index.js';
import { renderVegaLite, sizeOption, titleEntry, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';

export interface ConfusionMatrixOptions extends ChartSizeOptions {
  /** One name per class, for both axes (default "0", "1", ...). */
  classNames?: readonly string[];
  /**
   * Colour by the share of each true class (row-normalised) instead of the raw count, so rare
   * classes show their errors as clearly as common ones (default false). Cells still show counts.
   */
  normalize?: boolean;
}

/** The matrix as rows of numbers, checked square, finite and non-negative. */
function matrixRows(matrix: readonly (readonly number[])[] | Tensor, where: string): number[][] {
  let rows: number[][];
  if (matrix instanceof Tensor) {
    if (matrix.rank !== 2 || matrix.shape[0] !== matrix.shape[1]) {
      throw shapeError(where, { expected: 'expected a square matrix [numClasses, numClasses]', got: formatShape(matrix.shape) });
    }
    const n = matrix.shape[0]!;
    const values = matrix.data();
    rows = Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => Number(values[i * n + j])));
  } else {
    if (!Array.isArray(matrix) || matrix.some((row) => !Array.isArray(row) || row.length !== matrix.length)) {
      throw shapeError(where, {
        expected: 'expected a square matrix (numClasses rows of numClasses counts)',
        got: Array.isArray(matrix)
          ? `rows of lengths [${matrix.map((r) => (Array.isArray(r) ? r.length : typeof r)).join(', ')}]`
          : show(matrix),
      });
    }
    rows = matrix.map((row) => row.map(Number));
  }
  if (rows.length === 0) throw shapeError(where, { expected: 'the matrix is empty', hint: 'it needs at least one class' });
  rows.forEach((row, i) =>
    row.forEach((v, j) => {
      if (!Number.isFinite(v) || v < 0) {
        throw configError(where, { expected: 'counts must be finite and >= 0', got: `${v} at [${i}, ${j}]` });
      }
    }),
  );
  return rows;
}

/** The Vega-Lite spec behind `renderConfusionMatrix`. */
export function confusionMatrixSpec(matrix: readonly (readonly number[])[] | Tensor, options: ConfusionMatrixOptions = {}): VegaLiteSpec {
  const where = 'renderConfusionMatrix';
  const rows = matrixRows(matrix, where);
  const n = rows.length;
  const names = options.classNames ? [...options.classNames] : rows.map((_, i) => String(i));
  if (names.length !== n) {
    throw configError(where, {
      expected: `classNames must hold one name per class of the ${n} x ${n} matrix`,
      got: `${names.length} names`,
    });
  }
  if (new Set(names).size !== n) throw configError(where, { expected: 'classNames must be distinct', got: show(names) });
  const cells = rows.flatMap((row, i) => {
    const total = row.reduce((a, b) => a + b, 0);
    return row.map((count, j) => ({ actual: names[i], predicted: names[j], count, share: total > 0 ? count / total : 0 }));
  });
  const shade = options.normalize ? 'share' : 'count';
  const top = Math.max(...cells.map((c) => c[shade]));
  const side = sizeOption(where, 'width', options.width, Math.min(480, Math.max(120, 36 * n)));
  const height = sizeOption(where, 'height', options.height, side);
  const axis = { labelAngle: 0, domain: false, ticks: false };
  return {
    ...titleEntry(options.title),
    width: side,
    height,
    data: { values: cells },
    encoding: {
      x: { field: 'predicted', type: 'ordinal', sort: names, title: 'predicted', axis: { ...axis, orient: 'top' } },
      y: { field: 'actual', type: 'ordinal', sort: names, title: 'true', axis },
    },
    layer: [
      {
        mark: { type: 'rect' },
        encoding: {
          // Linear from 0, so an empty cell is the lightest and the largest count the darkest.
          color: {
            field: shade,
            type: 'quantitative',
            scale: { scheme: 'blues', domain: [0, Math.max(top, 1e-12)] },
            title: options.normalize ? 'share of row' : 'count',
          },
        },
      },
      {
        mark: { type: 'text', fontSize: n > 12 ? 8 : 11 },
        encoding: {
          text: { field: 'count', type: 'quantitative', format: 'd' },
          // White text where the cell is dark enough for black to be hard to read.
          color: { condition: { test: `datum.${shade} > ${0.55 * top}`, value: 'white' }, value: 'black' },
        },
      },
    ],
  };
}

/**
 * Draws a confusion matrix (rows: true class, columns: predicted class, as
 * `nr.metrics.confusionMatrix` returns it) as an SVG heatmap with the count in each cell, darker =
 * larger. Options: `classNames` (one per class), `normalize` (colour by the share of each row),
 * `width`/`height` (default 36 pixels per class), `title`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const matrix = nr.metrics.confusionMatrix(nr.tensor([0, 1, 1, 2]), nr.tensor([0, 1, 2, 2]), 3);
 * const svg = await nr.vis.renderConfusionMatrix(matrix, { classNames: ['cat', 'dog', 'bird'] });
 * svg.includes('bird'); // true
 * ```
 */
export async function renderConfusionMatrix(
  matrix: readonly (readonly number[])[] | Tensor,
  options: ConfusionMatrixOptions = {},
): Promise<string> {
  return renderVegaLite(confusionMatrixSpec(matrix, options));
}
