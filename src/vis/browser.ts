/**
 * The plots that work without a file system (the browser entry's `nr.vis`): each returns an SVG
 * string, or the numbers behind a chart. src/vis/index.ts adds the file writers and pixel images.
 */
export { renderVegaLite, PALETTE, type ChartSizeOptions, type VegaLiteSpec } from './vega.js';
export {
  renderLearningCurves,
  learningCurvesSpec,
  TRAIN_COLOR,
  VALIDATION_COLOR,
  type HistoryLike,
  type LearningCurvesOptions,
} from './curves.js';
export { renderConfusionMatrix, confusionMatrixSpec, type ConfusionMatrixOptions } from './confusion.js';
export {
  renderDecisionBoundary,
  decisionBoundarySpec,
  decisionGrid,
  predictClasses,
  regionColor,
  type Classifier2D,
  type DecisionBoundaryOptions,
  type DecisionGrid,
} from './decision-boundary.js';
export {
  renderOptimizerPaths,
  optimizerPaths,
  optimizerPathsSpec,
  TEST_FUNCTIONS,
  DEFAULT_PATH_OPTIMIZERS,
  type OptimizerPath,
  type OptimizerPathsOptions,
  type OptimizerPathsChartOptions,
  type PathOptimizer,
  type TestFunction,
} from './optimizer-paths.js';
export {
  renderLearningRateEffect,
  learningRateEffect,
  learningRateEffectSpec,
  DEFAULT_LEARNING_RATES,
  type LearningRateRun,
  type LearningRateEffectOptions,
  type LearningRateChartOptions,
} from './learning-rate.js';
