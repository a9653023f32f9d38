import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { Sequential } from '../../../src/nn/models/index.js';

const { Dense } = nr.layers;
const make = () => new Sequential([new Dense({ units: 3, activation: 'softmax', inputShape: [4], name: 'probs' })]);

test('bad input to fit/evaluate/compile gives clear NeuronaErrors', async () => {
  const model = make();
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.ones([4, 3])),
    (e: Error) => e instanceof nr.ConfigError && /call model\.compile\(\{optimizer, loss, metrics\}\) first/.test(e.message),
  );
  await assert.rejects(model.evaluate(nr.ones([4, 4]), nr.ones([4, 3])), /not compiled; call model\.compile/);
  assert.throws(() => model.compile({ optimizer: 'adamm' as never, loss: 'mse' }), nr.ConfigError);
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'msee' as never }), /unknown loss "msee"/);
  assert.throws(() => model.compile({ optimizer: 'adam', loss: 'mse', metrics: ['acuracy' as never] }), /unknown metric "acuracy"/);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await assert.rejects(
    model.fit(nr.ones([5, 4]), nr.tensor([0, 1, 2, 0])),
    (e: Error) => e instanceof nr.ShapeError && /x has 5 samples but y has 4/.test(e.message),
  );
  await assert.rejects(
    model.fit(nr.ones([4, 5]), nr.tensor([0, 1, 2, 0]), { verbose: 0 }),
    (e: Error) => e instanceof nr.ShapeError && /Dense "probs".*expected input with last dimension 4, got \[4, 5\]/.test(e.message),
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 7, 0]), { verbose: 0 }),
    (e: Error) => e instanceof nr.NeuronaError && /7/.test(e.message),
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { batchSize: 0 }),
    /batchSize must be a positive integer, got 0/,
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { batchSize: -3 }),
    /batchSize must be a positive integer, got -3/,
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { validationSplit: 1 }),
    /validationSplit must be a number in \[0, 1\), got 1/,
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { validationSplit: -0.1 }),
    /validationSplit must be a number in \[0, 1\)/,
  );
  assert.throws(() => model.predict(nr.ones([2, 4]), { batchSize: 0 }), /predict: batchSize must be a positive integer/);
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { sampleWeight: [1, 2, 3, 4] as never }),
    /fit: sampleWeight must be a Tensor, got \[1,2,3,4\]$/,
  );
  await assert.rejects(
    model.fit(nr.ones([4, 4]), nr.tensor([0, 1, 2, 0]), { callbacks: [new (class Logger {})()] as never }),
    /fit: callbacks must be Callback instances, got a Logger$/,
  );
});

test('building and rebuilding models: each mistake names the model, what it needed and what came', () => {
  const a = nr.Input([3], { name: 'a' });
  const hidden = new Dense({ units: 2, name: 'h' }).apply(a);
  const model = new nr.Model({ inputs: a, outputs: hidden, name: 'm' });
  const config = () => JSON.parse(JSON.stringify(model.getConfig())) as { nodes: { layer: string; inputs: number[] }[]; outputs: number[] };
  const cases: [string, () => unknown, RegExp][] = [
    [
      'a concrete tensor as inputs',
      () => new nr.Model({ inputs: nr.ones([2, 3]) as never, outputs: hidden }),
      /^Model "[^"]+": inputs must be a SymbolicTensor .*, got a float32 tensor of shape \[2, 3\]$/,
    ],
    ['an empty inputs list', () => new nr.Model({ inputs: [], outputs: hidden }), /non-empty array of them, got an empty array$/],
    [
      'a layer output as input',
      () => new nr.Model({ inputs: hidden, outputs: hidden }),
      /every input must come from nr\.Input\(\.\.\.\), got "h", the output of a layer$/,
    ],
    [
      'an input left out',
      () => new nr.Model({ inputs: nr.Input([2]), outputs: hidden }),
      /outputs must depend only on the model's inputs, got the input "a" \(None, 3\), which is not among them; add it to inputs$/,
    ],
    [
      'two layers with one name',
      () => new nr.Model({ inputs: a, outputs: new Dense({ units: 2, name: 'h' }).apply(hidden) }),
      /layer names in a model must be unique, got two different layers named "h"/,
    ],
    [
      'a subclass whose call returns an object',
      () =>
        new (class extends nr.Model {
          override call() {
            return { x: 1 };
          }
        })().predict(nr.ones([1, 2])),
      /call\(\) must return a Tensor or an array of Tensors, got \{"x":1\}$/,
    ],
    ['getLayer of a missing name', () => model.getLayer('zz'), /^Model "m"\.getLayer: no layer named "zz"; the layers are "a", "h"$/],
    ['a Sequential of a non-array', () => new Sequential('x' as never), /expected an array of layers, got "x"$/],
    [
      'a symbolic tensor added to a Sequential',
      () => new Sequential([hidden as never]),
      /\.add: expected a Layer, got a SymbolicTensor of shape \(None, 2\); pass the layer itself$/,
    ],
    [
      'an Input after a layer',
      () => new Sequential([new Dense({ units: 2, inputShape: [3] }), nr.Input([3])]),
      /an Input can only be added first, got one after 1 layer$/,
    ],
    [
      'two layers named alike in a Sequential',
      () => new Sequential([new Dense({ units: 2, name: 'd' }), new Dense({ units: 2, name: 'd' })]),
      /layer names must be unique, got a layer named "d", which is already in the model/,
    ],
    [
      'a config whose node names a missing layer',
      () => {
        const c = config();
        c.nodes[1]!.layer = 'nope';
        return nr.Model.fromConfig(c);
      },
      /^Model\.fromConfig: node 1 must use a layer listed in layers, got "nope"$/,
    ],
    [
      'a config whose output is no node',
      () => {
        const c = config();
        c.outputs = [9];
        return nr.Model.fromConfig(c);
      },
      /^Model\.fromConfig: inputs and outputs must be indices of the 2 nodes, got 9$/,
    ],
  ];
  for (const [what, run, message] of cases) {
    assert.throws(run, (e: Error) => e instanceof nr.ConfigError && message.test(e.message), what);
  }
});
