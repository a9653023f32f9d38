import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('Dense passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.Dense({ units: 3, activation: 'tanh', biasInitializer: 'ones' }), {
    inputShape: [2, 4],
    expectedOutputShape: [2, 3],
  });
  runLayerTest(() => new nr.layers.Dense({ units: 2, useBias: false }), { inputShape: [2, 3, 4], expectedOutputShape: [2, 3, 2] });
});

test('Dense computes x @ W + b', () => {
  const layer = new nr.layers.Dense({ units: 2 });
  const x = nr.tensor([
    [1, 2, 3],
    [-1, 0, 0.5],
  ]);
  layer.apply(x);
  layer.setWeights([
    nr.tensor([
      [1, 0],
      [0, 1],
      [2, -1],
    ]),
    nr.tensor([0.5, -0.5]),
  ]);
  // Row 0: [1 + 6 + 0.5, 2 - 3 - 0.5]; row 1: [-1 + 1 + 0.5, -0.5 - 0.5]
  assertClose(layer.apply(x), [7.5, -1.5, 0.5, -1]);
  assert.equal(layer.countParams(), 8);
});

test('Dense misuse names the layer and both shapes', () => {
  nr.layers.resetLayerNames();
  new nr.layers.Dense({ units: 1 });
  new nr.layers.Dense({ units: 1 });
  const layer = new nr.layers.Dense({ units: 10 });
  assert.equal(layer.name, 'dense_2');
  layer.apply(nr.zeros([32, 64]));
  assert.throws(
    () => layer.apply(nr.zeros([32, 128])),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError, `a ShapeError, got ${e.constructor.name}`);
      assert.ok(e.message.includes('Dense "dense_2"'), e.message);
      assert.ok(e.message.includes('expected input with last dimension 64, got [32, 128]'), e.message);
      return true;
    },
  );
});

test('Dense rejects an unknown activation listing the valid names', () => {
  assert.throws(
    () => new nr.layers.Dense({ units: 2, activation: 'rleu' as never }),
    (e: Error) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match(e.message, /unknown activation "rleu"/);
      assert.match(e.message, /relu, relu6, leaky_relu/);
      return true;
    },
  );
  assert.throws(() => new nr.layers.Dense({ units: 0 }), nr.ConfigError);
});

test('training through a sign activation raises the clear error', () => {
  const layer = new nr.layers.Dense({ units: 1, activation: 'sign' });
  const x = nr.tensor([
    [1, -2],
    [0.5, 3],
  ]);
  assert.deepEqual(layer.apply(x).shape, [2, 1]);
  const loss = layer.apply(x).sum();
  assert.throws(
    () => loss.backward(),
    (e: Error) => e instanceof nr.ConfigError && /'sign' has no gradient/.test(e.message) && /Perceptron/.test(e.message),
  );
});

test('Dense regularizers populate losses after apply', () => {
  const layer = new nr.layers.Dense({
    units: 2,
    kernelRegularizer: nr.regularizers.l2(0.1),
    biasRegularizer: 'l1',
    biasInitializer: 'ones',
  });
  assert.equal(layer.losses.length, 0);
  layer.apply(nr.ones([1, 3]));
  assert.equal(layer.losses.length, 2);
  const kernel = layer.kernel!.data();
  const expected = 0.1 * Array.from(kernel).reduce((s, v) => s + v * v, 0);
  assertClose([layer.losses[0]!.item()], [expected], { rtol: 1e-5 });
  assertClose([layer.losses[1]!.item()], [0.01 * 2], { rtol: 1e-6 });
  assert.deepEqual(layer.getConfig().kernelRegularizer, { className: 'L2', config: { l2: 0.1 } });
});
