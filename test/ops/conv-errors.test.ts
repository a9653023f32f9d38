import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

/*
 * Bad inputs to the convolution, pooling, batch-norm and image ops: each raises the specific
 * NeuronaError subclass, and the message names the op and the shapes or values involved.
 */

type ErrorClass = new (...args: never[]) => Error;

function expectError(fn: () => unknown, kind: ErrorClass, fragments: (string | RegExp)[]): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof kind, `expected ${kind.name}, got ${String(error)}`);
    for (const f of fragments) {
      if (typeof f === 'string')
        assert.ok(error.message.includes(f), `message ${JSON.stringify(error.message)} lacks ${JSON.stringify(f)}`);
      else assert.match(error.message, f);
    }
    return true;
  });
}

const image = (shape: number[]) => nr.zeros(shape);

test('conv2d: a rank-2 input names the expected layout and the shape received', () => {
  expectError(() => nr.conv2d(image([32, 784]), image([3, 3, 1, 8])), nr.ShapeError, [
    'conv2d: expected input of rank 4 [batch, height, width, channels], got [32, 784]',
    'reshape',
  ]);
  expectError(() => nr.conv2d(image([28, 28, 1]), image([3, 3, 1, 8])), nr.ShapeError, ['got [28, 28, 1]', 'expandDims']);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1])), nr.ShapeError, ['conv2d', 'rank-4 filter', '[3, 3, 1]']);
});

test('conv2d, depthwiseConv2d, conv2dTranspose: channel mismatches show both shapes', () => {
  expectError(() => nr.conv2d(image([2, 5, 5, 3]), image([3, 3, 4, 8])), nr.ShapeError, [
    'conv2d',
    '[3, 3, 4, 8]',
    'expected input with 4 channels (last axis), got [2, 5, 5, 3]',
    'expects 4 input channels',
  ]);
  expectError(() => nr.depthwiseConv2d(image([2, 5, 5, 3]), image([3, 3, 2, 1])), nr.ShapeError, [
    'depthwiseConv2d',
    '[3, 3, 2, 1]',
    '[2, 5, 5, 3]',
  ]);
  expectError(() => nr.conv2dTranspose(image([1, 4, 4, 3]), image([3, 3, 3, 5])), nr.ShapeError, [
    'conv2dTranspose',
    '[3, 3, 3, 5]',
    '[1, 4, 4, 3]',
    'expects 5 input channels',
  ]);
});

test('conv2d: kernel sizes of 0, strides and dilation <= 0, and bad padding names are rejected', () => {
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([0, 3, 1, 8])), nr.ShapeError, ['conv2d', '[0, 3, 1, 8]', 'size 0']);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1, 8]), { strides: 0 }), nr.ConfigError, ['conv2d', 'strides', 'got 0']);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1, 8]), { strides: [1, -2] }), nr.ConfigError, [
    'conv2d',
    'strides',
    '[1,-2]',
  ]);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1, 8]), { dilationRate: 1.5 }), nr.ConfigError, [
    'conv2d',
    'dilationRate',
    '1.5',
  ]);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1, 8]), { padding: 'full' as nr.Padding }), nr.ConfigError, [
    'conv2d',
    "'valid' or 'same'",
    '"full"',
  ]);
  expectError(() => nr.conv2d(image([1, 5, 5, 1]), image([3, 3, 1, 8]), { padding: 1 as never }), nr.ConfigError, [
    'conv2d',
    "'valid' or 'same'",
    'got 1',
  ]);
});

test('conv2d: dilation > 1 together with strides > 1 is refused, as in TensorFlow', () => {
  expectError(() => nr.conv2d(image([1, 9, 9, 1]), image([3, 3, 1, 2]), { dilationRate: 2, strides: 2 }), nr.ConfigError, [
    'conv2d',
    'dilationRate [2, 2]',
    'strides [2, 2]',
  ]);
  expectError(
    () => nr.depthwiseConv2d(image([1, 9, 9, 1]), image([3, 3, 1, 2]), { dilationRate: [1, 2], strides: [2, 1] }),
    nr.ConfigError,
    ['depthwiseConv2d', 'dilationRate [1, 2]', 'strides [2, 1]'],
  );
});

test("a window larger than the input with 'valid' padding names the window, the input and the fix", () => {
  expectError(() => nr.maxPool2d(image([1, 2, 2, 1]), { poolSize: 3 }), nr.ShapeError, [
    "maxPool2d: pool 3x3 with 'valid' padding does not fit the 2x2 input [1, 2, 2, 1]",
    "'same'",
  ]);
  expectError(() => nr.avgPool2d(image([4, 5, 2, 3]), { poolSize: [2, 3] }), nr.ShapeError, [
    "avgPool2d: pool 2x3 with 'valid' padding does not fit the 5x2 input [4, 5, 2, 3]",
  ]);
  expectError(() => nr.conv2d(image([1, 4, 4, 1]), image([5, 5, 1, 2])), nr.ShapeError, [
    "conv2d: kernel 5x5 with 'valid' padding does not fit the 4x4 input [1, 4, 4, 1]",
  ]);
  expectError(() => nr.conv2d(image([1, 4, 4, 1]), image([3, 3, 1, 2]), { dilationRate: 2 }), nr.ShapeError, [
    'conv2d: kernel 3x3 (5x5 with dilation)',
    '4x4 input [1, 4, 4, 1]',
  ]);
  // The same window fits with 'same' padding.
  assert.deepEqual(nr.maxPool2d(image([1, 2, 2, 1]), { poolSize: 3, padding: 'same' }).shape, [1, 1, 1, 1]);
});

