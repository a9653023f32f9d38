import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, nr } from '../helpers.js';

interface RocCase {
  labels: number[];
  scores: number[];
  dropIntermediate: boolean;
  auc: number;
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
const fixture = JSON.parse(readFileSync('test/fixtures/siamese/roc_sklearn.json', 'utf8')) as { cases: RocCase[] };

test('rocAuc and rocCurve equal scikit-learn on scores with ties', () => {
  assert.equal(fixture.cases.length, 8);
  for (const c of fixture.cases) {
    assertClose([nr.metrics.rocAuc(c.labels, c.scores)], [c.auc], { rtol: 1e-12, atol: 0 });
    const curve = nr.metrics.rocCurve(nr.tensor(c.labels), nr.tensor(c.scores, undefined, 'float64'), {
      dropIntermediate: c.dropIntermediate,
    });
    assertClose(curve.fpr, c.fpr, { rtol: 1e-12, atol: 0 });
    assertClose(curve.tpr, c.tpr, { rtol: 1e-12, atol: 0 });
    assert.equal(curve.thresholds[0], Number.POSITIVE_INFINITY);
    assert.deepEqual(curve.thresholds.slice(1), c.thresholds);
  }
});

test('rocAuc by hand: ranks, a tie across classes counts one half', () => {
  assert.equal(nr.metrics.rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), 0.75);
  assert.equal(nr.metrics.rocAuc([0, 1], [0.5, 0.5]), 0.5);
  assert.equal(nr.metrics.rocAuc([1, 0, 1], [3, 1, 2]), 1);
  assert.equal(nr.metrics.rocAuc([[1], [0], [1]], [[1], [3], [2]]), 0);
});

test('bestThresholdAccuracy finds the best cut and a threshold that reproduces it', () => {
  assert.deepEqual(nr.metrics.bestThresholdAccuracy([0, 1, 0, 1], [0.1, 0.6, 0.4, 0.9]), { accuracy: 1, threshold: 0.5 });
  // 1 at 0.2 is an outlier: calling everything >= 0.5 positive gets 4 of 5 right.
  const y = [1, 0, 0, 1, 1];
  const s = [0.2, 0.3, 0.4, 0.6, 0.9];
  const best = nr.metrics.bestThresholdAccuracy(y, s);
  assert.deepEqual(best, { accuracy: 0.8, threshold: 0.5 });
  // Brute force over every cut point agrees.
  let brute = 0;
  for (const t of [-Infinity, ...s, Infinity]) brute = Math.max(brute, y.filter((v, i) => (s[i]! >= t ? 1 : 0) === v).length / y.length);
  assert.equal(best.accuracy, brute);
  assert.equal(y.filter((v, i) => (s[i]! >= best.threshold ? 1 : 0) === v).length / y.length, best.accuracy);
  // Mostly negatives: predicting none positive is best, and the threshold lies above every score.
  const none = nr.metrics.bestThresholdAccuracy([0, 0, 1, 0], [0.9, 0.8, 0.1, 0.7]);
  assert.equal(none.accuracy, 0.75);
  assert.ok(none.threshold > 0.9);
});

