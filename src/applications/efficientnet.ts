import type { Operand } from '../ops/index.js';
import { toTensor } from '../ops/helpers.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import {
  Activation,
  Add,
  BatchNormalization,
  Conv2D,
  Dense,
  DepthwiseConv2D,
  Dropout,
  GlobalAveragePooling2D,
  Multiply,
  Normalization,
  Reshape,
  Rescaling,
  ZeroPadding2D,
} from '../nn/layers/index.js';
import type { Model } from '../nn/models/index.js';
import { applicationInput, finishApplication, parseApplicationOptions, type ApplicationOptions } from './common.js';
import { decodePredictions } from './imagenet-utils.js';
import { correctPad, makeDivisible } from './mobilenet-v2.js';

/** [kernelSize, repeats, filtersIn, filtersOut, expandRatio, strides] of the seven stages of B0; every stage has SE ratio 0.25. */
const STAGES: readonly (readonly [number, number, number, number, number, number])[] = [
  [3, 1, 32, 16, 1, 1],
  [3, 2, 16, 24, 6, 2],
  [5, 2, 24, 40, 6, 2],
  [3, 3, 40, 80, 6, 2],
  [5, 3, 80, 112, 6, 1],
  [5, 4, 112, 192, 6, 2],
  [3, 1, 192, 320, 6, 1],
];

// The EfficientNet paper's initializers, as Keras gives them: He-like fan-out for convolutions.
const CONV_INIT = { className: 'VarianceScaling', config: { scale: 2, mode: 'fan_out', distribution: 'truncated_normal' } };
const DENSE_INIT = { className: 'VarianceScaling', config: { scale: 1 / 3, mode: 'fan_out', distribution: 'uniform' } };
const IMAGENET_STDDEV_RGB = [0.229, 0.224, 0.225];

interface BlockArgs {
  kernelSize: number;
  filtersIn: number;
  filtersOut: number;
  expandRatio: number;
  strides: number;
}

const conv = (filters: number, kernelSize: number, name: string, extra: Record<string, unknown> = {}) =>
  new Conv2D({ filters, kernelSize, padding: 'same', useBias: false, kernelInitializer: CONV_INIT, name, ...extra });
const bnAct = (x: SymbolicTensor, bnName: string, actName: string) =>
  new Activation('swish', { name: actName }).apply(new BatchNormalization({ axis: 3, name: bnName }).apply(x));

/** The MBConv block: expand (1x1), depthwise, squeeze-and-excitation, project (1x1), residual with drop-connect. */
function block(inputs: SymbolicTensor, dropRate: number, name: string, args: BlockArgs) {
  const { kernelSize, filtersIn, filtersOut, expandRatio, strides } = args;
  const filters = filtersIn * expandRatio;
  let x = inputs;
  if (expandRatio !== 1) x = bnAct(conv(filters, 1, `${name}expand_conv`).apply(x), `${name}expand_bn`, `${name}expand_activation`);
  if (strides === 2) x = new ZeroPadding2D({ padding: correctPad(x, kernelSize), name: `${name}dwconv_pad` }).apply(x);
  x = new DepthwiseConv2D({
    kernelSize,
    strides,
    padding: strides === 2 ? 'valid' : 'same',
    useBias: false,
    depthwiseInitializer: CONV_INIT,
    name: `${name}dwconv`,
  }).apply(x);
  x = bnAct(x, `${name}bn`, `${name}activation`);

  const filtersSe = Math.max(1, Math.trunc(filtersIn * 0.25));
  let se = new GlobalAveragePooling2D({ name: `${name}se_squeeze` }).apply(x);
  se = new Reshape({ targetShape: [1, 1, filters], name: `${name}se_reshape` }).apply(se);
  se = conv(filtersSe, 1, `${name}se_reduce`, { activation: 'swish', useBias: true }).apply(se);
  se = conv(filters, 1, `${name}se_expand`, { activation: 'sigmoid', useBias: true }).apply(se);
  x = new Multiply({ name: `${name}se_excite` }).apply([x, se]);

  x = conv(filtersOut, 1, `${name}project_conv`).apply(x);
  x = new BatchNormalization({ axis: 3, name: `${name}project_bn` }).apply(x);
  if (strides === 1 && filtersIn === filtersOut) {
    // Drop-connect: the whole residual branch of a sample is dropped, hence one mask value per sample.
    if (dropRate > 0) x = new Dropout({ rate: dropRate, noiseShape: [null, 1, 1, 1], name: `${name}drop` }).apply(x);
    x = new Add({ name: `${name}add` }).apply([x, inputs]);
  }
  return x;
}

/**
 * EfficientNet's feature extractor (Keras's layers up to `top_activation`), on NHWC images of raw
 * pixels in [0, 255]: the model rescales and normalizes them itself. `imagenetScale` adds Keras's
 * extra per-channel rescaling that ImageNet weights were trained with.
 */
