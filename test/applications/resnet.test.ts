import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

const count = (vs: readonly nr.Variable[]) => vs.reduce((s, v) => s + v.size, 0);

// Keras's summary() of each model with the top: total, trainable, non-trainable (BatchNormalization's
// moving mean and variance: 2 x channels per BN layer), and len(model.layers).
const KERAS = {
  ResNet50: [25_636_712, 25_583_592, 53_120, 177],
  ResNet101: [44_707_176, 44_601_832, 105_344, 347],
  ResNet152: [60_419_944, 60_268_520, 151_424, 517],
  ResNet50V2: [25_613_800, 25_568_360, 45_440, 192],
} as const;

for (const [name, [total, trainable, nonTrainable, layers]] of Object.entries(KERAS)) {
  test(`${name}: Keras's parameter counts and layers, output [batch, 1000]`, async () => {
    const model = await nr.applications[name as keyof typeof KERAS]({ weights: null });
    assert.equal(model.name, name.toLowerCase());
    assert.deepEqual(
      [count(model.trainableWeights) + count(model.nonTrainableWeights), count(model.trainableWeights), count(model.nonTrainableWeights)],
      [total, trainable, nonTrainable],
    );
    assert.equal(model.countParams(), total);
    assert.equal(model.layers.length, layers);
    assert.deepEqual(model.computeOutputShape([null, 224, 224, 3]), [null, 1000]);
    const bns = model.layers.filter((l) => l.className === 'BatchNormalization');
    assert.ok(bns.every((l) => (l.getConfig() as { epsilon: number }).epsilon === 1.001e-5));
    assert.equal(count(bns.flatMap((l) => l.nonTrainableWeights)), nonTrainable);
  });
}

test("ResNet50: Keras's layer names", async () => {
  const model = await nr.applications.ResNet50({ includeTop: false, weights: null, inputShape: [32, 32, 3] });
  const names = model.layers.map((l) => l.name);
  assert.equal(names.length, 175);
  assert.deepEqual(names.slice(1, 7), ['conv1_pad', 'conv1_conv', 'conv1_bn', 'conv1_relu', 'pool1_pad', 'pool1_pool']);
  // Each block's names, as Keras's residual_block_v1 gives them (the order of branches is the graph's).
  const block = ['0_conv', '0_bn', '1_conv', '1_bn', '1_relu', '2_conv', '2_bn', '2_relu', '3_conv', '3_bn', 'add', 'out'];
  const expected = [3, 4, 6, 3].flatMap((blocks, s) =>
    Array.from({ length: blocks }, (_, b) =>
      block.filter((n) => b === 0 || n[0] !== '0').map((n) => `conv${s + 2}_block${b + 1}_${n}`),
    ).flat(),
  );
  assert.deepEqual(names.slice(7).sort(), expected.sort());
  assert.equal(names.at(-1), 'conv5_block3_out');
  assert.deepEqual(model.getLayer('conv3_block1_1_conv').getConfig().strides, [2, 2]);
  assert.deepEqual(model.getLayer('conv2_block1_1_conv').getConfig().strides, [1, 1]);
  assert.deepEqual(model.predict(nr.ones([2, 32, 32, 3])).shape, [2, 1, 1, 2048]);
});

test('ResNet50V2: pre-activation blocks, post_bn, stride in the last block of a stack', async () => {
  const model = await nr.applications.ResNet50V2({ includeTop: false, weights: null, inputShape: [64, 48, 3], pooling: 'max' });
  const names = model.layers.map((l) => l.name);
  for (const n of ['conv2_block1_preact_bn', 'conv2_block1_0_conv', 'conv2_block3_2_pad', 'conv4_block6_out', 'post_bn', 'post_relu']) {
    assert.ok(names.includes(n), n);
  }
  assert.ok(!names.includes('conv1_bn'));
  assert.equal(names.at(-1), 'max_pool');
  assert.deepEqual(model.getLayer('conv2_block3_2_conv').getConfig().strides, [2, 2]);
  assert.equal(model.getLayer('conv2_block3_2_conv').getConfig().useBias, false);
  assert.deepEqual(model.getLayer('conv5_block3_2_conv').getConfig().strides, [1, 1]);
  // conv2/3/4 end with a stride-2 block whose identity shortcut is a 1x1 max pooling.
  assert.equal(model.layers.filter((l) => l.className === 'MaxPooling2D').length, 4);
  assert.deepEqual(model.predict(nr.ones([1, 64, 48, 3])).shape, [1, 2048]);
});

test('ResNet101: features of any size, avg pooling', async () => {
  const r101 = await nr.applications.ResNet101({ includeTop: false, weights: null, pooling: 'avg' });
  assert.equal(r101.layers.at(-1)!.name, 'avg_pool');
  assert.ok(r101.layers.some((l) => l.name === 'conv4_block23_out'));
  assert.deepEqual(r101.computeOutputShape([null, null, null, 3]), [null, 2048]);
  assert.deepEqual(r101.predict(nr.ones([1, 40, 32, 3])).shape, [1, 2048]);
});

test('resnet and resnetV2 preprocessInput: caffe and tf modes', () => {
  const x = nr.tensor([255, 0, 0], [1, 1, 1, 3]);
  assert.deepEqual(nr.applications.resnet.preprocessInput(x).toArray(), nr.applications.preprocessInput(x, 'caffe').toArray());
  assert.deepEqual(nr.applications.resnet50.preprocessInput(x).toArray(), nr.applications.preprocessInput(x, 'caffe').toArray());
  assert.deepEqual(nr.applications.resnetV2.preprocessInput(x).toArray(), [[[[1, -1, -1]]]]);
  assert.equal(nr.applications.resnetV2.decodePredictions, nr.applications.decodePredictions);
});

test('ResNet option errors come from the shared checks, named after the model', async () => {
  await assert.rejects(nr.applications.ResNet50({ weights: null, inputShape: [16, 16, 3] }), /ResNet50: the input must be at least 32x32/);
  await assert.rejects(
    nr.applications.ResNet50V2({ includeTop: false, inputShape: [64, 64, 4] }),
    /ResNet50V2: weights 'imagenet' need 3 input channels/,
  );
  await assert.rejects(
    nr.applications.ResNet152({ weights: null, includeTop: true, inputShape: [64, 64, 3], poolingg: 'avg' } as never),
    /did you mean 'pooling'/,
  );
});
