import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as nr from '../../src/index.js';
import { Perceptron } from '../../src/classic/index.js';
import { captureNotices } from '../helpers.js';

// Fixture from test/fixtures/generate_perceptron.py (scikit-learn 1.2, shuffle=False).
interface Case {
  name: string;
  options: Record<string, unknown>;
  partialFitCalls: number | null;
  X: number[][];
  y: (number | string)[];
  T: number[][];
  classes: (number | string)[];
  coef: number[][];
  intercept: number[];
  nIter: number;
  converged: boolean;
  predict: (number | string)[];
  decisionFunction: number[] | number[][];
}
const fixture = JSON.parse(readFileSync('test/fixtures/perceptron.json', 'utf8')) as { cases: Case[] };
const camel = (key: string) => key.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());

for (const c of fixture.cases) {
  test(`Perceptron equals scikit-learn 1.2 with shuffle off: ${c.name}`, () => {
    const options: Record<string, unknown> = { shuffle: false };
    for (const [key, value] of Object.entries(c.options)) options[camel(key)] = value;
    const clf = new Perceptron(options);
    if (c.partialFitCalls) for (let i = 0; i < c.partialFitCalls; i++) clf.partialFit(c.X, c.y, { classes: c.classes });
    else clf.fit(c.X, c.y);
    assert.deepEqual(clf.classes, c.classes);
    assert.deepEqual(clf.coef.shape, [c.coef.length, c.X[0]!.length]);
    // Same operations in the same order as _sgd_fast.pyx: the float64 bits are equal.
    assert.deepEqual(clf.coef.toArray(), c.coef);
    assert.deepEqual(clf.intercept.toArray(), c.intercept);
    assert.equal(clf.nIter, c.nIter);
    assert.deepEqual(clf.predict(c.T), c.predict);
    const scores = (clf.decisionFunction(c.T).toArray() as (number | number[])[]).flat();
    const expected = (c.decisionFunction as (number | number[])[]).flat();
    assert.equal(scores.length, expected.length);
    scores.forEach((s, i) => assert.ok(Math.abs(s - expected[i]!) < 1e-9, `${c.name}: decision ${i}: ${s} vs ${expected[i]}`));
  });
}

/** Two clouds on either side of the line x1 + 2 x2 = 1, every point at distance >= margin. */
function separable(n: number, margin: number, seed: number): { X: number[][]; y: number[] } {
  nr.setSeed(seed);
  const points = nr.randu([4 * n, 2], { low: -3, high: 3 }).toArray() as number[][];
  const X: number[][] = [];
  const y: number[] = [];
  for (const [a, b] of points) {
    const distance = (a! + 2 * b! - 1) / Math.sqrt(5);
    if (Math.abs(distance) < margin) continue;
    X.push([a!, b!]);
    y.push(distance > 0 ? 1 : -1);
    if (X.length === n) break;
  }
  return { X, y };
}

test('Perceptron converges on linearly separable data with a margin in finitely many epochs', () => {
  const { X, y } = separable(100, 0.3, 3);
  const { value: clf, notices } = captureNotices(() =>
    new Perceptron({ tol: null, maxIter: 1000, randomState: 1, nIterNoChange: 1000 }).fit(X, y),
  );
  // tol null: it runs all epochs, but after convergence no sample is misclassified (the rule stops changing).
  assert.equal(clf.score(X, y), 1);
  const noTol = captureNotices(() => new Perceptron({ randomState: 1 }).fit(X, y));
  assert.equal(noTol.value.score(X, y), 1);
  assert.ok(noTol.value.nIter < 100, `took ${noTol.value.nIter} epochs`);
  assert.deepEqual(noTol.notices, []);
  void notices;
  // Novikoff's bound: at most (R / margin)^2 mistakes; the weights freeze once an epoch has none.
  const once = new Perceptron({ shuffle: false, maxIter: 1, tol: null });
  let epochs = 0;
  let previous = '';
  for (; epochs < 500; epochs++) {
    once.partialFit(X, y, { classes: [-1, 1] });
    const now = JSON.stringify([once.coef.toArray(), once.intercept.toArray()]);
    if (now === previous) break;
    previous = now;
  }
  assert.ok(epochs < 500, 'the weights never stopped changing');
  assert.equal(once.score(X, y), 1);
});

