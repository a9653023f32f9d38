import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('pooling layers pass the shared layer test', () => {
  runLayerTest(() => new nr.layers.MaxPooling2D(), { inputShape: [2, 4, 5, 3], expectedOutputShape: [2, 2, 2, 3] });
  runLayerTest(() => new nr.layers.MaxPooling2D({ poolSize: 3, strides: 2, padding: 'same' }), {
    inputShape: [1, 5, 5, 2],
    expectedOutputShape: [1, 3, 3, 2],
  });
  runLayerTest(() => new nr.layers.AveragePooling2D({ poolSize: [2, 3], strides: 1 }), {
    inputShape: [2, 3, 4, 2],
    expectedOutputShape: [2, 2, 2, 2],
  });
  runLayerTest(() => new nr.layers.AveragePooling2D({ poolSize: 2, padding: 'same' }), {
    inputShape: [1, 3, 3, 2],
    expectedOutputShape: [1, 2, 2, 2],
  });
  runLayerTest(() => new nr.layers.GlobalAveragePooling2D(), { inputShape: [2, 3, 4, 5], expectedOutputShape: [2, 5] });
  runLayerTest(() => new nr.layers.GlobalMaxPooling2D({ keepdims: true }), { inputShape: [2, 3, 4, 5], expectedOutputShape: [2, 1, 1, 5] });
});

test('MaxPooling2D and AveragePooling2D values (closed form on 0..15)', () => {
  // x[i, j] = 4 i + j on a 4x4 grid, one channel.
  const x = nr.arange(16).reshape([1, 4, 4, 1]);
  assert.deepEqual(new nr.layers.MaxPooling2D().apply(x).toArray(), [
    [
      [[5], [7]],
      [[13], [15]],
    ],
  ]);
  assertClose(new nr.layers.AveragePooling2D().apply(x), [2.5, 4.5, 10.5, 12.5]);
  // 'same' with a 3x3 window and stride 2: windows centred on rows/columns 0 and 2 plus 1 pixel of
  // padding after (TensorFlow: total padding 1, all of it at the end); the average counts only
  // the pixels inside the image.
  assert.deepEqual(new nr.layers.MaxPooling2D({ poolSize: 3, strides: 2, padding: 'same' }).apply(x).toArray(), [
    [
      [[10], [11]],
      [[14], [15]],
    ],
  ]);
  const average = new nr.layers.AveragePooling2D({ poolSize: 3, strides: 2, padding: 'same' }).apply(x);
  assertClose(average, [5, 6.5, 11, 12.5]);
});

test('global pooling reduces height and width per channel', () => {
  const x = nr.tensor([1, -2, 3, 4, 5, -6, 7, 8], [1, 2, 2, 2]);
  assertClose(new nr.layers.GlobalAveragePooling2D().apply(x), [4, 1]);
  assertClose(new nr.layers.GlobalMaxPooling2D().apply(x), [7, 8]);
  assert.deepEqual(new nr.layers.GlobalAveragePooling2D({ keepdims: true }).apply(x).shape, [1, 1, 1, 2]);
  assert.equal(new nr.layers.GlobalAveragePooling2D().getConfig().keepdims, false);
});

test('pooling: defaults as Keras (strides = poolSize) and a pool larger than its input', () => {
  const layer = new nr.layers.MaxPooling2D({ poolSize: 3 });
  assert.deepEqual(layer.getConfig().strides, [3, 3]);
  assert.deepEqual(layer.computeOutputShape([null, 28, 28, 6]), [null, 9, 9, 6]);
  nr.layers.resetLayerNames();
  const big = new nr.layers.MaxPooling2D({ poolSize: 4 });
  assert.throws(
    () => big.apply(nr.zeros([2, 3, 3, 1])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError);
      assert.match(
        e.message,
        /^MaxPooling2D "max_pooling2d" \(input shape \[2, 3, 3, 1\]\): pool 4x4 with 'valid' padding does not fit the 3x3 input/,
      );
      assert.match(e.message, /; use padding 'same'/);
      return true;
    },
  );
  assert.deepEqual(new nr.layers.MaxPooling2D({ poolSize: 4, padding: 'same' }).apply(nr.zeros([2, 3, 3, 1])).shape, [2, 1, 1, 1]);
  assert.throws(
    () => new nr.layers.AveragePooling2D().apply(nr.zeros([2, 8])),
    /AveragePooling2D "average_pooling2d" \(input shape \[2, 8\]\): expected input of rank 4/,
  );
  assert.throws(
    () => new nr.layers.MaxPooling2D({ poolSize: 0 }),
    (e: Error) => e instanceof nr.ConfigError && /poolSize must be an integer >= 1/.test(e.message),
  );
  assert.throws(() => new nr.layers.GlobalMaxPooling2D({ keepdims: 1 as never }), /keepdims must be a boolean/);
});
