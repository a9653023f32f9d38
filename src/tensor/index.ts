export { Tensor, type NestedArray, type GradNode, type BackwardFn } from './tensor.js';
export { tensor, zeros, ones, full, randn, randu, arange, eye, fromStorage, type TensorLike } from './creation.js';
export { Variable, variable } from './variable.js';
export {
  noGrad,
  isGradEnabled,
  record,
  backward,
  grad,
  valueAndGrad,
  valueAndGradOfStep,
  runRecyclingStep,
  stepScratchTensor,
  detachValue,
  provideGraphOps,
  type StepGradients,
  type BackwardOptions,
  type GradOptions,
} from './autograd.js';
export { withOverwritable, takeOverwrite } from './overwrite.js';
