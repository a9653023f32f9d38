import { configError, formatShape, is, parseOptions, ownEntry, shapeError, show, type KerasName } from '../core/index.js';
import { Tensor, tensor, noGrad } from '../tensor/index.js';
import { broadcastTo, cast, type Operand } from '../ops/index.js';
import {
  alignTargets,
  canonicalLossName,
  floatPredictions,
  meanAbsoluteError,
  meanSquaredError,
  normalizeIdentifier,
  type Loss,
  type LossFunction,
} from './losses.js';

const METRIC_OPTIONS = { keys: { name: is.string } };
// Keras's Precision and Recall call it thresholds; one threshold here.
const THRESHOLD_METRIC_OPTIONS = { keys: { name: is.string, threshold: is.number }, aliases: { thresholds: 'threshold' } };

/*
 * Stateful metrics with Keras semantics: `updateState(yTrue, yPred)` adds a batch, `result()` gives
 * the value over every batch since `resetState()`. Mean metrics accumulate a total and a count of
 * per-sample values, so batches are weighted by their size as in Keras. Everything runs under noGrad.
 */

/**
 * The base of every metric.
 *
 * ```ts
 * const m = new nr.metrics.MeanSquaredError();
 * m.updateState(nr.tensor([[0], [1]]), nr.tensor([[1], [1]]));
 * m.result(); // 0.5
 * ```
 */
export abstract class Metric {
  constructor(readonly name: string) {}
  /** Adds one batch; `sampleWeight` ([batch]) weights each sample, as Keras does. */
  abstract updateState(yTrue: Operand, yPred: Operand, sampleWeight?: Tensor): void;
  /** The value over every batch added since the last reset (0 before any batch). */
  abstract result(): number;
  /** Forgets every batch. */
  abstract resetState(): void;
  /**
   * The accumulated state as plain JSON (for BackupAndRestore): by default the metric's own numeric
   * fields (totals and counts), which is all the built-in metrics keep.
   */
  getState(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this)) if (typeof v === 'number') out[k] = v;
    return out;
  }
  /** Restores what getState returned. */
  setState(state: Record<string, unknown>): void {
    for (const [k, v] of Object.entries(state))
      if (typeof v === 'number' && typeof (this as Record<string, unknown>)[k] === 'number') (this as Record<string, unknown>)[k] = v;
  }
}

/**
 * A metric that averages a per-sample function over every sample seen (Keras's MeanMetricWrapper).
 *
 * ```ts
 * const m = new nr.metrics.MeanMetricWrapper((t, p) => p.sub(t).abs().mean(-1), 'my_mae');
 * m.updateState(nr.tensor([[0]]), nr.tensor([[2]]));
 * m.result(); // 2
 * ```
 */
export class MeanMetricWrapper extends Metric {
  private total = 0;
  private count = 0;
  constructor(
    private readonly fn: (yTrue: Tensor, yPred: Tensor) => Tensor,
    name: string,
  ) {
    super(name);
  }

  updateState(yTrue: Operand, yPred: Operand, sampleWeight?: Tensor): void {
    const values = noGrad(() => this.fn(asTensor(yTrue), asTensor(yPred))).data();
    if (!sampleWeight) {
      for (let i = 0; i < values.length; i++) this.total += Number(values[i]);
      this.count += values.length;
      return;
    }
    // Each sample's values share its weight (Keras: weighted sum / sum of weights).
    const w = sampleWeight.data();
    const perSample = values.length / Math.max(w.length, 1);
    for (let i = 0; i < values.length; i++) {
      const weight = Number(w[Math.floor(i / perSample)]);
      this.total += Number(values[i]) * weight;
      this.count += weight;
    }
  }

  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }

  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

const asTensor = (x: Operand): Tensor => (x instanceof Tensor ? x : tensor(x as never));

/** Keras's `Mean(name)` / `Sum(name)` constructor forms: a name, or `{name}`. */
function trackerName(owner: string, args: unknown, fallback: string): string {
  if (args === undefined) return fallback;
  if (typeof args === 'string') return args;
  return parseOptions<{ name?: string }>(owner, args, METRIC_OPTIONS).name ?? fallback;
}

