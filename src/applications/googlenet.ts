import { configError, is } from '../core/index.js';
import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import { Conv2D } from '../nn/layers/conv/conv-2d.js';
import { Activation } from '../nn/layers/core/activation.js';
import { Dense } from '../nn/layers/core/dense.js';
import { Dropout } from '../nn/layers/core/dropout.js';
import { Flatten } from '../nn/layers/core/reshape.js';
import { Concatenate } from '../nn/layers/merge/merge.js';
import { BatchNormalization } from '../nn/layers/normalization/batch-normalization.js';
import { AdaptiveAveragePooling2D } from '../nn/layers/pooling/adaptive-pooling-2d.js';
import { GlobalAveragePooling2D, MaxPooling2D } from '../nn/layers/pooling/pooling-2d.js';
import { ZeroPadding2D } from '../nn/layers/reshaping/spatial-2d.js';
import type { Model } from '../nn/models/index.js';
import {
  type ApplicationOptions,
  applicationInput,
  classifier,
  finishApplication,
  parseApplicationOptions,
  requireNoImagenetWeights,
} from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

/*
 * GoogLeNet (Inception v1, Szegedy et al., 2014) as torchvision.models.googlenet defines it: every
 * convolution is bias-free and followed by batch normalization (epsilon 0.001) and ReLU, and the
 * "5x5" branch uses a 3x3 kernel (torchvision's known deviation, kept so counts and weights match).
 * Layer names are torchvision's module paths with '_' for '.', plus _conv/_bn/_relu:
 * inception3a.branch2.1.conv is 'inception3a_branch2_1_conv'. Max pooling uses ceilMode as torchvision's.
 */

export interface GoogLeNetOptions extends ApplicationOptions {
  /**
   * Add torchvision's two auxiliary classifiers (after inception4a and inception4d; default false):
   * the model then has three outputs, [predictions, aux1, aux2]. Only with includeTop.
   */
  auxLogits?: boolean;
}

/** torchvision's BasicConv2d: a bias-free convolution, batch normalization (eps 0.001; momentum 0.9 is torch's 0.1) and ReLU. */
function basicConv(x: SymbolicTensor, filters: number, kernelSize: number, name: string, strides = 1): SymbolicTensor {
  const padding = kernelSize > 1 && strides === 1 ? 'same' : 'valid';
  x = new Conv2D({ filters, kernelSize, strides, padding, useBias: false, name: `${name}_conv` }).apply(x);
  x = new BatchNormalization({ epsilon: 0.001, momentum: 0.9, name: `${name}_bn` }).apply(x);
  return new Activation({ activation: 'relu', name: `${name}_relu` }).apply(x);
}

/** Four branches joined on channels: 1x1; 1x1 then 3x3; 1x1 then 3x3; 3x3 max pooling then 1x1. */
function inception(x: SymbolicTensor, name: string, [c1, r3, c3, r5, c5, pool]: readonly number[]): SymbolicTensor {
  const b1 = basicConv(x, c1!, 1, `${name}_branch1`);
  const b2 = basicConv(basicConv(x, r3!, 1, `${name}_branch2_0`), c3!, 3, `${name}_branch2_1`);
  const b3 = basicConv(basicConv(x, r5!, 1, `${name}_branch3_0`), c5!, 3, `${name}_branch3_1`);
  const pooled = new MaxPooling2D({ poolSize: 3, strides: 1, padding: 'same', name: `${name}_branch4_0` }).apply(x);
  const b4 = basicConv(pooled, pool!, 1, `${name}_branch4_1`);
  return new Concatenate({ name: `${name}_concat` }).apply([b1, b2, b3, b4]);
}

/** torchvision's InceptionAux: 4x4 adaptive average pooling, a 1x1 BasicConv2d (128), fc 1024 + ReLU, dropout 0.7, fc. */
function auxiliary(x: SymbolicTensor, name: string, classes: number, activation: ApplicationOptions['classifierActivation']) {
  x = new AdaptiveAveragePooling2D({ outputSize: 4, name: `${name}_pool` }).apply(x);
  x = new Flatten({ name: `${name}_flatten` }).apply(basicConv(x, 128, 1, `${name}_conv`));
  x = new Dense({ units: 1024, activation: 'relu', name: `${name}_fc1` }).apply(x);
  x = new Dropout({ rate: 0.7, name: `${name}_dropout` }).apply(x);
  return new Dense({ units: classes, activation, name: `${name}_fc2` }).apply(x);
}

