import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { Sequential } from '../../../src/nn/models/index.js';

const { Dense } = nr.layers;
const make = () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [4], name: 'probs' })]);

test('bad input to fit/evaluate/compile gives clear NeuronaErrors', async () => {
  const model = make();
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.ones([4, 3])), (e: Error) => e instanceof nr.ConfigError && /call model\.compile\(\{optimizer, loss, metrics\}\) first/.test(e.message));
  await assert.rejects(model.evaluate(nr.ones([4, 4]), nr.ones([4, 3])), /not compiled; call model\.compile/);
  assert.throws(() => model.compile({ optimizer: 'adamm' as never, loss: 'mse' }), nr.ConfigError);
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'msee' as never }), /unknown loss "msee"/);
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy' as never] }), /unknown metric "acuracy"/);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await assert.rejects(model.fit(nr.ones([5, 4]), nr.tensor([0, 1, 2, 0])), (e: Error) => e instanceof nr.ShapeError && /x has 5 samples but y has 4/.test(e.message));
  await assert.rejects(model.fit(nr.ones([4, 5]), nr.tensor([0, 1, 2, 0]), { verbose: 0 }), (e: Error) => e instanceof nr.ShapeError && /Dense "probs".*expected input with last dimension 4, got \[4, 5\]/.test(e.message));
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 7, 0]), { verbose: 0 }), (e: Error) => e instanceof nr.NeuronaError && /7/.test(e.message));
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { batchSize: 0 }), /batchSize must be a positive integer, got 0/);
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { batchSize: -3 }), /batchSize must be a positive integer, got -3/);
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { validationSplit: 1 }), /validationSplit must be a number in \[0, 1\), got 1/);
  await assert.rejects(model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { validationSplit: -0.1 }), /validationSplit must be a number in \[0, 1\)/);
  assert.throws(() => model.predict(nr.ones([2, 4]), { batchSize: 0 }), /predict: batchSize must be a positive integer/);
});
