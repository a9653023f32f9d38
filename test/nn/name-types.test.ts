import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

/*
 * The names students type are string literal unions in the types, so a typo fails `tsc` (CI runs
 * `npm run typecheck`, where every @ts-expect-error below must meet an error) as well as at run
 * time. Each spelling Keras users write (snake_case, camelCase, the class name) type-checks.
 */

test('activation, loss, metric and optimizer names: typos fail the typecheck and the run', () => {
  // @ts-expect-error 'rleu' is not an activation
  assert.throws(() => new nr.layers.Dense(4, { activation: 'rleu' }), nr.ConfigError);
  const model = new nr.Sequential([new nr.layers.Dense(2, { inputShape: [3], activation: 'softmax' })]);
  // @ts-expect-error 'adamm' is not an optimizer
  assert.throws(() => model.compile({ optimizer: 'adamm', loss: 'mse' }), nr.ConfigError);
  // @ts-expect-error 'categorical_crossentropie' is not a loss
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'categorical_crossentropie' }), nr.ConfigError);
  // @ts-expect-error 'acuracy' is not a metric
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy'] }), nr.ConfigError);
  // Every spelling Keras users write type-checks and runs.
  for (const activation of ['leaky_relu', 'leakyRelu', 'LeakyRelu', 'hard_sigmoid', 'hardSigmoid'] as const)
    new nr.layers.Dense(2, { activation });
  model.compile({ optimizer: 'Adam', loss: 'categorical_crossentropy', metrics: ['accuracy', 'categoricalAccuracy'] });
  model.compile({ optimizer: 'RMSprop', loss: 'CategoricalCrossentropy', metrics: ['acc'] });
  model.compile({ optimizer: 'sgd', loss: 'sparseCategoricalCrossentropy', metrics: ['sparse_categorical_accuracy'] });
});
