import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import { Conv2D } from '../nn/layers/conv/conv-2d.js';
import { Activation } from '../nn/layers/core/activation.js';
import { Add } from '../nn/layers/merge/merge.js';
import { BatchNormalization } from '../nn/layers/normalization/batch-normalization.js';
import { GlobalAveragePooling2D, MaxPooling2D } from '../nn/layers/pooling/pooling-2d.js';
import { ZeroPadding2D } from '../nn/layers/reshaping/spatial-2d.js';
import type { Model } from '../nn/models/index.js';
import { type ApplicationOptions, applicationInput, classifier, finishApplication, parseApplicationOptions } from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

/*
 * ResNet50/101/152 (He et al., 2015) and ResNet50V2 (pre-activation, He et al., 2016) as
 * keras/src/applications/resnet.py and resnet_v2.py, with their layer names (conv1_pad, conv1_conv,
 * conv2_block1_1_conv, ..., post_bn) so that Keras's weight files map one to one.
 */

// Keras's epsilon for every ResNet BatchNormalization (the published weights were trained with it).
const bn = (name: string) => new BatchNormalization({ epsilon: 1.001e-5, name });
const relu = (name: string) => new Activation({ activation: 'relu', name });
const conv = (filters: number, kernelSize: number, name: string, strides = 1, useBias = true, padding: 'valid' | 'same' = 'valid') =>
  new Conv2D({ filters, kernelSize, strides, useBias, padding, name });

/** The v1 bottleneck: 1x1 (stride), 3x3, 1x1 x4 convolutions, each batch-normalized; the shortcut projected in a stack's first block. */
function blockV1(input: SymbolicTensor, filters: number, stride: number, convShortcut: boolean, name: string): SymbolicTensor {
  const shortcut = convShortcut ? bn(`${name}_0_bn`).apply(conv(4 * filters, 1, `${name}_0_conv`, stride).apply(input)) : input;
  let x = relu(`${name}_1_relu`).apply(bn(`${name}_1_bn`).apply(conv(filters, 1, `${name}_1_conv`, stride).apply(input)));
  x = relu(`${name}_2_relu`).apply(bn(`${name}_2_bn`).apply(conv(filters, 3, `${name}_2_conv`, 1, true, 'same').apply(x)));
  x = bn(`${name}_3_bn`).apply(conv(4 * filters, 1, `${name}_3_conv`).apply(x));
  return relu(`${name}_out`).apply(new Add({ name: `${name}_add` }).apply([shortcut, x]));
}

function stackV1(x: SymbolicTensor, filters: number, blocks: number, stride: number, name: string): SymbolicTensor {
  x = blockV1(x, filters, stride, true, `${name}_block1`);
  for (let i = 2; i <= blocks; i++) x = blockV1(x, filters, 1, false, `${name}_block${i}`);
  return x;
}

/** The v2 block: batch norm and ReLU before the convolutions; the stride sits in the 3x3 of a stack's last block. */
function blockV2(input: SymbolicTensor, filters: number, stride: number, convShortcut: boolean, name: string): SymbolicTensor {
  const preact = relu(`${name}_preact_relu`).apply(bn(`${name}_preact_bn`).apply(input));
  let shortcut = input;
  if (convShortcut) shortcut = conv(4 * filters, 1, `${name}_0_conv`, stride).apply(preact);
  else if (stride > 1) shortcut = new MaxPooling2D({ poolSize: 1, strides: stride }).apply(input);
  let x = relu(`${name}_1_relu`).apply(bn(`${name}_1_bn`).apply(conv(filters, 1, `${name}_1_conv`, 1, false).apply(preact)));
  x = new ZeroPadding2D({
    padding: [
      [1, 1],
      [1, 1],
    ],
    name: `${name}_2_pad`,
  }).apply(x);
  x = relu(`${name}_2_relu`).apply(bn(`${name}_2_bn`).apply(conv(filters, 3, `${name}_2_conv`, stride, false).apply(x)));
  x = conv(4 * filters, 1, `${name}_3_conv`).apply(x);
  return new Add({ name: `${name}_out` }).apply([shortcut, x]);
}

