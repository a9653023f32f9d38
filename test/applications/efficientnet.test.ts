import { test } from 'node:test';
import { nr, assert, assertClose } from '../helpers.js';
import { efficientNetFeatures } from '../../src/applications/efficientnet.js';

const A = nr.applications;
const sizes = (vars: readonly nr.Tensor[]) => vars.reduce((sum, v) => sum + v.size, 0);

nr.layers.resetLayerNames();
const b0 = await A.EfficientNetB0({ weights: null });

test('EfficientNetB0: parameter counts as Keras prints them (total, trainable, non-trainable)', () => {
  assert.equal(b0.countParams(), 5_330_571);
  // Trainable: the original model's learnable parameters; non-trainable: 42,016 batch-norm
  // statistics plus the input Normalization's mean (3), variance (3) and count (1).
  assert.equal(sizes(b0.trainableWeights), 5_288_548);
  assert.equal(sizes(b0.nonTrainableWeights), 42_023);
  assert.deepEqual(
    b0.getLayer('normalization').weights.map((w) => w.shape),
    [[3], [3], []],
  );
  assert.equal(b0.name, 'efficientnetb0');
  assert.deepEqual(b0.computeOutputShape([null, 224, 224, 3]), [null, 1000]);
});

test("EfficientNetB0: Keras's layer names and block structure", () => {
  const names = b0.layers.map((l) => l.name);
  assert.deepEqual(names.slice(1, 7), ['rescaling', 'normalization', 'stem_conv_pad', 'stem_conv', 'stem_bn', 'stem_activation']);
  const block1a = [
    'dwconv',
    'bn',
    'activation',
    'se_squeeze',
    'se_reshape',
    'se_reduce',
    'se_expand',
    'se_excite',
    'project_conv',
    'project_bn',
  ];
  assert.deepEqual(
    names.slice(7, 17),
    block1a.map((n) => `block1a_${n}`),
  );
  for (const name of ['block2a_expand_conv', 'block2a_dwconv_pad', 'block2b_drop', 'block2b_add', 'block6d_add', 'block7a_project_bn']) {
    assert.ok(names.includes(name), `no layer ${name}`);
  }
  // No expansion in stage 1, no residual where the stride or the width changes, no block 7b.
  for (const name of ['block1a_expand_conv', 'block1a_add', 'block2a_add', 'block7a_add', 'block7b_dwconv', 'block2b_dwconv_pad']) {
    assert.ok(!names.includes(name), `unexpected layer ${name}`);
  }
  assert.deepEqual(names.slice(-6), ['top_conv', 'top_bn', 'top_activation', 'avg_pool', 'top_dropout', 'predictions']);
  assert.equal(names.filter((n) => n.endsWith('_se_excite')).length, 16);
  assert.deepEqual(b0.getLayer('block2a_dwconv_pad').getConfig().padding, [
    [0, 1],
    [0, 1],
  ]);
  assert.deepEqual(b0.getLayer('block3a_dwconv').weights[0]!.shape, [5, 5, 144, 1]);
  assert.deepEqual(
    b0.getLayer('block1a_se_reduce').weights.map((w) => w.shape),
    [[1, 1, 32, 8], [8]],
  );
  assert.deepEqual(b0.getLayer('top_conv').weights[0]!.shape, [1, 1, 320, 1280]);
});

test("EfficientNetB0: Keras's initializers, drop-connect rates and top dropout", () => {
  assert.deepEqual(b0.getLayer('stem_conv').getConfig().kernelInitializer, {
    className: 'VarianceScaling',
    config: { scale: 2, mode: 'fan_out', distribution: 'truncated_normal' },
  });
  assert.deepEqual(b0.getLayer('block4a_dwconv').getConfig().depthwiseInitializer, b0.getLayer('stem_conv').getConfig().kernelInitializer);
  assert.deepEqual(b0.getLayer('predictions').getConfig().kernelInitializer, {
    className: 'VarianceScaling',
    config: { scale: 1 / 3, mode: 'fan_out', distribution: 'uniform' },
  });
  // Block b of 16 drops its residual branch at rate 0.2 * b / 16 (block2b is block 2).
  const drop = b0.getLayer('block2b_drop') as nr.layers.Dropout;
  assert.equal(drop.rate, 0.025);
  assert.deepEqual(drop.noiseShape, [null, 1, 1, 1]);
  assert.equal((b0.getLayer('block6d_drop') as nr.layers.Dropout).rate, (0.2 * 14) / 16); // Keras's float arithmetic
  assert.equal((b0.getLayer('top_dropout') as nr.layers.Dropout).rate, 0.2);
  // One mask value per sample: in training each sample's branch is kept whole or dropped whole.
  nr.setSeed(3);
  const masked = drop
    .apply(nr.ones([64, 2, 2, 3]), { training: true })
    .reshape([64, 12])
    .toArray() as number[][];
  for (const row of masked) assert.ok(row.every((v) => v === row[0]) && (row[0] === 0 || Math.abs(row[0]! - 1 / 0.975) < 1e-6));
});

test('EfficientNetB0: output shapes without the top for each pooling, and a forward pass on raw pixels', async () => {
  const shapes = [];
  for (const pooling of [null, 'avg', 'max'] as const) {
    const model = await A.EfficientNetB0({ includeTop: false, weights: null, inputShape: [32, 32, 3], pooling });
    shapes.push(model.computeOutputShape([null, 32, 32, 3]));
    if (pooling !== null) assert.equal(model.layers.at(-1)!.name, `${pooling}_pool`);
    if (pooling === 'avg') {
      assert.equal(model.countParams(), 4_049_571);
      const pixels = nr.randu([2, 32, 32, 3], { low: 0, high: 255 });
      assert.equal(A.efficientnet.preprocessInput(pixels).data(), pixels.data()); // the model normalizes itself
      const [a, b] = model.predict(pixels).toArray() as number[][];
      assert.ok([...a!, ...b!].every(Number.isFinite));
      assert.ok(a!.some((v, i) => v !== b![i]!));
    }
  }
  assert.deepEqual(shapes, [
    [null, 1, 1, 1280],
    [null, 1280],
    [null, 1280],
  ]);
  const probabilities = b0.predict(nr.randu([1, 224, 224, 3], { low: 0, high: 255 }));
  assert.ok(Math.abs(probabilities.sum().item() - 1) < 1e-5);
});

test("EfficientNet: ImageNet weights add Keras's per-channel rescaling after the Normalization", () => {
  const input = nr.Input({ shape: [32, 32, 3] });
  const model = new nr.Model(input, efficientNetFeatures(input, 1, 1, 0.2, true));
  const rescalings = model.layers.filter((l) => l.className === 'Rescaling') as nr.layers.Rescaling[];
  assert.equal(rescalings.length, 2);
  assert.equal(model.layers[3], rescalings[1]);
  const scaled = rescalings[1]!.apply(nr.ones([1, 1, 1, 3]));
  assertClose(
    scaled,
    [0.229, 0.224, 0.225].map((s) => 1 / Math.sqrt(s)),
    { rtol: 1e-6 },
  );
  assert.equal(model.countParams(), 4_049_571);
});
