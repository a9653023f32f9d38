import { test } from 'node:test';
import { nr, assert } from '../helpers.js';
import { correctPad, makeDivisible } from '../../src/applications/mobilenet-v2.js';

const A = nr.applications;
const sizes = (vars: readonly nr.Tensor[]) => vars.reduce((sum, v) => sum + v.size, 0);
const padding = (model: nr.Model, name: string) => model.getLayer(name).getConfig().padding;

const full = await A.MobileNetV2({ weights: null });

test('MobileNetV2: parameter counts as Keras prints them (total, trainable, non-trainable)', () => {
  assert.equal(full.countParams(), 3_538_984);
  assert.equal(sizes(full.trainableWeights), 3_504_872);
  assert.equal(sizes(full.nonTrainableWeights), 34_112);
  assert.equal(full.name, 'mobilenetv2_1.00_224');
  assert.deepEqual(full.computeOutputShape([null, 224, 224, 3]), [null, 1000]);
});

test("MobileNetV2: Keras's layer names and block structure", () => {
  const names = new Set(full.layers.map((l) => l.name));
  for (const name of [
    'Conv1',
    'bn_Conv1',
    'Conv1_relu',
    'expanded_conv_depthwise',
    'expanded_conv_depthwise_BN',
    'expanded_conv_project_BN',
    'block_1_expand',
    'block_1_pad',
    'block_2_add',
    'block_15_add',
    'block_16_project_BN',
    'Conv_1',
    'Conv_1_bn',
    'out_relu',
    'predictions',
  ]) {
    assert.ok(names.has(name), `no layer ${name}`);
  }
  // The first block has no expansion, stride-2 blocks and the width changes have no residual.
  for (const name of ['expanded_conv_expand', 'block_0_expand', 'block_1_add', 'block_3_add', 'block_10_add', 'block_16_add']) {
    assert.ok(!names.has(name), `unexpected layer ${name}`);
  }
  assert.equal(full.layers.filter((l) => l.className === 'Add').length, 10);
  const bn = full.getLayer('block_16_project_BN') as nr.layers.BatchNormalization;
  assert.deepEqual([bn.epsilon, bn.momentum], [1e-3, 0.999]);
  assert.equal((full.getLayer('block_5_expand_relu') as nr.layers.ReLU).maxValue, 6);
  assert.deepEqual(
    full.getLayer('block_16_project').weights.map((w) => w.shape),
    [[1, 1, 960, 320]],
  );
  assert.deepEqual(
    full.getLayer('block_13_depthwise').weights.map((w) => w.shape),
    [[3, 3, 576, 1]],
  );
});

test("MobileNetV2: Keras's correct_pad before each stride-2 depthwise convolution", () => {
  // 224 -> 112 (even): one row and column less on top and left, as TensorFlow's 'same'.
  assert.deepEqual(padding(full, 'block_1_pad'), [
    [0, 1],
    [0, 1],
  ]);
  assert.deepEqual(correctPad(nr.Input({ shape: [15, 16, 8] }), 3), [
    [1, 1],
    [0, 1],
  ]);
  assert.deepEqual(correctPad(nr.Input({ shape: [null, null, 8] }), 5), [
    [1, 2],
    [1, 2],
  ]);
  assert.deepEqual(
    [8, 12, 16.8, 20, 35.2, 1792].map((v) => makeDivisible(v, 8)),
    [8, 16, 16, 24, 32, 1792],
  );
});

test('MobileNetV2: output shapes without the top for each pooling, and a forward pass', async () => {
  const features = await A.MobileNetV2({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
  assert.deepEqual(features.computeOutputShape([null, 32, 32, 3]), [null, 1, 1, 1280]);
  assert.equal(features.countParams(), 2_257_984);
  for (const pooling of ['avg', 'max'] as const) {
    const model = await A.MobileNetV2({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling });
    assert.deepEqual(model.computeOutputShape([null, 32, 32, 3]), [null, 1280]);
    if (pooling === 'max') {
      const x = A.mobilenetV2.preprocessInput(nr.randu([2, 32, 32, 3], { low: 0, high: 255 }));
      const [a, b] = model.predict(x).toArray() as number[][];
      // ReLU6 bounds the features to [0, 6]; at random initialisation they are small, but they differ.
      assert.ok([...a!, ...b!].every((v) => v >= 0 && v <= 6));
      assert.ok(a!.some((v, i) => v !== b![i]!) && Math.max(...a!) > 0);
    }
  }
  const probabilities = full.predict(nr.randu([1, 224, 224, 3], { low: -1, high: 1 }));
  assert.ok(Math.abs(probabilities.sum().item() - 1) < 1e-5);
});

test('MobileNetV2: alpha scales the widths, and names the model as Keras does', async () => {
  const narrow = await A.MobileNetV2({ alpha: 0.35, includeTop: false, weights: null, inputShape: [96, 96, 3] });
  assert.equal(narrow.name, 'mobilenetv2_0.35_96');
  assert.equal(narrow.getLayer('Conv1').weights[0]!.shape[3], 16);
  assert.equal(narrow.getLayer('block_16_project').weights[0]!.shape[3], 112);
  assert.equal(narrow.getLayer('Conv_1').weights[0]!.shape[3], 1280);
  const wide = await A.MobileNetV2({ alpha: 1.4, includeTop: false, weights: null, inputShape: [40, 50, 3] });
  assert.equal(wide.name, 'mobilenetv2_1.40_40'); // Keras names it by the input's rows
  assert.equal(wide.getLayer('Conv_1').weights[0]!.shape[3], 1792);
});

test('MobileNetV2: bad alpha and ImageNet weights that do not exist are refused before any download', async () => {
  const rejects = (options: nr.applications.MobileNetV2Options, pattern: RegExp) =>
    assert.rejects(A.MobileNetV2(options), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  await rejects({ alpha: 0, weights: null }, /MobileNetV2: alpha .*positive number.*got 0.*0.35 to 1.4/);
  await rejects({ alpha: 0.6 }, /MobileNetV2: ImageNet weights exist for alpha 0.35, 0.5, 0.75, 1, 1.3, 1.4.*alpha 0.6.*weights: null/);
  await rejects({ includeTop: false, weights: null, inputShape: [31, 32, 3] }, /at least 32x32/);
});

test("MobileNetV2: preprocessInput is Keras's 'tf' mode", () => {
  assert.deepEqual(A.mobilenetV2.preprocessInput(nr.tensor([0, 127.5, 255])).toArray(), [-1, 0, 1]);
  assert.equal(A.mobilenetV2.decodePredictions, A.decodePredictions);
});