test('pooling: poolSize and strides must be positive integers; poolSize is required', () => {
  expectError(() => nr.maxPool2d(image([1, 4, 4, 1]), { poolSize: 0 }), nr.ConfigError, ['maxPool2d', 'poolSize', 'got 0']);
  expectError(() => nr.avgPool2d(image([1, 4, 4, 1]), { poolSize: 2, strides: [0, 1] }), nr.ConfigError, ['avgPool2d', 'strides', '[0,1]']);
  expectError(() => nr.maxPool2d(image([1, 4, 4, 1]), {} as nr.Pool2DOptions), nr.ConfigError, ['maxPool2d', 'poolSize is required']);
  expectError(() => nr.maxPool2d(image([4, 4, 1]), { poolSize: 2 }), nr.ShapeError, ['maxPool2d', 'rank 4', '[4, 4, 1]']);
});

test('conv2dTranspose: outputPadding must be less than the stride and map back onto the input', () => {
  expectError(() => nr.conv2dTranspose(image([1, 4, 4, 2]), image([3, 3, 1, 2]), { strides: 2, outputPadding: 2 }), nr.ConfigError, [
    'conv2dTranspose',
    'outputPadding',
    'strides [2, 2]',
  ]);
  // An even kernel with 'same' and outputPadding 0 gives an output whose 'same' conv is one row short.
  expectError(() => nr.conv2dTranspose(image([1, 4, 4, 2]), image([2, 2, 1, 2]), { padding: 'same', outputPadding: 0 }), nr.ConfigError, [
    'conv2dTranspose',
    'kernel 2x2',
    '[1, 4, 4, 2]',
    'outputPadding',
  ]);
});

test('dtypes: integer inputs and mixed float32/float64 operands raise DTypeError', () => {
  expectError(() => nr.conv2d(nr.zeros([1, 3, 3, 1], 'int32'), image([2, 2, 1, 1])), nr.DTypeError, ['conv2d', 'int32']);
  expectError(() => nr.conv2d(image([1, 3, 3, 1]), nr.zeros([2, 2, 1, 1], 'float64')), nr.DTypeError, ['conv2d', 'float32', 'float64']);
  expectError(() => nr.batchNorm(image([4, 3]), nr.ones([3], 'float64'), null), nr.DTypeError, ['batchNorm', 'gamma', 'float64']);
});

test('batchNorm and batchNormInference: parameter shapes, epsilon and required statistics', () => {
  expectError(() => nr.batchNorm(image([8, 4, 4, 3]), nr.ones([4]), null), nr.ShapeError, [
    'batchNorm',
    'gamma',
    'shape [3]',
    '[8, 4, 4, 3]',
    'got [4]',
  ]);
  expectError(() => nr.batchNorm(image([8, 3]), null, nr.zeros([1, 3])), nr.ShapeError, ['batchNorm', 'beta', 'got [1, 3]']);
  expectError(() => nr.batchNorm(image([8, 3]), null, null, { epsilon: -1 }), nr.ConfigError, ['batchNorm', 'epsilon', '-1']);
  expectError(() => nr.batchNorm(image([0, 3]), null, null), nr.ShapeError, ['batchNorm', '[0, 3]']);
  expectError(() => nr.batchNorm(image([8, 3]), null, null, { axis: 2 }), nr.NeuronaError, ['batchNorm']);
  expectError(() => nr.batchNormInference(image([8, 3]), null as unknown as nr.Tensor, nr.ones([3]), null, null), nr.ConfigError, [
    'batchNormInference',
    'mean and variance are required',
  ]);
  expectError(() => nr.batchNormInference(image([8, 3]), nr.zeros([3]), nr.ones([2]), null, null), nr.ShapeError, [
    'batchNormInference',
    'variance',
    'got [2]',
  ]);
});

test('zeroPad2d, crop2d, upSample2d: bad amounts and modes', () => {
  expectError(
    () =>
      nr.zeroPad2d(image([1, 4, 4, 1]), [
        [1, -1],
        [0, 0],
      ]),
    nr.ConfigError,
    ['zeroPad2d', 'padding', '[[1,-1],[0,0]]'],
  );
  expectError(() => nr.zeroPad2d(image([4, 4]), 1), nr.ShapeError, ['zeroPad2d', '[4, 4]']);
  expectError(
    () =>
      nr.crop2d(image([1, 4, 5, 1]), [
        [2, 2],
        [0, 0],
      ]),
    nr.ShapeError,
    ['crop2d', '[[2,2],[0,0]]', '4x5 input [1, 4, 5, 1]'],
  );
  expectError(() => nr.upSample2d(image([1, 4, 4, 1]), 0), nr.ConfigError, ['upSample2d', 'size', 'got 0']);
  expectError(() => nr.upSample2d(image([1, 4, 4, 1]), 2, 'bicubic' as nr.Interpolation), nr.ConfigError, [
    'upSample2d',
    "'nearest' or 'bilinear'",
    '"bicubic"',
  ]);
});
