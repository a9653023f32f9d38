import { test } from 'node:test';
import { assert, nr } from '../helpers.js';
import { main } from '../../src/cli/commands.js';
import { pyFormat } from '../../src/nn/callbacks/pyformat.js';
import { setNoticeSink } from '../../src/core/index.js';

// Names every plain object inherits. Looked up in a name table they must be unknown names like any
// misspelling (before the fix, 'constructor' resolved to Object: an activation 'constructor' was the
// identity, a loss 'constructor' wrapped Object as a loss function, and so on).
const HOSTILE = ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf'];

function rejects(fn: () => unknown, Class: typeof nr.NeuronaError, pattern: RegExp, what: string): void {
  let error: unknown;
  try {
    fn();
  } catch (e) {
    error = e;
  }
  assert.ok(
    error instanceof Class,
    `${what}: expected ${Class.name}, got ${error instanceof Error ? `${error.constructor.name}: ${error.message}` : String(error)}`,
  );
  assert.match((error as Error).message, pattern, what);
}

const quoted = (name: string) => JSON.stringify(name).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const TABLES = 'activations, losses, metrics, optimizers, initializers, regularizers, schedules, layer classes';
test(`name tables: inherited names are unknown ${TABLES}`, () => {
  for (const name of HOSTILE) {
    rejects(
      () => nr.activations.getActivation(name),
      nr.ConfigError,
      new RegExp(`unknown activation ${quoted(name)}; valid names are linear, sigmoid`),
      `activation ${name}`,
    );
    rejects(
      () => new nr.layers.Dense({ units: 2, activation: name as never }),
      nr.ConfigError,
      new RegExp(`unknown activation ${quoted(name)}`),
      `Dense activation ${name}`,
    );
    rejects(
      () => new nr.layers.Activation({ activation: name as never }),
      nr.ConfigError,
      new RegExp(`unknown activation ${quoted(name)}`),
      `Activation layer ${name}`,
    );
    rejects(
      () => nr.losses.getLoss(name),
      nr.ConfigError,
      new RegExp(`unknown loss ${quoted(name)}; valid names are 'mean_squared_error'`),
      `loss ${name}`,
    );
    rejects(
      () => nr.metrics.getMetric(name),
      nr.ConfigError,
      new RegExp(`unknown metric ${quoted(name)}; valid names are 'accuracy'`),
      `metric ${name}`,
    );
    rejects(
      () => nr.optimizers.getOptimizer(name),
      nr.ConfigError,
      new RegExp(`unknown optimizer ${quoted(name)}; expected one of 'sgd'`),
      `optimizer ${name}`,
    );
    rejects(
      () => nr.optimizers.getOptimizer({ className: name, config: {} }),
      nr.ConfigError,
      new RegExp(`unknown optimizer ${quoted(name)}`),
      `optimizer class ${name}`,
    );
    rejects(
      () => nr.initializers.getInitializer(name),
      nr.ConfigError,
      new RegExp(`unknown initializer ${quoted(name)}; valid names are glorot_uniform`),
      `initializer ${name}`,
    );
    rejects(
      () => nr.initializers.getInitializer({ className: name, config: {} }),
      nr.ConfigError,
      new RegExp(`unknown initializer ${quoted(name)}`),
      `initializer class ${name}`,
    );
    rejects(
      () => new nr.layers.Dense({ units: 2, kernelInitializer: name }).apply(nr.ones([1, 3])),
      nr.ConfigError,
      new RegExp(`unknown initializer ${quoted(name)}`),
      `Dense kernelInitializer ${name}`,
    );
    rejects(
      () => nr.regularizers.getRegularizer(name),
      nr.ConfigError,
      new RegExp(`unknown regularizer ${quoted(name)}; valid names are l1, l2, l1_l2`),
      `regularizer ${name}`,
    );
    rejects(
      () => nr.optimizers.deserializeSchedule({ className: name, config: {} }),
      nr.ConfigError,
      new RegExp(`unknown learning rate schedule "${name}"; expected one of ExponentialDecay`),
      `schedule ${name}`,
    );
    rejects(
      () => nr.layers.layerFromConfig({ className: name, config: {} }),
      nr.ConfigError,
      new RegExp(`unknown layer class ${quoted(name)}; known: .*Dense`),
      `layer class ${name}`,
    );
    const model = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
    rejects(
      () => model.compile({ optimizer: 'sgd', loss: name as never }),
      nr.ConfigError,
      new RegExp(`unknown loss ${quoted(name)}`),
      `compile loss ${name}`,
    );
    rejects(
      () => model.compile({ optimizer: name as never, loss: 'mse' }),
      nr.ConfigError,
      new RegExp(`unknown optimizer ${quoted(name)}`),
      `compile optimizer ${name}`,
    );
    rejects(
      () => model.compile({ optimizer: 'sgd', loss: 'mse', metrics: [name as never] }),
      nr.ConfigError,
      new RegExp(`unknown metric ${quoted(name)}`),
      `compile metric ${name}`,
    );
  }
});

