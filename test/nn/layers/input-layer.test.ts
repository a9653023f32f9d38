import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('InputLayer passes the shared layer test', () => {
  runLayerTest(() => new nr.layers.InputLayer({ inputShape: [3, 4] }), {
    inputShape: [2, 3, 4],
    expectedOutputShape: [2, 3, 4],
    builtOnCreation: true,
  });
});

test('InputLayer records the shape and passes inputs through', () => {
  const layer = new nr.layers.InputLayer({ inputShape: [28, null], batchSize: 5 });
  assert.deepEqual(layer.batchInputShape, [5, 28, null]);
  const x = nr.zeros([5, 28, 3]);
  assert.equal(layer.apply(x), x);
  assert.deepEqual(layer.getConfig().batchInputShape, [5, 28, null]);
  const clone = nr.layers.layerFromConfig({ className: 'InputLayer', config: layer.getConfig() });
  assert.deepEqual(clone.batchInputShape, [5, 28, null]);
  assert.throws(
    () => layer.apply(nr.zeros([5, 27, 3])),
    (e: Error) => e instanceof nr.ShapeError && e.message.includes('(5, 28, None)'),
  );
  assert.throws(() => new nr.layers.InputLayer({ inputShape: 'x' as never }), nr.ConfigError);
});
