/**
 * Plots (`nr.vis` in Node): the charts of ./browser.ts, their file writers (`.svg` or `.png` by the
 * path's extension), and pixel images: sample and misclassified grids, conv filters, feature maps.
 */
export * from './browser.js';
export { svgToImage, type RasterOptions } from './raster.js';
export { saveLearningCurves, saveConfusionMatrix, saveDecisionBoundary, saveOptimizerPaths, saveLearningRateEffect } from './save.js';
export { imageGrid, saveImageGrid, encodeRgbaPng, type ImageGridOptions, type RgbaImage } from './grid.js';
export {
  filterImages,
  filterGrid,
  saveFilterGrid,
  saveFilters,
  kernelOf,
  featureMaps,
  saveFeatureMaps,
  type FilterGridOptions,
  type FeatureMapOptions,
  type ModelWithLayers,
} from './filters.js';
export {
  saveSamples,
  misclassified,
  saveMisclassified,
  type Misclassified,
  type SampleGridOptions,
  type ImageClassifier,
} from './samples.js';
export { forceLayout, graphSvg, saveGraphDrawing, type ForceLayoutOptions, type GraphDrawingOptions } from './graph-drawing.js';
