import { test } from 'node:test';
import { nr, assert } from '../helpers.js';
import { assertLogitsClose, fillLayer, readReference, referenceImages, type TorchReference } from './torch-reference.js';

const count = (vs: readonly nr.Variable[]) => vs.reduce((s, v) => s + v.size, 0);
const reference = readReference('alexnet-googlenet.json') as Record<string, TorchReference & { trainableWithAux?: number }>;

test("AlexNet: torchvision's parameter count and logits with the same weights", async () => {
  const ref = reference.alexnet!;
  const model = await nr.applications.AlexNet({ classifierActivation: null });
  assert.equal(model.name, 'alexnet');
  assert.equal(ref.trainable, 61_100_840);
  assert.deepEqual([count(model.trainableWeights), count(model.nonTrainableWeights)], [61_100_840, 0]);
  assert.deepEqual(model.computeOutputShape([null, 224, 224, 3]), [null, 1000]);
  // torchvision: features.0/3/6/8/10 are the convolutions, classifier.1/4/6 the Linear layers; its
  // flatten is channels first, so fc1's rows are permuted from [256, 6, 6] order to [6, 6, 256].
  const convs = model.layers.filter((l) => l.className === 'Conv2D');
  assert.deepEqual(
    convs.map((l) => l.name),
    ['conv1', 'conv2', 'conv3', 'conv4', 'conv5'],
  );
  [0, 3, 6, 8, 10].forEach((i, c) => fillLayer(convs[c]!, `features.${i}`));
  ['fc1', 'fc2', 'predictions'].forEach((n, d) =>
    fillLayer(model.getLayer(n), `classifier.${[1, 4, 6][d]}`, d === 0 ? [256, 6, 6] : undefined),
  );
  assertLogitsClose(model.predict(referenceImages(ref)), ref.logits);
});

test('AlexNet: features and pooling of small images, the adaptive pooling for any size with the top', async () => {
  const features = await nr.applications.AlexNet({ includeTop: false, inputShape: [63, 63, 3] });
  assert.deepEqual(features.predict(nr.ones([1, 63, 63, 3])).shape, [1, 1, 1, 256]);
  const avg = await nr.applications.AlexNet({ includeTop: false, pooling: 'avg' });
  assert.deepEqual(avg.predict(nr.ones([1, 100, 80, 3])).shape, [1, 256]);
  const small = await nr.applications.AlexNet({ inputShape: [80, 80, 3], classes: 7 });
  assert.deepEqual(small.predict(nr.ones([2, 80, 80, 3])).shape, [2, 7]);
  assert.equal(small.getLayer('avg_pool').className, 'AdaptiveAveragePooling2D');
  await assert.rejects(
    nr.applications.AlexNet({ includeTop: false, inputShape: [62, 63, 3] }),
    /AlexNet: the input must be at least 63x63/,
  );
});

// Layer names are torchvision's module paths with '_' for '.': 'inception3a.branch2.1.conv' -> 'inception3a_branch2_1_conv'.
function fillGoogLeNet(model: nr.Model): void {
  let filled = 0;
  for (const layer of model.layers) {
    if (layer.name === 'predictions') fillLayer(layer, 'fc');
    else if (layer.className === 'Conv2D' || layer.className === 'BatchNormalization') {
      fillLayer(layer, layer.name.replace(/_(conv|bn)$/, '.$1').replace(/_/g, '.'));
    } else continue;
    filled++;
  }
  // 57 convolutions, 57 batch norms and the fc: every one of torchvision's parameter tensors.
  assert.equal(filled, 115);
}

test("GoogLeNet: torchvision's counts and logits with the same weights, on even and odd sizes (ceil-mode pooling)", async () => {
  const ref = reference.googlenet!;
  const model = await nr.applications.GoogLeNet({ classifierActivation: null, inputShape: [ref.imageSize, ref.imageSize, 3] });
  assert.equal(model.name, 'googlenet');
  assert.equal(ref.trainable, 6_624_904);
  // The non-trainable ones are BatchNormalization's moving statistics (torchvision's running_mean/var buffers).
  assert.deepEqual([count(model.trainableWeights), count(model.nonTrainableWeights)], [6_624_904, 14_560]);
  assert.ok(model.layers.filter((l) => l.className === 'BatchNormalization').every((l) => l.getConfig().epsilon === 0.001));
  fillGoogLeNet(model);
  assertLogitsClose(model.predict(referenceImages(ref)), ref.logits);

  const odd = reference.googlenet_odd!;
  const oddModel = await nr.applications.GoogLeNet({ classifierActivation: null, inputShape: [odd.imageSize, odd.imageSize, 3] });
  oddModel.setWeights(model.getWeights());
  assertLogitsClose(oddModel.predict(referenceImages(odd)), odd.logits);
});

test('GoogLeNet: default 224 output, features, auxiliary classifiers', async () => {
  const features = await nr.applications.GoogLeNet({ includeTop: false });
  assert.deepEqual(features.computeOutputShape([null, null, null, 3]), [null, null, null, 1024]);
  assert.deepEqual(features.predict(nr.ones([1, 32, 32, 3])).shape, [1, 1, 1, 1024]);
  assert.equal(features.layers.at(-1)!.name, 'inception5b_concat');
  // The smallest size whose ceil-mode poolings all fit their windows: 31 -> 16 -> 8 -> 4 -> 2 -> 1.
  assert.deepEqual(features.predict(nr.ones([1, 31, 31, 3])).shape, [1, 1, 1, 1024]);
  await assert.rejects(nr.applications.GoogLeNet({ includeTop: false, inputShape: [30, 31, 3] }), /at least 31x31/);
  const top = await nr.applications.GoogLeNet({ classes: 10 });
  assert.deepEqual(top.computeOutputShape([null, 224, 224, 3]), [null, 10]);
  const withAux = await nr.applications.GoogLeNet({ auxLogits: true, inputShape: [64, 64, 3] });
  assert.equal(count(withAux.trainableWeights), reference.googlenet!.trainableWithAux);
  assert.deepEqual(withAux.outputNames, ['predictions', 'aux1_fc2', 'aux2_fc2']);
  // torchvision's aux1.conv.conv / aux1.conv.bn / aux1.fc1: the same path rule as the main layers.
  for (const n of ['aux1_conv_conv', 'aux1_conv_bn', 'aux1_fc1', 'aux2_conv_relu']) assert.equal(withAux.getLayer(n).name, n);
  const outputs = withAux.predict(nr.ones([2, 64, 64, 3])) as unknown as nr.Tensor[];
  assert.deepEqual(
    outputs.map((t) => t.shape),
    [
      [2, 1000],
      [2, 1000],
      [2, 1000],
    ],
  );
  await assert.rejects(nr.applications.GoogLeNet({ auxLogits: true, includeTop: false }), /GoogLeNet: auxLogits needs includeTop/);
});

test("AlexNet and GoogLeNet: no 'imagenet' weights, torch preprocessing", async () => {
  for (const build of [nr.applications.AlexNet, nr.applications.GoogLeNet]) {
    await assert.rejects(build({ weights: 'imagenet' }), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match(e.message, /weights 'imagenet' is not available.*pass weights: null/);
      return true;
    });
  }
  const x = nr.tensor([255, 255, 255], [1, 1, 1, 3]);
  assert.deepEqual(nr.applications.alexnet.preprocessInput(x).toArray(), nr.applications.preprocessInput(x, 'torch').toArray());
  assert.deepEqual(nr.applications.googlenet.preprocessInput(x).toArray(), nr.applications.preprocessInput(x, 'torch').toArray());
});
