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
  ZeroPadding2D,
} from '../nn/layers/index.js';
import type { Model } from '../nn/models/index.js';
import { applicationInput, classifier, finishApplication, parseApplicationOptions, type ApplicationOptions } from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

// Keras's DenseNet epsilon: 1.001e-5, just above the 1e-5 that cuDNN requires of its batch norm.
const bnRelu = (x: SymbolicTensor, name: string) => {
  const normalized = new BatchNormalization({ axis: 3, epsilon: 1.001e-5, name: `${name}_bn` }).apply(x);
  return new Activation('relu', { name: `${name}_relu` }).apply(normalized);
};

/** One layer of a dense block: BN-ReLU-1x1 conv (4k filters), BN-ReLU-3x3 conv (k = 32), joined to its input. */
function convBlock(x: SymbolicTensor, growthRate: number, name: string) {
  let x1 = new Conv2D({ filters: 4 * growthRate, kernelSize: 1, useBias: false, name: `${name}_1_conv` }).apply(bnRelu(x, `${name}_0`));
  x1 = bnRelu(x1, `${name}_1`);
  x1 = new Conv2D({ filters: growthRate, kernelSize: 3, padding: 'same', useBias: false, name: `${name}_2_conv` }).apply(x1);
  return new Concatenate({ axis: 3, name: `${name}_concat` }).apply([x, x1]);
}

function transitionBlock(x: SymbolicTensor, reduction: number, name: string) {
  const y = bnRelu(x, name);
  const filters = Math.trunc(y.shape[3]! * reduction);
  const conv = new Conv2D({ filters, kernelSize: 1, useBias: false, name: `${name}_conv` }).apply(y);
  return new AveragePooling2D({ poolSize: 2, strides: 2, name: `${name}_pool` }).apply(conv);
}

/** DenseNet's feature extractor (Keras's layers up to `relu`) with `blocks` layers in its four dense blocks. */
export function denseNetFeatures(input: SymbolicTensor, blocks: readonly [number, number, number, number]): SymbolicTensor {
  let x = new ZeroPadding2D({ padding: 3 }).apply(input);
  x = new Conv2D({ filters: 64, kernelSize: 7, strides: 2, useBias: false, name: 'conv1_conv' }).apply(x);
  x = bnRelu(x, 'conv1');
  x = new ZeroPadding2D({ padding: 1 }).apply(x);
  x = new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x);
  blocks.forEach((count, i) => {
    for (let j = 1; j <= count; j++) x = convBlock(x, 32, `conv${i + 2}_block${j}`);
    if (i < 3) x = transitionBlock(x, 0.5, `pool${i + 2}`);
  });
  const normalized = new BatchNormalization({ axis: 3, epsilon: 1.001e-5, name: 'bn' }).apply(x);
  return new Activation('relu', { name: 'relu' }).apply(normalized);
}

/**
 * DenseNet121 (Huang et al., 2017) with Keras's definition: four dense blocks of 6, 12, 24 and 16
 * layers, each layer's 32 new channels concatenated to all before it; 8,062,504 parameters with
 * the top. Images of at least 32x32 (default 224x224), normalized with the ImageNet mean and
 * standard deviation (`nr.applications.densenet.preprocessInput`).
 *
 * ```ts
 * const base = await nr.applications.DenseNet121({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling: 'max' });
 * base.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 1024]
 * ```
 */
export async function DenseNet121(options: ApplicationOptions = {}): Promise<Model> {
  const o = parseApplicationOptions('DenseNet121', options);
  const input = applicationInput('DenseNet121', o, { defaultSize: 224, minSize: 32 });
  return finishApplication(input, denseNetFeatures(input, [6, 12, 24, 16]), o, {
    defaultName: 'densenet121',
    weightsKey: 'densenet121',
    top: (x) => classifier(new GlobalAveragePooling2D({ name: 'avg_pool' }).apply(x), o),
    poolingNames: { avg: 'avg_pool', max: 'max_pool' },
  });
}

/**
 * DenseNet's input convention: Keras's 'torch' mode (pixels in [0, 255] scaled to [0, 1], then the
 * ImageNet mean and standard deviation of each RGB channel).
 */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'torch');
}

export { decodePredictions };