/** Adds `values` (any shape) weighted by `sampleWeight` (broadcast to them) to a running total and weight. */
function accumulate(owner: string, values: Operand, sampleWeight: Operand | undefined): [total: number, weight: number] {
  const v = noGrad(() => asTensor(values).cast('float64'));
  if (sampleWeight === undefined) {
    const data = v.data();
    let total = 0;
    for (let i = 0; i < data.length; i++) total += Number(data[i]);
    return [total, data.length];
  }
  const w = noGrad(() => asTensor(sampleWeight).cast('float64'));
  if (w.rank > v.rank || w.shape.some((d, i) => d !== 1 && d !== v.shape[i])) {
    throw shapeError(`${owner}.updateState`, {
      expected: `sampleWeight ${formatShape(w.shape)} must broadcast to the values ${formatShape(v.shape)} (leading axes aligned)`,
    });
  }
  const wb = noGrad(() => broadcastTo(w.reshape([...w.shape, ...v.shape.slice(w.rank).map(() => 1)]), v.shape));
  const vd = v.data();
  const wd = wb.data();
  let total = 0;
  let weight = 0;
  for (let i = 0; i < vd.length; i++) {
    total += Number(vd[i]) * Number(wd[i]);
    weight += Number(wd[i]);
  }
  return [total, weight];
}

/**
 * Keras's `Mean`: the (weighted) mean of every value given since the last reset. The tracker of a
 * custom training step: `this.lossTracker = new nr.metrics.Mean({name: 'loss'})`, then
 * `lossTracker.updateState(loss)` in trainStep and `{loss: lossTracker.result()}` as its logs.
 *
 * ```ts
 * const m = new nr.metrics.Mean({ name: 'd_loss' });
 * m.updateState(nr.tensor([1, 3]));
 * m.updateState(2, 2); // the value 2 with weight 2
 * m.result(); // 2
 * ```
 */
export class Mean extends Metric {
  private total = 0;
  private count = 0;
  constructor(args?: string | { name?: string }) {
    super(trackerName('Mean', args, 'mean'));
  }
  /** Adds `values` (a number or a tensor of any shape), each weighted by `sampleWeight` (default 1). */
  override updateState(values: Operand, sampleWeight?: Operand): void {
    const [total, weight] = accumulate('Mean', values, sampleWeight);
    this.total += total;
    this.count += weight;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  resetState(): void {
    this.total = 0;
    this.count = 0;
  }
}

/**
 * Keras's `Sum`: the (weighted) sum of every value given since the last reset.
 *
 * ```ts
 * const s = new nr.metrics.Sum({ name: 'kl_total' });
 * s.updateState(nr.tensor([1, 2, 3]));
 * s.result(); // 6
 * ```
 */
export class Sum extends Metric {
  private total = 0;
  constructor(args?: string | { name?: string }) {
    super(trackerName('Sum', args, 'sum'));
  }
  override updateState(values: Operand, sampleWeight?: Operand): void {
    this.total += accumulate('Sum', values, sampleWeight)[0];
  }
  result(): number {
    return this.total;
  }
  resetState(): void {
    this.total = 0;
  }
}

/** 1 where yPred > threshold equals yTrue (as 0/1), averaged over the last axis. */
function binaryAccuracyValues(threshold: number) {
  return (yTrue: Tensor, yPred: Tensor): Tensor => {
    const p = floatPredictions(yPred);
    const t = alignTargets(yTrue, p, 'binaryAccuracy');
    return cast(t.equal(cast(p.greater(threshold), t.dtype)), 'float32').mean(-1);
  };
}

function categoricalAccuracyValues(yTrue: Tensor, yPred: Tensor): Tensor {
  const p = floatPredictions(yPred);
  const t = alignTargets(yTrue, p, 'categoricalAccuracy');
  return cast(t.argmax(-1).equal(p.argmax(-1)), 'float32');
}

function sparseCategoricalAccuracyValues(yTrue: Tensor, yPred: Tensor): Tensor {
  const p = floatPredictions(yPred);
  let t = yTrue;
  const batch = p.shape.slice(0, -1);
  if (t.rank === p.rank && t.shape[t.rank - 1] === 1) t = t.reshape(t.shape.slice(0, -1));
  if (p.rank === 0 || t.rank !== batch.length || t.shape.some((d, i) => d !== batch[i])) {
    throw shapeError('sparseCategoricalAccuracy', {
      expected: `expected integer labels of shape ${formatShape(batch)} for yPred ${formatShape(p.shape)}`,
      got: `yTrue ${formatShape(yTrue.shape)}`,
    });
  }
  return cast(cast(t, 'int32').equal(p.argmax(-1)), 'float32');
}

/**
 * Fraction of predictions p > threshold (default 0.5) that match 0/1 labels.
 *
 * ```ts
 * const m = new nr.metrics.BinaryAccuracy();
 * m.updateState(nr.tensor([[1], [0]]), nr.tensor([[0.7], [0.6]]));
 * m.result(); // 0.5
 * ```
 */
export class BinaryAccuracy extends MeanMetricWrapper {
  constructor(options: { name?: string; threshold?: number } = {}) {
    const { name = 'binary_accuracy', threshold = 0.5 } = parseOptions<{ name?: string; threshold?: number }>(
      'BinaryAccuracy',
      options,
      THRESHOLD_METRIC_OPTIONS,
    );
    super(binaryAccuracyValues(threshold), name);
  }
}

/**
 * Fraction of samples whose argmax of yPred equals the argmax of one-hot yTrue.
 *
 * ```ts
 * const m = new nr.metrics.CategoricalAccuracy();
 * m.updateState(nr.tensor([[0, 1], [1, 0]]), nr.tensor([[0.2, 0.8], [0.3, 0.7]]));
 * m.result(); // 0.5
 * ```
 */
export class CategoricalAccuracy extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(
      categoricalAccuracyValues,
      parseOptions<{ name?: string }>('CategoricalAccuracy', options, METRIC_OPTIONS).name ?? 'categorical_accuracy',
    );
  }
}

