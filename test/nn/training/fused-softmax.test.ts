import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';

/*
 * compile chooses the fused softmax crossentropy (nr.losses.FusedSoftmaxCrossentropy) for an output
 * that a built-in layer computes as a softmax over its last axis and whose loss is the built-in
 * (sparse) categorical crossentropy on probabilities, and nothing else; fit's training step then
 * uses it, evaluation does not, and the numbers are those of the plain formula (the loss value bit
 * for bit, the gradient up to rounding).
 */

const L = nr.layers;

function fusedChoice(model: nr.Model): string[] {
  return model.compiled!.fusedLosses.map((f) => (f === null ? 'plain' : `fused ${f.loss.name}`));
}

function compiled<M extends nr.Model>(model: M, loss: Parameters<nr.Model['compile']>[0]['loss']): M {
  model.compile({ optimizer: 'sgd', loss });
  return model;
}

const head = (last: nr.layers.Layer) => new nr.Sequential([new L.Dense({ units: 5, activation: 'relu', inputShape: [4] }), last]);

test('compile fuses a built-in softmax head over the last axis with built-in categorical crossentropy on probabilities', () => {
  const cases: [string, () => nr.Model, Parameters<nr.Model['compile']>[0]['loss']][] = [
    ['Dense softmax, categorical_crossentropy', () => head(new L.Dense({ units: 3, activation: 'softmax' })), 'categorical_crossentropy'],
    ['Dense Softmax (any spelling), scce', () => head(new L.Dense({ units: 3, activation: 'Softmax' as never })), 'scce'],
    [
      'Activation softmax, a CategoricalCrossentropy with label smoothing',
      () => head(new L.Activation('softmax')),
      new nr.losses.CategoricalCrossentropy({ labelSmoothing: 0.1 }),
    ],
    ['Softmax layer', () => head(new L.Softmax()), 'sparseCategoricalCrossentropy'],
    ['Softmax layer over axis 1 of a rank-2 output', () => head(new L.Softmax(1)), 'categorical_crossentropy'],
    [
      'a nested Sequential ending in a softmax',
      () => new nr.Sequential([new L.Dense({ units: 3, inputShape: [4] }), new nr.Sequential([new L.Softmax()])]),
      'cce',
    ],
  ];
  for (const [name, make, loss] of cases) {
    assert.deepEqual(
      fusedChoice(compiled(make(), loss)).map((c) => c.split(' ')[0]),
      ['fused'],
      name,
    );
  }
  const input = nr.Input({ shape: [4] });
  const hidden = new L.Dense({ units: 5 }).apply(input);
  const functional = new nr.Model({
    inputs: input,
    outputs: [
      new L.Dense({ units: 3, activation: 'softmax', name: 'classes' }).apply(hidden),
      new L.Dense({ units: 1, name: 'value' }).apply(hidden),
    ],
  });
  assert.deepEqual(fusedChoice(compiled(functional, { classes: 'sparse_categorical_crossentropy', value: 'mse' })), [
    'fused sparse_categorical_crossentropy',
    'plain',
  ]);
});

test('compile does not fuse custom activations, other axes, fromLogits, loss functions or subclasses, and subclassed models', () => {
  const softmaxFn = (x: nr.Tensor) => nr.softmax(x);
  class MyLoss extends nr.losses.CategoricalCrossentropy {}
  class MyDense extends L.Dense {}
  class Net extends nr.Model {
    dense = new L.Dense({ units: 3, activation: 'softmax' });
    override call(x: nr.Tensor): nr.Tensor {
      return this.dense.apply(x);
    }
  }
  const rank3 = () => new nr.Sequential([new L.Dense({ units: 3, inputShape: [2, 4] }), new L.Softmax(1)]);
  const cases: [string, () => nr.Model, Parameters<nr.Model['compile']>[0]['loss']][] = [
    ['a softmax given as a function', () => head(new L.Dense({ units: 3, activation: softmaxFn })), 'categorical_crossentropy'],
    ['Activation with a softmax function', () => head(new L.Activation(softmaxFn)), 'categorical_crossentropy'],
    ['Dense relu', () => head(new L.Dense({ units: 3, activation: 'relu' })), 'categorical_crossentropy'],
    ['a subclass of Dense', () => head(new MyDense({ units: 3, activation: 'softmax' })), 'categorical_crossentropy'],
    ['Softmax over axis 1 of a rank-3 output', rank3, 'categorical_crossentropy'],
    [
      'fromLogits',
      () => head(new L.Dense({ units: 3, activation: 'softmax' })),
      new nr.losses.CategoricalCrossentropy({ fromLogits: true }),
    ],
    ['a loss function', () => head(new L.Dense({ units: 3, activation: 'softmax' })), nr.losses.categoricalCrossentropy],
    ['a subclass of the loss', () => head(new L.Dense({ units: 3, activation: 'softmax' })), new MyLoss()],
    ['mse', () => head(new L.Dense({ units: 3, activation: 'softmax' })), 'mse'],
    ['a subclassed model', () => new Net(), 'categorical_crossentropy'],
  ];
  for (const [name, make, loss] of cases) assert.deepEqual(fusedChoice(compiled(make(), loss)), ['plain'], name);
});

