import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import {
  Activation,
  AveragePooling2D,
  BatchNormalization,
  Concatenate,
  Conv2D,
  GlobalAveragePooling2D,
  MaxPooling2D,
} from '../nn/layers/index.js';
import type { Model } from '../nn/models/index.js';
import { applicationInput, classifier, finishApplication, parseApplicationOptions, type ApplicationOptions } from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

/*
 * Keras names InceptionV3's convolutions, batch normalizations and activations automatically
 * (conv2d, conv2d_1, ...), so in a fresh session they get Keras's names in Keras's order; only the
 * concatenations (mixed0 ... mixed10, mixed9_0, mixed9_1) carry names of their own.
 */

/** Convolution without bias, batch normalization without scale (the ReLU makes gamma redundant), ReLU. */
function conv2dBn(x: SymbolicTensor, filters: number, rows: number, cols: number, padding: 'same' | 'valid' = 'same', strides = 1) {
  const y = new Conv2D({ filters, kernelSize: [rows, cols], strides, padding, useBias: false }).apply(x);
  const normalized = new BatchNormalization({ axis: 3, scale: false }).apply(y);
  return new Activation('relu').apply(normalized);
}

const concat = (inputs: SymbolicTensor[], name?: string) => new Concatenate({ axis: 3, ...(name ? { name } : {}) }).apply(inputs);
const avgPoolSame = (x: SymbolicTensor) => new AveragePooling2D({ poolSize: 3, strides: 1, padding: 'same' }).apply(x);
const maxPool = (x: SymbolicTensor) => new MaxPooling2D({ poolSize: 3, strides: 2 }).apply(x);

/** A 35x35 block (mixed0-2): 1x1, 5x5, double 3x3 and pooled branches. */
function block35(x: SymbolicTensor, poolFilters: number, name: string) {
  const b1 = conv2dBn(x, 64, 1, 1);
  const b5 = conv2dBn(conv2dBn(x, 48, 1, 1), 64, 5, 5);
  const b3 = conv2dBn(conv2dBn(conv2dBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3);
  return concat([b1, b5, b3, conv2dBn(avgPoolSame(x), poolFilters, 1, 1)], name);
}

/** A 17x17 block (mixed4-7): factorized 7x7 branches of width `width`. */
function block17(x: SymbolicTensor, width: number, name: string) {
  const b1 = conv2dBn(x, 192, 1, 1);
  const b7 = conv2dBn(conv2dBn(conv2dBn(x, width, 1, 1), width, 1, 7), 192, 7, 1);
  let b7dbl = conv2dBn(x, width, 1, 1);
  b7dbl = conv2dBn(conv2dBn(b7dbl, width, 7, 1), width, 1, 7);
  b7dbl = conv2dBn(conv2dBn(b7dbl, width, 7, 1), 192, 1, 7);
  return concat([b1, b7, b7dbl, conv2dBn(avgPoolSame(x), 192, 1, 1)], name);
}

/** An 8x8 block (mixed9, mixed10): branches that split into 1x3 and 3x1 halves. */
function block8(x: SymbolicTensor, i: number) {
  const b1 = conv2dBn(x, 320, 1, 1);
  const b3 = conv2dBn(x, 384, 1, 1);
  const b3split = concat([conv2dBn(b3, 384, 1, 3), conv2dBn(b3, 384, 3, 1)], `mixed9_${i}`);
  const b3dbl = conv2dBn(conv2dBn(x, 448, 1, 1), 384, 3, 3);
  const b3dblSplit = concat([conv2dBn(b3dbl, 384, 1, 3), conv2dBn(b3dbl, 384, 3, 1)]);
  return concat([b1, b3split, b3dblSplit, conv2dBn(avgPoolSame(x), 192, 1, 1)], `mixed${9 + i}`);
}

/** InceptionV3's feature extractor (Keras's layers up to `mixed10`), on NHWC images. */
export function inceptionV3Features(input: SymbolicTensor): SymbolicTensor {
  let x = conv2dBn(input, 32, 3, 3, 'valid', 2);
  x = conv2dBn(conv2dBn(x, 32, 3, 3, 'valid'), 64, 3, 3);
  x = maxPool(x);
  x = conv2dBn(conv2dBn(x, 80, 1, 1, 'valid'), 192, 3, 3, 'valid');
  x = maxPool(x);
  x = block35(x, 32, 'mixed0');
  x = block35(x, 64, 'mixed1');
  x = block35(x, 64, 'mixed2');

  const b3 = conv2dBn(x, 384, 3, 3, 'valid', 2);
  const b3dbl = conv2dBn(conv2dBn(conv2dBn(x, 64, 1, 1), 96, 3, 3), 96, 3, 3, 'valid', 2);
  x = concat([b3, b3dbl, maxPool(x)], 'mixed3');

  x = block17(x, 128, 'mixed4');
  x = block17(x, 160, 'mixed5');
  x = block17(x, 160, 'mixed6');
  x = block17(x, 192, 'mixed7');

  const b3x3 = conv2dBn(conv2dBn(x, 192, 1, 1), 320, 3, 3, 'valid', 2);
  let b7x3 = conv2dBn(conv2dBn(conv2dBn(x, 192, 1, 1), 192, 1, 7), 192, 7, 1);
  b7x3 = conv2dBn(b7x3, 192, 3, 3, 'valid', 2);
  x = concat([b3x3, b7x3, maxPool(x)], 'mixed8');

  return block8(block8(x, 0), 1);
}

/**
 * InceptionV3 (Szegedy et al., 2016) with Keras's definition: factorized convolutions in eleven
 * mixed blocks, 23,851,784 parameters with the top. Images of at least 75x75 (default 299x299)
 * scaled to [-1, 1] (`nr.applications.inceptionV3.preprocessInput`).
 *
 * ```ts
 * const base = await nr.applications.InceptionV3({ includeTop: false, weights: null, inputShape: [75, 75, 3] });
 * base.predict(nr.zeros([1, 75, 75, 3])).shape; // [1, 1, 1, 2048]
 * ```
 */
export async function InceptionV3(options: ApplicationOptions = {}): Promise<Model> {
  const o = parseApplicationOptions('InceptionV3', options);
  const input = applicationInput('InceptionV3', o, { defaultSize: 299, minSize: 75 });
  return finishApplication(input, inceptionV3Features(input), o, {
    defaultName: 'inception_v3',
    weightsKey: 'inception_v3',
    top: (x) => classifier(new GlobalAveragePooling2D({ name: 'avg_pool' }).apply(x), o),
  });
}

/** InceptionV3's input convention: Keras's 'tf' mode (pixels in [0, 255] scaled to [-1, 1]). */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'tf');
}

export { decodePredictions };