test('Perceptron reports non-convergence on XOR with a ConvergenceWarning-like notice', () => {
  const X = [
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
  ];
  const y = [0, 1, 1, 0];
  const { value: clf, notices } = captureNotices(() => new Perceptron({ maxIter: 50, nIterNoChange: 1000, shuffle: false }).fit(X, y));
  assert.equal(clf.nIter, 50);
  assert.ok(clf.score(X, y) < 1);
  assert.equal(notices.length, 1);
  assert.match(notices[0]!, /Perceptron: maximum number of iterations \(maxIter = 50\) reached before convergence \(ConvergenceWarning\)/);
  // scikit-learn warns only when tol is set (tol null: no notice).
  assert.deepEqual(captureNotices(() => new Perceptron({ maxIter: 5, tol: null }).fit(X, y)).notices, []);
  const withTol = captureNotices(() => new Perceptron({ maxIter: 3, shuffle: false }).fit(X, y));
  assert.equal(withTol.value.nIter, 3);
  assert.equal(withTol.notices.length, 1);
});

test('Perceptron maps string labels through sorted classes and accepts tensors', () => {
  const X = nr.tensor([
    [0, 0],
    [0, 1],
    [1, 0],
    [1, 1],
    [3, 3],
    [3, 4],
  ]);
  const y = ['zebra', 'zebra', 'zebra', 'ant', 'ant', 'ant'];
  const clf = new Perceptron({ shuffle: false }).fit(X, y);
  assert.deepEqual(clf.classes, ['ant', 'zebra']);
  assert.deepEqual(clf.coef.shape, [1, 2]);
  assert.deepEqual(
    clf.predict([
      [0, 0],
      [3, 3],
    ]),
    ['zebra', 'ant'],
  );
  assert.equal(clf.score(X, y), 1);
  const numeric = new Perceptron({ shuffle: false }).fit(X, nr.tensor([10, 10, 10, 2, 2, 2]));
  assert.deepEqual(numeric.classes, [2, 10]);
  assert.deepEqual(numeric.predict([[0, 0]]), [10]);
});

test('Perceptron shuffles with randomState reproducibly, and warmStart continues', () => {
  const { X, y } = separable(60, 0.05, 5);
  const a = new Perceptron({ randomState: 7 }).fit(X, y);
  const b = new Perceptron({ randomState: 7 }).fit(X, y);
  const c = new Perceptron({ randomState: 8, maxIter: 1, tol: null }).fit(X, y);
  const d = new Perceptron({ randomState: 9, maxIter: 1, tol: null }).fit(X, y);
  assert.deepEqual(a.coef.toArray(), b.coef.toArray());
  assert.notDeepEqual(c.coef.toArray(), d.coef.toArray());
  const warm = new Perceptron({ shuffle: false, maxIter: 1, tol: null, warmStart: true }).fit(X, y);
  const first = warm.coef.toArray();
  warm.fit(X, y);
  const twice = new Perceptron({ shuffle: false, maxIter: 1, tol: null });
  twice.partialFit(X, y, { classes: [-1, 1] }).partialFit(X, y);
  assert.notDeepEqual(warm.coef.toArray(), first);
  assert.deepEqual(warm.coef.toArray(), twice.coef.toArray());
});

test('Perceptron earlyStopping holds out samples and stops', () => {
  const { X, y } = separable(200, 0.1, 11);
  const clf = new Perceptron({ earlyStopping: true, randomState: 0 }).fit(X, y);
  assert.ok(clf.nIter >= 6 && clf.nIter < 1000, `nIter ${clf.nIter}`);
  assert.ok(clf.score(X, y) > 0.95);
});

