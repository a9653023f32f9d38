import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';

/* Keras's `return_dict`: evaluate, trainOnBatch and testOnBatch give the record (neurona's default) or Keras's default form. */

function model(metrics: 'accuracy'[]): nr.Sequential {
  nr.setSeed(4);
  const m = new nr.Sequential([new nr.layers.Dense({ units: 3, activation: 'softmax', inputShape: [4] })]);
  m.compile({ optimizer: 'sgd', loss: 'sparse_categorical_crossentropy', metrics });
  return m;
}

const x = nr.tensor(
  Array.from({ length: 24 }, (_, i) => Math.sin(i)),
  [6, 4],
);
const y = nr.tensor([0, 1, 2, 0, 1, 2], [6], 'int32');

test('returnDict: false gives the loss alone without metrics, [loss, ...metrics] with them, the values of the record', async () => {
  const plain = model([]);
  const asDict = plain.testOnBatch(x, y);
  assert.equal(plain.testOnBatch(x, y, { returnDict: false }), asDict.loss);
  const withMetrics = model(['accuracy']);
  const logs = await withMetrics.evaluate(x, y, { verbose: 0 });
  assert.deepEqual(Object.keys(logs), ['loss', 'accuracy']);
  assert.deepEqual(await withMetrics.evaluate(x, y, { verbose: 0, returnDict: false }), [logs.loss, logs.accuracy]);
  assert.deepEqual(withMetrics.testOnBatch(x, y, { returnDict: false }), [logs.loss, logs.accuracy]);
  // The same step as a record and as a list, from two identical models.
  const a = model(['accuracy']);
  const b = model(['accuracy']);
  const record = a.trainOnBatch(x, y, { returnDict: true });
  assert.deepEqual(b.trainOnBatch(x, y, { returnDict: false }), [record.loss, record.accuracy]);
});

test("Keras's spelling return_dict works; a value other than true or false is a ConfigError", async () => {
  const m = model(['accuracy']);
  const logs = await m.evaluate(x, y, { verbose: 0 });
  const list = await m.evaluate(x, y, { verbose: 0, return_dict: false } as nr.EvaluateOptions);
  assert.deepEqual(list, [logs.loss, logs.accuracy]);
  assert.throws(() => m.testOnBatch(x, y, { returnDict: 'no' as unknown as boolean }), nr.ConfigError);
});