test('name tables: a per-output record does not take an inherited entry for an output named like one', () => {
  for (const name of ['toString', 'valueOf', 'constructor']) {
    const input = nr.Input({ shape: [2] });
    const out = new nr.layers.Dense({ units: 1, name }).apply(input);
    const model = new nr.Model({ inputs: input, outputs: out });
    // {} has no entry for the output: before the fix, {}.toString was taken as a loss function.
    rejects(
      () => model.compile({ optimizer: 'sgd', loss: {} }),
      nr.ConfigError,
      new RegExp(`loss has no entry for output "${name}"`),
      `loss record, output ${name}`,
    );
  }
});

test('name tables: ModelCheckpoint filepath keys and monitored log keys resolve only real log entries', async () => {
  for (const name of HOSTILE) {
    rejects(
      () => pyFormat(`m-{${name}}.safetensors`, { epoch: 1, loss: 0.5 }, new Set(['epoch'])),
      nr.ConfigError,
      new RegExp(`no key "${name}" in the logs \\(available: epoch, loss\\)`),
      `filepath key ${name}`,
    );
  }
  // EarlyStopping monitoring 'constructor': the logs have no such key, so it notices and never stops
  // (before the fix it compared the Object function with the best value and stopped after `patience`).
  const lines: string[] = [];
  const previous = setNoticeSink((l) => lines.push(l));
  try {
    nr.setSeed(1);
    const model = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
    model.compile({ optimizer: 'sgd', loss: 'mse' });
    const history = await model.fit(nr.ones([4, 2]), nr.zeros([4, 1]), {
      epochs: 4,
      verbose: 0,
      callbacks: [
        new nr.callbacks.EarlyStopping({ monitor: 'constructor', mode: 'min', patience: 1 }),
        new nr.callbacks.ReduceLROnPlateau({ monitor: 'toString', mode: 'min', patience: 1, factor: 0.5 }),
      ],
    });
    assert.equal(history.history.loss!.length, 4, 'EarlyStopping stopped on a log key that does not exist');
    assert.ok(
      lines.some((l) => /EarlyStopping is conditioned on metric "constructor", which is not in the logs; available: loss/.test(l)),
      lines.join('\n'),
    );
    assert.ok(
      lines.some((l) => /ReduceLROnPlateau is conditioned on metric "toString", which is not in the logs/.test(l)),
      lines.join('\n'),
    );
    assert.equal(
      (model.compiled!.optimizer as nr.optimizers.Optimizer).learningRate,
      0.01,
      'ReduceLROnPlateau changed the learning rate on a log key that does not exist',
    );
  } finally {
    setNoticeSink(previous);
  }
});

test('name tables: the CLI treats inherited names as unknown examples, and vis test functions as unknown', async () => {
  for (const name of ['constructor', '__proto__', 'toString']) {
    let err = '';
    const code = await main(
      ['train', name],
      () => {},
      (s) => {
        err += s;
      },
    );
    assert.equal(code, 2, `train ${name}: ${err}`);
    assert.match(err, new RegExp(`unknown example '${name.replace(/[$]/g, '\\$&')}'; available: `));
  }
  for (const name of ['constructor', '__proto__']) {
    rejects(
      () => nr.vis.optimizerPaths(name),
      nr.ConfigError,
      new RegExp(`unknown test function ${quoted(name)}`),
      `optimizerPaths ${name}`,
    );
    rejects(
      () => nr.vis.optimizerPaths('rosenbrock', { optimizers: [name] }),
      nr.ConfigError,
      new RegExp(`unknown optimizer ${quoted(name)}`),
      `optimizerPaths optimizer ${name}`,
    );
  }
});
