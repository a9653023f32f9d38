export { Layer, SymbolicTensor, registerLayer, layerFromConfig, resetLayerNames, type LayerOptions, type CallOptions, type LayerShape } from '../layer.js';
export { Dense, type DenseOptions } from './core/dense.js';
