import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { nr, assert, assertClose, gradCheck } from '../helpers.js';
import * as losses from '../../src/nn/losses.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface LossCase {
  loss: string;
  options: Record<string, unknown>;
  yTrue: Encoded;
  yPred: Encoded;
  perSample: Encoded;
  reduced: number;
  sampleWeight?: Encoded;
}
const fixture = JSON.parse(readFileSync('test/fixtures/losses.json', 'utf8')) as { epsilon: number; losses: LossCase[] };

const perSampleFns: Record<string, (t: nr.Tensor, p: nr.Tensor, o: Record<string, unknown>) => nr.Tensor> = {
  mean_squared_error: (t, p) => losses.meanSquaredError(t, p),
  mean_absolute_error: (t, p) => losses.meanAbsoluteError(t, p),
  hinge: (t, p) => losses.hinge(t, p),
  binary_crossentropy: (t, p, o) => losses.binaryCrossentropy(t, p, o),
  categorical_crossentropy: (t, p, o) => losses.categoricalCrossentropy(t, p, o),
  sparse_categorical_crossentropy: (t, p, o) => losses.sparseCategoricalCrossentropy(t, p, o),
};
const classes: Record<string, new (o: Record<string, unknown>) => losses.Loss> = {
  mean_squared_error: losses.MeanSquaredError,
  mean_absolute_error: losses.MeanAbsoluteError,
  hinge: losses.Hinge,
  binary_crossentropy: losses.BinaryCrossentropy,
  categorical_crossentropy: losses.CategoricalCrossentropy,
  sparse_categorical_crossentropy: losses.SparseCategoricalCrossentropy,
};
const tensorOf = (e: Encoded, dtype: nr.DType) => nr.tensor(e.data, e.shape, dtype);

test('the fixture uses the same epsilon as neurona', () => {
  assert.equal(fixture.epsilon, nr.epsilon());
  assert.ok(fixture.losses.length >= 14);
});

for (const dtype of ['float64', 'float32'] as const) {
  const tol = dtype === 'float64' ? { rtol: 1e-9, atol: 1e-9 } : { rtol: 2e-5, atol: 2e-6 };
  fixture.losses.forEach((c, i) => {
    const label = `${c.loss} ${JSON.stringify(c.options)}${c.sampleWeight ? ' weighted' : ''} #${i} (${dtype})`;
    test(`fixture: ${label}`, () => {
      const yTrue = c.loss === 'sparse_categorical_crossentropy' ? tensorOf(c.yTrue, 'int32') : tensorOf(c.yTrue, dtype);
      const yPred = tensorOf(c.yPred, dtype);
      const values = perSampleFns[c.loss]!(yTrue, yPred, c.options);
      assert.deepEqual(values.shape, c.perSample.shape);
      assert.ok([...values.data()].every(Number.isFinite), `${label}: non-finite loss ${values.toArray()}`);
      assertClose(values, c.perSample.data, { ...tol, message: label });
      const loss = new classes[c.loss]!(c.options);
      const weight = c.sampleWeight ? tensorOf(c.sampleWeight, dtype) : undefined;
      const reduced = loss.call(yTrue, yPred, weight);
      assert.deepEqual(reduced.shape, []);
      assertClose([reduced.item()], [c.reduced], { ...tol, message: `${label} reduced` });
    });
  });
}

test('crossentropy gradients at probabilities 0 and 1 and logits +-100 are finite', () => {
  const p = nr.tensor([
    [0, 1, 0],
    [1e-30, 1, 0.5],
  ]);
  p.requiresGrad = true;
  new losses.CategoricalCrossentropy()
    .call(
      nr.tensor([
        [1, 0, 0],
        [0, 0, 1],
      ]),
      p,
    )
    .backward();
  assert.ok([...p.grad!.data()].every(Number.isFinite));
  const x = nr.tensor([
    [100, -100],
    [-100, 100],
  ]);
  x.requiresGrad = true;
  new losses.BinaryCrossentropy({ fromLogits: true })
    .call(
      nr.tensor([
        [0, 1],
        [0, 1],
      ]),
      x,
    )
    .backward();
  // d/dx of mean(max(x,0) - x z + log1p(exp(-|x|))) = (sigmoid(x) - z) / 4
  assertClose(x.grad!, [0.25, -0.25, 0, 0], { atol: 1e-6 });
});

test('gradients match finite differences in float64', () => {
  const t = nr.tensor(
    [
      [0.2, 0.7, 0.1],
      [0, 0, 1],
    ],
    undefined,
    'float64',
  );
  const pos = () => nr.randu([2, 3], { low: 0.1, high: 0.9, dtype: 'float64' });
  const logits = () => nr.randu([2, 3], { low: -3, high: 3, dtype: 'float64' });
  const labels = nr.tensor([1, 2], undefined, 'int32');
  gradCheck((p) => losses.meanSquaredError(t, p), [logits()], { label: 'mse' });
  gradCheck((p) => losses.binaryCrossentropy(t, p), [pos()], { label: 'bce' });
  gradCheck((x) => losses.binaryCrossentropy(t, x, { fromLogits: true, labelSmoothing: 0.1 }), [logits()], { label: 'bce logits' });
  gradCheck((p) => losses.categoricalCrossentropy(t, p), [pos()], { label: 'cce' });
  gradCheck((x) => losses.categoricalCrossentropy(t, x, { fromLogits: true }), [logits()], { label: 'cce logits' });
  gradCheck((x) => new losses.SparseCategoricalCrossentropy({ fromLogits: true }).call(labels, x), [logits()], { label: 'scce logits' });
  gradCheck((p) => new losses.SparseCategoricalCrossentropy().call(labels, p, nr.tensor([2, 0.5], undefined, 'float64')), [pos()], {
    label: 'scce weighted',
  });
});

