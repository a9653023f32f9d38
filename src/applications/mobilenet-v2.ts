import { configError, is, notice, show } from '../core/index.js';
import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import { Add, BatchNormalization, Conv2D, DepthwiseConv2D, GlobalAveragePooling2D, ReLU, ZeroPadding2D } from '../nn/layers/index.js';
import type { Model } from '../nn/models/index.js';
import { applicationInput, classifier, finishApplication, parseApplicationOptions, type ApplicationOptions } from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

/**
 * Keras's `correct_pad`: the zero padding that makes a stride-2 'valid' convolution of `kernel`
 * match TensorFlow's 'same' alignment (one row/column less on top/left for even sizes).
 */
export function correctPad(x: SymbolicTensor, kernel: number): [[number, number], [number, number]] {
  const [, h, w] = x.shape;
  const adjust = (d: number | null | undefined) => (d === null || d === undefined ? 1 : 1 - (d % 2));
  const half = Math.floor(kernel / 2);
  return [
    [half - adjust(h), half],
    [half - adjust(w), half],
  ];
}

/** Keras's `_make_divisible`: `v` rounded to a multiple of `divisor`, never more than 10 % below `v`. */
export function makeDivisible(v: number, divisor: number): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

const bn = (name: string) => new BatchNormalization({ epsilon: 1e-3, momentum: 0.999, name });
const relu6 = (name: string) => new ReLU({ maxValue: 6, name });

function invertedResBlock(inputs: SymbolicTensor, expansion: number, stride: number, alpha: number, filters: number, id: number) {
  const inChannels = inputs.shape[3]!;
  const pointwiseFilters = makeDivisible(Math.trunc(filters * alpha), 8);
  let x = inputs;
  let prefix = `block_${id}_`;
  if (id) {
    const expand = new Conv2D({ filters: expansion * inChannels, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}expand` });
    x = relu6(`${prefix}expand_relu`).apply(bn(`${prefix}expand_BN`).apply(expand.apply(x)));
  } else {
    prefix = 'expanded_conv_';
  }
  if (stride === 2) x = new ZeroPadding2D({ padding: correctPad(x, 3), name: `${prefix}pad` }).apply(x);
  const padding = stride === 1 ? 'same' : 'valid';
  x = new DepthwiseConv2D({ kernelSize: 3, strides: stride, useBias: false, padding, name: `${prefix}depthwise` }).apply(x);
  x = relu6(`${prefix}depthwise_relu`).apply(bn(`${prefix}depthwise_BN`).apply(x));
  x = new Conv2D({ filters: pointwiseFilters, kernelSize: 1, padding: 'same', useBias: false, name: `${prefix}project` }).apply(x);
  x = bn(`${prefix}project_BN`).apply(x);
  if (inChannels === pointwiseFilters && stride === 1) return new Add({ name: `${prefix}add` }).apply([inputs, x]);
  return x;
}

/** [filters, stride, expansion] of the 17 inverted residual blocks, in order. */
const BLOCKS: readonly (readonly [number, number, number])[] = [
  [16, 1, 1],
  ...[2, 1].map((s) => [24, s, 6] as const),
  ...[2, 1, 1].map((s) => [32, s, 6] as const),
  ...[2, 1, 1, 1].map((s) => [64, s, 6] as const),
  ...[1, 1, 1].map((s) => [96, s, 6] as const),
  ...[2, 1, 1].map((s) => [160, s, 6] as const),
  [320, 1, 6],
];

/** MobileNetV2's feature extractor (Keras's layers up to `out_relu`), on NHWC images. */
export function mobileNetV2Features(input: SymbolicTensor, alpha: number): SymbolicTensor {
  let x = new Conv2D({
    filters: makeDivisible(32 * alpha, 8),
    kernelSize: 3,
    strides: 2,
    padding: 'same',
    useBias: false,
    name: 'Conv1',
  }).apply(input);
  x = relu6('Conv1_relu').apply(bn('bn_Conv1').apply(x));
  BLOCKS.forEach(([filters, stride, expansion], id) => {
    x = invertedResBlock(x, expansion, stride, alpha, filters, id);
  });
  const lastFilters = alpha > 1 ? makeDivisible(1280 * alpha, 8) : 1280;
  x = new Conv2D({ filters: lastFilters, kernelSize: 1, useBias: false, name: 'Conv_1' }).apply(x);
  return relu6('out_relu').apply(bn('Conv_1_bn').apply(x));
}

/** The square sizes Keras publishes MobileNetV2 ImageNet weights for. */
const WEIGHT_SIZES = [96, 128, 160, 192, 224];
const WEIGHT_ALPHAS = [0.35, 0.5, 0.75, 1, 1.3, 1.4];

export interface MobileNetV2Options extends ApplicationOptions {
  /** Width multiplier: every layer's filters scaled by alpha (default 1; ImageNet weights exist for 0.35, 0.5, 0.75, 1, 1.3, 1.4). */
  alpha?: number;
}

/**
 * MobileNetV2 (Sandler et al., 2018) with Keras's definition: inverted residual blocks of
 * depthwise convolutions and ReLU6, 3,538,984 parameters at alpha 1 with the top. Images of at
 * least 32x32 (default 224x224) scaled to [-1, 1] (`nr.applications.mobilenetV2.preprocessInput`).
 *
 * ```ts
 * const base = await nr.applications.MobileNetV2({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling: 'avg' });
 * base.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 1280]
 * ```
 */
export async function MobileNetV2(options: MobileNetV2Options = {}): Promise<Model> {
  const o = parseApplicationOptions<{ alpha: number }>('MobileNetV2', options, { alpha: is.number });
  const alpha = o.alpha ?? 1;
  if (!(alpha > 0)) {
    throw configError('MobileNetV2', {
      expected: 'alpha (the width multiplier) must be a positive number',
      got: show(alpha),
      hint: 'alpha 1 is the paper width; 0.35 to 1.4 are usual',
    });
  }
  const given = o.inputShape ?? o.inputTensor?.shape.slice(1) ?? null;
  // Keras's default size: the given square size when weights exist for it, else 224.
  const square = given !== null && given[0] === given[1] && WEIGHT_SIZES.includes(given[0] ?? 0);
  const input = applicationInput('MobileNetV2', o, { defaultSize: square ? given[0]! : 224, minSize: 32 });
  let rows = input.shape[1];
  if (o.weights === 'imagenet') {
    if (!WEIGHT_ALPHAS.includes(alpha)) {
      throw configError('MobileNetV2', {
        expected: `ImageNet weights exist for alpha ${WEIGHT_ALPHAS.join(', ')}`,
        got: `alpha ${alpha}`,
        hint: 'pick one of those widths, or pass weights: null to train this width from scratch',
      });
    }
    if (rows !== input.shape[2] || !WEIGHT_SIZES.includes(rows ?? 0)) {
      notice(`MobileNetV2: the input is not square or not one of ${WEIGHT_SIZES.join(', ')}; loading the weights trained at 224x224`);
      rows = 224;
    }
  }
  return finishApplication(input, mobileNetV2Features(input, alpha), o, {
    defaultName: `mobilenetv2_${alpha.toFixed(2)}_${rows}`,
    weightsKey: `mobilenet_v2_${Number.isInteger(alpha) ? alpha.toFixed(1) : alpha}_${rows}`,
    top: (x) => classifier(new GlobalAveragePooling2D().apply(x), o),
  });
}

/** MobileNetV2's input convention: Keras's 'tf' mode (pixels in [0, 255] scaled to [-1, 1]). */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'tf');
}

export { decodePredictions };
