import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('activation layers pass the shared layer test', () => {
  const shapes = { inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 4] };
  runLayerTest(() => new nr.layers.Activation({ activation: 'sigmoid' }), shapes);
  runLayerTest(() => new nr.layers.Activation({ activation: 'gelu' }), shapes);
  runLayerTest(() => new nr.layers.ReLU(), shapes);
  runLayerTest(() => new nr.layers.ReLU({ maxValue: 1, negativeSlope: 0.1, threshold: 0.5 }), shapes);
  runLayerTest(() => new nr.layers.LeakyReLU(), shapes);
  runLayerTest(() => new nr.layers.Softmax(), shapes);
  runLayerTest(() => new nr.layers.Softmax({ axis: 1 }), shapes);
});

test('Activation applies the named function and rejects unknown names', () => {
  const layer = new nr.layers.Activation({ activation: 'relu' });
  assert.deepEqual(layer.apply(nr.tensor([[-1, 2]])).toArray(), [[0, 2]]);
  assert.equal(layer.getConfig().activation, 'relu');
  assert.equal(new nr.layers.Activation({ activation: 'leakyRelu' }).getConfig().activation, 'leaky_relu');
  assert.throws(
    () => new nr.layers.Activation({ activation: 'nope' as never }),
    (e: Error) => e instanceof nr.ConfigError && /valid names are linear, sigmoid/.test(e.message),
  );
});

test('ReLU follows Keras 3: threshold, negativeSlope, maxValue', () => {
  const x = nr.tensor([[-2, 0, 0.5, 1, 3, 7]]);
  assert.deepEqual(new nr.layers.ReLU().apply(x).toArray(), [[0, 0, 0.5, 1, 3, 7]]);
  assert.deepEqual(new nr.layers.ReLU({ maxValue: 6 }).apply(x).toArray(), [[0, 0, 0.5, 1, 3, 6]]);
  assertClose(new nr.layers.ReLU({ negativeSlope: 0.5 }).apply(x), [-1, 0, 0.5, 1, 3, 7]);
  // Below the threshold: negativeSlope * (x - threshold).
  assertClose(new nr.layers.ReLU({ threshold: 1, negativeSlope: 0.5, maxValue: 5 }).apply(x), [-1.5, -0.5, -0.25, 1, 3, 5]);
  assertClose(new nr.layers.ReLU({ threshold: 1 }).apply(x), [0, 0, 0, 1, 3, 7]);
  assert.throws(() => new nr.layers.ReLU({ negativeSlope: -1 }), nr.ConfigError);
  assert.throws(() => new nr.layers.ReLU({ maxValue: -1 }), nr.ConfigError);
  // An integer input with a fractional bound gives float32, as minimum(relu(x), 2.5) does.
  const ints = new nr.layers.ReLU({ maxValue: 2.5 }).apply(nr.tensor([-3, 1, 2, 3, 9], [5], 'int32'));
  assert.equal(ints.dtype, 'float32');
  assert.deepEqual(Array.from(ints.data()), [0, 1, 2, 2.5, 2.5]);
  assert.throws(() => nr.boundedRelu(x, -1), nr.ConfigError);
});

test('LeakyReLU defaults to 0.3 and accepts alpha', () => {
  const x = nr.tensor([[-10, 2]]);
  assertClose(new nr.layers.LeakyReLU().apply(x), [-3, 2], { rtol: 1e-6 });
  assertClose(new nr.layers.LeakyReLU({ alpha: 0.1 }).apply(x), [-1, 2], { rtol: 1e-6 });
  assert.equal(new nr.layers.LeakyReLU({ alpha: 0.1 }).getConfig().negativeSlope, 0.1);
  assert.throws(() => new nr.layers.LeakyReLU({ alpha: 0.1, negativeSlope: 0.2 }), nr.ConfigError);
});

test('Softmax normalises along its axis', () => {
  const x = nr.tensor([
    [
      [1, 2],
      [3, 5],
    ],
  ]);
  const last = new nr.layers.Softmax().apply(x).toArray() as number[][][];
  assertClose(last.flat(2), [1 / (1 + Math.E), Math.E / (1 + Math.E), 1 / (1 + Math.E ** 2), Math.E ** 2 / (1 + Math.E ** 2)], {
    rtol: 1e-6,
  });
  const first = new nr.layers.Softmax({ axis: 1 }).apply(x).toArray() as number[][][];
  assertClose(
    first.flat(2),
    [1 / (1 + Math.E ** 2), 1 / (1 + Math.E ** 3), Math.E ** 2 / (1 + Math.E ** 2), Math.E ** 3 / (1 + Math.E ** 3)],
    { rtol: 1e-6 },
  );
  assert.throws(() => new nr.layers.Softmax({ axis: 3 }).apply(x), nr.ShapeError);
});
