import { configError, epsilon, floatx, formatShape, is, parseOptions, ownEntry, shapeError, show, type KerasName } from '../core/index.js';
import { Tensor, eye, noGrad, ones, tensor } from '../tensor/index.js';
import { cast, clip, oneHot, type Operand } from '../ops/index.js';
import { probabilityCrossentropy, softmaxCrossentropy } from '../ops/crossentropy.js';

/*
 * Losses with Keras 3 semantics. A loss function (`meanSquaredError`, ...) maps yTrue and yPred to
 * one value per sample (it reduces the last axis, as keras.losses.* do); a Loss class wraps it and
 * reduces with 'sum_over_batch_size': sum(loss * sampleWeight) / number of loss values. Everything is
 * composed from differentiable ops, so gradients come from autograd. The one fused loss,
 * FusedSoftmaxCrossentropy (end of the file), is used where it is named: by `compile` for a softmax
 * classifier head, or by a user who builds it.
 */

/** A per-sample loss: `(yTrue, yPred) -> Tensor` with the last axis reduced. */
export type LossFunction = (yTrue: Operand, yPred: Operand) => Tensor;

const isFloatDType = (t: Tensor) => t.dtype === 'float32' || t.dtype === 'float64';

/** yPred as a float tensor (int predictions are cast to floatx()). */
function predictions(yPred: Operand): Tensor {
  const p = yPred instanceof Tensor ? yPred : tensor(yPred as never);
  return isFloatDType(p) ? p : cast(p, floatx());
}

/**
 * Brings yTrue to yPred's shape the way Keras's squeeze_or_expand_to_same_rank does (a trailing
 * axis of size 1 on either side is added or removed), then requires equal shapes: silently
 * broadcasting [32] against [32, 1] into [32, 32] is the classic bug this check prevents.
 */
function alignTrue(yTrue: Operand, p: Tensor, name: string): Tensor {
  let t = yTrue instanceof Tensor ? yTrue : tensor(yTrue as never);
  if (t.rank === p.rank - 1 && p.shape[p.rank - 1] === 1) t = t.reshape([...t.shape, 1]);
  else if (t.rank === p.rank + 1 && t.shape[t.rank - 1] === 1) t = t.reshape(t.shape.slice(0, -1));
  if (t.rank !== p.rank || t.shape.some((d, i) => d !== p.shape[i])) {
    throw shapeError(name, {
      expected: 'yTrue and yPred must have the same shape',
      got: `yTrue ${formatShape(t.shape)} and yPred ${formatShape(p.shape)}`,
      hint: 'pass one target per prediction (for integer class labels use sparse_categorical_crossentropy)',
    });
  }
  if (p.rank === 0) throw shapeError(name, { expected: 'yPred must have at least one axis', got: 'a scalar' });
  return cast(t, p.dtype);
}

/**
 * Mean of squared errors over the last axis.
 *
 * ```ts
 * nr.losses.meanSquaredError(nr.tensor([[0, 1]]), nr.tensor([[1, 1]])).toArray(); // [0.5]
 * ```
 */
export function meanSquaredError(yTrue: Operand, yPred: Operand): Tensor {
  const p = predictions(yPred);
  return alignTrue(yTrue, p, 'meanSquaredError').sub(p).square().mean(-1);
}

/**
 * Mean of absolute errors over the last axis.
 *
 * ```ts
 * nr.losses.meanAbsoluteError(nr.tensor([[0, 1]]), nr.tensor([[1, 3]])).toArray(); // [1.5]
 * ```
 */
export function meanAbsoluteError(yTrue: Operand, yPred: Operand): Tensor {
  const p = predictions(yPred);
  return alignTrue(yTrue, p, 'meanAbsoluteError').sub(p).abs().mean(-1);
}

/**
 * Hinge loss mean(max(1 - yTrue * yPred, 0)) over the last axis. Labels are -1/+1; if every label is
 * 0 or 1 they are mapped to -1/+1 first, as Keras does.
 *
 * ```ts
 * nr.losses.hinge(nr.tensor([[1, 0]]), nr.tensor([[0.5, -2]])).toArray(); // [0.25]
 * ```
 */
export function hinge(yTrue: Operand, yPred: Operand): Tensor {
  const p = predictions(yPred);
  let t = alignTrue(yTrue, p, 'hinge');
  const labels = t.data();
  let binary = true;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== 0 && labels[i] !== 1) {
      binary = false;
      break;
    }
  if (binary) t = t.mul(2).sub(1);
  return t.mul(p).neg().add(1).relu().mean(-1);
}

/**
 * The perceptron criterion mean(max(0, -yTrue * yPred)) over the last axis: zero for a correctly
 * classified sample, -y * (w.x + b) for a misclassified one. It is the "smooth surrogate" of the
 * step unit's error: its gradient with respect to w is -y * x on misclassified samples, so a
 * `Dense({units: 1})` unit with the linear activation trained by plain SGD (batch size 1) on this
 * loss performs Rosenblatt's rule w <- w + eta * y * x; predict with sign(yPred) (or `sign` as the
 * activation of an inference model: training through `sign` has no gradient). Labels are -1/+1; if
 * every label is 0 or 1 they are mapped to -1/+1 first, as for hinge. At yPred = 0 exactly the
 * gradient is 0 (relu'(0) = 0), whereas scikit-learn's Perceptron also updates there.
 *
 * ```ts
 * nr.losses.perceptron(nr.tensor([[1, 0]]), nr.tensor([[0.5, 2]])).toArray(); // [1]
 * ```
 */
export function perceptron(yTrue: Operand, yPred: Operand): Tensor {
  const p = predictions(yPred);
  let t = alignTrue(yTrue, p, 'perceptron');
  const labels = t.data();
  let binary = true;
  for (let i = 0; i < labels.length; i++)
    if (labels[i] !== 0 && labels[i] !== 1) {
      binary = false;
      break;
    }
  if (binary) t = t.mul(2).sub(1);
  return t.mul(p).neg().relu().mean(-1);
}

