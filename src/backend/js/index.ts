import type { Backend, Kernels } from '../kernels.js';
import { binary, cast, unary, unaryGrad, where } from './elementwise.js';
import { concat, gather, oneHot, pad, scatterAdd, slice, transpose } from './layout.js';
import { matmul } from './matmul.js';
import { fillNormal, fillUniform } from './random.js';
import { argReduce, logSoftmax, reduce, softmax } from './reduce.js';

/** The reference backend: every kernel, in plain TypeScript, for every dtype. */
export const jsKernels: Kernels = {
  unary, unaryGrad, binary, where, cast, reduce, argReduce, matmul, softmax, logSoftmax,
  transpose, slice, concat, pad, gather, scatterAdd, oneHot, fillUniform, fillNormal,
};

export const jsBackend: Backend = { name: 'js', kernels: jsKernels };
