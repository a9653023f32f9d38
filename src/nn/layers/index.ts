export { is } from '../../core/options.js';
export {
  Layer,
  SymbolicTensor,
  registerLayer,
  declareLayerOptions,
  layerFromConfig,
  resetLayerNames,
  getMask,
  setMask,
  type LayerOptions,
  type CallOptions,
  type LayerShape,
  type InputSpec,
} from '../layer.js';
export { Dense, type DenseOptions } from './core/dense.js';
export {
  Activation,
  ReLU,
  LeakyReLU,
  Softmax,
  type ActivationOptions,
  type ReLUOptions,
  type LeakyReLUOptions,
  type SoftmaxOptions,
} from './core/activation.js';
export { Flatten, Reshape, type ReshapeOptions } from './core/reshape.js';
export { Dropout, type DropoutOptions } from './core/dropout.js';
export { Maxout, type MaxoutOptions } from './core/maxout.js';
export { InputLayer } from './core/input-layer.js';
export { Embedding, type EmbeddingOptions } from './core/embedding.js';
export {
  PositionEmbedding,
  TokenAndPositionEmbedding,
  type PositionEmbeddingOptions,
  type TokenAndPositionEmbeddingOptions,
} from './core/position-embedding.js';
export { SinusoidalEmbedding, type SinusoidalEmbeddingOptions } from './core/sinusoidal-embedding.js';
export { Lambda, registerLambda, type LambdaOptions, type LambdaFunction, type LambdaMaskFunction } from './core/lambda.js';
export {
  Conv2D,
  Conv2DTranspose,
  MaskedConv2D,
  type Conv2DOptions,
  type Conv2DTransposeOptions,
  type MaskedConv2DOptions,
} from './conv/conv-2d.js';
export { DepthwiseConv2D, SeparableConv2D, type DepthwiseConv2DOptions, type SeparableConv2DOptions } from './conv/depthwise-conv-2d.js';
export {
  MaxPooling2D,
  AveragePooling2D,
  GlobalAveragePooling2D,
  GlobalMaxPooling2D,
  type Pooling2DOptions,
  type GlobalPooling2DOptions,
} from './pooling/pooling-2d.js';
export { Conv1D, type Conv1DOptions } from './conv/conv-1d.js';
export {
  MaxPooling1D,
  AveragePooling1D,
  GlobalAveragePooling1D,
  GlobalMaxPooling1D,
  type Pooling1DOptions,
  type GlobalPooling1DOptions,
} from './pooling/pooling-1d.js';
export { Masking, type MaskingOptions } from './core/masking.js';
export { TimeDistributed, type TimeDistributedOptions } from './recurrent/time-distributed.js';
export { AdaptiveAveragePooling2D, type AdaptiveAveragePooling2DOptions } from './pooling/adaptive-pooling-2d.js';
export { BatchNormalization, type BatchNormalizationOptions } from './normalization/batch-normalization.js';
export { LayerNormalization, type LayerNormalizationOptions } from './normalization/layer-normalization.js';
export {
  GroupNormalization,
  UnitNormalization,
  type GroupNormalizationOptions,
  type UnitNormalizationOptions,
} from './normalization/group-normalization.js';
export {
  ZeroPadding2D,
  Cropping2D,
  UpSampling2D,
  type ZeroPadding2DOptions,
  type Cropping2DOptions,
  type UpSampling2DOptions,
} from './reshaping/spatial-2d.js';
export {
  ZeroPadding1D,
  Cropping1D,
  UpSampling1D,
  type ZeroPadding1DOptions,
  type Cropping1DOptions,
  type UpSampling1DOptions,
} from './reshaping/spatial-1d.js';
export { SpatialDropout2D, type SpatialDropout2DOptions } from './regularization/spatial-dropout.js';
export {
  GaussianNoise,
  GaussianDropout,
  type GaussianNoiseOptions,
  type GaussianDropoutOptions,
} from './regularization/gaussian-noise.js';
export { Add, Subtract, Multiply, Average, Maximum, Concatenate, type ConcatenateOptions } from './merge/merge.js';
export { L1Distance, L2Distance, CosineSimilarity, type DistanceOptions, type L2DistanceOptions } from './merge/distance.js';
export { Rescaling, type RescalingOptions } from './preprocessing/rescaling.js';
export {
  Normalization,
  type NormalizationOptions,
  type Statistic as NormalizationStatistic,
  type AdaptData,
  type AsyncAdaptData,
} from './preprocessing/normalization.js';
export {
  Resizing,
  CenterCrop,
  resizeImages,
  RESIZE_INTERPOLATIONS,
  type ResizingOptions,
  type CenterCropOptions,
  type ResizeInterpolation,
} from './preprocessing/resizing.js';
export {
  RandomFlip,
  RandomTranslation,
  RandomRotation,
  RandomZoom,
  RandomContrast,
  type RandomFlipOptions,
  type RandomTranslationOptions,
  type RandomRotationOptions,
  type RandomZoomOptions,
  type RandomContrastOptions,
  type FlipMode,
} from './preprocessing/augmentation.js';
export { transformImages, type FillMode, type Interpolation } from './preprocessing/transform.js';
export { LSTM, type LSTMOptions } from './recurrent/lstm.js';
export { GRU, type GRUOptions } from './recurrent/gru.js';
export { SimpleRNN, type SimpleRNNOptions } from './recurrent/simple-rnn.js';
export { Bidirectional, type BidirectionalOptions, type MergeMode } from './recurrent/bidirectional.js';
export { SimpleRNNCell, LSTMCell, GRUCell, StackedRNNCells, RNN, type RNNOptions, type StackedRNNCellsOptions } from './recurrent/rnn.js';
export {
  MultiHeadAttention,
  type MultiHeadAttentionOptions,
  type MultiHeadAttentionCallOptions,
} from './attention/multi-head-attention.js';
export { Attention, AdditiveAttention, type AttentionOptions, type AdditiveAttentionOptions } from './attention/attention.js';
export {
  TextVectorization,
  type TextVectorizationOptions,
  type TextOutputMode,
  type TextAdaptData,
} from './preprocessing/text-vectorization.js';