/** Options of binary crossentropy. */
export interface BinaryCrossentropyOptions {
  /** yPred holds logits (unbounded scores) instead of probabilities. Default false. */
  fromLogits?: boolean;
  /** Moves targets towards 0.5: y * (1 - s) + 0.5 * s. Default 0. */
  labelSmoothing?: number;
}

/**
 * Binary crossentropy, averaged over the last axis. Probabilities are clipped to
 * [epsilon(), 1 - epsilon()] as in Keras; with `fromLogits` the stable form
 * max(x, 0) - x * z + log(1 + exp(-|x|)) is used.
 *
 * ```ts
 * nr.losses.binaryCrossentropy(nr.tensor([[1, 0]]), nr.tensor([[0.9, 0.2]])).toArray(); // [0.164]
 * ```
 */
export function binaryCrossentropy(yTrue: Operand, yPred: Operand, options: BinaryCrossentropyOptions = {}): Tensor {
  const p = predictions(yPred);
  let z = alignTrue(yTrue, p, 'binaryCrossentropy');
  const smoothing = options.labelSmoothing ?? 0;
  checkSmoothing(smoothing, 'binaryCrossentropy');
  if (smoothing > 0) z = z.mul(1 - smoothing).add(0.5 * smoothing);
  if (options.fromLogits) {
    return p.relu().sub(p.mul(z)).add(p.abs().neg().exp().log1p()).mean(-1);
  }
  // Keras clips p to [eps, 1 - eps] and takes log(1 - p); in float32, 1 - eps rounds to 1 - 1.19e-7,
  // which turns -log(eps) = 16.118 into 15.942 at p = 1. Clipping 1 - p itself is the same formula
  // in exact arithmetic and keeps float32 at the float64 value.
  const eps = epsilon();
  const logP = clip(p, eps, 1 - eps).log();
  const logNotP = clip(p.neg().add(1), eps, 1 - eps).log();
  return z.mul(logP).add(z.neg().add(1).mul(logNotP)).neg().mean(-1);
}

/** Options of categorical and sparse categorical crossentropy. */
export interface CategoricalCrossentropyOptions {
  /** yPred holds logits instead of probabilities. Default false. */
  fromLogits?: boolean;
  /** Categorical only: moves one-hot targets towards uniform: y * (1 - s) + s / numClasses. Default 0. */
  labelSmoothing?: number;
}

/**
 * -sum(target * log p) over the last axis, with p = softmax(yPred) or the clipped, normalised yPred:
 * Keras's formula on probabilities, recorded op by op whatever made them (a softmax included; the
 * fused gradient to a softmax's logits is FusedSoftmaxCrossentropy, chosen by name).
 */
function crossentropyWithTargets(z: Tensor, p: Tensor, fromLogits: boolean): Tensor {
  if (fromLogits) return z.mul(p.logSoftmax(-1)).sum(-1).neg();
  return probabilityCrossentropy(z, p, epsilon());
}

/** yTrue aligned with yPred's shape and dtype, moved towards uniform by `smoothing`. */
function categoricalTargets(yTrue: Operand, p: Tensor, smoothing: number): Tensor {
  const z = alignTrue(yTrue, p, 'categoricalCrossentropy');
  checkSmoothing(smoothing, 'categoricalCrossentropy');
  return smoothing > 0 ? z.mul(1 - smoothing).add(smoothing / p.shape[p.rank - 1]!) : z;
}

/**
 * Categorical crossentropy for one-hot (or soft) targets over the last axis.
 *
 * ```ts
 * nr.losses.categoricalCrossentropy(nr.tensor([[0, 1, 0]]), nr.tensor([[0.1, 0.8, 0.1]])).toArray(); // [0.223]
 * ```
 */
export function categoricalCrossentropy(yTrue: Operand, yPred: Operand, options: CategoricalCrossentropyOptions = {}): Tensor {
  const p = predictions(yPred);
  return crossentropyWithTargets(categoricalTargets(yTrue, p, options.labelSmoothing ?? 0), p, options.fromLogits ?? false);
}

/**
 * Categorical crossentropy for integer class labels: yTrue [...batch] (or [...batch, 1]) holds
 * indices into the last axis of yPred [...batch, numClasses]. Labels outside [0, numClasses) are an
 * error (Keras would silently give a loss of 0 for them).
 *
 * ```ts
 * nr.losses.sparseCategoricalCrossentropy(nr.tensor([1]), nr.tensor([[0.1, 0.8, 0.1]])).toArray(); // [0.223]
 * ```
 */
export function sparseCategoricalCrossentropy(yTrue: Operand, yPred: Operand, options: CategoricalCrossentropyOptions = {}): Tensor {
  const p = predictions(yPred);
  const z = sparseTargets(yTrue, p, 'sparseCategoricalCrossentropy');
  return crossentropyWithTargets(z, p, options.fromLogits ?? false);
}

/** Checks integer labels against yPred [...batch, numClasses] and one-hot encodes them in yPred's dtype. */
export function sparseTargets(yTrue: Operand, p: Tensor, name: string): Tensor {
  let t = yTrue instanceof Tensor ? yTrue : tensor(yTrue as never);
  if (p.rank === 0) throw shapeError(name, { expected: 'yPred must be [...batch, numClasses]', got: 'a scalar' });
  const batch = p.shape.slice(0, -1);
  if (t.rank === p.rank && t.shape[t.rank - 1] === 1) t = t.reshape(t.shape.slice(0, -1));
  if (t.rank !== batch.length || t.shape.some((d, i) => d !== batch[i])) {
    throw shapeError(name, {
      expected: `integer labels must have the shape ${formatShape(batch)} for yPred ${formatShape(p.shape)}`,
      got: `yTrue ${formatShape(t.shape)}`,
      hint: 'for one-hot targets use categorical_crossentropy',
    });
  }
  const numClasses = p.shape[p.rank - 1]!;
  const labels = t.data();
  for (let i = 0; i < labels.length; i++) {
    const v = Number(labels[i]);
    if (!Number.isInteger(v)) {
      throw configError(name, {
        expected: 'labels must be integers (class indices)',
        got: `${v} at flat index ${i} of yTrue ${formatShape(t.shape)}`,
        hint: 'round them, or use categorical_crossentropy for one-hot or soft targets',
      });
    }
    if (v < 0 || v >= numClasses) {
      throw configError(name, {
        expected: `label ${v} (at flat index ${i}) is outside [0, ${numClasses}) for yPred with ${numClasses} classes`,
        hint: 'labels must be integer class indices',
      });
    }
  }
  return oneHot(t.dtype === 'int32' ? t : cast(t, 'int32'), numClasses, { dtype: p.dtype });
}

