import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('Maxout passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.Maxout({ units: 2, pieces: 3 }), { inputShape: [3, 4], expectedOutputShape: [3, 2] });
  runLayerTest(() => new nr.layers.Maxout({ units: 3, pieces: 2, useBias: false }), {
    inputShape: [2, 2, 3],
    expectedOutputShape: [2, 2, 3],
  });
});

test('Maxout takes the max over each group of pieces of x @ W + b', () => {
  const layer = new nr.layers.Maxout({ units: 2, pieces: 2 });
  const x = nr.tensor([
    [1, 2],
    [-1, 1],
  ]);
  layer.apply(x);
  assert.deepEqual(layer.kernel!.shape, [2, 4]);
  assert.deepEqual(layer.bias!.shape, [4]);
  assert.equal(layer.countParams(), 12);
  layer.setWeights([
    nr.tensor([
      [1, -1, 0, 2],
      [1, 1, -1, 0],
    ]),
    nr.tensor([0, 0.5, 1, -1]),
  ]);
  // z row 0 = [3, 1.5, -1, 1] -> [max(3, 1.5), max(-1, 1)] = [3, 1]
  // z row 1 = [0, 2.5, 0, -3] -> [2.5, 0]
  assertClose(layer.apply(x), [3, 1, 2.5, 0]);
});

test('Maxout validates units, pieces and the input', () => {
  assert.throws(() => new nr.layers.Maxout({ units: 2, pieces: 0 }), /pieces must be a positive integer/);
  assert.throws(() => new nr.layers.Maxout({ units: 1.5, pieces: 2 }), nr.ConfigError);
  const layer = new nr.layers.Maxout({ units: 2, pieces: 2 });
  layer.apply(nr.zeros([1, 3]));
  assert.throws(() => layer.apply(nr.zeros([1, 4])), /expected input with last dimension 3, got \[1, 4\]/);
});
