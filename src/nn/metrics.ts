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
  'auc',
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
  auc: (name) => new AUC({ name }),
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

/*
 * Verification metrics: a pair is scored (a similarity, or a negated distance), and a threshold on
 * the score decides "same". rocCurve, rocAuc and bestThresholdAccuracy are exact over a whole set of
 * scores, as scikit-learn's; AUC is Keras's streaming approximation on fixed thresholds, for compile.
 */

/** Labels (0/1, or booleans) and scores as numbers, checked for one length and finite values. */
function labelsAndScores(yTrue: Operand, scores: Operand, owner: string): { y: Uint8Array; s: Float64Array } {
  // Plain numbers stay doubles: a float32 round trip would move the threshold returned.
  const exact = (x: Operand) => (x instanceof Tensor ? x : tensor(x as never, undefined, 'float64'));
  const t = exact(yTrue);
  const p = exact(scores);
  if (t.size !== p.size || (t.rank > 1 && t.shape.slice(1).some((d) => d !== 1)) || (p.rank > 1 && p.shape.slice(1).some((d) => d !== 1))) {
    throw shapeError(owner, {
      expected: 'yTrue and scores must be one value per sample: [n] or [n, 1] each',
      got: `yTrue ${formatShape(t.shape)} and scores ${formatShape(p.shape)}`,
    });
  }
  const tv = t.data();
  const pv = p.data();
  const y = new Uint8Array(tv.length);
  const s = new Float64Array(pv.length);
  for (let i = 0; i < y.length; i++) {
    const v = Number(tv[i]);
    if (v !== 0 && v !== 1) {
      throw configError(owner, { expected: 'yTrue must hold 0 and 1 (1 = positive, e.g. a same-class pair)', got: `${v} at index ${i}` });
    }
    if (!Number.isFinite(Number(pv[i]))) throw configError(owner, { expected: 'scores must be finite', got: `${pv[i]} at index ${i}` });
    y[i] = v;
    s[i] = Number(pv[i]);
  }
  return { y, s };
}

/** Cumulative true and false positives at each distinct score, from the highest down. */
function distinctCounts(yTrue: Operand, scores: Operand, owner: string) {
  const { y, s } = labelsAndScores(yTrue, scores, owner);
  const order = Array.from(s.keys()).sort((a, b) => s[b]! - s[a]!);
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  let fp = 0;
  order.forEach((idx, k) => {
    if (y[idx]) tp++;
    else fp++;
    // Tied scores are one threshold: only the last of a run of equal scores closes a point.
    if (k === order.length - 1 || s[order[k + 1]!] !== s[idx]) {
      tps.push(tp);
      fps.push(fp);
      thresholds.push(s[idx]!);
    }
  });
  if (tp === 0 || fp === 0) {
    throw configError(owner, {
      expected: 'yTrue must hold both classes (ROC needs positives and negatives)',
      got: `${tp} positive and ${fp} negative samples`,
    });
  }
  return { tps, fps, thresholds, positives: tp, negatives: fp, y, s };
}

/**
 * The ROC curve as scikit-learn's roc_curve: false and true positive rates at each distinct score
 * taken as a threshold (score >= threshold is positive), from the highest score down, with a first
 * point (0, 0) at threshold Infinity (scikit-learn >= 1.3; older versions wrote max + 1). With
 * `dropIntermediate` (default true, as scikit-learn) collinear points are dropped.
 *
 * ```ts
 * const { fpr, tpr, thresholds } = nr.metrics.rocCurve([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]);
 * // fpr [0, 0, 0.5, 0.5, 1], tpr [0, 0.5, 0.5, 1, 1], thresholds [Infinity, 0.8, 0.4, 0.35, 0.1]
 * ```
 */
export function rocCurve(
  yTrue: Operand,
  scores: Operand,
  options: { dropIntermediate?: boolean } = {},
): { fpr: number[]; tpr: number[]; thresholds: number[] } {
  const { dropIntermediate = true } = parseOptions<{ dropIntermediate?: boolean }>('rocCurve', options, {
    keys: { dropIntermediate: is.boolean },
  });
  const c = distinctCounts(yTrue, scores, 'rocCurve');
  let keep = c.tps.map((_, i) => i);
  if (dropIntermediate && keep.length > 2) {
    // scikit-learn keeps the ends and each point where the second difference of fps or tps is not 0.
    keep = keep.filter(
      (i) =>
        i === 0 ||
        i === keep.length - 1 ||
        c.fps[i + 1]! - 2 * c.fps[i]! + c.fps[i - 1]! !== 0 ||
        c.tps[i + 1]! - 2 * c.tps[i]! + c.tps[i - 1]! !== 0,
    );
  }
  return {
    fpr: [0, ...keep.map((i) => c.fps[i]! / c.negatives)],
    tpr: [0, ...keep.map((i) => c.tps[i]! / c.positives)],
    thresholds: [Number.POSITIVE_INFINITY, ...keep.map((i) => c.thresholds[i]!)],
  };
}

