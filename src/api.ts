/**
 * The platform-independent API, shared by the Node entry (index.ts) and the browser entry.
 * neurona: deep learning for TypeScript.
 *
 * ```ts
 * import * as nr from 'neurona';
 * const x = nr.tensor([1, 2, 3]);
 * x.requiresGrad = true;
 * x.square().sum().backward();
 * x.grad!.toArray(); // [2, 4, 6]
 * ```
 */
export { VERSION } from './version.js';
export {
  NeuronaError,
  ShapeError,
  DTypeError,
  ConfigError,
  FormatError,
  NumericsError,
  MAX_ERROR_MESSAGE_LENGTH,
  setSeed,
  epsilon,
  setEpsilon,
  floatx,
  setFloatx,
  maxTensorElements,
  setMaxTensorElements,
  setQuiet,
  type DType,
  type TypedArray,
  type Shape,
} from './core/index.js';
export { setBackend, getBackend, availableBackends, setNumThreads, getNumThreads, nativeInfo, type NativeInfo } from './backend/index.js';
export { ready, wasmInfo, type WasmInfo } from './backend/index.js';
export { memory, type MemoryInfo } from './backend/index.js';
export {
  Tensor,
  tensor,
  zeros,
  ones,
  full,
  randn,
  randu,
  arange,
  eye,
  Variable,
  variable,
  noGrad,
  grad,
  valueAndGrad,
  isGradEnabled,
  type TensorLike,
  type NestedArray,
  type BackwardOptions,
  type GradOptions,
} from './tensor/index.js';
export * from './ops/index.js';
export * as losses from './nn/losses.js';
export * as metrics from './nn/metrics.js';
export * as optimizers from './nn/optimizers/index.js';
export * as layers from './nn/layers/index.js';
export * as text from './nn/text.js';
export { getMask } from './nn/layer.js';
export { registerLambda } from './nn/layers/core/lambda.js';
export * as activations from './nn/activations.js';
export * as initializers from './nn/initializers.js';
export * as regularizers from './nn/regularizers.js';
export * as applications from './applications/index.js';
export * as random from './ops/random.js';
export * as distributions from './nn/distributions/index.js';
export * as graph from './data/graph/index.js';
export { Sequential, Model, Input, InputLayer } from './nn/models/index.js';
export type { StepData, StepLogs } from './nn/training/step.js';
export type { CompileOptions, FitOptions, EvaluateOptions, PredictOptions, ModelArgs, InputOptions } from './nn/models/index.js';
export { SOM, type SOMOptions } from './classic/index.js';
export { Perceptron, type PerceptronOptions } from './classic/index.js';
export { trainTestSplit, type TrainTestSplitOptions } from './data/split.js';