function checkSmoothing(s: number, name: string): void {
  if (!(s >= 0 && s <= 1)) throw configError(name, { expected: 'labelSmoothing must be in [0, 1]', got: show(s) });
}

/** Reductions of per-sample losses; Keras's default is 'sum_over_batch_size'. */
export type Reduction = 'sum_over_batch_size' | 'sum' | 'none';

/** Options shared by every Loss class. */
export interface LossOptions {
  /** Default 'sum_over_batch_size' (the mean over every loss value). */
  reduction?: Reduction;
  /** Defaults to the Keras snake_case name of the loss. */
  name?: string;
}

/** The options of the built-in Loss classes (each parses its own before calling Loss's constructor). */
const LOSS_OPTIONS = {
  keys: { reduction: is.oneOf('sum_over_batch_size', 'sum', 'none'), name: is.string } satisfies Record<keyof LossOptions, unknown>,
};
const SPARSE_CROSSENTROPY_OPTIONS = { keys: { ...LOSS_OPTIONS.keys, fromLogits: is.boolean } };
const CROSSENTROPY_OPTIONS = { keys: { ...SPARSE_CROSSENTROPY_OPTIONS.keys, labelSmoothing: is.number } };

/**
 * The base of the Loss classes: `call(yTrue, yPred, sampleWeight?)` computes the per-sample losses,
 * multiplies them by `sampleWeight` (broadcast over trailing axes) and reduces them.
 *
 * ```ts
 * const loss = new nr.losses.MeanSquaredError();
 * loss.call(nr.tensor([[0, 1], [1, 1]]), nr.tensor([[1, 1], [1, 1]])).item(); // 0.25
 * ```
 */
export abstract class Loss {
  readonly name: string;
  readonly reduction: Reduction;

  constructor(defaultName: string, options: LossOptions = {}) {
    this.name = options.name ?? defaultName;
    this.reduction = options.reduction ?? 'sum_over_batch_size';
    if (!['sum_over_batch_size', 'sum', 'none'].includes(this.reduction)) {
      throw configError(this.constructor.name, {
        expected: `unknown reduction ${show(this.reduction)}`,
        hint: "use 'sum_over_batch_size', 'sum' or 'none'",
      });
    }
  }

  /** The per-sample losses, with the last axis reduced. */
  abstract fn(yTrue: Operand, yPred: Operand): Tensor;

  /** The reduced loss (a scalar unless reduction is 'none'). */
  call(yTrue: Operand, yPred: Operand, sampleWeight?: Operand): Tensor {
    return this.reduce(this.fn(yTrue, yPred), sampleWeight);
  }

  /** Per-sample losses multiplied by `sampleWeight` (broadcast over trailing axes), then reduced as this loss reduces. */
  reduce(values: Tensor, sampleWeight?: Operand): Tensor {
    if (sampleWeight !== undefined) {
      let w = sampleWeight instanceof Tensor ? sampleWeight : tensor(sampleWeight as never);
      if (w.rank === values.rank + 1 && w.shape[w.rank - 1] === 1) w = w.reshape(w.shape.slice(0, -1));
      if (w.rank > values.rank || w.shape.some((d, i) => d !== values.shape[i])) {
        throw shapeError(this.name, {
          expected: `sampleWeight ${formatShape(w.shape)} does not match the per-sample losses ${formatShape(values.shape)}`,
          hint: 'pass one weight per sample',
        });
      }
      while (w.rank < values.rank) w = w.reshape([...w.shape, 1]);
      values = values.mul(cast(w, values.dtype));
    }
    if (this.reduction === 'none') return values;
    if (this.reduction === 'sum') return values.sum();
    // The mean op is sum / count as one node; an empty batch gives 0 (sum 0 over at least 1).
    return values.size > 0 ? values.mean() : values.sum();
  }

  /** Keras-style config: the options the constructor takes. */
  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction };
  }
}

/** The losses that are one per-sample function plus the options every loss takes (name, reduction). */
export abstract class PerSampleLoss extends Loss {
  protected constructor(
    className: string,
    defaultName: string,
    options: LossOptions,
    private readonly perSample: (yTrue: Operand, yPred: Operand) => Tensor,
  ) {
    super(defaultName, parseOptions(className, options, LOSS_OPTIONS));
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return this.perSample(yTrue, yPred);
  }
}

/**
 * Mean squared error; `new nr.losses.MeanSquaredError().call(yTrue, yPred)` is the batch mean.
 *
 * ```ts
 * new nr.losses.MeanSquaredError().call(nr.tensor([[0], [2]]), nr.tensor([[1], [2]])).item(); // 0.5
 * ```
 */
export class MeanSquaredError extends PerSampleLoss {
  constructor(options: LossOptions = {}) {
    super('MeanSquaredError', 'mean_squared_error', options, meanSquaredError);
  }
}

/**
 * Mean absolute error.
 *
 * ```ts
 * new nr.losses.MeanAbsoluteError().call(nr.tensor([[0], [2]]), nr.tensor([[1], [2]])).item(); // 0.5
 * ```
 */
export class MeanAbsoluteError extends PerSampleLoss {
  constructor(options: LossOptions = {}) {
    super('MeanAbsoluteError', 'mean_absolute_error', options, meanAbsoluteError);
  }
}

/**
 * Hinge loss (labels -1/+1, or 0/1 converted).
 *
 * ```ts
 * new nr.losses.Hinge().call(nr.tensor([[1], [-1]]), nr.tensor([[0.5], [-2]])).item(); // 0.25
 * ```
 */
export class Hinge extends PerSampleLoss {
  constructor(options: LossOptions = {}) {
    super('Hinge', 'hinge', options, hinge);
  }
}