/**
 * The area under the ROC curve, exactly (scikit-learn's roc_auc_score for binary labels): the
 * probability that a random positive scores above a random negative, ties counting one half.
 *
 * ```ts
 * nr.metrics.rocAuc([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]); // 0.75
 * ```
 */
export function rocAuc(yTrue: Operand, scores: Operand): number {
  const c = distinctCounts(yTrue, scores, 'rocAuc');
  // Trapezoids between consecutive distinct thresholds: a tie between classes is a diagonal step.
  let area = 0;
  let prevTp = 0;
  let prevFp = 0;
  for (let i = 0; i < c.tps.length; i++) {
    area += (c.fps[i]! - prevFp) * (c.tps[i]! + prevTp);
    prevTp = c.tps[i]!;
    prevFp = c.fps[i]!;
  }
  return area / (2 * c.positives * c.negatives);
}

/**
 * The best accuracy of the rule "score >= threshold is positive" over every threshold, and that
 * threshold: the midpoint between the lowest score taken as positive and the next lower score, so it
 * transfers to new scores (choose it on validation pairs, apply it to test pairs). For distances,
 * where smaller means "same", pass their negation. Ties go to the higher threshold.
 *
 * ```ts
 * nr.metrics.bestThresholdAccuracy([0, 1, 0, 1], [0.1, 0.6, 0.4, 0.9]); // { accuracy: 1, threshold: 0.5 }
 * ```
 */
export function bestThresholdAccuracy(yTrue: Operand, scores: Operand): { accuracy: number; threshold: number } {
  const c = distinctCounts(yTrue, scores, 'bestThresholdAccuracy');
  const n = c.positives + c.negatives;
  // Nothing predicted positive: every negative is right.
  let best = c.negatives;
  let at = -1;
  for (let i = 0; i < c.tps.length; i++) {
    const correct = c.tps[i]! + c.negatives - c.fps[i]!;
    if (correct > best) {
      best = correct;
      at = i;
    }
  }
  const above = at < 0 ? Number.POSITIVE_INFINITY : c.thresholds[at]!;
  const below = at + 1 < c.thresholds.length ? c.thresholds[at + 1]! : Number.NEGATIVE_INFINITY;
  const threshold = at < 0 ? c.thresholds[0]! + 1 : below === Number.NEGATIVE_INFINITY ? above : (above + below) / 2;
  return { accuracy: best / n, threshold };
}

/** Options of the AUC metric (Keras's keras.metrics.AUC, single label). */
export interface AUCOptions {
  /** Thresholds spread evenly over [0, 1] (plus one just below 0 and one just above 1). Default 200. */
  numThresholds?: number;
  /** 'ROC' (default) or 'PR' (precision-recall). */
  curve?: 'ROC' | 'PR';
  /** 'interpolation' (default; for PR, Davis and Goadrich's), 'minoring' or 'majoring'. */
  summationMethod?: 'interpolation' | 'minoring' | 'majoring';
  /** Apply a sigmoid to the predictions first. Default false. */
  fromLogits?: boolean;
  name?: string;
}

/**
 * The area under the ROC (or PR) curve as Keras's streaming AUC: each batch adds its counts of true
 * and false positives and negatives at `numThresholds` fixed thresholds (prediction > threshold is
 * positive), and the result integrates the curve they draw (Riemann sums with interpolated heights).
 * Usable in compile (`metrics: ['auc']` or an instance); predictions are probabilities in [0, 1]
 * (or logits with `fromLogits`); labels 0/1. For an exact value over a whole set, use `rocAuc`.
 *
 * ```ts
 * const m = new nr.metrics.AUC({ numThresholds: 3 });
 * m.updateState(nr.tensor([0, 0, 1, 1]), nr.tensor([0, 0.5, 0.3, 0.9]));
 * m.result(); // 0.75, Keras's documented example
 * ```
 */
export class AUC extends Metric {
  readonly numThresholds: number;
  readonly curve: 'ROC' | 'PR';
  readonly summationMethod: 'interpolation' | 'minoring' | 'majoring';
  readonly fromLogits: boolean;
  private readonly thresholds: Float64Array;
  private counts: { tp: Float64Array; fp: Float64Array; tn: Float64Array; fn: Float64Array };

