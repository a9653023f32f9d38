import { test } from 'node:test';
import { nr, assert, assertClose } from '../helpers.js';

const A = nr.applications;
const sizes = (vars: readonly nr.Tensor[]) => vars.reduce((sum, v) => sum + v.size, 0);
const kernelShape = (model: nr.Model, name: string) => model.getLayer(name).weights[0]!.shape;

const full = await A.DenseNet121({ weights: null });

test('DenseNet121: parameter counts as Keras prints them (total, trainable, non-trainable)', () => {
  assert.equal(full.countParams(), 8_062_504);
  assert.equal(sizes(full.trainableWeights), 7_978_856);
  assert.equal(sizes(full.nonTrainableWeights), 83_648);
  assert.equal(full.name, 'densenet121');
  assert.deepEqual(full.computeOutputShape([null, 224, 224, 3]), [null, 1000]);
});

test("DenseNet121: Keras's layer names, and 32 channels more after each dense layer", () => {
  const names = new Set(full.layers.map((l) => l.name));
  for (const name of ['conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1', 'conv2_block1_0_bn', 'conv2_block6_concat', 'pool2_pool']) {
    assert.ok(names.has(name), `no layer ${name}`);
  }
  for (const name of ['conv3_block12_2_conv', 'conv4_block24_concat', 'pool4_conv', 'conv5_block16_concat', 'bn', 'relu', 'avg_pool']) {
    assert.ok(names.has(name), `no layer ${name}`);
  }
  assert.ok(!names.has('conv5_block17_concat') && !names.has('pool5_conv'));
  assert.equal(full.layers.at(-1)!.name, 'predictions');
  // The channels grow 64 -> 256 in conv2, the transitions halve them: 128 -> 512, 256 -> 1024, 512 -> 1024.
  assert.deepEqual(kernelShape(full, 'conv2_block6_1_conv'), [1, 1, 224, 128]);
  assert.deepEqual(kernelShape(full, 'conv2_block6_2_conv'), [3, 3, 128, 32]);
  assert.deepEqual(kernelShape(full, 'pool2_conv'), [1, 1, 256, 128]);
  assert.deepEqual(kernelShape(full, 'pool3_conv'), [1, 1, 512, 256]);
  assert.deepEqual(kernelShape(full, 'pool4_conv'), [1, 1, 1024, 512]);
  assert.deepEqual(kernelShape(full, 'conv5_block16_1_conv'), [1, 1, 992, 128]);
  assert.deepEqual(kernelShape(full, 'predictions'), [1024, 1000]);
  const bn = full.getLayer('bn') as nr.layers.BatchNormalization;
  assert.equal(bn.epsilon, 1.001e-5);
  assert.deepEqual(
    bn.weights.map((w) => w.shape),
    [[1024], [1024], [1024], [1024]],
  );
});

test('DenseNet121: output shapes without the top for each pooling, and forward passes', async () => {
  const features = await A.DenseNet121({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
  assert.deepEqual(features.computeOutputShape([null, 32, 32, 3]), [null, 1, 1, 1024]);
  assert.equal(features.countParams(), 7_037_504);
  for (const pooling of ['avg', 'max'] as const) {
    const model = await A.DenseNet121({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling });
    assert.deepEqual(model.computeOutputShape([null, 32, 32, 3]), [null, 1024]);
    assert.equal(model.layers.at(-1)!.name, `${pooling}_pool`);
  }
  const anySize = await A.DenseNet121({ includeTop: false, weights: null, pooling: 'avg' });
  const x = A.densenet.preprocessInput(nr.randu([2, 64, 48, 3], { low: 0, high: 255 }));
  const [a, b] = anySize.predict(x).toArray() as number[][];
  assert.equal(a!.length, 1024);
  assert.ok([...a!, ...b!].every((v) => Number.isFinite(v) && v >= 0)); // averaged ReLU outputs
  assert.ok(a!.some((v, i) => v !== b![i]!));
});

test("DenseNet121: preprocessInput is Keras's 'torch' mode (ImageNet mean and std per RGB channel)", () => {
  const pixel = nr.tensor([[[[0, 127.5, 255]]]]);
  assertClose(A.densenet.preprocessInput(pixel), [-0.485 / 0.229, (0.5 - 0.456) / 0.224, (1 - 0.406) / 0.225], { rtol: 1e-6 });
  assert.equal(A.densenet.decodePredictions, A.decodePredictions);
  assert.equal(A.densenet.DenseNet121, A.DenseNet121);
});
