import * as alexnetFamily from './alexnet.js';
import * as densenetFamily from './densenet.js';
import * as efficientnetFamily from './efficientnet.js';
import * as googlenetFamily from './googlenet.js';
import * as imagenetUtils from './imagenet-utils.js';
import * as inceptionV3Family from './inception-v3.js';
import * as mobilenetV2Family from './mobilenet-v2.js';
import * as resnetFamily from './resnet.js';
import * as vgg from './vgg.js';

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
export { AlexNet } from './alexnet.js';
export { GoogLeNet, type GoogLeNetOptions } from './googlenet.js';
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

/*
 * Keras's per-family modules (`keras.applications.resnet_v2.preprocess_input`): each family's
 * models with its own preprocessInput (the convention its published weights expect) and decodePredictions.
 */
const decode = { decodePredictions: imagenetUtils.decodePredictions };
export const vgg16 = Object.freeze({ VGG16: vgg.VGG16, preprocessInput: vgg.preprocessInput, ...decode });
export const vgg19 = Object.freeze({ VGG19: vgg.VGG19, preprocessInput: vgg.preprocessInput, ...decode });
const { ResNet50, ResNet101, ResNet152, ResNet50V2, preprocessInput: caffe, preprocessInputV2 } = resnetFamily;
export const resnet = Object.freeze({ ResNet50, ResNet101, ResNet152, preprocessInput: caffe, ...decode });
export const resnet50 = Object.freeze({ ResNet50, preprocessInput: caffe, ...decode });
export const resnetV2 = Object.freeze({ ResNet50V2, preprocessInput: preprocessInputV2, ...decode });
export const alexnet = Object.freeze({ ...alexnetFamily });
export const googlenet = Object.freeze({ ...googlenetFamily });
const { InceptionV3 } = inceptionV3Family;
export const inceptionV3 = Object.freeze({ InceptionV3, preprocessInput: inceptionV3Family.preprocessInput, ...decode });
const { MobileNetV2 } = mobilenetV2Family;
export const mobilenetV2 = Object.freeze({ MobileNetV2, preprocessInput: mobilenetV2Family.preprocessInput, ...decode });
const { EfficientNetB0, EfficientNetB1, EfficientNetB2, EfficientNetB3, EfficientNetB4, EfficientNetB5, EfficientNetB6, EfficientNetB7 } =
  efficientnetFamily;
export const efficientnet = Object.freeze({
  EfficientNetB0,
  EfficientNetB1,
  EfficientNetB2,
  EfficientNetB3,
  EfficientNetB4,
  EfficientNetB5,
  EfficientNetB6,
  EfficientNetB7,
  preprocessInput: efficientnetFamily.preprocessInput,
  ...decode,
});
export const densenet = Object.freeze({
  DenseNet121: densenetFamily.DenseNet121,
  preprocessInput: densenetFamily.preprocessInput,
  ...decode,
});