/**
 * The perceptron criterion max(0, -y * yPred) (labels -1/+1, or 0/1 converted); see `perceptron`.
 *
 * ```ts
 * new nr.losses.PerceptronCriterion().call(nr.tensor([[1], [-1]]), nr.tensor([[0.5], [2]])).item(); // 1
 * ```
 */
export class PerceptronCriterion extends PerSampleLoss {
  constructor(options: LossOptions = {}) {
    super('PerceptronCriterion', 'perceptron', options, perceptron);
  }
}

/** What the crossentropy losses share: the `fromLogits` option, parsed by the subclass, and its config. */
export abstract class CrossentropyLoss extends Loss {
  readonly fromLogits: boolean;
  protected constructor(defaultName: string, options: { fromLogits?: boolean } & LossOptions) {
    super(defaultName, options);
    this.fromLogits = options.fromLogits ?? false;
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), fromLogits: this.fromLogits };
  }
}

/** The crossentropy losses that also take `labelSmoothing` (binary and categorical; the sparse one does not, as in Keras). */
export abstract class SmoothedCrossentropyLoss extends CrossentropyLoss {
  readonly labelSmoothing: number;
  protected constructor(className: string, defaultName: string, raw: CategoricalCrossentropyOptions & LossOptions) {
    const options = parseOptions<CategoricalCrossentropyOptions & LossOptions>(className, raw, CROSSENTROPY_OPTIONS);
    super(defaultName, options);
    this.labelSmoothing = options.labelSmoothing ?? 0;
    checkSmoothing(this.labelSmoothing, className);
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), labelSmoothing: this.labelSmoothing };
  }
}

/**
 * Binary crossentropy: options `fromLogits` (default false), `labelSmoothing` (default 0).
 *
 * ```ts
 * const bce = new nr.losses.BinaryCrossentropy({ fromLogits: true });
 * bce.call(nr.tensor([[1], [0]]), nr.tensor([[100], [-100]])).item(); // ~0
 * ```
 */
export class BinaryCrossentropy extends SmoothedCrossentropyLoss {
  constructor(options: BinaryCrossentropyOptions & LossOptions = {}) {
    super('BinaryCrossentropy', 'binary_crossentropy', options);
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return binaryCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Categorical crossentropy for one-hot targets: options `fromLogits`, `labelSmoothing`.
 *
 * ```ts
 * const cce = new nr.losses.CategoricalCrossentropy({ fromLogits: true });
 * cce.call(nr.tensor([[0, 1]]), nr.tensor([[0, 0]])).item(); // log 2 = 0.693
 * ```
 */
export class CategoricalCrossentropy extends SmoothedCrossentropyLoss {
  constructor(options: CategoricalCrossentropyOptions & LossOptions = {}) {
    super('CategoricalCrossentropy', 'categorical_crossentropy', options);
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return categoricalCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits, labelSmoothing: this.labelSmoothing });
  }
}

/**
 * Categorical crossentropy for integer labels: option `fromLogits`.
 *
 * ```ts
 * const loss = new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true });
 * loss.call(nr.tensor([1, 0], undefined, 'int32'), nr.tensor([[0, 0], [0, 0]])).item(); // 0.693
 * ```
 */
export class SparseCategoricalCrossentropy extends CrossentropyLoss {
  constructor(raw: { fromLogits?: boolean } & LossOptions = {}) {
    super(
      'sparse_categorical_crossentropy',
      parseOptions<{ fromLogits?: boolean } & LossOptions>('SparseCategoricalCrossentropy', raw, SPARSE_CROSSENTROPY_OPTIONS),
    );
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return sparseCategoricalCrossentropy(yTrue, yPred, { fromLogits: this.fromLogits });
  }
}

/** 'categoricalCrossentropy', 'categorical_crossentropy', 'CategoricalCrossentropy' -> 'categoricalcrossentropy'. */
export function normalizeIdentifier(name: string): string {
  return name.replace(/_/g, '').toLowerCase();
}

const LOSSES: Record<string, { canonical: string; make: () => Loss }> = {};
for (const [canonical, make, aliases] of [
  ['mean_squared_error', () => new MeanSquaredError(), ['mse']],
  ['mean_absolute_error', () => new MeanAbsoluteError(), ['mae']],
  ['hinge', () => new Hinge(), []],
  ['perceptron', () => new PerceptronCriterion(), ['perceptron_criterion']],
  ['binary_crossentropy', () => new BinaryCrossentropy(), ['bce']],
  ['categorical_crossentropy', () => new CategoricalCrossentropy(), ['cce']],
  ['sparse_categorical_crossentropy', () => new SparseCategoricalCrossentropy(), ['scce']],
  ['contrastive', () => new ContrastiveLoss(), ['contrastive_loss']],
  ['batch_hard_triplet', () => new BatchHardTripletLoss(), ['triplet_hard']],
  ['batch_all_triplet', () => new BatchAllTripletLoss(), []],
] as const) {
  for (const key of [canonical, ...aliases]) LOSSES[normalizeIdentifier(key)] = { canonical, make };
}

/** The Keras snake_case names (and aliases) getLoss accepts. */
export const LOSS_NAMES = [
  'mean_squared_error',
  'mse',
  'mean_absolute_error',
  'mae',
  'hinge',
  'perceptron',
  'perceptron_criterion',
  'binary_crossentropy',
  'bce',
  'categorical_crossentropy',
  'cce',
  'sparse_categorical_crossentropy',
  'scce',
  'contrastive',
  'contrastive_loss',
  'batch_hard_triplet',
  'triplet_hard',
  'batch_all_triplet',
] as const;

/** The loss names the types accept (any spelling of them works at run time, see KerasName). */
export type LossName = KerasName<(typeof LOSS_NAMES)[number]>;

/** A loss wrapping a user function `(yTrue, yPred) => per-sample losses`. */
class FunctionLoss extends Loss {
  constructor(private readonly lossFn: LossFunction) {
    super(lossFn.name || 'custom_loss');
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return this.lossFn(yTrue, yPred);
  }
}

