/**
 * `nr.applications`: the classic image classifiers with Keras's definitions (layer names and
 * parameter counts as Keras's), AlexNet and GoogLeNet after torchvision's, and the ImageNet input
 * and output conventions. Every model function is async (its weights may need I/O) and resolves to
 * an ordinary functional `Model`.
 *
 * ```ts
 * const base = await nr.applications.VGG16({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
 * base.computeOutputShape([null, 32, 32, 3]); // [null, 1, 1, 512]
 * ```
 */
export {
  parseApplicationOptions,
  obtainInputShape,
  applicationInput,
  sourceInputs,
  classifier,
  finishApplication,
  type ApplicationOptions,
  type ParsedApplicationOptions,
  type InputShapeRules,
  type FinishOptions,
} from './common.js';
export { preprocessInput, decodePredictions, imagenetClasses, type PreprocessMode, type ImageNetPrediction } from './imagenet-utils.js';
