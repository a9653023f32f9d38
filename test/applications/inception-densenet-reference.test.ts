import { test } from 'node:test';
import { nr } from '../helpers.js';
import { assertReferenceLogits, expectedLogits, referenceImages, setReferenceWeights } from './keras-reference.js';

test("InceptionV3: logits equal a PyTorch port of Keras's definition with the same weights (75x75, 10 classes)", async () => {
  nr.layers.resetLayerNames(); // the weights follow the automatic names of a fresh session: conv2d, conv2d_1, ...
  const model = await nr.applications.InceptionV3({ weights: null, inputShape: [75, 75, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  assertReferenceLogits(model, referenceImages(2, 75, -1, 1), expectedLogits.InceptionV3!);
});

test("DenseNet121: logits equal a PyTorch port of Keras's definition with the same weights (32x32, 10 classes)", async () => {
  const model = await nr.applications.DenseNet121({ weights: null, inputShape: [32, 32, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  assertReferenceLogits(model, referenceImages(2, 32, -2, 2), expectedLogits.DenseNet121!);
});
