import { configError, formatShape, is, numericsError, parseArguments, shapeError } from '../core/index.js';
import { toTensor } from '../ops/helpers.js';
import { cast, gather, type Operand } from '../ops/index.js';
import { type Tensor, tensor } from '../tensor/index.js';
import { IMAGENET_CLASS_TABLE } from './imagenet-classes.js';

/*
 * Keras's imagenet_utils: the three input conventions of the published ImageNet models, and the
 * class names of their 1000 outputs.
 */

/**
 * How a family's published weights expect pixels in [0, 255] (channels last, RGB):
 * - 'caffe' (VGG, ResNet): RGB to BGR, then minus the ImageNet mean of each BGR channel;
 * - 'tf' (InceptionV3, MobileNetV2, ResNet50V2): scaled to [-1, 1];
 * - 'torch' (DenseNet): scaled to [0, 1], minus the ImageNet mean, over the standard deviation (RGB).
 */
export type PreprocessMode = 'caffe' | 'tf' | 'torch';

const CAFFE_MEAN_BGR = [103.939, 116.779, 123.68];
const TORCH_MEAN = [0.485, 0.456, 0.406];
const TORCH_STD = [0.229, 0.224, 0.225];

const PREPROCESS_OPTIONS = { positional: ['mode'], keys: { mode: is.oneOf('caffe', 'tf', 'torch') } };

/**
 * Keras's `preprocess_input`: images with values in [0, 255] (`[height, width, 3]` or a batch
 * `[batch, height, width, 3]`, RGB, any dtype) to what a pretrained model expects, as float32.
 * The steps are ops, so gradients flow through them.
 *
 * ```ts
 * const x = nr.full([1, 2, 2, 3], 255);
 * nr.applications.preprocessInput(x, { mode: 'tf' }).max().item(); // 1
 * ```
 */
export function preprocessInput(x: Operand, options?: { mode?: PreprocessMode } | PreprocessMode): Tensor {
  const { mode = 'caffe' } = parseArguments<{ mode?: PreprocessMode }>(
    'preprocessInput',
    options === undefined ? [] : [options],
    PREPROCESS_OPTIONS,
  );
  let images = toTensor(x);
  if (images.dtype !== 'float32' && images.dtype !== 'float64') images = cast(images, 'float32');
  if (mode === 'tf') return images.div(127.5).sub(1);
  if (images.rank === 0 || images.shape[images.rank - 1] !== 3) {
    throw shapeError('preprocessInput', {
      expected: `mode '${mode}' expects RGB images with 3 channels last ([height, width, 3] or [batch, height, width, 3])`,
      got: formatShape(images.shape),
    });
  }
  if (mode === 'torch')
    return images
      .div(255)
      .sub(tensor(TORCH_MEAN, [3], images.dtype))
      .div(tensor(TORCH_STD, [3], images.dtype));
  const bgr = gather(images, tensor([2, 1, 0], [3], 'int32'), images.rank - 1);
  return bgr.sub(tensor(CAFFE_MEAN_BGR, [3], images.dtype));
}

let classes: readonly (readonly [string, string])[] | null = null;

/** The 1000 ImageNet classes in output order, as `[wnid, name]` (Keras's imagenet_class_index.json). */
export function imagenetClasses(): readonly (readonly [string, string])[] {
  if (classes === null) {
    const tokens = IMAGENET_CLASS_TABLE.split(' ');
    classes = Array.from({ length: tokens.length / 2 }, (_, i) => [tokens[2 * i]!, tokens[2 * i + 1]!] as const);
  }
  return classes;
}

/** One decoded prediction: `[wnid, class name, score]`, as Keras's tuples. */
export type ImageNetPrediction = [wnid: string, name: string, score: number];

const DECODE_OPTIONS = { positional: ['top'], keys: { top: is.positiveInteger } };

/**
 * Keras's `decode_predictions`: for each row of a `[batch, 1000]` batch of ImageNet scores, the
 * `top` (default 5) best classes, highest score first.
 *
 * ```ts
 * const scores = nr.oneHot(nr.tensor([207], [1], 'int32'), 1000);
 * nr.applications.decodePredictions(scores, { top: 1 }); // [[['n02099601', 'golden_retriever', 1]]]
 * ```
 */
export function decodePredictions(preds: Operand, options?: { top?: number } | number): ImageNetPrediction[][] {
  const { top = 5 } = parseArguments<{ top?: number }>('decodePredictions', options === undefined ? [] : [options], DECODE_OPTIONS);
  const scores = toTensor(preds);
  if (scores.rank !== 2 || scores.shape[1] !== 1000) {
    throw shapeError('decodePredictions', {
      expected: 'expected a batch of ImageNet predictions of shape [batch, 1000]',
      got: formatShape(scores.shape),
      hint: 'pass the output of a model with includeTop and 1000 classes (one image: add a batch axis with expandDims)',
    });
  }
  if (top > 1000)
    throw configError('decodePredictions', { expected: 'top must be at most 1000 (the number of classes)', got: String(top) });
  const names = imagenetClasses();
  const data = scores.data();
  const rows: ImageNetPrediction[][] = [];
  for (let b = 0; b < scores.shape[0]!; b++) {
    const row = Array.from(data.subarray(b * 1000, (b + 1) * 1000), Number);
    if (row.some(Number.isNaN)) {
      throw numericsError('decodePredictions', {
        expected: 'scores must not be NaN',
        got: `NaN in row ${b}`,
        hint: 'check the model output',
      });
    }
    // numpy's argsort leaves the order of equal scores unspecified; here they keep class order.
    const order = Array.from(row.keys()).sort((i, j) => row[j]! - row[i]! || i - j);
    rows.push(order.slice(0, top).map((i) => [names[i]![0], names[i]![1], row[i]!]));
  }
  return rows;
}
