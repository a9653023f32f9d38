import { test } from 'node:test';
import { nr } from '../helpers.js';
import { assertReferenceLogits, expectedLogits, referenceImages, setReferenceWeights } from './keras-reference.js';

test("MobileNetV2: logits equal a PyTorch port of Keras's definition with the same weights (40x40, 10 classes)", async () => {
  const model = await nr.applications.MobileNetV2({ weights: null, inputShape: [40, 40, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  assertReferenceLogits(model, referenceImages(2, 40, -1, 1), expectedLogits.MobileNetV2!);
});

test("EfficientNetB0: logits equal a PyTorch port of Keras's definition with the same weights (raw pixels, 40x40)", async () => {
  nr.layers.resetLayerNames(); // the stem's Normalization is unnamed in Keras: 'normalization' in a fresh session
  const model = await nr.applications.EfficientNetB0({ weights: null, inputShape: [40, 40, 3], classes: 10, classifierActivation: null });
  setReferenceWeights(model);
  assertReferenceLogits(model, referenceImages(2, 40, 0, 255), expectedLogits.EfficientNetB0!);
});
