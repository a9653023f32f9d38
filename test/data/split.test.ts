import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { nr, assert } from '../helpers.js';

/*
 * nr.trainTestSplit against scikit-learn's train_test_split (test/fixtures/split.json, written by
 * generate_split.py): with the same integer random_state, the same train and test indices, plain
 * and stratified, and scikit-learn's size rules.
 */

interface Case {
  n: number;
  labels: number[] | null;
  options: { random_state?: number; test_size?: number; train_size?: number; shuffle?: boolean };
  train: number[];
  test: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/split.json', import.meta.url), 'utf8')) as { cases: Case[] };

for (const c of fixture.cases) {
  test(`trainTestSplit matches scikit-learn: n=${c.n} ${JSON.stringify(c.options)}${c.labels ? ' stratified' : ''}`, () => {
    const x = nr.tensor(
      Array.from({ length: c.n }, (_, i) => [i, i + 100]),
      undefined,
      'int32',
    );
    const indices = Array.from({ length: c.n }, (_, i) => i);
    // scikit-learn's snake_case keys go through the shared normaliser.
    const options = { ...c.options, ...(c.labels ? { stratify: c.labels } : {}) } as nr.TrainTestSplitOptions;
    const [xTrain, xTest, iTrain, iTest] = nr.trainTestSplit(x, indices, options);
    assert.deepEqual(iTrain, c.train);
    assert.deepEqual(iTest, c.test);
    assert.deepEqual(
      xTrain.toArray(),
      c.train.map((i) => [i, i + 100]),
    );
    assert.deepEqual(
      xTest.toArray(),
      c.test.map((i) => [i, i + 100]),
    );
  });
}

test('trainTestSplit: stratified parts keep the class proportions; a label tensor works as stratify', () => {
  const y = nr.tensor(
    Array.from({ length: 100 }, (_, i) => (i < 80 ? 0 : 1)),
    undefined,
    'int32',
  );
  const [yTrain, yTest] = nr.trainTestSplit(y, { testSize: 0.25, randomState: 3, stratify: y });
  const ones = (t: nr.Tensor) => Array.from(t.data() as Int32Array).filter((v) => v === 1).length;
  assert.equal(yTest.shape[0], 25);
  assert.equal(ones(yTest), 5);
  assert.equal(ones(yTrain), 15);
});

test('trainTestSplit: without randomState the split follows nr.setSeed', () => {
  const x = nr.arange(50);
  nr.setSeed(9);
  const first = nr.trainTestSplit(x)[1].toArray();
  nr.setSeed(9);
  assert.deepEqual(nr.trainTestSplit(x)[1].toArray(), first);
});

test('trainTestSplit: bad input says what to change', () => {
  const x = nr.zeros([10, 2]);
  const cases: [() => unknown, RegExp][] = [
    [() => nr.trainTestSplit(x, nr.zeros([9]), { randomState: 0 }), /different numbers of samples: \[10, 9\]/],
    [() => nr.trainTestSplit(x, { testSize: 1.5 }), /testSize=1.5 should be a fraction in \(0, 1\) or a count in \[1, 9\]/],
    [() => nr.trainTestSplit(x, { testSize: 5, trainSize: 6 }), /\(6\) \+ testSize \(5\) samples are more than the 10/],
    [() => nr.trainTestSplit(x, { shuffle: false, stratify: [0, 1, 0, 1, 0, 1, 0, 1, 0, 1] }), /stratified splits need shuffle/],
    [() => nr.trainTestSplit(x, { stratify: [0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }), /least populated class .* has only 1 member/],
    [() => nr.trainTestSplit(x, { test_sise: 0.2 } as never), /trainTestSplit: unknown option 'test_sise'; did you mean 'test_size'\?/],
    [() => nr.trainTestSplit({ testSize: 0.2 }), /give at least one array/],
    [() => nr.trainTestSplit(x, { testSize: 0.05, trainSize: 0.96 }), /testSize \+ trainSize = 1.01 should be at most 1/],
    [() => nr.trainTestSplit(x, { randomState: 2 ** 32 }), /randomState must be an integer in \[0, 2\*\*32 - 1\]/],
  ];
  for (const [fn, message] of cases)
    assert.throws(fn, (e: Error) => e instanceof nr.NeuronaError && message.test(e.message), String(message));
});
