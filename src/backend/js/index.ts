import type { Backend, Kernels } from '../kernels.js';
import {
  conv2d, conv2dBackpropFilter, conv2dBackpropInput, conv2dBiasActivation, depthwiseConv2d,
  depthwiseConv2dBackpropFilter, depthwiseConv2dBackpropInput,
} from './conv.js';
import { binary, cast, unary, unaryGrad, where } from './elementwise.js';
import { concat, gather, oneHot, pad, scatterAdd, slice, transpose } from './layout.js';
import { matmul, matmulBiasActivation } from './matmul.js';
import { batchNormBackward, batchNormTraining } from './norm.js';
import { pool2d, pool2dBackward } from './pool.js';
import { applyUpdate } from './optimizer.js';
import { fillNormal, fillUniform } from './random.js';
import { argReduce, logSoftmax, reduce, softmax, softmaxCrossentropyBackward } from './reduce.js';

/** The reference backend: every kernel, in plain TypeScript, for every dtype. */
export const jsKernels: Kernels = {
  unary, unaryGrad, binary, where, cast, reduce, argReduce, matmul, matmulBiasActivation, softmax, logSoftmax, softmaxCrossentropyBackward,
  transpose, slice, concat, pad, gather, scatterAdd, oneHot,
  conv2d, conv2dBiasActivation, conv2dBackpropInput, conv2dBackpropFilter, depthwiseConv2d, depthwiseConv2dBackpropInput,
  depthwiseConv2dBackpropFilter, pool2d, pool2dBackward, batchNormTraining, batchNormBackward, applyUpdate,
  fillUniform, fillNormal,
};

export const jsBackend: Backend = { name: 'js', kernels: jsKernels };