test('getLoss resolves snake_case, camelCase, class names and aliases', () => {
  const cases: [string, new () => losses.Loss][] = [
    ['categorical_crossentropy', losses.CategoricalCrossentropy],
    ['categoricalCrossentropy', losses.CategoricalCrossentropy],
    ['CategoricalCrossentropy', losses.CategoricalCrossentropy],
    ['cce', losses.CategoricalCrossentropy],
    ['sparse_categorical_crossentropy', losses.SparseCategoricalCrossentropy],
    ['sparseCategoricalCrossentropy', losses.SparseCategoricalCrossentropy],
    ['binary_crossentropy', losses.BinaryCrossentropy],
    ['binaryCrossentropy', losses.BinaryCrossentropy],
    ['bce', losses.BinaryCrossentropy],
    ['mse', losses.MeanSquaredError],
    ['meanSquaredError', losses.MeanSquaredError],
    ['mean_squared_error', losses.MeanSquaredError],
    ['mae', losses.MeanAbsoluteError],
    ['meanAbsoluteError', losses.MeanAbsoluteError],
    ['hinge', losses.Hinge],
  ];
  for (const [name, cls] of cases) assert.ok(losses.getLoss(name) instanceof cls, name);
  const instance = new losses.BinaryCrossentropy({ fromLogits: true });
  assert.equal(losses.getLoss(instance), instance);
  const custom = losses.getLoss(function doubled(t, p) {
    return losses.meanSquaredError(t, p).mul(2);
  });
  assert.equal(custom.name, 'doubled');
  assert.equal(custom.call(nr.tensor([[0], [0]]), nr.tensor([[1], [1]])).item(), 2);
  assert.equal(losses.getLoss('sparseCategoricalCrossentropy').name, 'sparse_categorical_crossentropy');
});

test('an unknown loss name is a ConfigError that lists the valid names', () => {
  assert.throws(
    () => losses.getLoss('categorical_crossentropyy'),
    (e: Error) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match(e.message, /"categorical_crossentropyy"/);
      for (const n of [
        'mean_squared_error',
        'mse',
        'hinge',
        'binary_crossentropy',
        'categorical_crossentropy',
        'sparse_categorical_crossentropy',
      ]) {
        assert.ok(e.message.includes(`'${n}'`), `missing ${n}: ${e.message}`);
      }
      return true;
    },
  );
});

test('sparse labels out of range name the label and the class count', () => {
  const p = nr.tensor([
    [0.2, 0.3, 0.5],
    [0.1, 0.1, 0.8],
  ]);
  for (const bad of [3, -1]) {
    assert.throws(
      () => losses.sparseCategoricalCrossentropy(nr.tensor([0, bad], undefined, 'int32'), p),
      (e: Error) => {
        assert.ok(e instanceof nr.ConfigError, String(e));
        assert.ok(e.message.includes(`label ${bad}`), e.message);
        assert.match(e.message, /3 classes/);
        return true;
      },
    );
  }
  assert.throws(() => losses.sparseCategoricalCrossentropy(nr.tensor([0.5, 1]), p), /labels must be integers \(class indices\), got 0\.5/);
  // [batch, 1] labels are accepted, as in Keras.
  assertClose(losses.sparseCategoricalCrossentropy(nr.tensor([[2], [2]], undefined, 'int32'), p), [-Math.log(0.5), -Math.log(0.8)], {
    rtol: 1e-6,
  });
});

test('shape mismatches name both shapes', () => {
  const check = (fn: () => unknown, ...shapes: string[]) =>
    assert.throws(fn, (e: Error) => {
      assert.ok(e instanceof nr.ShapeError, String(e));
      for (const s of shapes) assert.ok(e.message.includes(s), `${s} not in: ${e.message}`);
      return true;
    });
  check(() => losses.meanSquaredError(nr.zeros([4, 3]), nr.zeros([4, 2])), '[4, 3]', '[4, 2]');
  check(() => new losses.CategoricalCrossentropy().call(nr.zeros([4]), nr.zeros([4, 3])), '[4]', '[4, 3]');
  check(() => losses.binaryCrossentropy(nr.zeros([2, 2]), nr.zeros([3, 2])), '[2, 2]', '[3, 2]');
  check(() => losses.sparseCategoricalCrossentropy(nr.zeros([5], 'int32'), nr.zeros([4, 3])), '[5]', '[4, 3]');
  check(() => new losses.MeanSquaredError().call(nr.zeros([4, 1]), nr.zeros([4, 1]), nr.ones([3])), '[3]', '[4]');
  // A trailing axis of 1 is squeezed or added, as Keras does: [4] against [4, 1] is fine.
  assert.equal(losses.meanSquaredError(nr.tensor([1, 2]), nr.tensor([[1], [4]])).shape.join(), '2');
});

test('reductions: sum, none, and bad options', () => {
  const t = nr.tensor([[0], [0]]);
  const p = nr.tensor([[1], [3]]);
  assert.equal(new losses.MeanSquaredError({ reduction: 'sum' }).call(t, p).item(), 10);
  assert.deepEqual(new losses.MeanSquaredError({ reduction: 'none' }).call(t, p).toArray(), [1, 9]);
  assert.throws(() => new losses.MeanSquaredError({ reduction: 'avg' as never }), nr.ConfigError);
  assert.throws(() => new losses.BinaryCrossentropy({ labelSmoothing: 2 }), nr.ConfigError);
});
