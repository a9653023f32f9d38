/**
 * `nr.applications`: the classic image classifiers with Keras's definitions (layer names and
 * parameter counts as Keras's), AlexNet and GoogLeNet after torchvision's, and the ImageNet input
 * and output conventions. Every model function is async (its weights may need I/O) and resolves to
 * an ordinary functional `Model`.
 *
 * ```ts
 * const base = await nr.applications.VGG16({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
 * base.computeOutputShape([null, 32, 32, 3]); // [null, 1, 1, 512]
 * ```
 */
export {
  parseApplicationOptions,
  obtainInputShape,
  applicationInput,
  sourceInputs,
  classifier,
  finishApplication,
  type ApplicationOptions,
  type ParsedApplicationOptions,
  type InputShapeRules,
  type FinishOptions,
} from './common.js';
export { preprocessInput, decodePredictions, imagenetClasses, type PreprocessMode, type ImageNetPrediction } from './imagenet-utils.js';
export { VGG16, VGG19 } from './vgg.js';
export { ResNet50, ResNet101, ResNet152, ResNet50V2 } from './resnet.js';
export { InceptionV3 } from './inception-v3.js';
export { MobileNetV2, type MobileNetV2Options } from './mobilenet-v2.js';
export {
  EfficientNetB0,
  EfficientNetB1,
  EfficientNetB2,
  EfficientNetB3,
  EfficientNetB4,
  EfficientNetB5,
  EfficientNetB6,
  EfficientNetB7,
} from './efficientnet.js';
export { DenseNet121 } from './densenet.js';

import * as vgg from './vgg.js';
import * as resnetFamily from './resnet.js';
import * as inceptionV3Family from './inception-v3.js';
import * as mobilenetV2Family from './mobilenet-v2.js';
import * as efficientnetFamily from './efficientnet.js';
import * as densenetFamily from './densenet.js';

/*
 * Keras's per-family modules (`keras.applications.resnet_v2.preprocess_input`): each family's
 * models with its own preprocessInput (the convention its published weights expect) and decodePredictions.
 */
export const vgg16 = Object.freeze({ VGG16: vgg.VGG16, preprocessInput: vgg.preprocessInput, decodePredictions: vgg.decodePredictions });
export const vgg19 = Object.freeze({ VGG19: vgg.VGG19, preprocessInput: vgg.preprocessInput, decodePredictions: vgg.decodePredictions });
export const resnet = Object.freeze({
  ResNet50: resnetFamily.ResNet50,
  ResNet101: resnetFamily.ResNet101,
  ResNet152: resnetFamily.ResNet152,
  preprocessInput: resnetFamily.preprocessInput,
  decodePredictions: vgg.decodePredictions,
});
export const resnet50 = Object.freeze({
  ResNet50: resnetFamily.ResNet50,
  preprocessInput: resnetFamily.preprocessInput,
  decodePredictions: vgg.decodePredictions,
});
export const resnetV2 = Object.freeze({
  ResNet50V2: resnetFamily.ResNet50V2,
  preprocessInput: resnetFamily.preprocessInputV2,
  decodePredictions: vgg.decodePredictions,
});
export const inceptionV3 = Object.freeze({
  InceptionV3: inceptionV3Family.InceptionV3,
  preprocessInput: inceptionV3Family.preprocessInput,
  decodePredictions: inceptionV3Family.decodePredictions,
});
export const mobilenetV2 = Object.freeze({
  MobileNetV2: mobilenetV2Family.MobileNetV2,
  preprocessInput: mobilenetV2Family.preprocessInput,
  decodePredictions: mobilenetV2Family.decodePredictions,
});
export const efficientnet = Object.freeze({
  EfficientNetB0: efficientnetFamily.EfficientNetB0,
  EfficientNetB1: efficientnetFamily.EfficientNetB1,
  EfficientNetB2: efficientnetFamily.EfficientNetB2,
  EfficientNetB3: efficientnetFamily.EfficientNetB3,
  EfficientNetB4: efficientnetFamily.EfficientNetB4,
  EfficientNetB5: efficientnetFamily.EfficientNetB5,
  EfficientNetB6: efficientnetFamily.EfficientNetB6,
  EfficientNetB7: efficientnetFamily.EfficientNetB7,
  preprocessInput: efficientnetFamily.preprocessInput,
  decodePredictions: efficientnetFamily.decodePredictions,
});
export const densenet = Object.freeze({
  DenseNet121: densenetFamily.DenseNet121,
  preprocessInput: densenetFamily.preprocessInput,
  decodePredictions: densenetFamily.decodePredictions,
});
