import { test } from 'node:test';
import { readFileSync } from 'node:fs';
import { nr, assert, assertClose } from '../helpers.js';
import * as metrics from '../../src/nn/metrics.js';

interface Encoded {
  shape: number[];
  data: number[];
}
type Batch = [Encoded, Encoded];
const fixture = JSON.parse(readFileSync('test/fixtures/losses.json', 'utf8')).metrics as {
  binary: { batches: Batch[]; binaryAccuracy: number; precision: number; recall: number; mse: number; mae: number };
  categorical: {
    sparseBatches: Batch[];
    oneHotBatches: Batch[];
    accuracy: number;
    labels: number[];
    predicted: number[];
    confusionMatrix: number[][];
  };
};
const t = (e: Encoded, dtype: nr.DType = 'float32') => nr.tensor(e.data, e.shape, dtype);

/** Feeds every batch, checks the result, then checks resetState forgets them. */
function accumulate(metric: metrics.Metric, batches: Batch[], expected: number, labelDType: nr.DType = 'float32') {
  for (const [yTrue, yPred] of batches) metric.updateState(t(yTrue, labelDType), t(yPred));
  assertClose([metric.result()], [expected], { rtol: 1e-6, message: metric.name });
  metric.resetState();
  assert.equal(metric.result(), 0, `${metric.name} after reset`);
  metric.updateState(t(batches[0]![0], labelDType), t(batches[0]![1]));
  return metric.result();
}

test('binary metrics over two batches of different sizes match the fixture', () => {
  const b = fixture.binary;
  // The fixture's batches give different per-batch values, so averaging batch results would fail.
  accumulate(new metrics.BinaryAccuracy(), b.batches, b.binaryAccuracy);
  accumulate(new metrics.Precision(), b.batches, b.precision);
  accumulate(new metrics.Recall(), b.batches, b.recall);
  accumulate(new metrics.MeanSquaredError(), b.batches, b.mse);
  accumulate(new metrics.MeanAbsoluteError(), b.batches, b.mae);
  assert.equal(accumulate(new metrics.BinaryAccuracy(), b.batches, b.binaryAccuracy), 0.4); // first batch alone: 2/5
});

test('categorical and sparse categorical accuracy match the fixture', () => {
  const c = fixture.categorical;
  accumulate(new metrics.CategoricalAccuracy(), c.oneHotBatches, c.accuracy);
  accumulate(new metrics.SparseCategoricalAccuracy(), c.sparseBatches, c.accuracy, 'int32');
  accumulate(new metrics.SparseCategoricalAccuracy(), c.sparseBatches, c.accuracy, 'float32');
});

test('threshold is strict (p > 0.5) and precision/recall are 0 with nothing to count', () => {
  const acc = new metrics.BinaryAccuracy();
  acc.updateState(nr.tensor([[1], [0]]), nr.tensor([[0.5], [0.5]]));
  assert.equal(acc.result(), 0.5);
  const p = new metrics.Precision();
  p.updateState(nr.tensor([1, 1]), nr.tensor([0.1, 0.2]));
  assert.equal(p.result(), 0);
  const r = new metrics.Recall({ threshold: 0.05 });
  r.updateState(nr.tensor([0, 0]), nr.tensor([0.1, 0.2]));
  assert.equal(r.result(), 0);
  const r2 = new metrics.Recall({ threshold: 0.15 });
  r2.updateState(nr.tensor([1, 1]), nr.tensor([0.1, 0.2]));
  assert.equal(r2.result(), 0.5);
});

test('getMetric resolves accuracy from the loss, as Keras does', () => {
  assert.ok(metrics.getMetric('accuracy', 'binary_crossentropy') instanceof metrics.BinaryAccuracy);
  assert.ok(metrics.getMetric('acc', 'binaryCrossentropy') instanceof metrics.BinaryAccuracy);
  assert.ok(metrics.getMetric('accuracy', 'sparse_categorical_crossentropy') instanceof metrics.SparseCategoricalAccuracy);
  assert.ok(metrics.getMetric('accuracy', 'sparseCategoricalCrossentropy') instanceof metrics.SparseCategoricalAccuracy);
  assert.ok(metrics.getMetric('accuracy', 'categorical_crossentropy') instanceof metrics.CategoricalAccuracy);
  assert.equal(metrics.getMetric('acc', 'bce').name, 'acc');
  assert.equal(metrics.getMetric('accuracy').name, 'accuracy');
});

test('accuracy without a crossentropy loss decides from the shapes (Keras 3)', () => {
  const c = fixture.categorical;
  const sparse = metrics.getMetric('accuracy', 'mse');
  for (const [yt, yp] of c.sparseBatches) sparse.updateState(t(yt, 'int32'), t(yp));
  assertClose([sparse.result()], [c.accuracy]);
  const categorical = metrics.getMetric('accuracy');
  for (const [yt, yp] of c.oneHotBatches) categorical.updateState(t(yt), t(yp));
  assertClose([categorical.result()], [c.accuracy]);
  const binary = metrics.getMetric('accuracy');
  for (const [yt, yp] of fixture.binary.batches) binary.updateState(t(yt), t(yp));
  assertClose([binary.result()], [fixture.binary.binaryAccuracy]);
});

