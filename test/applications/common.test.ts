import { test } from 'node:test';
import { nr, assert } from '../helpers.js';
import {
  applicationInput,
  classifier,
  finishApplication,
  obtainInputShape,
  parseApplicationOptions,
  sourceInputs,
} from '../../src/applications/common.js';

// A tiny family built on the shared plumbing, so each rule is checked without a big model.
async function Tiny(raw?: unknown) {
  const options = parseApplicationOptions('Tiny', raw);
  const input = applicationInput('Tiny', options, { defaultSize: 8, minSize: 4 });
  const features = new nr.layers.Conv2D({ filters: 2, kernelSize: 3, name: 'conv' }).apply(input);
  return finishApplication(input, features, options, {
    defaultName: 'tiny',
    weightsKey: 'tiny',
    top: (x) => classifier(new nr.layers.Flatten({ name: 'flatten' }).apply(x), options),
    poolingNames: { avg: 'avg_pool', max: 'max_pool' },
  });
}

test('options: defaults, snake_case aliases, and the model that results', async () => {
  const o = parseApplicationOptions('Tiny', {});
  assert.deepEqual(
    { ...o },
    {
      includeTop: true,
      weights: 'imagenet',
      inputTensor: null,
      inputShape: null,
      pooling: null,
      classes: 1000,
      classifierActivation: 'softmax',
      name: null,
    },
  );
  const model = await Tiny({ include_top: true, weights: null, input_shape: [8, 8, 1], classes: 5, classifier_activation: null });
  assert.equal(model.name, 'tiny');
  assert.deepEqual(model.computeOutputShape([null, 8, 8, 1]), [null, 5]);
  assert.equal(model.getLayer('predictions').countParams(), 6 * 6 * 2 * 5 + 5);
  const logits = model.predict(nr.ones([1, 8, 8, 1]));
  assert.notEqual(logits.sum().item(), 1); // no softmax with classifierActivation null
  assert.equal((await Tiny({ weights: null, name: 'mine' })).name, 'mine');
});

test('options: pooling, and features of any size without the top', async () => {
  const features = await Tiny({ includeTop: false, weights: null });
  assert.deepEqual(features.predict(nr.ones([1, 11, 9, 3])).shape, [1, 9, 7, 2]);
  const avg = await Tiny({ includeTop: false, weights: null, pooling: 'avg' });
  assert.equal(avg.layers.at(-1)!.name, 'avg_pool');
  assert.deepEqual(avg.predict(nr.ones([1, 6, 6, 3])).shape, [1, 2]);
  const max = await Tiny({ includeTop: false, weights: null, pooling: 'max', inputShape: [5, 5, 3] });
  assert.equal(max.layers.at(-1)!.name, 'max_pool');
  assert.deepEqual(max.predict(nr.ones([2, 5, 5, 3])).shape, [2, 2]);
});

test('options: inputTensor builds on the given graph and keeps its source inputs', async () => {
  const source = nr.Input({ shape: [10, 10, 3] });
  const scaled = new nr.layers.Rescaling({ scale: 1 / 255 }).apply(source);
  const model = await Tiny({ inputTensor: scaled, includeTop: false, weights: null, pooling: 'avg' });
  assert.deepEqual(sourceInputs(scaled), [source]);
  assert.equal(model.layers[1]!.className, 'Rescaling');
  assert.deepEqual(model.predict(nr.ones([1, 10, 10, 3])).shape, [1, 2]);
});

test('option errors name the option and say what to write', async () => {
  const rejects = async (raw: unknown, pattern: RegExp) =>
    assert.rejects(Tiny(raw), (e: unknown) => {
      assert.ok(e instanceof nr.ConfigError, String(e));
      assert.match(e.message, pattern);
      return true;
    });
  await rejects({ includeTop: false, weights: null, poolling: 'avg' }, /Tiny: unknown option 'poolling'.*did you mean 'pooling'/);
  await rejects({ include_top: false, includeTop: false }, /given twice/);
  await rejects({ weights: 'imagenet', classes: 10 }, /classes 1000.*got classes 10.*weights: null/);
  await rejects({ weights: '' }, /weights must be null.*'imagenet' or the path/);
  await rejects({ weights: 3 }, /weights must be a string/);
  await rejects({ pooling: 'mean', includeTop: false }, /pooling must be 'avg' or 'max', got "mean"/);
  await rejects({ pooling: 'avg', weights: null }, /pooling applies only.*includeTop: false/);
  await rejects({ classifierActivation: 'sigmoid' }, /softmax or null/);
  await rejects({ classifierActivation: 'sigmoidd', weights: null }, /classifierActivation/);
  await rejects({ inputTensor: nr.ones([1, 8, 8, 3]), weights: null }, /inputTensor must be a symbolic tensor.*float32 tensor/);
  await rejects({ inputTensor: nr.Input({ shape: [8] }), weights: null }, /batch of images.*\[null, 8\]/);
  await rejects({ inputTensor: nr.Input({ shape: [8, 8, 3] }), inputShape: [9, 9, 3], weights: null }, /disagree/);
  await rejects({ inputShape: [8, 8], weights: null }, /three entries.*\[8, 8\]/);
  await rejects({ inputShape: [3, 8, 3], weights: null }, /at least 4x4.*\[3, 8, 3\]/);
  await rejects({ inputShape: [null, 8, 3], weights: null }, /fully known/);
  await rejects({ inputShape: [9, 9, 3] }, /inputShape must be \[8, 8, 3\].*got \[9, 9, 3\].*includeTop: false/);
  await rejects({ inputShape: [9, 9, 1], includeTop: false }, /3 input channels/);
  // Everything above passes the checks only with weights null, which is why the default reaches the loader.
  await rejects({ inputShape: [8, 8, 3] }, /tiny: weights "imagenet": Keras publishes no ImageNet weights for "tiny"; pass weights: null/);
  await assert.rejects(Tiny(42), /Tiny: expected an options object/);
});

test("obtainInputShape follows Keras's rules", () => {
  const rules = { defaultSize: 224, minSize: 32, requireFlatten: false, weights: 'imagenet' };
  assert.deepEqual(obtainInputShape('M', null, rules), [null, null, 3]);
  assert.deepEqual(obtainInputShape('M', null, { ...rules, requireFlatten: true }), [224, 224, 3]);
  assert.deepEqual(obtainInputShape('M', [64, null, 3], rules), [64, null, 3]);
  assert.deepEqual(obtainInputShape('M', null, { ...rules, weights: null, requireFlatten: true }), [224, 224, 3]);
  // Without ImageNet weights the top's default keeps the given channel count, and any channel count goes.
  assert.deepEqual(obtainInputShape('M', [224, 224, 1], { ...rules, weights: null, requireFlatten: true }), [224, 224, 1]);
  assert.deepEqual(obtainInputShape('M', [32, 40, 5], { ...rules, weights: 'x.h5' }), [32, 40, 5]);
  assert.throws(() => obtainInputShape('M', [31, 40, 3], rules), /M: the input must be at least 32x32/);
});