  constructor(options: AUCOptions = {}) {
    const o = parseOptions<AUCOptions>('AUC', options, {
      keys: {
        name: is.string,
        numThresholds: is.integer,
        curve: is.oneOf('ROC', 'PR'),
        summationMethod: is.oneOf('interpolation', 'minoring', 'majoring'),
        fromLogits: is.boolean,
      },
    });
    super(o.name ?? 'auc');
    this.numThresholds = o.numThresholds ?? 200;
    if (this.numThresholds < 2) throw configError('AUC', { expected: 'numThresholds must be > 1', got: show(this.numThresholds) });
    this.curve = o.curve ?? 'ROC';
    this.summationMethod = o.summationMethod ?? 'interpolation';
    this.fromLogits = o.fromLogits ?? false;
    const n = this.numThresholds;
    // Keras's thresholds: i / (n - 1) inside, and the ends moved out by epsilon so that 0 and 1 fall inside.
    this.thresholds = Float64Array.from({ length: n }, (_, i) => (i === 0 ? -1e-7 : i === n - 1 ? 1 + 1e-7 : i / (n - 1)));
    this.counts = this.emptyCounts();
  }

  private emptyCounts() {
    const n = this.numThresholds;
    return { tp: new Float64Array(n), fp: new Float64Array(n), tn: new Float64Array(n), fn: new Float64Array(n) };
  }

  updateState(yTrue: Operand, yPred: Operand, sampleWeight?: Tensor): void {
    noGrad(() => {
      let p = floatPredictions(asTensor(yPred));
      if (this.fromLogits) p = p.sigmoid();
      const t = alignTargets(asTensor(yTrue), p, 'AUC').data();
      const q = p.data();
      const w = sampleWeight?.data();
      const perSample = w ? q.length / Math.max(w.length, 1) : 1;
      const { tp, fp, tn, fn } = this.counts;
      for (let i = 0; i < q.length; i++) {
        const label = Number(t[i]);
        if (!(label >= 0 && label <= 1)) {
          throw configError(`AUC "${this.name}"`, { expected: 'labels must lie in [0, 1]', got: `${label} at flat index ${i}` });
        }
        const weight = w ? Number(w[Math.floor(i / perSample)]) : 1;
        // Keras counts a soft label as `label` of a positive and `1 - label` of a negative.
        for (let k = 0; k < this.numThresholds; k++) {
          if (q[i]! > this.thresholds[k]!) {
            tp[k] += label * weight;
            fp[k] += (1 - label) * weight;
          } else {
            fn[k] += label * weight;
            tn[k] += (1 - label) * weight;
          }
        }
      }
    });
  }

  result(): number {
    const { tp, fp, tn, fn } = this.counts;
    const n = this.numThresholds;
    const ratio = (a: number, b: number) => (b === 0 ? 0 : a / b);
    if (this.curve === 'PR' && this.summationMethod === 'interpolation') {
      // Davis and Goadrich (2006): precision interpolated linearly in the number of positives predicted.
      let sum = 0;
      for (let i = 0; i < n - 1; i++) {
        const dtp = tp[i]! - tp[i + 1]!;
        const p0 = tp[i]! + fp[i]!;
        const p1 = tp[i + 1]! + fp[i + 1]!;
        const slope = ratio(dtp, Math.max(p0 - p1, 0));
        const intercept = tp[i + 1]! - slope * p1;
        const pRatio = p0 > 0 && p1 > 0 ? ratio(p0, Math.max(p1, 0)) : 1;
        sum += ratio(slope * (dtp + intercept * Math.log(pRatio)), Math.max(tp[i + 1]! + fn[i + 1]!, 0));
      }
      return sum;
    }
    const x = (i: number) => (this.curve === 'ROC' ? ratio(fp[i]!, fp[i]! + tn[i]!) : ratio(tp[i]!, tp[i]! + fn[i]!));
    const y = (i: number) => (this.curve === 'ROC' ? ratio(tp[i]!, tp[i]! + fn[i]!) : ratio(tp[i]!, tp[i]! + fp[i]!));
    const height = { interpolation: (a: number, b: number) => (a + b) / 2, minoring: Math.min, majoring: Math.max }[this.summationMethod];
    let sum = 0;
    for (let i = 0; i < n - 1; i++) sum += (x(i) - x(i + 1)) * height(y(i), y(i + 1));
    return sum;
  }

  resetState(): void {
    this.counts = this.emptyCounts();
  }

  override getState(): Record<string, unknown> {
    const { tp, fp, tn, fn } = this.counts;
    return { tp: Array.from(tp), fp: Array.from(fp), tn: Array.from(tn), fn: Array.from(fn) };
  }

  override setState(state: Record<string, unknown>): void {
    const take = (key: string) => {
      const v = state[key];
      return Array.isArray(v) && v.length === this.numThresholds ? Float64Array.from(v as number[]) : new Float64Array(this.numThresholds);
    };
    this.counts = { tp: take('tp'), fp: take('fp'), tn: take('tn'), fn: take('fn') };
  }
}
