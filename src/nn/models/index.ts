export { Model, type ModelArgs } from './model.js';
export { Sequential } from './sequential.js';
export { Input, InputLayer, type InputOptions } from './input.js';
export { deserializeLayer, serializeLayer } from './config.js';
export type { CompileOptions, LossIdentifier, MetricIdentifier } from '../training/compile.js';
export type { FitOptions, EvaluateOptions, PredictOptions, Verbose } from '../training/loop.js';
