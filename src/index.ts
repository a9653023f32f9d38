/**
 * neurona: deep learning for TypeScript (the Node entry: the browser entry, browser.ts, is the same
 * without the dataset loaders).
 *
 * ```ts
 * import * as nr from 'neurona';
 * const x = nr.tensor([1, 2, 3]);
 * x.requiresGrad = true;
 * x.square().sum().backward();
 * x.grad!.toArray(); // [2, 4, 6]
 * ```
 */
export * from './api.js';
export * as datasets from './data/index.js';
export * as data from './data/pipeline/node.js';
export * as io from './data/image-io.js';
export * as callbacks from './vis/callbacks.js';
export * as vis from './vis/index.js';
export { imageGrid, saveImageGrid, type ImageGridOptions, type RgbaImage } from './vis/grid.js';
export { loadModel, listModels, removeModel, type SaveOptions, type LoadModelOptions } from './nn/saving/index.js';
export * as interop from './interop/index.js';
import './applications/download.js'; // weights: 'imagenet' finds or downloads Keras's files (Node only)
