/**
 * File writers for the charts (Node-only): each draws its chart with the matching render function and
 * writes it to `path` as SVG (`.svg`) or PNG (`.png`, rasterised with resvg), atomically, creating
 * missing folders. Each resolves to the SVG text. `scale` (default 1) sets PNG pixels per SVG unit.
 */
import type { Tensor } from '../tensor/index.js';
import type { Label } from '../classic/index.js';
import { renderLearningCurves, type HistoryLike, type LearningCurvesOptions } from './curves.js';
import { renderConfusionMatrix, type ConfusionMatrixOptions } from './confusion.js';
import { renderDecisionBoundary, type Classifier2D, type DecisionBoundaryOptions } from './decision-boundary.js';
import { renderOptimizerPaths, type OptimizerPathsChartOptions } from './optimizer-paths.js';
import { renderLearningRateEffect, type LearningRateChartOptions } from './learning-rate.js';
import { saveSvg, type RasterOptions } from './raster.js';

/**
 * Writes the learning curves of a History (see `renderLearningCurves`).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.vis.saveLearningCurves({ loss: [1, 0.6, 0.4], val_loss: [1.1, 0.8, 0.7] }, `${tmpdir()}/neurona-curves.png`);
 * ```
 */
export async function saveLearningCurves(
  history: HistoryLike,
  path: string,
  options: LearningCurvesOptions & RasterOptions = {},
): Promise<string> {
  const svg = await renderLearningCurves(history, options);
  await saveSvg('saveLearningCurves', svg, path, options);
  return svg;
}

/**
 * Writes a confusion-matrix heatmap (see `renderConfusionMatrix`).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.vis.saveConfusionMatrix([[5, 1], [2, 7]], `${tmpdir()}/neurona-confusion.svg`, { classNames: ['no', 'yes'] });
 * ```
 */
export async function saveConfusionMatrix(
  matrix: readonly (readonly number[])[] | Tensor,
  path: string,
  options: ConfusionMatrixOptions & RasterOptions = {},
): Promise<string> {
  const svg = await renderConfusionMatrix(matrix, options);
  await saveSvg('saveConfusionMatrix', svg, path, options);
  return svg;
}

/**
 * Writes a 2-D classifier's decision regions with its data on top (see `renderDecisionBoundary`).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * const x = nr.randn([40, 2]);
 * const y = nr.tensor((x.toArray() as number[][]).map(([a, b]) => (a * b > 0 ? 1 : 0)));
 * const model = new nr.Sequential([
 *   new nr.layers.Dense({ units: 8, activation: 'tanh', inputShape: [2] }),
 *   new nr.layers.Dense({ units: 2, activation: 'softmax' }),
 * ]);
 * await nr.vis.saveDecisionBoundary(model, x, y, `${tmpdir()}/neurona-boundary.png`);
 * ```
 */
export async function saveDecisionBoundary(
  classifier: Classifier2D,
  x: Tensor | readonly (readonly number[])[],
  y: Tensor | readonly Label[],
  path: string,
  options: DecisionBoundaryOptions & RasterOptions = {},
): Promise<string> {
  const svg = await renderDecisionBoundary(classifier, x, y, options);
  await saveSvg('saveDecisionBoundary', svg, path, options);
  return svg;
}

/**
 * Traces optimizers on a 2-D test function and writes the chart (see `renderOptimizerPaths`).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.vis.saveOptimizerPaths('beale', `${tmpdir()}/neurona-beale.png`, { optimizers: ['sgd', 'adam'], steps: 300 });
 * ```
 */
export async function saveOptimizerPaths(
  fnName: string,
  path: string,
  options: OptimizerPathsChartOptions & RasterOptions = {},
): Promise<string> {
  const svg = await renderOptimizerPaths(fnName, options);
  await saveSvg('saveOptimizerPaths', svg, path, options);
  return svg;
}

/**
 * Trains one small problem at several learning rates and writes the loss curves (see
 * `renderLearningRateEffect`).
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * await nr.vis.saveLearningRateEffect(`${tmpdir()}/neurona-lr.png`, { rates: [0.01, 0.3, 1.2] });
 * ```
 */
export async function saveLearningRateEffect(path: string, options: LearningRateChartOptions & RasterOptions = {}): Promise<string> {
  const svg = await renderLearningRateEffect(options);
  await saveSvg('saveLearningRateEffect', svg, path, options);
  return svg;
}
