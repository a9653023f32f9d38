import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('Flatten and Reshape pass the shared layer test', () => {
  runLayerTest(() => new nr.layers.Flatten(), { inputShape: [2, 3, 4], expectedOutputShape: [2, 12] });
  runLayerTest(() => new nr.layers.Reshape({ targetShape: [2, -1] }), { inputShape: [3, 6], expectedOutputShape: [3, 2, 3] });
  runLayerTest(() => new nr.layers.Reshape({ targetShape: [6] }), { inputShape: [2, 2, 3], expectedOutputShape: [2, 6] });
});

test('Flatten keeps the batch axis and the element order', () => {
  const x = nr.arange(24).cast('float32').reshape([2, 3, 4]);
  const y = new nr.layers.Flatten().apply(x);
  assert.deepEqual(y.shape, [2, 12]);
  assert.deepEqual(Array.from(y.data()), Array.from(x.data()));
  assert.deepEqual(new nr.layers.Flatten().apply(nr.zeros([5, 2, 2, 3])).shape, [5, 12]);
  assert.deepEqual(new nr.layers.Flatten().apply(nr.zeros([7, 3])).shape, [7, 3]);
  assert.deepEqual(new nr.layers.Flatten().computeOutputShape([null, null, 3]), [null, null]);
});

test('Reshape infers -1 and rejects sizes that do not fit, naming both shapes', () => {
  assert.deepEqual(new nr.layers.Reshape({ targetShape: [-1, 2] }).apply(nr.zeros([4, 3, 4])).shape, [4, 6, 2]);
  assert.deepEqual(new nr.layers.Reshape({ targetShape: [3, 4] }).computeOutputShape([null, 12]), [null, 3, 4]);
  assert.throws(
    () => new nr.layers.Reshape({ targetShape: [5] }).apply(nr.zeros([2, 3, 4])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.ok(e.message.includes('(3, 4)') && e.message.includes('(5,)'), e.message);
      return true;
    },
  );
  assert.throws(() => new nr.layers.Reshape({ targetShape: [5, -1] }).apply(nr.zeros([2, 12])), /not a multiple of 5/);
  assert.throws(() => new nr.layers.Reshape({ targetShape: [-1, -1] }), nr.ConfigError);
  assert.throws(() => new nr.layers.Reshape({ targetShape: [0, 2] }), nr.ConfigError);
});