/**
 * Fraction of samples whose argmax of yPred equals the integer label yTrue.
 *
 * ```ts
 * const m = new nr.metrics.SparseCategoricalAccuracy();
 * m.updateState(nr.tensor([1, 1]), nr.tensor([[0.2, 0.8], [0.7, 0.3]]));
 * m.result(); // 0.5
 * ```
 */
export class SparseCategoricalAccuracy extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(
      sparseCategoricalAccuracyValues,
      parseOptions<{ name?: string }>('SparseCategoricalAccuracy', options, METRIC_OPTIONS).name ?? 'sparse_categorical_accuracy',
    );
  }
}

/**
 * Mean absolute error over every sample seen.
 *
 * ```ts
 * const m = new nr.metrics.MeanAbsoluteError();
 * m.updateState(nr.tensor([[0], [1]]), nr.tensor([[2], [1]]));
 * m.result(); // 1
 * ```
 */
export class MeanAbsoluteError extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(meanAbsoluteError, parseOptions<{ name?: string }>('MeanAbsoluteError', options, METRIC_OPTIONS).name ?? 'mean_absolute_error');
  }
}

/**
 * Mean squared error over every sample seen.
 *
 * ```ts
 * const m = new nr.metrics.MeanSquaredError();
 * m.updateState(nr.tensor([[0], [1]]), nr.tensor([[2], [1]]));
 * m.result(); // 2
 * ```
 */
export class MeanSquaredError extends MeanMetricWrapper {
  constructor(options: { name?: string } = {}) {
    super(meanSquaredError, parseOptions<{ name?: string }>('MeanSquaredError', options, METRIC_OPTIONS).name ?? 'mean_squared_error');
  }
}

/** Counts true positives, false positives and false negatives of p > threshold against 0/1 labels. */
abstract class ConfusionCounts extends Metric {
  protected truePositives = 0;
  protected falsePositives = 0;
  protected falseNegatives = 0;
  constructor(
    name: string,
    readonly threshold: number,
  ) {
    super(name);
  }

  updateState(yTrue: Operand, yPred: Operand, sampleWeight?: Tensor): void {
    noGrad(() => {
      const p = floatPredictions(asTensor(yPred));
      const t = alignTargets(asTensor(yTrue), p, this.constructor.name).data();
      const q = p.data();
      const w = sampleWeight?.data();
      const perSample = w ? q.length / Math.max(w.length, 1) : 1;
      for (let i = 0; i < q.length; i++) {
        const weight = w ? Number(w[Math.floor(i / perSample)]) : 1;
        const predicted = q[i]! > this.threshold;
        const actual = Number(t[i]) !== 0;
        if (predicted && actual) this.truePositives += weight;
        else if (predicted) this.falsePositives += weight;
        else if (actual) this.falseNegatives += weight;
      }
    });
  }

  resetState(): void {
    this.truePositives = 0;
    this.falsePositives = 0;
    this.falseNegatives = 0;
  }
}

/**
 * Precision tp / (tp + fp) of binary predictions p > threshold (default 0.5); 0 when nothing is
 * predicted positive (Keras's divide_no_nan).
 *
 * ```ts
 * const m = new nr.metrics.Precision();
 * m.updateState(nr.tensor([1, 0, 1]), nr.tensor([0.9, 0.8, 0.1]));
 * m.result(); // 0.5
 * ```
 */
