import { test } from 'node:test';
import { nr, assert, assertClose } from '../helpers.js';
import { assertLogitsClose, fillLayer, readReference, referenceImages } from './torch-reference.js';

const count = (vs: readonly nr.Variable[]) => vs.reduce((s, v) => s + v.size, 0);
const reference = readReference('vgg.json');

// Keras's summary(): total parameters (all trainable) and len(model.layers), with the top.
const KERAS = { VGG16: [138_357_544, 23], VGG19: [143_667_240, 26] } as const;

for (const [name, [total, layers]] of Object.entries(KERAS)) {
  test(`${name}: Keras's counts and names, and torchvision's logits with the same weights`, async () => {
    // torchvision's VGG ends with logits, so the classifier here has no softmax (classifierActivation null).
    const model = await nr.applications[name as keyof typeof KERAS]({ weights: null, classifierActivation: null });
    assert.equal(model.name, name.toLowerCase());
    assert.deepEqual([count(model.trainableWeights), count(model.nonTrainableWeights)], [total, 0]);
    assert.equal(model.layers.length, layers);
    assert.deepEqual(
      model.layers.slice(1, 4).map((l) => l.name),
      ['block1_conv1', 'block1_conv2', 'block1_pool'],
    );
    assert.deepEqual(
      model.layers.slice(-5).map((l) => l.name),
      ['block5_pool', 'flatten', 'fc1', 'fc2', 'predictions'],
    );
    assert.deepEqual(model.computeOutputShape([null, 224, 224, 3]), [null, 1000]);

    const ref = reference[name.toLowerCase()]!;
    assert.equal(ref.trainable, total, "torchvision's VGG has Keras's parameter count");
    // torchvision: features.N (convolutions, in order), then classifier.0/3/6 (Linear). Its
    // AdaptiveAvgPool2d((7, 7)) is the identity on the 7x7 maps of a 224x224 image, and its flatten is
    // channels first, so fc1's rows are permuted from [512, 7, 7] order to Keras's [7, 7, 512].
    let index = 0;
    for (const layer of model.layers) {
      if (layer.className === 'Conv2D') fillLayer(layer, `features.${index}`);
      if (layer.className === 'Conv2D') index += 2; // Conv2d, ReLU
      if (layer.className === 'MaxPooling2D') index += 1;
    }
    ['fc1', 'fc2', 'predictions'].forEach((n, i) => fillLayer(model.getLayer(n), `classifier.${3 * i}`, i === 0 ? [512, 7, 7] : undefined));
    assertLogitsClose(model.predict(referenceImages(ref)), ref.logits);
  });
}

test('VGG16 with the top on small images: softmax classifier; without the top: feature maps of any size, pooling', async () => {
  const small = await nr.applications.VGG16({ weights: null, inputShape: [32, 32, 3], classes: 10 });
  assert.equal((small.getLayer('predictions').getConfig() as { activation: string }).activation, 'softmax');
  assert.equal(small.getLayer('fc1').countParams(), 512 * 4096 + 4096);
  assertClose(small.predict(nr.ones([2, 32, 32, 3])).sum(1), [1, 1], { rtol: 1e-5 });
  const features = await nr.applications.VGG16({ includeTop: false, weights: null });
  assert.equal(features.layers.length, 19);
  assert.equal(features.layers.at(-1)!.name, 'block5_pool');
  assert.deepEqual(features.predict(nr.ones([1, 64, 32, 3])).shape, [1, 2, 1, 512]);
  const avg = await nr.applications.VGG19({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling: 'avg' });
  assert.deepEqual(avg.computeOutputShape([null, 32, 32, 3]), [null, 512]);
  assert.equal(avg.layers.at(-1)!.className, 'GlobalAveragePooling2D');
  const max = await nr.applications.VGG16({ include_top: false, weights: null, input_shape: [48, 32, 3], pooling: 'max' } as never);
  assert.deepEqual(max.predict(nr.ones([2, 48, 32, 3])).shape, [2, 512]);
  await assert.rejects(
    nr.applications.VGG19({ weights: null, inputShape: [31, 64, 3], includeTop: false }),
    /VGG19: the input must be at least 32x32/,
  );
});

test('vgg16 and vgg19 modules: caffe preprocessing and decodePredictions', () => {
  const x = nr.tensor([0, 0, 255], [1, 1, 3]);
  assert.deepEqual(nr.applications.vgg16.preprocessInput(x).toArray(), nr.applications.preprocessInput(x, 'caffe').toArray());
  assert.equal(nr.applications.vgg19.preprocessInput, nr.applications.vgg16.preprocessInput);
  assert.equal(nr.applications.vgg19.decodePredictions, nr.applications.decodePredictions);
});
