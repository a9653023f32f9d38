import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

const A = nr.applications;
const sizes = (vars: readonly nr.Tensor[]) => vars.reduce((sum, v) => sum + v.size, 0);
const namesOf = (model: nr.Model, className: string) => model.layers.filter((l) => l.className === className).map((l) => l.name);

// Built once: InceptionV3 with the top has 24M parameters.
nr.layers.resetLayerNames();
const full = await A.InceptionV3({ weights: null });

test('InceptionV3: parameter counts as Keras prints them (total, trainable, non-trainable)', () => {
  assert.equal(full.countParams(), 23_851_784);
  assert.equal(sizes(full.trainableWeights), 23_817_352);
  assert.equal(sizes(full.nonTrainableWeights), 34_432);
  assert.equal(full.name, 'inception_v3');
  assert.deepEqual(full.computeOutputShape([null, 299, 299, 3]), [null, 1000]);
});

test("InceptionV3: Keras's layer names, automatic ones as a fresh Keras session gives them", () => {
  const convs = namesOf(full, 'Conv2D');
  assert.equal(convs.length, 94);
  assert.deepEqual([convs[0], convs.at(-1)], ['conv2d', 'conv2d_93']);
  assert.equal(namesOf(full, 'BatchNormalization').at(-1), 'batch_normalization_93');
  assert.equal(namesOf(full, 'Activation').at(-1), 'activation_93');
  const mixed = ['mixed0', 'mixed1', 'mixed2', 'mixed3', 'mixed4', 'mixed5', 'mixed6', 'mixed7', 'mixed8'];
  const concats = namesOf(full, 'Concatenate');
  assert.deepEqual(concats, [...mixed, 'mixed9_0', 'concatenate', 'mixed9', 'mixed9_1', 'concatenate_1', 'mixed10']);
  assert.deepEqual(namesOf(full, 'MaxPooling2D'), ['max_pooling2d', 'max_pooling2d_1', 'max_pooling2d_2', 'max_pooling2d_3']);
  assert.equal(namesOf(full, 'AveragePooling2D').length, 9);
  assert.deepEqual(
    full.layers.slice(-2).map((l) => l.name),
    ['avg_pool', 'predictions'],
  );
  // Batch normalization without scale (a ReLU follows): beta and the two moving statistics.
  const bn = full.getLayer('batch_normalization') as nr.layers.BatchNormalization;
  assert.deepEqual(
    bn.weights.map((w) => w.shape),
    [[32], [32], [32]],
  );
  assert.equal(bn.scale, false);
  const conv = full.getLayer('conv2d_93') as nr.layers.Conv2D;
  assert.deepEqual(
    conv.weights.map((w) => w.shape),
    [[1, 1, 2048, 192]],
  );
});

test('InceptionV3: output shapes without the top for each pooling, at the 75x75 minimum and larger', async () => {
  const anySize = await A.InceptionV3({ includeTop: false, weights: null });
  assert.equal(anySize.countParams(), 21_802_784);
  assert.deepEqual(anySize.predict(nr.zeros([1, 75, 75, 3])).shape, [1, 1, 1, 2048]);
  assert.deepEqual(anySize.predict(nr.zeros([1, 139, 139, 3])).shape, [1, 3, 3, 2048]);
  for (const pooling of ['avg', 'max'] as const) {
    const model = await A.InceptionV3({ includeTop: false, weights: null, inputShape: [75, 75, 3], pooling });
    assert.deepEqual(model.computeOutputShape([null, 75, 75, 3]), [null, 2048]);
    assert.equal(model.layers.at(-1)!.className, pooling === 'avg' ? 'GlobalAveragePooling2D' : 'GlobalMaxPooling2D');
    if (pooling === 'avg') {
      // A forward pass: finite, non-negative (ReLU features averaged), and different for different images.
      const x = A.inceptionV3.preprocessInput(nr.randu([2, 75, 75, 3], { low: 0, high: 255 }));
      const [a, b] = model.predict(x).toArray() as number[][];
      assert.ok([...a!, ...b!].every((v) => Number.isFinite(v) && v >= 0));
      assert.ok(a!.some((v, i) => Math.abs(v - b![i]!) > 1e-6));
    }
  }
  await assert.rejects(A.InceptionV3({ includeTop: false, weights: null, inputShape: [74, 75, 3] }), (e: unknown) => {
    assert.ok(e instanceof nr.ConfigError);
    assert.match(e.message, /InceptionV3: .*at least 75x75.*\[74, 75, 3\]/);
    return true;
  });
});

test('InceptionV3: the classifier on a forward pass gives class probabilities', () => {
  const probabilities = full.predict(nr.randu([1, 299, 299, 3], { low: -1, high: 1 }));
  assert.deepEqual(probabilities.shape, [1, 1000]);
  assert.ok(Math.abs(probabilities.sum().item() - 1) < 1e-5);
  assert.ok([...probabilities.data()].every((p) => p > 0 && p < 1));
});

test("InceptionV3: preprocessInput is Keras's 'tf' mode, decodePredictions the shared one", () => {
  const x = A.inceptionV3.preprocessInput(nr.tensor([0, 127.5, 255]));
  assert.deepEqual(x.toArray(), [-1, 0, 1]);
  assert.equal(A.inceptionV3.decodePredictions, A.decodePredictions);
  assert.equal(A.inceptionV3.InceptionV3, A.InceptionV3);
});