/**
 * Resolves a loss identifier: a name in snake_case or camelCase (`'categorical_crossentropy'`,
 * `'categoricalCrossentropy'`, `'CategoricalCrossentropy'`, aliases `'mse'`, `'mae'`, `'bce'`,
 * `'cce'`, `'scce'`), a Loss instance (returned as is) or a per-sample function (wrapped).
 *
 * ```ts
 * const loss = nr.losses.getLoss('sparseCategoricalCrossentropy');
 * console.log(loss.name); // 'sparse_categorical_crossentropy'
 * ```
 */
export function getLoss(identifier: string | Loss | LossFunction): Loss {
  if (identifier instanceof Loss) return identifier;
  if (typeof identifier === 'function') return new FunctionLoss(identifier);
  if (typeof identifier === 'string') {
    const entry = ownEntry(LOSSES, normalizeIdentifier(identifier));
    if (entry) return entry.make();
  }
  throw configError('getLoss', {
    expected: `unknown loss ${show(identifier)}`,
    hint:
      `valid names are ${LOSS_NAMES.map((n) => `'${n}'`).join(', ')} (camelCase spellings such as 'categoricalCrossentropy' work too), ` +
      'a Loss instance or a function (yTrue, yPred) => Tensor',
  });
}

/** The canonical snake_case name of a loss identifier, or undefined when it is not a built-in name. */
export function canonicalLossName(identifier: string | Loss | LossFunction | undefined): string | undefined {
  if (identifier === undefined) return undefined;
  if (identifier instanceof Loss)
    return (
      ownEntry(LOSSES, normalizeIdentifier(identifier.constructor.name))?.canonical ??
      ownEntry(LOSSES, normalizeIdentifier(identifier.name))?.canonical
    );
  if (typeof identifier === 'string') return ownEntry(LOSSES, normalizeIdentifier(identifier))?.canonical;
  return undefined;
}

/**
 * Categorical (or sparse categorical) crossentropy on the output of a softmax over the last axis,
 * fused with that softmax: `call(yTrue, probabilities, logits, sampleWeight?)` where
 * `probabilities = nr.softmax(logits)` was computed in the same graph. The value is bit for bit what
 * `loss.call(yTrue, probabilities, sampleWeight)` gives (Keras's clipped formula on the
 * probabilities, label smoothing, sample weights and reduction included); the gradient goes from
 * each per-sample loss to the logits in one step (ops/crossentropy.ts, `softmaxCrossentropy`),
 * instead of back through the formula's ten-odd ops and the softmax. Equal in exact arithmetic, it
 * differs from autograd of the formula only by rounding. The probabilities themselves get no
 * gradient from it, and the targets must be constants.
 *
 * Where it is used: `model.compile` builds one (`FusedSoftmaxCrossentropy.of`) for each output that
 * a built-in layer computes as a softmax over the last axis (Dense or Activation with activation
 * 'softmax', a Softmax layer over the last axis) and whose loss is the built-in categorical or sparse
 * categorical crossentropy on probabilities, and fit's training step calls it with the output's
 * logits. A custom activation or loss function, `fromLogits`, a subclassed model, evaluation,
 * prediction and metrics use the plain loss, and so does calling a loss on probabilities yourself.
 * In a training loop of your own, name it:
 *
 * ```ts
 * const fused = new nr.losses.FusedSoftmaxCrossentropy(new nr.losses.SparseCategoricalCrossentropy());
 * const logits = nr.tensor([[2, 0, -1], [0.5, 0.5, 3]]);
 * logits.requiresGrad = true;
 * const loss = fused.call(nr.tensor([0, 2], undefined, 'int32'), nr.softmax(logits), logits);
 * loss.backward(); // logits.grad = (softmax(logits) - onehot) / 2
 * ```
 */
export class FusedSoftmaxCrossentropy {
  /** The loss whose value this computes (its name, reduction and label smoothing apply). */
  readonly loss: CategoricalCrossentropy | SparseCategoricalCrossentropy;

  constructor(loss: CategoricalCrossentropy | SparseCategoricalCrossentropy) {
    if (!(loss instanceof CategoricalCrossentropy || loss instanceof SparseCategoricalCrossentropy)) {
      throw configError('FusedSoftmaxCrossentropy', {
        expected: 'the loss must be a CategoricalCrossentropy or SparseCategoricalCrossentropy',
        got: show(loss),
      });
    }
    if (loss.fromLogits) {
      throw configError('FusedSoftmaxCrossentropy', {
        expected: 'the loss must take probabilities',
        got: `${loss.constructor.name} with fromLogits: true`,
        hint: 'a loss from logits already skips the softmax; call it on the logits instead',
      });
    }
    this.loss = loss;
  }

  /**
   * The fused form of `loss` when it is the built-in categorical or sparse categorical crossentropy
   * on probabilities (not a subclass, whose `fn` may compute something else), else null.
   */
  static of(loss: Loss): FusedSoftmaxCrossentropy | null {
    const builtIn = loss.constructor === CategoricalCrossentropy || loss.constructor === SparseCategoricalCrossentropy;
    return builtIn && !(loss as CrossentropyLoss).fromLogits ? new FusedSoftmaxCrossentropy(loss as CategoricalCrossentropy) : null;
  }

  get name(): string {
    return this.loss.name;
  }

  /** The per-sample losses (last axis reduced), as `loss.fn(yTrue, probabilities)` gives them. */
  fn(yTrue: Operand, probabilities: Tensor, logits: Tensor): Tensor {
    const p = probabilities;
    const z =
      this.loss instanceof SparseCategoricalCrossentropy
        ? sparseTargets(yTrue, p, 'sparseCategoricalCrossentropy')
        : categoricalTargets(yTrue, p, this.loss.labelSmoothing);
    return softmaxCrossentropy(z, p, logits, epsilon());
  }

  /** The reduced loss, as `loss.call(yTrue, probabilities, sampleWeight)` gives it. */
  call(yTrue: Operand, probabilities: Tensor, logits: Tensor, sampleWeight?: Operand): Tensor {
    return this.loss.reduce(this.fn(yTrue, probabilities, logits), sampleWeight);
  }
}