test('Perceptron errors: unfitted, feature count, one class, NaN, bad options, bad labels', () => {
  const X = [
    [0, 0],
    [1, 1],
    [2, 0],
  ];
  assert.throws(
    () => new Perceptron().predict(X),
    (e: unknown) => e instanceof nr.ConfigError && /not fitted yet; call fit/.test((e as Error).message),
  );
  assert.throws(() => new Perceptron().coef, nr.ConfigError);
  const clf = new Perceptron().fit(X, [0, 1, 1]);
  assert.throws(
    () => clf.predict([[1, 2, 3]]),
    (e: unknown) => e instanceof nr.ShapeError && /3 features per sample.*fitted with 2/.test((e as Error).message),
  );
  assert.throws(() => clf.partialFit([[1, 2, 3]], [0]), nr.ShapeError);
  assert.throws(
    () => new Perceptron().fit(X, [1, 1, 1]),
    (e: unknown) => e instanceof nr.ConfigError && /at least two classes, got only 1/.test((e as Error).message),
  );
  assert.throws(
    () =>
      new Perceptron().fit(
        [
          [0, NaN],
          [1, 1],
        ],
        [0, 1],
      ),
    (e: unknown) => e instanceof nr.NumericsError && /NaN at sample 0, feature 1/.test((e as Error).message),
  );
  assert.throws(
    () =>
      new Perceptron().fit(
        [
          [0, Infinity],
          [1, 1],
        ],
        [0, 1],
      ),
    nr.NumericsError,
  );
  assert.throws(() => clf.predict([[NaN, 0]]), nr.NumericsError);
  assert.throws(
    () => new Perceptron().fit(X, [0, 1]),
    (e: unknown) => e instanceof nr.ShapeError && /3 samples but y has 2/.test((e as Error).message),
  );
  assert.throws(() => new Perceptron().fit([[0, 0], [1]], [0, 1]), nr.ShapeError);
  assert.throws(
    () => new Perceptron().fit(nr.ones([2, 2, 2]), [0, 1]),
    (e: unknown) => e instanceof nr.ShapeError && /rank 2/.test((e as Error).message),
  );
  assert.throws(() => new Perceptron().fit(X, [0, 'a', 1]), nr.ConfigError);
  assert.throws(
    () => new Perceptron({ penalty: 'l3' as never }),
    (e: unknown) => e instanceof nr.ConfigError && /penalty/.test((e as Error).message),
  );
  assert.throws(() => new Perceptron({ maxIter: 0 }), /maxIter must be an integer >= 1, got 0/);
  assert.throws(() => new Perceptron({ eta0: -1 }), nr.ConfigError);
  assert.throws(() => new Perceptron({ alpha: NaN }), nr.ConfigError);
  assert.throws(() => new Perceptron({ validationFraction: 1 }), nr.ConfigError);
  assert.throws(() => new Perceptron({ maxiter: 5 } as never), /Perceptron: unknown option 'maxiter'; did you mean 'maxIter'\?/);
  assert.throws(() => new Perceptron().partialFit(X, [0, 1, 1]), /pass \{classes\}/);
  assert.throws(() => new Perceptron().partialFit(X, [0, 1, 2], { classes: [0, 1] }), /label 2 \(sample 2\) is not among classes/);
  assert.throws(() => new Perceptron({ earlyStopping: true }).partialFit(X, [0, 1, 1], { classes: [0, 1] }), nr.ConfigError);
  assert.throws(() => new Perceptron({ classWeight: { 5: 2 } }).fit(X, [0, 1, 1]), /classWeight names label "5"/);
  assert.throws(
    () =>
      new Perceptron({ eta0: 1e308 }).fit(
        [
          [1e308, 1e308],
          [-1e308, 1],
        ],
        [0, 1],
      ),
    nr.NumericsError,
  );
});

test('perceptron criterion: value, names, and a Dense unit trained with fit + SGD separates 2-D data', async () => {
  // max(0, -y p) with 0/1 labels converted to -1/+1.
  assert.ok(Math.abs(nr.losses.perceptron(nr.tensor([[1, 0, 1]]), nr.tensor([[0.5, 2, -3]])).item() - 5 / 3) < 1e-6);
  assert.equal(new nr.losses.PerceptronCriterion().call(nr.tensor([[1], [-1]]), nr.tensor([[0.5], [2]])).item(), 1);
  assert.equal(nr.losses.getLoss('perceptron').name, 'perceptron');
  assert.ok(nr.losses.getLoss('perceptronCriterion') instanceof nr.losses.PerceptronCriterion);
  // Gradient -y x on a misclassified sample, 0 on a correct one.
  const w = nr.variable(nr.tensor([[1], [-1]]));
  const x = nr.tensor([
    [2, 1],
    [1, 3],
  ]);
  const loss = nr.losses.getLoss('perceptron').call(nr.tensor([[-1], [-1]]), nr.matmul(x, w), undefined);
  loss.backward();
  assert.deepEqual(w.grad!.toArray(), [[1], [0.5]]); // only sample 0 (score 1, label -1) counts: -y x / 2

  const { X, y } = separable(80, 0.3, 21);
  nr.setSeed(4);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.1 }), loss: 'perceptron' });
  const xs = nr.tensor(X);
  await model.fit(xs, nr.tensor(y.map((v) => [v])), { epochs: 30, batchSize: 1, verbose: 0 });
  const predicted = (model.predict(xs) as nr.Tensor).data();
  let correct = 0;
  for (let i = 0; i < y.length; i++) if (Math.sign(predicted[i]!) === y[i]) correct++;
  assert.equal(correct / y.length, 1);
});
