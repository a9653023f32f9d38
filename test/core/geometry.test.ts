import { test } from 'node:test';
import {
  checkImageRank,
  checkTransposeOutput,
  checkWindowFits,
  convOutputLength,
  convPadBefore,
  convWindow,
  outputPaddingOption,
  pairOfPairsOption,
  pairOption,
  paddingOption,
  poolOutputLength,
  poolWindow,
  transposeOutputLength,
  transposeOutputSize,
  windowOutputSize,
} from '../../src/core/geometry.js';
import { ConfigError, ShapeError } from '../../src/core/errors.js';
import { assert } from '../helpers.js';

/*
 * The window rules that conv, pooling and padding ops and layers share (src/core/geometry.ts),
 * checked directly against the values TensorFlow and Keras give.
 */

test('pair options: a number for both axes or [height, width], integers >= the minimum', () => {
  assert.deepEqual(pairOption(3, 'op', 'kernelSize'), [3, 3]);
  assert.deepEqual(pairOption([2, 5], 'op', 'kernelSize'), [2, 5]);
  assert.deepEqual(pairOption(0, 'op', 'outputPadding', 0), [0, 0]);
  for (const bad of [0, 1.5, [1], [1, 2, 3], [1, '2'], '3', null]) {
    assert.throws(
      () => pairOption(bad, 'Conv2D "c"', 'strides'),
      (e: Error) =>
        e instanceof ConfigError &&
        e.message.startsWith('Conv2D "c": strides must be an integer >= 1 or a pair [height, width] of them, got '),
      String(bad),
    );
  }
  assert.deepEqual(pairOfPairsOption(1, 'op', 'padding'), [
    [1, 1],
    [1, 1],
  ]);
  assert.deepEqual(pairOfPairsOption([1, 2], 'op', 'padding'), [
    [1, 1],
    [2, 2],
  ]);
  assert.deepEqual(
    pairOfPairsOption(
      [
        [0, 1],
        [2, 3],
      ],
      'op',
      'padding',
    ),
    [
      [0, 1],
      [2, 3],
    ],
  );
  assert.throws(
    () =>
      pairOfPairsOption(
        [
          [0, -1],
          [2, 3],
        ],
        'op',
        'padding',
      ),
    /op: padding must be an integer >= 0, .*got \[\[0,-1\],\[2,3\]\]/,
  );
});

test("padding: 'valid' or 'same' in any case, default 'valid'; anything else is a ConfigError, not a TypeError", () => {
  assert.equal(paddingOption(undefined, 'op'), 'valid');
  assert.equal(paddingOption('SAME', 'op'), 'same');
  for (const bad of ['full', 1, {}]) {
    assert.throws(
      () => paddingOption(bad, 'conv2d'),
      (e: Error) => e instanceof ConfigError && /^conv2d: padding must be 'valid' or 'same', got /.test(e.message),
    );
  }
});

test('windows: strides with dilation refused; parsed windows are frozen, since the ops trust them', () => {
  assert.throws(
    () => convWindow({ strides: [1, 2], dilationRate: [2, 1] }, 'conv2d'),
    /conv2d: strides \[1, 2\] cannot be combined with dilationRate \[2, 1\] \(.*TensorFlow.*\); use strides 1/,
  );
  const window = convWindow({ strides: 2, padding: 'Same' }, 'conv2d');
  assert.deepEqual(window, { strides: [2, 2], dilation: [1, 1], padding: 'same' });
  assert.ok(Object.isFrozen(window) && Object.isFrozen(window.strides) && Object.isFrozen(window.dilation));
  assert.deepEqual(
    poolWindow({}, 'MaxPooling2D'),
    { size: [2, 2], strides: [2, 2], padding: 'valid', ceilMode: false },
    'strides default to the pool size',
  );
  assert.deepEqual(poolWindow({ poolSize: 3, strides: 1 }, 'pool').strides, [1, 1]);
  assert.equal(outputPaddingOption(null, [2, 2], 'op'), null);
  assert.deepEqual(outputPaddingOption(1, [2, 2], 'op'), [1, 1]);
  assert.throws(
    () => outputPaddingOption([1, 2], [2, 2], 'op'),
    /op: outputPadding \[1, 2\] must be smaller than strides \[2, 2\] on each axis/,
  );
});