/*
 * Metric learning. The contrastive and batch-mining losses fit `compile` (yTrue, yPred); the triplet
 * margin loss takes three embeddings, as PyTorch's does, and is called in a training loop of one's own.
 */

/** Options of the contrastive loss. */
export interface ContrastiveOptions {
  /** How far apart dissimilar pairs are pushed: they cost nothing beyond it. Default 1. */
  margin?: number;
}

function checkMargin(margin: number, owner: string, positive = false): void {
  if (!Number.isFinite(margin) || margin < 0 || (positive && margin === 0)) {
    throw configError(owner, { expected: `margin must be a finite number ${positive ? '> 0' : '>= 0'}`, got: show(margin) });
  }
}

/**
 * The contrastive loss of Hadsell, Chopra and LeCun (2006), as TF-Addons writes it: for a pair at
 * distance d (yPred) with yTrue = 1 for a similar pair and 0 for a dissimilar one, y d^2 + (1 - y)
 * max(margin - d, 0)^2, averaged over the last axis. Labels must lie in [0, 1].
 *
 * ```ts
 * nr.losses.contrastive(nr.tensor([[1], [0]]), nr.tensor([[0.5], [0.25]])).toArray(); // [0.25, 0.5625]
 * ```
 */
export function contrastive(yTrue: Operand, yPred: Operand, options: ContrastiveOptions = {}): Tensor {
  const margin = options.margin ?? 1;
  checkMargin(margin, 'contrastive');
  const d = predictions(yPred);
  const y = alignTrue(yTrue, d, 'contrastive');
  const labels = y.data();
  for (let i = 0; i < labels.length; i++) {
    if (!(labels[i]! >= 0 && labels[i]! <= 1)) {
      throw configError('contrastive', {
        expected: 'yTrue must be 1 for a similar pair and 0 for a dissimilar one',
        got: `${labels[i]} at flat index ${i}`,
        hint: 'pass same-or-not pair labels, not class labels (nr.data.makePairs gives them)',
      });
    }
  }
  const pull = y.mul(d.square());
  const push = y.neg().add(1).mul(d.neg().add(margin).relu().square());
  return pull.add(push).mean(-1);
}

/**
 * Contrastive loss (see `contrastive`): yTrue 1 = similar pair, yPred = the pair's distance.
 * Options `margin` (default 1), `reduction`, `name`.
 *
 * ```ts
 * new nr.losses.ContrastiveLoss({ margin: 1 }).call(nr.tensor([[1], [0]]), nr.tensor([[0.5], [0.25]])).item(); // 0.40625
 * ```
 */
export class ContrastiveLoss extends Loss {
  readonly margin: number;
  constructor(raw: ContrastiveOptions & LossOptions = {}) {
    const options = parseOptions<ContrastiveOptions & LossOptions>('ContrastiveLoss', raw, {
      keys: { ...LOSS_OPTIONS.keys, margin: is.number },
    });
    super('contrastive', options);
    this.margin = options.margin ?? 1;
    checkMargin(this.margin, 'ContrastiveLoss');
  }
  fn(yTrue: Operand, yPred: Operand): Tensor {
    return contrastive(yTrue, yPred, { margin: this.margin });
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), margin: this.margin };
  }
}

/** Options of the triplet margin loss (PyTorch's nn.TripletMarginLoss). */
export interface TripletMarginOptions {
  /** Default 1. */
  margin?: number;
  /** The norm of the distance (p >= 1). Default 2. */
  p?: number;
  /** Added to each difference before the norm, as PyTorch's pairwise_distance does. Default 1e-6. */
  eps?: number;
  /** Uses min(d(a, n), d(p, n)) as the negative distance (Balntas et al. 2016). Default false. */
  swap?: boolean;
}

function checkTripletOptions(o: TripletMarginOptions, owner: string): Required<TripletMarginOptions> {
  const { margin = 1, p = 2, eps = 1e-6, swap = false } = o;
  checkMargin(margin, owner);
  if (!(p >= 1 && Number.isFinite(p))) throw configError(owner, { expected: 'p must be a finite number >= 1', got: show(p) });
  if (!(eps >= 0 && Number.isFinite(eps))) throw configError(owner, { expected: 'eps must be a finite number >= 0', got: show(eps) });
  return { margin, p, eps, swap };
}

/** ||a - b + eps||_p over the last axis (PyTorch's pairwise_distance). */
function pairwiseDistance(a: Tensor, b: Tensor, p: number, eps: number): Tensor {
  const diff = a.sub(b).add(eps);
  if (p === 2) return diff.square().sum(-1).sqrt();
  if (p === 1) return diff.abs().sum(-1);
  return diff
    .abs()
    .pow(p)
    .sum(-1)
    .pow(1 / p);
}

/**
 * The triplet margin loss per triplet, max(d(a, p) - d(a, n) + margin, 0) with d the p-norm of the
 * difference (PyTorch's F.triplet_margin_loss with reduction 'none'). anchor, positive and negative
 * are embeddings [batch, dim] (or [dim]); the result is [batch].
 *
 * ```ts
 * const a = nr.tensor([[0, 0]]);
 * nr.losses.tripletMarginLoss(a, nr.tensor([[0, 1]]), nr.tensor([[0, 1.5]]), { eps: 0 }).toArray(); // [0.5]
 * ```
 */
export function tripletMarginLoss(anchor: Operand, positive: Operand, negative: Operand, options: TripletMarginOptions = {}): Tensor {
  const { margin, p, eps, swap } = checkTripletOptions(options, 'tripletMarginLoss');
  const [a, pos, neg] = [anchor, positive, negative].map(predictions) as [Tensor, Tensor, Tensor];
  if (a.rank < 1 || a.rank > 2 || [pos, neg].some((t) => t.rank !== a.rank || t.shape.some((d, i) => d !== a.shape[i]))) {
    throw shapeError('tripletMarginLoss', {
      expected: 'anchor, positive and negative must be embeddings of one shape [batch, dim] (or [dim])',
      got: `${formatShape(a.shape)}, ${formatShape(pos.shape)} and ${formatShape(neg.shape)}`,
    });
  }
  const dPos = pairwiseDistance(a, pos, p, eps);
  let dNeg = pairwiseDistance(a, neg, p, eps);
  if (swap) dNeg = dNeg.minimum(pairwiseDistance(pos, neg, p, eps));
  return dPos.sub(dNeg).add(margin).relu();
}