function stackV2(x: SymbolicTensor, filters: number, blocks: number, stride: number, name: string): SymbolicTensor {
  x = blockV2(x, filters, 1, true, `${name}_block1`);
  for (let i = 2; i < blocks; i++) x = blockV2(x, filters, 1, false, `${name}_block${i}`);
  return blockV2(x, filters, stride, false, `${name}_block${blocks}`);
}

async function ResNet(owner: string, name: string, blocks: readonly number[], preact: boolean, raw: unknown): Promise<Model> {
  const options = parseApplicationOptions(owner, raw);
  const input = applicationInput(owner, options, { defaultSize: 224, minSize: 32 });
  let x = new ZeroPadding2D({
    padding: [
      [3, 3],
      [3, 3],
    ],
    name: 'conv1_pad',
  }).apply(input);
  x = conv(64, 7, 'conv1_conv', 2).apply(x);
  if (!preact) x = relu('conv1_relu').apply(bn('conv1_bn').apply(x));
  x = new ZeroPadding2D({
    padding: [
      [1, 1],
      [1, 1],
    ],
    name: 'pool1_pad',
  }).apply(x);
  x = new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1_pool' }).apply(x);
  const stack = preact ? stackV2 : stackV1;
  [64, 128, 256, 512].forEach((filters, i) => {
    // v1 downsamples in the first block of stacks 3-5; v2 in the last block of stacks 2-4.
    const stride = preact ? (i < 3 ? 2 : 1) : i > 0 ? 2 : 1;
    x = stack(x, filters, blocks[i]!, stride, `conv${i + 2}`);
  });
  if (preact) x = relu('post_relu').apply(bn('post_bn').apply(x));
  return finishApplication(input, x, options, {
    defaultName: name,
    weightsKey: name,
    top: (features) => classifier(new GlobalAveragePooling2D({ name: 'avg_pool' }).apply(features), options),
    poolingNames: { avg: 'avg_pool', max: 'max_pool' },
  });
}

/**
 * ResNet50 (25,636,712 parameters with the top, 53,120 of them BatchNormalization's moving
 * statistics; default input 224x224x3, at least 32x32).
 *
 * ```ts
 * const base = await nr.applications.ResNet50({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
 * base.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 1, 1, 2048]
 * ```
 */
export function ResNet50(options?: ApplicationOptions): Promise<Model> {
  return ResNet('ResNet50', 'resnet50', [3, 4, 6, 3], false, options);
}

/** ResNet101 (44,707,176 parameters with the top): ResNet50 with 23 blocks in stack conv4. */
export function ResNet101(options?: ApplicationOptions): Promise<Model> {
  return ResNet('ResNet101', 'resnet101', [3, 4, 23, 3], false, options);
}

/** ResNet152 (60,419,944 parameters with the top): 8 blocks in conv3, 36 in conv4. */
export function ResNet152(options?: ApplicationOptions): Promise<Model> {
  return ResNet('ResNet152', 'resnet152', [3, 8, 36, 3], false, options);
}

/** ResNet50V2 (25,613,800 parameters with the top): pre-activation blocks, closed by post_bn and post_relu. */
export function ResNet50V2(options?: ApplicationOptions): Promise<Model> {
  return ResNet('ResNet50V2', 'resnet50v2', [3, 4, 6, 3], true, options);
}

/** ResNet50/101/152's input convention: Keras's 'caffe' mode (BGR, minus the ImageNet mean), for pixels in [0, 255]. */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'caffe');
}

/** ResNet50V2's input convention: Keras's 'tf' mode (pixels in [0, 255] scaled to [-1, 1]). */
export function preprocessInputV2(x: Operand): Tensor {
  return imagenetPreprocess(x, 'tf');
}

export { decodePredictions };