const maxPool = (poolSize: number, name: string) => new MaxPooling2D({ poolSize, strides: 2, ceilMode: true, name });

// [1x1, 3x3 reduce, 3x3, "5x5" reduce, "5x5", pool projection] per block, from the paper's table 1.
const BLOCKS: Record<string, readonly number[]> = {
  inception3a: [64, 96, 128, 16, 32, 32],
  inception3b: [128, 128, 192, 32, 96, 64],
  inception4a: [192, 96, 208, 16, 48, 64],
  inception4b: [160, 112, 224, 24, 64, 64],
  inception4c: [128, 128, 256, 24, 64, 64],
  inception4d: [112, 144, 288, 32, 64, 64],
  inception4e: [256, 160, 320, 32, 128, 128],
  inception5a: [256, 160, 320, 32, 128, 128],
  inception5b: [384, 192, 384, 48, 128, 128],
};

/**
 * GoogLeNet: 6,624,904 trainable parameters with the top and without the auxiliary classifiers
 * (torchvision's count; 14,560 more are BatchNormalization's moving statistics), default input
 * 224x224x3, at least 31x31. The top is a global average pooling ('avg_pool', torchvision's
 * AdaptiveAvgPool2d((1, 1))), dropout 0.2 and predictions. There are no Keras-published weights:
 * `weights` defaults to null.
 *
 * ```ts
 * const googlenet = await nr.applications.GoogLeNet({ includeTop: false, inputShape: [32, 32, 3], pooling: 'avg' });
 * googlenet.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 1024]
 * ```
 */
export async function GoogLeNet(raw?: GoogLeNetOptions): Promise<Model> {
  const options = parseApplicationOptions<{ auxLogits: boolean }>('GoogLeNet', raw, { auxLogits: is.boolean }, null);
  requireNoImagenetWeights('GoogLeNet', options);
  const aux = options.auxLogits ?? false;
  if (aux && !options.includeTop) {
    throw configError('GoogLeNet', {
      expected: 'auxLogits needs includeTop (they are classifiers)',
      hint: 'drop auxLogits, or pass includeTop: true',
    });
  }
  // torchvision takes 15x15, where a ceil-mode 3x3 window overhangs a 2x2 map; MaxPooling2D's ceilMode
  // requires the window to fit, which holds from 31x31 up.
  const input = applicationInput('GoogLeNet', options, { defaultSize: 224, minSize: 31 });
  let x = new ZeroPadding2D({ padding: 3, name: 'conv1_pad' }).apply(input);
  x = maxPool(3, 'maxpool1').apply(basicConv(x, 64, 7, 'conv1', 2));
  x = maxPool(3, 'maxpool2').apply(basicConv(basicConv(x, 64, 1, 'conv2'), 192, 3, 'conv3'));
  const auxOutputs: SymbolicTensor[] = [];
  for (const [name, sizes] of Object.entries(BLOCKS)) {
    if (name === 'inception4a') x = maxPool(3, 'maxpool3').apply(x);
    if (name === 'inception5a') x = maxPool(2, 'maxpool4').apply(x);
    x = inception(x, name, sizes);
    if (aux && (name === 'inception4a' || name === 'inception4d')) {
      auxOutputs.push(auxiliary(x, `aux${auxOutputs.length + 1}`, options.classes, options.classifierActivation));
    }
  }
  const top = (features: SymbolicTensor) => {
    const pooled = new GlobalAveragePooling2D({ name: 'avg_pool' }).apply(features);
    return classifier(new Dropout({ rate: 0.2, name: 'dropout' }).apply(pooled), options);
  };
  return finishApplication(input, x, options, { defaultName: 'googlenet', weightsKey: 'googlenet', top, extraOutputs: auxOutputs });
}

/** torchvision's input convention (its models are trained on it): Keras's 'torch' mode, pixels in [0, 255]. */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'torch');
}

export { decodePredictions };