export function efficientNetFeatures(
  input: SymbolicTensor,
  width: number,
  depth: number,
  dropConnectRate: number,
  imagenetScale: boolean,
): SymbolicTensor {
  const roundFilters = (filters: number) => makeDivisible(filters * width, 8);
  const roundRepeats = (repeats: number) => Math.ceil(depth * repeats);

  let x = new Rescaling({ scale: 1 / 255 }).apply(input);
  x = new Normalization({ axis: -1 }).apply(x);
  // Keras's Normalization divides by sqrt(variance); the original model divides by the variance
  // itself (tensorflow/tensorflow#49930), so ImageNet weights need one more 1/sqrt(stddev).
  if (imagenetScale) x = new Rescaling({ scale: IMAGENET_STDDEV_RGB.map((s) => 1 / Math.sqrt(s)) }).apply(x);
  x = new ZeroPadding2D({ padding: correctPad(x, 3), name: 'stem_conv_pad' }).apply(x);
  x = conv(roundFilters(32), 3, 'stem_conv', { strides: 2, padding: 'valid' }).apply(x);
  x = bnAct(x, 'stem_bn', 'stem_activation');

  const total = STAGES.reduce((sum, stage) => sum + roundRepeats(stage[1]), 0);
  let b = 0;
  STAGES.forEach(([kernelSize, repeats, filtersIn, filtersOut, expandRatio, strides], i) => {
    for (let j = 0; j < roundRepeats(repeats); j++) {
      const args = {
        kernelSize,
        expandRatio,
        filtersIn: j === 0 ? roundFilters(filtersIn) : roundFilters(filtersOut),
        filtersOut: roundFilters(filtersOut),
        strides: j === 0 ? strides : 1,
      };
      x = block(x, (dropConnectRate * b) / total, `block${i + 1}${String.fromCharCode(97 + j)}_`, args);
      b++;
    }
  });
  return bnAct(conv(roundFilters(1280), 1, 'top_conv').apply(x), 'top_bn', 'top_activation');
}

/** Keras's EfficientNet: width and depth multipliers, default resolution, dropout before the classifier. */
async function EfficientNet(
  variant: string,
  [width, depth, size, dropout]: readonly [number, number, number, number],
  options: ApplicationOptions,
): Promise<Model> {
  const owner = `EfficientNet${variant}`;
  const o = parseApplicationOptions(owner, options);
  const input = applicationInput(owner, o, { defaultSize: size, minSize: 32 });
  const features = efficientNetFeatures(input, width, depth, 0.2, o.weights === 'imagenet');
  const key = `efficientnet${variant.toLowerCase()}`;
  return finishApplication(input, features, o, {
    defaultName: key,
    weightsKey: key,
    top: (x) => {
      const pooled = new GlobalAveragePooling2D({ name: 'avg_pool' }).apply(x);
      const dropped = new Dropout({ rate: dropout, name: 'top_dropout' }).apply(pooled);
      const activation = o.classifierActivation;
      return new Dense({ units: o.classes, activation, kernelInitializer: DENSE_INIT, name: 'predictions' }).apply(dropped);
    },
    poolingNames: { avg: 'avg_pool', max: 'max_pool' },
  });
}

/**
 * EfficientNetB0 (Tan and Le, 2019) with Keras's definition: MBConv blocks with
 * squeeze-and-excitation and swish, 5,330,571 parameters with the top (42,023 of them
 * non-trainable: the batch-norm statistics and the input Normalization's mean, variance and count).
 * Takes raw pixels in [0, 255]: the model rescales and normalizes them itself, so
 * `nr.applications.efficientnet.preprocessInput` is the identity. Images of at least 32x32
 * (default 224x224). B1 ... B7 scale width, depth and resolution (240, 260, 300, 380, 456, 528, 600).
 *
 * ```ts
 * const base = await nr.applications.EfficientNetB0({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling: 'avg' });
 * base.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 1280]
 * ```
 */
export const EfficientNetB0 = (options: ApplicationOptions = {}) => EfficientNet('B0', [1, 1, 224, 0.2], options);
/** EfficientNetB1: width 1, depth 1.1, 240x240, 7,856,239 parameters with the top. */
export const EfficientNetB1 = (options: ApplicationOptions = {}) => EfficientNet('B1', [1, 1.1, 240, 0.2], options);
/** EfficientNetB2: width 1.1, depth 1.2, 260x260, 9,177,569 parameters with the top. */
export const EfficientNetB2 = (options: ApplicationOptions = {}) => EfficientNet('B2', [1.1, 1.2, 260, 0.3], options);
/** EfficientNetB3: width 1.2, depth 1.4, 300x300, 12,320,535 parameters with the top. */
export const EfficientNetB3 = (options: ApplicationOptions = {}) => EfficientNet('B3', [1.2, 1.4, 300, 0.3], options);
/** EfficientNetB4: width 1.4, depth 1.8, 380x380, 19,466,823 parameters with the top. */
export const EfficientNetB4 = (options: ApplicationOptions = {}) => EfficientNet('B4', [1.4, 1.8, 380, 0.4], options);
/** EfficientNetB5: width 1.6, depth 2.2, 456x456, 30,562,527 parameters with the top. */
export const EfficientNetB5 = (options: ApplicationOptions = {}) => EfficientNet('B5', [1.6, 2.2, 456, 0.4], options);
/** EfficientNetB6: width 1.8, depth 2.6, 528x528, 43,265,143 parameters with the top. */
export const EfficientNetB6 = (options: ApplicationOptions = {}) => EfficientNet('B6', [1.8, 2.6, 528, 0.5], options);
/** EfficientNetB7: width 2, depth 3.1, 600x600, 66,658,687 parameters with the top. */
export const EfficientNetB7 = (options: ApplicationOptions = {}) => EfficientNet('B7', [2, 3.1, 600, 0.5], options);

/**
 * EfficientNet's input convention: none, the model rescales and normalizes raw pixels itself. Kept,
 * as Keras keeps it, so that code written for every family runs unchanged; returns the images as a tensor.
 */
export function preprocessInput(x: Operand): Tensor {
  return toTensor(x);
}

export { decodePredictions };