test('getMetric resolves both spellings and rejects unknown names listing the valid ones', () => {
  const cases: [string, abstract new (...a: never[]) => metrics.Metric][] = [
    ['mae', metrics.MeanAbsoluteError],
    ['meanAbsoluteError', metrics.MeanAbsoluteError],
    ['mean_absolute_error', metrics.MeanAbsoluteError],
    ['mse', metrics.MeanSquaredError],
    ['meanSquaredError', metrics.MeanSquaredError],
    ['precision', metrics.Precision],
    ['recall', metrics.Recall],
    ['binary_accuracy', metrics.BinaryAccuracy],
    ['binaryAccuracy', metrics.BinaryAccuracy],
    ['sparse_categorical_accuracy', metrics.SparseCategoricalAccuracy],
    ['categoricalAccuracy', metrics.CategoricalAccuracy],
  ];
  for (const [name, cls] of cases) {
    const m = metrics.getMetric(name);
    assert.ok(m instanceof cls, name);
    assert.equal(m.name, name);
  }
  const own = new metrics.Recall();
  assert.equal(metrics.getMetric(own), own);
  assert.throws(
    () => metrics.getMetric('f1'),
    (e: Error) => {
      assert.ok(e instanceof nr.ConfigError);
      assert.match(e.message, /"f1"/);
      for (const n of metrics.METRIC_NAMES) assert.ok(e.message.includes(`'${n}'`), n);
      return true;
    },
  );
});

test('metrics run under noGrad and reject shape mismatches naming both shapes', () => {
  const p = nr.tensor([[0.9], [0.2]]);
  p.requiresGrad = true;
  const m = new metrics.MeanSquaredError();
  m.updateState(nr.tensor([[1], [0]]), p);
  assertClose([m.result()], [0.025], { rtol: 1e-6 });
  assert.throws(
    () => new metrics.CategoricalAccuracy().updateState(nr.zeros([2, 3]), nr.zeros([2, 4])),
    (e: Error) => e instanceof nr.ShapeError && e.message.includes('[2, 3]') && e.message.includes('[2, 4]'),
  );
  assert.throws(
    () => new metrics.SparseCategoricalAccuracy().updateState(nr.zeros([3]), nr.zeros([2, 4])),
    (e: Error) => e instanceof nr.ShapeError && e.message.includes('[3]') && e.message.includes('[2, 4]'),
  );
  assert.throws(() => new metrics.Precision().updateState(nr.zeros([3]), nr.zeros([4])), nr.ShapeError);
});

test('confusionMatrix: rows are true classes, from indices or from score rows', () => {
  const c = fixture.categorical;
  const fromIndices = metrics.confusionMatrix(nr.tensor(c.labels, undefined, 'int32'), nr.tensor(c.predicted, undefined, 'int32'), 3);
  assert.equal(fromIndices.dtype, 'int32');
  assert.deepEqual(fromIndices.shape, [3, 3]);
  assert.deepEqual(fromIndices.toArray(), c.confusionMatrix);
  const scores = nr.concat(c.sparseBatches.map(([, yp]) => t(yp)));
  const oneHot = nr.concat(c.oneHotBatches.map(([yt]) => t(yt)));
  assert.deepEqual(metrics.confusionMatrix(oneHot, scores, 3).toArray(), c.confusionMatrix);
  assert.deepEqual(metrics.confusionMatrix([0, 1, 1], [0, 0, 1], 2).toArray(), [
    [1, 0],
    [1, 1],
  ]);
  assert.throws(
    () => metrics.confusionMatrix([0, 3], [0, 1], 3),
    (e: Error) => e instanceof nr.ConfigError && /class 3/.test(e.message) && /\[0, 3\)/.test(e.message),
  );
  assert.throws(() => metrics.confusionMatrix([0, 1], [0, 1, 1], 3), nr.ShapeError);
  assert.throws(() => metrics.confusionMatrix([0], [0], 0), nr.ConfigError);
});

test('sample weights weight each sample in mean metrics and in precision/recall (Keras semantics)', () => {
  const acc = new nr.metrics.BinaryAccuracy();
  // sample 0 right, sample 1 wrong; weights 1 and 3 -> 1 / 4
  acc.updateState(nr.tensor([[1], [1]]), nr.tensor([[0.9], [0.1]]), nr.tensor([1, 3]));
  assert.equal(acc.result(), 0.25);
  const precision = new nr.metrics.Precision();
  // predicted positive: samples 0 (true positive, weight 2) and 1 (false positive, weight 6)
  precision.updateState(nr.tensor([1, 0, 1]), nr.tensor([0.9, 0.8, 0.1]), nr.tensor([2, 6, 5]));
  assert.equal(precision.result(), 0.25);
  const recall = new nr.metrics.Recall();
  recall.updateState(nr.tensor([1, 0, 1]), nr.tensor([0.9, 0.8, 0.1]), nr.tensor([2, 6, 5]));
  assert.equal(recall.result(), 2 / 7);
  const sparse = new nr.metrics.SparseCategoricalAccuracy();
  sparse.updateState(
    nr.tensor([0, 1]),
    nr.tensor([
      [0.9, 0.1],
      [0.8, 0.2],
    ]),
    nr.tensor([0.5, 1.5]),
  );
  assert.equal(sparse.result(), 0.25);
});

test('fit weights the accuracy metric by classWeight, as Keras does', async () => {
  nr.setSeed(0);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, activation: 'sigmoid', inputShape: [1], kernelInitializer: 'zeros' })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
  // Every prediction is 0.5 (zero weights, lr 0) -> predicted class 0: class-0 samples right, class-1 wrong.
  const x = nr.tensor([[1], [2], [3], [4]]);
  const y = nr.tensor([[0], [0], [0], [1]]);
  const plain = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false });
  assert.equal(plain.history.accuracy![0], 0.75);
  const weighted = await model.fit(x, y, { epochs: 1, batchSize: 4, verbose: 0, shuffle: false, classWeight: { 0: 1, 1: 3 } });
  assert.equal(weighted.history.accuracy![0], 0.5); // (1+1+1+0) / (1+1+1+3)
});