/**
 * PyTorch's nn.TripletMarginLoss: `call(anchor, positive, negative)` averages `tripletMarginLoss`
 * over the batch (reduction 'sum_over_batch_size', also spelt 'mean'; or 'sum', 'none'). It takes
 * three embeddings, so it serves a training loop of one's own rather than `compile`; for `compile`
 * use the batch-mining losses on (labels, embeddings).
 *
 * ```ts
 * const loss = new nr.losses.TripletMarginLoss({ margin: 1 });
 * loss.call(nr.tensor([[0, 0]]), nr.tensor([[0, 1]]), nr.tensor([[0, 1.5]])).item(); // ~0.5
 * ```
 */
export class TripletMarginLoss {
  readonly name: string;
  readonly reduction: Reduction;
  readonly options: Required<TripletMarginOptions>;
  constructor(raw: TripletMarginOptions & Omit<LossOptions, 'reduction'> & { reduction?: Reduction | 'mean' } = {}) {
    const o = parseOptions<TripletMarginOptions & LossOptions>('TripletMarginLoss', raw, {
      keys: {
        ...LOSS_OPTIONS.keys,
        reduction: is.oneOf('sum_over_batch_size', 'mean', 'sum', 'none'),
        margin: is.number,
        p: is.number,
        eps: is.number,
        swap: is.boolean,
      },
    });
    this.options = checkTripletOptions(o, 'TripletMarginLoss');
    this.name = o.name ?? 'triplet_margin';
    this.reduction = (o.reduction as string) === 'mean' ? 'sum_over_batch_size' : (o.reduction ?? 'sum_over_batch_size');
  }
  call(anchor: Operand, positive: Operand, negative: Operand): Tensor {
    const values = tripletMarginLoss(anchor, positive, negative, this.options);
    if (this.reduction === 'none') return values;
    return this.reduction === 'sum' || values.size === 0 ? values.sum() : values.mean();
  }
  getConfig(): Record<string, unknown> {
    return { name: this.name, reduction: this.reduction, ...this.options };
  }
}

/** Options of the batch-mining triplet losses. */
export interface BatchTripletOptions {
  /** Default 1. */
  margin?: number;
  /** Squared Euclidean distances instead of Euclidean ones. Default false. */
  squared?: boolean;
}

/**
 * Euclidean (or squared) distances [B, B] between the rows of embeddings [B, D], from the Gram
 * matrix. The square root is taken only where the squared distance is > 0, with a zero gradient
 * elsewhere: sqrt'(0) is infinite, and the diagonal is always 0.
 */
function pairwiseDistances(e: Tensor, squared: boolean): Tensor {
  const sq = e.square().sum(-1);
  const n = e.shape[0]!;
  const off = ones([n, n], e.dtype).sub(eye(n, n, e.dtype));
  const d2 = sq
    .reshape([n, 1])
    .add(sq.reshape([1, n]))
    .sub(e.matmul(e, { transposeB: true }).mul(2))
    .relu()
    .mul(off);
  if (squared) return d2;
  const positive = cast(d2.greater(0), e.dtype);
  return d2.add(positive.neg().add(1)).sqrt().mul(positive);
}

/** The labels [B] (from [B] or [B, 1]) and embeddings [B, D] of a batch-mining loss, checked. */
function labelledEmbeddings(yTrue: Operand, yPred: Operand, owner: string): { labels: Float64Array; e: Tensor } {
  const e = predictions(yPred);
  const t = yTrue instanceof Tensor ? yTrue : tensor(yTrue as never);
  const n = e.shape[0];
  const labelShapeOk = (t.rank === 1 || (t.rank === 2 && t.shape[1] === 1)) && t.shape[0] === n;
  if (e.rank !== 2 || !labelShapeOk) {
    throw shapeError(owner, {
      expected: 'yTrue must be class labels [batch] (or [batch, 1]) and yPred embeddings [batch, dim]',
      got: `yTrue ${formatShape(t.shape)} and yPred ${formatShape(e.shape)}`,
      hint: "the model outputs one embedding per sample; pass each sample's class as its target",
    });
  }
  return { labels: Float64Array.from(t.data() as ArrayLike<number>), e };
}

/** The reductions of the batch-mining losses: their average over anchors or triplets, or per anchor. */
abstract class MiningLoss extends Loss {
  readonly margin: number;
  readonly squared: boolean;
  constructor(className: string, defaultName: string, options: BatchTripletOptions & LossOptions) {
    super(defaultName, options);
    if (this.reduction === 'sum') {
      throw configError(className, {
        expected: "reduction must be 'sum_over_batch_size' (the average over anchors or triplets) or 'none' (per anchor)",
        got: "'sum'",
      });
    }
    this.margin = options.margin ?? 1;
    this.squared = options.squared ?? false;
    checkMargin(this.margin, className);
  }
  /** The loss values, their weights (0 where a value does not count) and the anchor of each. */
  protected abstract terms(labels: Float64Array, e: Tensor): { values: Tensor; counted: Tensor; perAnchor: number };
  /** Per anchor: the mean of its counted terms (0 when none counts). */
  fn(yTrue: Operand, yPred: Operand): Tensor {
    const { labels, e } = labelledEmbeddings(yTrue, yPred, this.constructor.name);
    const { values, counted, perAnchor } = this.terms(labels, e);
    const n = labels.length;
    const count = counted.reshape([n, perAnchor]).sum(-1);
    return values.mul(counted).reshape([n, perAnchor]).sum(-1).div(count.maximum(1));
  }
  /** The mean over every counted term, each weighted by its anchor's sampleWeight; 0 when none counts. */
  override call(yTrue: Operand, yPred: Operand, sampleWeight?: Operand): Tensor {
    if (this.reduction === 'none') return this.reduce(this.fn(yTrue, yPred), sampleWeight);
    const { labels, e } = labelledEmbeddings(yTrue, yPred, this.constructor.name);
    const n = labels.length;
    let { values, counted, perAnchor } = this.terms(labels, e);
    if (sampleWeight !== undefined) {
      const w = cast(sampleWeight instanceof Tensor ? sampleWeight : tensor(sampleWeight as never), e.dtype);
      if (w.size !== n) {
        throw shapeError(this.name, { expected: `one sampleWeight per sample (${n})`, got: `sampleWeight ${formatShape(w.shape)}` });
      }
      counted = counted
        .reshape([n, perAnchor])
        .mul(w.reshape([n, 1]))
        .reshape(counted.shape);
    }
    return values.mul(counted).sum().div(Math.max(counted.sum().item(), 1e-16));
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), margin: this.margin, squared: this.squared };
  }
}

