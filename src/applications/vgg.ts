import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import type { SymbolicTensor } from '../nn/layer.js';
import { Conv2D } from '../nn/layers/conv/conv-2d.js';
import { Dense } from '../nn/layers/core/dense.js';
import { Flatten } from '../nn/layers/core/reshape.js';
import { MaxPooling2D } from '../nn/layers/pooling/pooling-2d.js';
import type { Model } from '../nn/models/index.js';
import { type ApplicationOptions, applicationInput, classifier, finishApplication, parseApplicationOptions } from './common.js';
import { decodePredictions, preprocessInput as imagenetPreprocess } from './imagenet-utils.js';

/*
 * VGG16 and VGG19 (Simonyan and Zisserman, 2014) as keras/src/applications/vgg16.py and vgg19.py:
 * five blocks of 3x3 same-padded ReLU convolutions, each closed by a 2x2 max pooling
 * (block1_conv1 ... block5_pool), then flatten, fc1, fc2 (4096 each) and predictions.
 */

async function VGG(owner: string, name: string, convsPerBlock: readonly number[], raw: unknown): Promise<Model> {
  const options = parseApplicationOptions(owner, raw);
  const input = applicationInput(owner, options, { defaultSize: 224, minSize: 32 });
  let x: SymbolicTensor = input;
  [64, 128, 256, 512, 512].forEach((filters, b) => {
    for (let c = 1; c <= convsPerBlock[b]!; c++) {
      x = new Conv2D({ filters, kernelSize: 3, activation: 'relu', padding: 'same', name: `block${b + 1}_conv${c}` }).apply(x);
    }
    x = new MaxPooling2D({ poolSize: 2, strides: 2, name: `block${b + 1}_pool` }).apply(x);
  });
  return finishApplication(input, x, options, {
    defaultName: name,
    weightsKey: name,
    top: (features) => {
      let y = new Flatten({ name: 'flatten' }).apply(features);
      y = new Dense({ units: 4096, activation: 'relu', name: 'fc1' }).apply(y);
      y = new Dense({ units: 4096, activation: 'relu', name: 'fc2' }).apply(y);
      return classifier(y, options);
    },
  });
}

/**
 * VGG16 (138,357,544 parameters with the top; default input 224x224x3, at least 32x32). Takes
 * Keras's application options; resolves to a functional Model.
 *
 * ```ts
 * const vgg = await nr.applications.VGG16({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling: 'avg' });
 * vgg.predict(nr.zeros([1, 32, 32, 3])).shape; // [1, 512]
 * ```
 */
export function VGG16(options?: ApplicationOptions): Promise<Model> {
  return VGG('VGG16', 'vgg16', [2, 2, 3, 3, 3], options);
}

/** VGG19 (143,667,240 parameters with the top): VGG16 with four convolutions in blocks 3 to 5. */
export function VGG19(options?: ApplicationOptions): Promise<Model> {
  return VGG('VGG19', 'vgg19', [2, 2, 4, 4, 4], options);
}

/** VGG's input convention: Keras's 'caffe' mode (BGR, minus the ImageNet mean), for pixels in [0, 255]. */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'caffe');
}

export { decodePredictions };
