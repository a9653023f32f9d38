import type { Operand } from '../ops/index.js';
import type { Tensor } from '../tensor/index.js';
import { Conv2D } from '../nn/layers/conv/conv-2d.js';
import { Dense } from '../nn/layers/core/dense.js';
import { Dropout } from '../nn/layers/core/dropout.js';
import { Flatten } from '../nn/layers/core/reshape.js';
import { AdaptiveAveragePooling2D } from '../nn/layers/pooling/adaptive-pooling-2d.js';
import { MaxPooling2D } from '../nn/layers/pooling/pooling-2d.js';
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
 * AlexNet (Krizhevsky et al., 2012) as torchvision.models.alexnet defines it (the one-tower variant
 * of "One weird trick", 2014), in NHWC. Keras has no AlexNet; the names here follow Keras's style.
 * torchvision's padding=2 of the first convolution is an explicit ZeroPadding2D (TensorFlow's 'same'
 * would pad 224 unevenly); its 5x5 and 3x3 stride-1 convolutions pad evenly, which 'same' does.
 */

/**
 * AlexNet: 61,100,840 parameters with the top (torchvision's count), default input 224x224x3, at
 * least 63x63. The top is torchvision's: AdaptiveAveragePooling2D to 6x6 ('avg_pool', so any size
 * fits), flatten, dropout 0.5, fc1 (4096, ReLU), dropout 0.5, fc2 (4096, ReLU), predictions.
 * There are no Keras-published weights: `weights` defaults to null.
 *
 * ```ts
 * const alexnet = await nr.applications.AlexNet({ includeTop: false, inputShape: [63, 63, 3] });
 * alexnet.predict(nr.zeros([1, 63, 63, 3])).shape; // [1, 1, 1, 256]
 * ```
 */
export async function AlexNet(raw?: ApplicationOptions): Promise<Model> {
  const options = parseApplicationOptions('AlexNet', raw, {}, null);
  requireNoImagenetWeights('AlexNet', options);
  const input = applicationInput('AlexNet', options, { defaultSize: 224, minSize: 63 });
  let x = new ZeroPadding2D({ padding: 2, name: 'conv1_pad' }).apply(input);
  x = new Conv2D({ filters: 64, kernelSize: 11, strides: 4, activation: 'relu', name: 'conv1' }).apply(x);
  x = new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool1' }).apply(x);
  x = new Conv2D({ filters: 192, kernelSize: 5, padding: 'same', activation: 'relu', name: 'conv2' }).apply(x);
  x = new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool2' }).apply(x);
  [384, 256, 256].forEach((filters, i) => {
    x = new Conv2D({ filters, kernelSize: 3, padding: 'same', activation: 'relu', name: `conv${i + 3}` }).apply(x);
  });
  x = new MaxPooling2D({ poolSize: 3, strides: 2, name: 'pool5' }).apply(x);
  return finishApplication(input, x, options, {
    defaultName: 'alexnet',
    weightsKey: 'alexnet',
    top: (features) => {
      let y = new AdaptiveAveragePooling2D({ outputSize: 6, name: 'avg_pool' }).apply(features);
      y = new Flatten({ name: 'flatten' }).apply(y);
      y = new Dropout({ rate: 0.5, name: 'fc1_dropout' }).apply(y);
      y = new Dense({ units: 4096, activation: 'relu', name: 'fc1' }).apply(y);
      y = new Dropout({ rate: 0.5, name: 'fc2_dropout' }).apply(y);
      y = new Dense({ units: 4096, activation: 'relu', name: 'fc2' }).apply(y);
      return classifier(y, options);
    },
  });
}

/** torchvision's input convention (its models are trained on it): Keras's 'torch' mode, pixels in [0, 255]. */
export function preprocessInput(x: Operand): Tensor {
  return imagenetPreprocess(x, 'torch');
}

export { decodePredictions };