const MINING_OPTIONS = { keys: { ...LOSS_OPTIONS.keys, margin: is.number, squared: is.boolean } };

/** [B, B] masks as float tensors: same label (off the diagonal), and different label. */
function labelMasks(labels: Float64Array, dtype: Tensor['dtype']): { positive: Tensor; negative: Tensor } {
  const n = labels.length;
  const pos = new Float64Array(n * n);
  const neg = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) {
      if (labels[i] === labels[j]) pos[i * n + j] = i === j ? 0 : 1;
      else neg[i * n + j] = 1;
    }
  return { positive: cast(tensor(pos, [n, n], 'float64'), dtype), negative: cast(tensor(neg, [n, n], 'float64'), dtype) };
}

export interface BatchHardTripletOptions extends BatchTripletOptions {
  /** Soft margin: log(1 + exp(d_pos - d_neg)) instead of the hinge, and `margin` unused. Default false. */
  soft?: boolean;
}

/**
 * The "batch hard" triplet loss of Hermans, Beyer and Leibe (2017) on (labels [batch], embeddings
 * [batch, dim]): for each anchor, its farthest positive and its nearest negative in the batch,
 * max(d_pos - d_neg + margin, 0), averaged over the anchors that have both (an anchor alone in its
 * class, or a batch of one class, counts for nothing). Usable from compile:
 * `model.compile({loss: 'batch_hard_triplet'})` with class labels as targets.
 *
 * ```ts
 * // points 0, 1 | 1.5, 3 on a line: hardest gaps 1 - 1.5, 1 - 0.5, 1.5 - 0.5, 1.5 - 2
 * const loss = new nr.losses.BatchHardTripletLoss({ margin: 1 });
 * loss.call(nr.tensor([0, 0, 1, 1]), nr.tensor([[0], [1], [1.5], [3]])).item(); // (0.5 + 1.5 + 2 + 0.5) / 4 = 1.125
 * ```
 */
export class BatchHardTripletLoss extends MiningLoss {
  readonly soft: boolean;
  constructor(raw: BatchHardTripletOptions & LossOptions = {}) {
    const options = parseOptions<BatchHardTripletOptions & LossOptions>('BatchHardTripletLoss', raw, {
      keys: { ...MINING_OPTIONS.keys, soft: is.boolean },
    });
    super('BatchHardTripletLoss', 'batch_hard_triplet', options);
    this.soft = options.soft ?? false;
  }
  protected terms(labels: Float64Array, e: Tensor): { values: Tensor; counted: Tensor; perAnchor: number } {
    const d = pairwiseDistances(e, this.squared);
    const { positive, negative } = labelMasks(labels, e.dtype);
    // Distances are >= 0, so masking with 0 leaves the farthest positive; the nearest negative is
    // found after lifting every non-negative entry above the largest distance.
    const hardestPositive = d.mul(positive).max(-1);
    const lift = noGrad(() => d.max().item()) + 1;
    const hardestNegative = d.add(negative.neg().add(1).mul(lift)).min(-1);
    const gap = hardestPositive.sub(hardestNegative);
    const values = this.soft ? gap.softplus() : gap.add(this.margin).relu();
    const counted = positive.max(-1).mul(negative.max(-1));
    return { values, counted, perAnchor: 1 };
  }
  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), soft: this.soft };
  }
}

/**
 * The "batch all" triplet loss of Hermans et al. (2017) on (labels [batch], embeddings [batch, dim]):
 * max(d(a, p) - d(a, n) + margin, 0) over every valid triplet of the batch (a != p of one class, n
 * of another), averaged over the triplets whose loss is > 0, as is standard (averaging over all
 * would let the many easy triplets wash the gradient out). Usable from compile as 'batch_all_triplet'.
 *
 * ```ts
 * // of the 8 triplets of points 0, 1 | 1.5, 3, five have a loss > 0: 0.5, 1.5, 1, 2, 0.5
 * const loss = new nr.losses.BatchAllTripletLoss({ margin: 1 });
 * loss.call(nr.tensor([0, 0, 1, 1]), nr.tensor([[0], [1], [1.5], [3]])).item(); // 5.5 / 5 = 1.1
 * ```
 */
export class BatchAllTripletLoss extends MiningLoss {
  constructor(raw: BatchTripletOptions & LossOptions = {}) {
    super(
      'BatchAllTripletLoss',
      'batch_all_triplet',
      parseOptions<BatchTripletOptions & LossOptions>('BatchAllTripletLoss', raw, MINING_OPTIONS),
    );
  }
  protected terms(labels: Float64Array, e: Tensor): { values: Tensor; counted: Tensor; perAnchor: number } {
    const n = labels.length;
    const d = pairwiseDistances(e, this.squared);
    const { positive, negative } = labelMasks(labels, e.dtype);
    const valid = positive.reshape([n, n, 1]).mul(negative.reshape([n, 1, n]));
    const values = d
      .reshape([n, n, 1])
      .sub(d.reshape([n, 1, n]))
      .add(this.margin)
      .relu();
    const counted = noGrad(() => cast(values.greater(1e-16), e.dtype).mul(valid));
    return { values, counted, perAnchor: n * n };
  }
}

// Shared with metrics.ts so both use one copy of the shape rules (internal: not documented API).
export { alignTrue as alignTargets, predictions as floatPredictions };