test("AUC streams Keras's documented example values, and approaches rocAuc with many thresholds", () => {
  const m = new nr.metrics.AUC({ numThresholds: 3 });
  m.updateState(nr.tensor([0, 0, 1, 1]), nr.tensor([0, 0.5, 0.3, 0.9]));
  assertClose([m.result()], [0.75]);
  m.resetState();
  m.updateState(nr.tensor([0, 0, 1, 1]), nr.tensor([0, 0.5, 0.3, 0.9]), nr.tensor([1, 0, 0, 1]));
  assertClose([m.result()], [1]);
  // Streaming: two batches give what one batch of both gives.
  nr.setSeed(4);
  const y = nr.randu([300]).greater(0.5).cast('float32');
  const p = y.mul(0.3).add(nr.randu([300]).mul(0.7));
  const whole = new nr.metrics.AUC({ numThresholds: 2000 });
  whole.updateState(y, p);
  const parts = nr.metrics.getMetric('auc') as nr.metrics.AUC;
  parts.updateState(y.slice([0], [100]), p.slice([0], [100]));
  parts.updateState(y.slice([100], [200]), p.slice([100], [200]));
  assert.equal(parts.name, 'auc');
  assert.ok(Math.abs(parts.result() - nr.metrics.rocAuc(y, p)) < 0.01, `${parts.result()} vs ${nr.metrics.rocAuc(y, p)}`);
  assert.ok(Math.abs(whole.result() - nr.metrics.rocAuc(y, p)) < 1e-3, `${whole.result()} vs ${nr.metrics.rocAuc(y, p)}`);
  const state = parts.getState();
  const restored = new nr.metrics.AUC();
  restored.setState(state);
  assert.equal(restored.result(), parts.result());
  // PR: perfectly separated predictions have an area of 1; minoring <= interpolation <= majoring on ROC.
  const pr = new nr.metrics.AUC({ curve: 'PR' });
  pr.updateState(nr.tensor([0, 0, 1, 1]), nr.tensor([0.1, 0.2, 0.8, 0.9]));
  assertClose([pr.result()], [1], { rtol: 1e-9 });
  const areas = (['minoring', 'interpolation', 'majoring'] as const).map((summationMethod) => {
    const a = new nr.metrics.AUC({ numThresholds: 5, summationMethod });
    a.updateState(y, p);
    return a.result();
  });
  assert.ok(areas[0]! < areas[1]! && areas[1]! < areas[2]!, areas.join(' '));
  // Keras's snake_case spellings of the options.
  const snake = new nr.metrics.AUC({ num_thresholds: 3, summation_method: 'majoring' } as never);
  assert.deepEqual([snake.numThresholds, snake.summationMethod], [3, 'majoring']);
  const logits = new nr.metrics.AUC({ fromLogits: true, numThresholds: 3 });
  logits.updateState(nr.tensor([0, 1]), nr.tensor([-5, 5]));
  assertClose([logits.result()], [1]);
});

test('AUC trains in compile as a named metric', async () => {
  nr.setSeed(6);
  const x = nr.randn([64, 2]);
  const y = x.slice([0, 0], [64, 1]).greater(0).cast('float32');
  const model = new nr.Sequential([nr.Input({ shape: [2] }), new nr.layers.Dense(1, { activation: 'sigmoid' })]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.1 }), loss: 'binary_crossentropy', metrics: ['auc'] });
  const history = await model.fit(x, y, { epochs: 8, batchSize: 16, verbose: 0 });
  const auc = history.history.auc!;
  assert.equal(auc.length, 8);
  assert.ok(auc.every((v) => v >= 0 && v <= 1) && auc.at(-1)! > 0.8, auc.join(' '));
});

test('verification metrics reject bad labels and shapes with messages that name the function', () => {
  assert.throws(() => nr.metrics.rocAuc([1, 1], [0.2, 0.3]), /rocAuc.*both classes.*2 positive and 0 negative/s);
  assert.throws(() => nr.metrics.rocAuc([0, 2], [0.2, 0.3]), /rocAuc.*0 and 1.*2 at index 1/s);
  assert.throws(
    () => nr.metrics.bestThresholdAccuracy([0, 1, 1], [0.2, 0.3]),
    (e: Error) => e instanceof nr.ShapeError && /bestThresholdAccuracy.*\[3\].*\[2\]/s.test(e.message),
  );
  assert.throws(() => nr.metrics.rocCurve([0, 1], [0.2, Number.NaN]), /rocCurve.*finite/s);
  assert.throws(() => new nr.metrics.AUC({ numThresholds: 1 }), /AUC.*numThresholds must be > 1/s);
  assert.throws(() => new nr.metrics.AUC({ curve: 'roc' as never }), /curve/);
  assert.throws(() => new nr.metrics.AUC().updateState(nr.tensor([2]), nr.tensor([0.5])), /AUC "auc".*labels must lie in \[0, 1\]/s);
});