test("output lengths: TensorFlow's for conv and pooling, Keras's for transposed conv", () => {
  // 'valid': floor((size - span) / stride) + 1, 0 when the window does not fit; 'same': ceil(size / stride).
  assert.equal(convOutputLength(28, 5, 1, 1, 'valid'), 24);
  assert.equal(convOutputLength(9, 3, 1, 2, 'valid'), 5);
  assert.equal(convOutputLength(4, 5, 1, 1, 'valid'), 0);
  assert.equal(convOutputLength(7, 4, 2, 1, 'same'), 4);
  // ceilMode (PyTorch's, padding 0): ceil((size - k) / stride) + 1, less one if the last window starts past the input.
  assert.equal(poolOutputLength(112, 3, 2, 'valid', true), 56);
  assert.equal(poolOutputLength(112, 3, 2, 'valid', false), 55);
  assert.equal(poolOutputLength(6, 1, 3, 'valid', true), 2);
  assert.equal(poolOutputLength(7, 3, 2, 'same', false), 4);
  // 'same' pads (out - 1) * stride + span - size in all, the odd one after.
  assert.equal(convPadBefore(7, 4, 4, 2, 1, 'same'), 1);
  assert.equal(convPadBefore(5, 3, 2, 2, 1, 'same'), 0);
  assert.equal(convPadBefore(28, 24, 5, 1, 1, 'valid'), 0);
  assert.equal(transposeOutputLength(7, 3, 2, 1, 'valid', null), 15);
  assert.equal(transposeOutputLength(7, 3, 2, 1, 'same', null), 14);
  assert.equal(transposeOutputLength(4, 5, 3, 1, 'same', 2), 12);
  assert.deepEqual(windowOutputSize([null, null, 9, 1], 3, 3, [2, 2], [1, 1], 'valid', 'Conv2D', 'kernel'), [null, 4]);
  assert.deepEqual(transposeOutputSize([null, 7, null, 8], 3, 3, convWindow({ strides: 2 }, 'op'), null, 'op'), [15, null]);
});

test('shape checks name the caller, the window, the input and the fix', () => {
  assert.throws(
    () => checkImageRank([32, 784], 'conv2d', 'op'),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message ===
        'conv2d: expected input of rank 4 [batch, height, width, channels], got [32, 784]; ' +
          'reshape flat images, e.g. x.reshape([-1, 28, 28, 1])',
  );
  assert.throws(() => checkImageRank([null, 28, 28], 'Conv2D "c"', 'layer'), /got \(None, 28, 28\); add the channels axis/);
  checkImageRank([null, null, null, 3], 'Conv2D "c"', 'layer');
  assert.throws(
    () => checkWindowFits([1, 4, 4, 1], 3, 3, [2, 2], 'valid', 'conv2d', 'kernel'),
    (e: Error) =>
      e instanceof ShapeError &&
      e.message ===
        "conv2d: kernel 3x3 (5x5 with dilation) with 'valid' padding does not fit the 4x4 input [1, 4, 4, 1]; " +
          "use padding 'same', a smaller kernel, or a larger input",
  );
  checkWindowFits([1, 4, 4, 1], 5, 5, [1, 1], 'same', 'conv2d', 'kernel');
  checkWindowFits([null, null, 4, 1], 3, 3, [1, 1], 'valid', 'Conv2D', 'kernel');
  // An even kernel with 'same' and outputPadding 0 gives an output whose 'same' conv is one row short.
  const window = convWindow({ padding: 'same' }, 'op');
  assert.equal(transposeOutputLength(4, 2, 1, 1, 'same', 0), 3);
  assert.throws(
    () => checkTransposeOutput([1, 4, 4, 2], 3, 3, 2, 2, window, [0, 0], 'conv2dTranspose'),
    (e: Error) =>
      e instanceof ConfigError &&
      /^conv2dTranspose: kernel 2x2 with strides \[1, 1\], padding 'same' and outputPadding \[0, 0\] gives a 3x3 output/.test(e.message) &&
      /does not map back onto the 4x4 input \[1, 4, 4, 2\].*; change outputPadding/.test(e.message),
  );
  checkTransposeOutput([1, 4, 4, 2], 4, 4, 2, 2, window, null, 'conv2dTranspose');
});
