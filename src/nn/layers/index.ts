export { Layer, SymbolicTensor, registerLayer, layerFromConfig, resetLayerNames, type LayerOptions, type CallOptions, type LayerShape } from '../layer.js';
export { Dense, type DenseOptions } from './core/dense.js';
export { Activation, ReLU, LeakyReLU, Softmax, type ActivationOptions, type ReLUOptions, type LeakyReLUOptions, type SoftmaxOptions } from './core/activation.js';
export { Flatten, Reshape, type ReshapeOptions } from './core/reshape.js';
export { Dropout, type DropoutOptions } from './core/dropout.js';
export { Maxout, type MaxoutOptions } from './core/maxout.js';
export { InputLayer } from './core/input-layer.js';