export class Precision extends ConfusionCounts {
  constructor(options: { name?: string; threshold?: number } = {}) {
    const { name = 'precision', threshold = 0.5 } = parseOptions<{ name?: string; threshold?: number }>(
      'Precision',
      options,
      THRESHOLD_METRIC_OPTIONS,
    );
    super(name, threshold);
  }
  result(): number {
    const d = this.truePositives + this.falsePositives;
    return d === 0 ? 0 : this.truePositives / d;
  }
}

/**
 * Recall tp / (tp + fn) of binary predictions p > threshold (default 0.5); 0 when there are no
 * positive labels.
 *
 * ```ts
 * const m = new nr.metrics.Recall();
 * m.updateState(nr.tensor([1, 0, 1]), nr.tensor([0.9, 0.8, 0.1]));
 * m.result(); // 0.5
 * ```
 */
export class Recall extends ConfusionCounts {
  constructor(options: { name?: string; threshold?: number } = {}) {
    const { name = 'recall', threshold = 0.5 } = parseOptions<{ name?: string; threshold?: number }>(
      'Recall',
      options,
      THRESHOLD_METRIC_OPTIONS,
    );
    super(name, threshold);
  }
  result(): number {
    const d = this.truePositives + this.falseNegatives;
    return d === 0 ? 0 : this.truePositives / d;
  }
}

/**
 * 'accuracy' whose kind is decided from the shapes of the first batch, as Keras 3 does: yPred with a
 * last axis of 1 -> binary; yTrue of lower rank than yPred (or last axis 1 against more classes) ->
 * sparse categorical; otherwise categorical.
 */
class AutoAccuracy extends Metric {
  private inner: MeanMetricWrapper | undefined;
  updateState(yTrue: Operand, yPred: Operand, sampleWeight?: Tensor): void {
    const t = asTensor(yTrue);
    const p = asTensor(yPred);
    if (!this.inner) {
      const pLast = p.shape[p.rank - 1];
      const tLast = t.shape[t.rank - 1];
      if (pLast === 1) this.inner = new BinaryAccuracy({ name: this.name });
      else if (t.rank < p.rank || (tLast === 1 && (pLast ?? 1) > 1)) this.inner = new SparseCategoricalAccuracy({ name: this.name });
      else this.inner = new CategoricalAccuracy({ name: this.name });
    }
    this.inner.updateState(t, p, sampleWeight);
  }
  result(): number {
    return this.inner?.result() ?? 0;
  }
  resetState(): void {
    this.inner?.resetState();
  }
  // The inner metric is chosen from the first batch's shapes: its kind is part of the state.
  override getState(): Record<string, unknown> {
    return this.inner ? { kind: this.inner.constructor.name, inner: this.inner.getState() } : {};
  }
  override setState(state: Record<string, unknown>): void {
    const kinds: Record<string, () => MeanMetricWrapper> = {
      BinaryAccuracy: () => new BinaryAccuracy({ name: this.name }),
      SparseCategoricalAccuracy: () => new SparseCategoricalAccuracy({ name: this.name }),
      CategoricalAccuracy: () => new CategoricalAccuracy({ name: this.name }),
    };
    const make = ownEntry(kinds, state.kind);
    this.inner = make?.();
    this.inner?.setState(state.inner as Record<string, unknown>);
  }
}

/** The names getMetric accepts (camelCase spellings work too). */
export const METRIC_NAMES = [
  'accuracy',
  'acc',
  'binary_accuracy',
  'categorical_accuracy',
  'sparse_categorical_accuracy',
  'mean_absolute_error',
  'mae',
  'mean_squared_error',
  'mse',
  'precision',
  'recall',
] as const;

/** The metric names the types accept (any spelling of them works at run time, see KerasName). */
export type MetricName = KerasName<(typeof METRIC_NAMES)[number]>;

const METRICS: Record<string, (name: string) => Metric> = {
  binaryaccuracy: (name) => new BinaryAccuracy({ name }),
  categoricalaccuracy: (name) => new CategoricalAccuracy({ name }),
  sparsecategoricalaccuracy: (name) => new SparseCategoricalAccuracy({ name }),
  meanabsoluteerror: (name) => new MeanAbsoluteError({ name }),
  mae: (name) => new MeanAbsoluteError({ name }),
  meansquarederror: (name) => new MeanSquaredError({ name }),
  mse: (name) => new MeanSquaredError({ name }),
  precision: (name) => new Precision({ name }),
  recall: (name) => new Recall({ name }),
};

