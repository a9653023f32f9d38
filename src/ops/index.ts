import './methods.js';
export * from './elementwise.js';
export * from './activation.js';
export { sum, mean, max, min, logsumexp, argmax, argmin, type Axes } from './reduce.js';
/** Keras's spelling (`keras.ops.logsumexp` is also `logSumExp` in the list) of {@link logsumexp}. */
export { logsumexp as logSumExp } from './reduce.js';
export { unbroadcast } from './helpers.js';
export { reshape, flatten, expandDims, squeeze, transpose, slice, pad, concat, stack, broadcastTo, gather, oneHot } from './shape.js';
export * from './linalg.js';
export type { Operand } from './helpers.js';
export {
  conv2d,
  depthwiseConv2d,
  conv2dTranspose,
  convPadding,
  type Conv2DOptions,
  type Conv2DBiasActivationOptions,
  type Conv2DTransposeOptions,
  type ConvPadding,
  type Padding,
  type Pair,
} from './conv.js';
export { maxPool2d, avgPool2d, type Pool2DOptions } from './pool.js';
export { batchNorm, batchNormInference, type BatchNormOptions, type BatchNormResult } from './norm.js';
export { layerNorm, type LayerNormOptions } from './layer-norm.js';
export { groupNorm, type GroupNormOptions } from './group-norm.js';
export { timestepEmbedding, type TimestepEmbeddingOptions } from './timestep-embedding.js';
export { zeroPad2d, crop2d, upSample2d, type Sides2D, type Interpolation } from './image.js';
export { applyOptimizerUpdate, type UpdateParams, type UpdateRule } from './optimizer.js';
export { scaledDotProductAttention, attentionSoftmax, type AttentionOptions, type AttentionSoftmaxOptions } from './attention.js';
export { recurrent, recurrentPacked, type RecurrentCell, type RecurrentOptions, type RecurrentResult } from './recurrent.js';