test('a compiled Sequential model chooses again when it gains or loses its softmax head', () => {
  const model = compiled(new nr.Sequential([new L.Dense({ units: 3, inputShape: [4] })]), 'categorical_crossentropy');
  assert.deepEqual(fusedChoice(model), ['plain']);
  model.add(new L.Softmax());
  assert.deepEqual(fusedChoice(model), ['fused categorical_crossentropy']);
  model.pop();
  assert.deepEqual(fusedChoice(model), ['plain']);
});

/** Two float64 models with the same weights: a Dense softmax head (fused) and a softmax function (plain). */
function twins(loss: 'categorical_crossentropy' | 'sparse_categorical_crossentropy'): { fused: nr.Sequential; plain: nr.Sequential } {
  nr.setSeed(7);
  const make = (activation: 'softmax' | ((x: nr.Tensor) => nr.Tensor)) => {
    const model = new nr.Sequential([
      new L.Dense({ units: 6, activation: 'tanh', inputShape: [4], dtype: 'float64' }),
      new L.Dense({ units: 3, activation, dtype: 'float64' }),
    ]);
    model.compile({ optimizer: 'sgd', loss, metrics: ['accuracy'] });
    return model;
  };
  const fused = make('softmax');
  const plain = make((x) => nr.softmax(x));
  plain.trainableWeights.forEach((w, i) => w.assign(fused.trainableWeights[i]!));
  assert.deepEqual(fusedChoice(fused), [`fused ${loss}`]);
  assert.deepEqual(fusedChoice(plain), ['plain']);
  return { fused, plain };
}

for (const loss of ['categorical_crossentropy', 'sparse_categorical_crossentropy'] as const) {
  test(`a training step on ${loss} uses the fused loss: same loss bits, the formula's gradient (float64); evaluate does not`, () => {
    const { fused, plain } = twins(loss);
    nr.setSeed(8);
    const x = nr.randn([16, 4], { dtype: 'float64' });
    const labels = nr.tensor(
      Array.from({ length: 16 }, (_, i) => (i * 7) % 3),
      [16],
      'int32',
    );
    // One very confident sample, so that a probability hits the clip.
    x.data()[0] = 40;
    const y = loss === 'sparse_categorical_crossentropy' ? labels : nr.oneHot(labels, 3, { dtype: 'float64' });
    const fusedLoss = fused.compiled!.fusedLosses[0]!;
    let calls = 0;
    const call = fusedLoss.call.bind(fusedLoss);
    fusedLoss.call = (...args) => {
      calls++;
      return call(...args);
    };
    for (let step = 0; step < 3; step++) {
      const a = fused.trainOnBatch(x, y);
      const b = plain.trainOnBatch(x, y);
      assert.equal(a.loss, b.loss, `step ${step}: the logged loss`);
      assert.equal(a.accuracy, b.accuracy, `step ${step}: metrics see the probabilities`);
      fused.trainableWeights.forEach((w, i) => {
        assertClose(w, plain.trainableWeights[i]!, { rtol: 1e-12, atol: 1e-14, message: `step ${step} weight ${i}` });
      });
    }
    assert.equal(calls, 3, 'every training step called the fused loss');
    assert.deepEqual(fused.testOnBatch(x, y), plain.testOnBatch(x, y));
    assert.equal(calls, 3, 'evaluation runs the plain loss');
    assert.deepEqual(Array.from(fused.predict(x).data()), Array.from(plain.predict(x).data()));
  });
}

test('a frozen classifier trains nothing and logs the plain loss value', () => {
  const { fused, plain } = twins('categorical_crossentropy');
  fused.trainable = false;
  fused.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  plain.trainable = false;
  plain.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  const x = nr.randn([8, 4], { dtype: 'float64' });
  const y = nr.oneHot(nr.tensor([0, 1, 2, 0, 1, 2, 0, 1], [8], 'int32'), 3, { dtype: 'float64' });
  assert.equal(fused.trainOnBatch(x, y).loss, plain.trainOnBatch(x, y).loss);
});