/**
 * Resolves a metric identifier (snake_case or camelCase; a Metric instance is returned as is). The
 * metric keeps the name it was asked by ('acc' stays 'acc'), as history keys do in Keras.
 * 'accuracy' / 'acc' pick the kind from the loss when it is a crossentropy
 * (binary_crossentropy -> binary, sparse_categorical_crossentropy -> sparse categorical,
 * categorical_crossentropy -> categorical); for other losses, or none, they decide from the shapes
 * of the first batch as Keras 3 does.
 *
 * ```ts
 * const m = nr.metrics.getMetric('accuracy', 'sparse_categorical_crossentropy');
 * m.updateState(nr.tensor([2]), nr.tensor([[0.1, 0.2, 0.7]]));
 * m.result(); // 1
 * ```
 */
export function getMetric(identifier: string | Metric, loss?: string | Loss | LossFunction): Metric {
  if (identifier instanceof Metric) return identifier;
  if (typeof identifier === 'string') {
    const key = normalizeIdentifier(identifier);
    if (key === 'accuracy' || key === 'acc') {
      const lossName = canonicalLossName(loss);
      if (lossName === 'binary_crossentropy') return new BinaryAccuracy({ name: identifier });
      if (lossName === 'sparse_categorical_crossentropy') return new SparseCategoricalAccuracy({ name: identifier });
      if (lossName === 'categorical_crossentropy') return new CategoricalAccuracy({ name: identifier });
      return new AutoAccuracy(identifier);
    }
    const make = ownEntry(METRICS, key);
    if (make) return make(identifier);
  }
  throw configError('getMetric', {
    expected: `unknown metric ${show(identifier)}`,
    hint:
      `valid names are ${METRIC_NAMES.map((n) => `'${n}'`).join(', ')} ` +
      "(camelCase spellings such as 'sparseCategoricalAccuracy' work too) or a Metric instance",
  });
}

/** Class indices from labels [n] or from one-hot / probability rows [n, k] (argmax). */
function classIndices(x: Tensor, role: string, numClasses: number): Int32Array {
  let idx: Tensor;
  if (x.rank === 1) idx = x;
  else if (x.rank === 2 && x.shape[1] === 1) idx = x.reshape([x.shape[0]!]);
  else if (x.rank === 2) idx = x.argmax(-1);
  else
    throw shapeError('confusionMatrix', {
      expected: `${role} must be class indices [n] or rows of scores [n, ${numClasses}]`,
      got: formatShape(x.shape),
    });
  const values = idx.data();
  const out = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const v = Number(values[i]);
    if (!Number.isInteger(v) || v < 0 || v >= numClasses) {
      throw configError('confusionMatrix', {
        expected: `${role} holds class ${v} (at index ${i}), outside [0, ${numClasses})`,
        hint: 'raise numClasses or fix the labels',
      });
    }
    out[i] = v;
  }
  return out;
}

/**
 * The confusion matrix as an int32 tensor [numClasses, numClasses]: entry [i, j] counts samples of
 * true class i predicted as class j (rows are true classes, as in scikit-learn and TensorFlow).
 * yTrue and yPred are class indices [n], or rows of one-hot / probabilities [n, numClasses] that are
 * reduced with argmax.
 *
 * ```ts
 * nr.metrics.confusionMatrix(nr.tensor([0, 1, 1]), nr.tensor([0, 0, 1]), 2).toArray(); // [[1, 0], [1, 1]]
 * ```
 */
export function confusionMatrix(yTrue: Operand, yPred: Operand, numClasses: number): Tensor {
  if (!Number.isInteger(numClasses) || numClasses < 1) {
    throw configError('confusionMatrix', { expected: 'numClasses must be a positive integer', got: show(numClasses) });
  }
  return noGrad(() => {
    const t = classIndices(asTensor(yTrue), 'yTrue', numClasses);
    const p = classIndices(asTensor(yPred), 'yPred', numClasses);
    if (t.length !== p.length) {
      throw shapeError('confusionMatrix', {
        expected: `yTrue has ${t.length} samples but yPred has ${p.length}`,
        rule: `shapes ${formatShape(asTensor(yTrue).shape)} and ${formatShape(asTensor(yPred).shape)}`,
      });
    }
    const counts = new Int32Array(numClasses * numClasses);
    for (let i = 0; i < t.length; i++) counts[t[i]! * numClasses + p[i]!]!++;
    return tensor(counts, [numClasses, numClasses], 'int32');
  });
}
