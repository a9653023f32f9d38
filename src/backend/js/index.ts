import type { Backend, Kernels } from '../kernels.js';
import * as attention from './attention.js';
import * as conv from './conv.js';
import * as elementwise from './elementwise.js';
import * as layout from './layout.js';
import * as matmul from './matmul.js';
import * as norm from './norm.js';
import * as optimizer from './optimizer.js';
import * as pool from './pool.js';
import * as random from './random.js';
import * as recurrent from './recurrent.js';
import * as reduce from './reduce.js';

/**
 * The reference backend: every kernel, in plain TypeScript, for every dtype. Each family file
 * exports its kernels and nothing else, so a kernel added to one needs no line here (the helpers
 * they share live in strided.ts and window.ts).
 */
export const jsKernels: Kernels = {
  ...attention,
  ...conv,
  ...elementwise,
  ...layout,
  ...matmul,
  ...norm,
  ...optimizer,
  ...pool,
  ...random,
  ...recurrent,
  ...reduce,
};

export const jsBackend: Backend = { name: 'js', kernels: jsKernels };
