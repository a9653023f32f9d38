/**
 * Learning curves: one panel per quantity a History recorded (the loss, then each metric), training
 * as a solid line and validation (`val_` keys) dashed, against the 1-based epoch.
 */
import { configError, show } from '../core/index.js';
import { PALETTE, renderVegaLite, sizeOption, titleEntry, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';

/** A History (anything with a `history` record) or the record itself: key -> one value per epoch. */
export type HistoryLike = { history: Record<string, readonly number[]> } | Record<string, readonly number[]>;

export interface LearningCurvesOptions extends ChartSizeOptions {
  /** The quantities to draw, without the `val_` prefix (default: every recorded one, loss first). */
  quantities?: readonly string[];
  /** Panels per row (default: up to 3). */
  columns?: number;
  /**
   * Values recorded per epoch (default 1): a live chart that logs every few batches gives x = (i + 1) /
   * pointsPerEpoch, so its curves grow during an epoch and still read in epochs.
   */
  pointsPerEpoch?: number;
}

/** Keys a History holds that are not curves of the model's quality. */
const NOT_CURVES = new Set(['lr', 'learning_rate', 'learningRate']);

/** The colour of the training curves (the palette's blue). */
export const TRAIN_COLOR = PALETTE[0]!;
/** The colour of the validation curves (the palette's orange). */
export const VALIDATION_COLOR = PALETTE[1]!;

function recordOf(history: HistoryLike): Record<string, readonly number[]> {
  const maybe = (history as { history?: unknown }).history;
  const record =
    maybe && typeof maybe === 'object' && !Array.isArray(maybe)
      ? (maybe as Record<string, readonly number[]>)
      : (history as Record<string, readonly number[]>);
  for (const [key, values] of Object.entries(record)) {
    if (!Array.isArray(values) || values.some((v) => typeof v !== 'number')) {
      throw configError('renderLearningCurves', {
        expected: `history[${show(key)}] must be an array of numbers (one per epoch)`,
        got: show(values),
      });
    }
  }
  return record;
}

/**
 * The Vega-Lite spec behind `renderLearningCurves` (for embedding in a page or changing the look).
 * Non-finite values (a diverged loss) are left out, so the line stops there.
 */
export function learningCurvesSpec(history: HistoryLike, options: LearningCurvesOptions = {}): VegaLiteSpec {
  const where = 'renderLearningCurves';
  const record = recordOf(history);
  const base = (key: string) => (key.startsWith('val_') ? key.slice(4) : key);
  const recorded = [
    ...new Set(
      Object.keys(record)
        .filter((k) => !NOT_CURVES.has(base(k)))
        .map(base),
    ),
  ];
  recorded.sort((a, b) => (a === 'loss' ? -1 : b === 'loss' ? 1 : 0));
  const quantities = options.quantities ? [...options.quantities] : recorded;
  for (const q of quantities) {
    if (!(q in record) && !(`val_${q}` in record)) {
      const keys = Object.keys(record);
      const held = keys.slice(0, 20).map(show).join(', ') + (keys.length > 20 ? `, ... (${keys.length} in all)` : '');
      throw configError(where, {
        expected: `the history has no ${show(q)} (nor ${show(`val_${q}`)})`,
        hint: `it holds ${held || 'nothing'}`,
      });
    }
  }
  if (quantities.length === 0) {
    if (options.quantities) throw configError(where, { expected: 'quantities must name at least one quantity', got: '[]' });
    throw configError(where, { expected: 'the history is empty', hint: 'train for at least one epoch (model.fit returns the History)' });
  }
  const perEpoch = options.pointsPerEpoch ?? 1;
  if (!Number.isInteger(perEpoch) || perEpoch < 1) {
    throw configError(where, { expected: 'pointsPerEpoch must be a positive integer', got: show(options.pointsPerEpoch) });
  }
  const rows: { quantity: string; split: string; epoch: number; value: number | null }[] = [];
  let points = 0;
  for (const quantity of quantities) {
    for (const [split, key] of [
      ['train', quantity],
      ['validation', `val_${quantity}`],
    ] as const) {
      const values = record[key];
      if (!values) continue;
      points = Math.max(points, values.length);
      values.forEach((value, i) => rows.push({ quantity, split, epoch: (i + 1) / perEpoch, value: Number.isFinite(value) ? value : null }));
    }
  }
  const columns = options.columns ?? Math.min(3, quantities.length);
  if (!Number.isInteger(columns) || columns < 1) {
    throw configError(where, { expected: 'columns must be a positive integer', got: show(columns) });
  }
  const width = sizeOption(where, 'width', options.width, 260);
  const height = sizeOption(where, 'height', options.height, 160);
  const splits = { domain: ['train', 'validation'] };
  // The x axis runs from the first point (epoch 1) to the last; a single point gets half a step either
  // side, so that it stands in the middle of the panel rather than half hidden on the y axis.
  const single = points <= 1;
  const xDomain = single ? [0.5 / perEpoch, 1.5 / perEpoch] : [1 / perEpoch, points / perEpoch];
  return {
    ...titleEntry(options.title),
    data: { values: rows },
    facet: { field: 'quantity', type: 'nominal', sort: quantities, title: null, header: { labelFontWeight: 'bold' } },
    columns,
    spec: {
      width,
      height,
      // A single epoch is one point, which a line cannot show.
      mark: { type: 'line', strokeWidth: 2, clip: true, ...(single ? { point: { filled: true, size: 60 } } : {}) },
      encoding: {
        x: {
          field: 'epoch',
          type: 'quantitative',
          title: 'epoch',
          scale: { domain: xDomain, nice: false },
          axis: perEpoch === 1 ? { tickMinStep: 1, format: 'd' } : { format: '~g' },
        },
        // Padding keeps a flat line at the extreme of the data (accuracy 1.0) off the plot's clipped edge.
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false, padding: 6 } },
        color: {
          field: 'split',
          type: 'nominal',
          title: null,
          scale: { ...splits, range: [TRAIN_COLOR, VALIDATION_COLOR] },
          legend: { orient: 'bottom' },
        },
        strokeDash: {
          field: 'split',
          type: 'nominal',
          title: null,
          scale: {
            ...splits,
            range: [
              [1, 0],
              [6, 4],
            ],
          },
          legend: { orient: 'bottom' },
        },
      },
    },
    resolve: { scale: { y: 'independent' } },
  };
}

/**
 * Draws the learning curves of a training run as an SVG string: one panel per quantity (loss and
 * each metric, each with its own y axis), training solid blue and validation dashed orange, x = epoch
 * (1-based). Options: `quantities` (default all), `columns` (panels per row, default up to 3),
 * `width`/`height` of each panel (260 x 160), `title`.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const svg = await nr.vis.renderLearningCurves({ loss: [0.9, 0.5, 0.3], val_loss: [1.0, 0.7, 0.6], accuracy: [0.6, 0.8, 0.9] });
 * svg.includes('accuracy'); // true
 * ```
 */
export async function renderLearningCurves(history: HistoryLike, options: LearningCurvesOptions = {}): Promise<string> {
  return renderVegaLite(learningCurvesSpec(history, options));
}
