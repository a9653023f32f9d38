import { configError, is, normalizeAxis, shapeError, show } from '../../../core/index.js';
import { Tensor, tensor, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import {
  Layer,
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';

/** A statistic given in the options: a number (every entry) or nested arrays aligned with the last kept axes. */
export type Statistic = number | readonly Statistic[];

export interface NormalizationOptions extends LayerOptions {
  /** The axes that keep their own mean and variance (default -1, the channels); null: one for everything. */
  axis?: number | readonly number[] | null;
  /** A fixed mean (give `variance` too); without it the layer has weights that `adapt` sets. */
  mean?: Statistic | null;
  /** A fixed variance, of `mean`'s shape. */
  variance?: Statistic | null;
  /** Undo the normalization instead: `mean + x * sqrt(variance)` (default false). */
  invert?: boolean;
}

/** What `adapt` reads: a tensor, or batches (tensors, or `[x, y]` pairs whose x is read), sync or async. */
export type AdaptData = Tensor | Iterable<Tensor | readonly [Tensor, ...unknown[]]>;
export type AsyncAdaptData = AsyncIterable<Tensor | readonly [Tensor, ...unknown[]]>;

// Keras's backend.epsilon(): the smallest standard deviation divided by, so that a constant feature stays finite.
export const NORMALIZATION_EPSILON = 1e-7;

/**
 * Keras 3's Normalization: `(x - mean) / max(sqrt(variance), 1e-7)`, one mean and variance per
 * entry of `axis` (default -1, the channels), the same in training and inference. Give `mean` and
 * `variance`, or call `adapt(data)` to compute them from data; then the layer holds three
 * non-trainable weights, `mean` and `variance` (shape: the kept axes' sizes) and `count` (a
 * scalar, the number of values each statistic was computed from), which count in the model's
 * non-trainable parameters as Keras counts them (EfficientNetB0's 7). `invert: true` maps
 * normalized values back. Any input shape; the output has the same shape.
 *
 * ```ts
 * const norm = new nr.layers.Normalization();
 * norm.adapt(nr.tensor([[0, 7, 4], [2, 9, 6]]));
 * norm.apply(nr.tensor([[0, 7, 4]])).toArray(); // [[-1, -1, -1]]
 * new nr.layers.Normalization({ mean: 3, variance: 2 }).apply(nr.tensor([[1], [3]])).toArray(); // [[-1.414], [0]]
 * ```
 */
export class Normalization extends Layer {
  /** The kept axes as given (Keras's tuple; `[]` for axis null). */
  readonly axis: readonly number[];
  readonly invert: boolean;
  readonly inputMean: Statistic | null;
  readonly inputVariance: Statistic | null;
  meanWeight: Variable | null = null;
  varianceWeight: Variable | null = null;
  countWeight: Variable | null = null;
  private buildShape: LayerShape = [];
  private keepAxes: number[] = [];
  /** The statistics' shape reshaped to the input's rank (1 on every reduced axis), for broadcasting. */
  private broadcastShape: number[] = [];
  private fixed: { mean: Tensor; variance: Tensor } | null = null;

  constructor(options?: NormalizationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<NormalizationOptions>();
    const axis =
      options.axis === undefined ? [-1] : options.axis === null ? [] : typeof options.axis === 'number' ? [options.axis] : options.axis;
    if (!Array.isArray(axis) || !axis.every((a) => Number.isInteger(a))) {
      throw configError(this.where, { expected: 'axis must be an integer, a list of integers, or null', got: show(options.axis) });
    }
    this.axis = Object.freeze([...axis]);
    this.invert = options.invert ?? false;
    this.inputMean = options.mean ?? null;
    this.inputVariance = options.variance ?? null;
    if ((this.inputMean === null) !== (this.inputVariance === null)) {
      throw configError(this.where, {
        expected: 'mean and variance must be given together',
        got: `mean ${show(this.inputMean)}, variance ${show(this.inputVariance)}`,
        hint: 'give both, or neither and call adapt(data)',
      });
    }
    if (this.inputMean !== null) {
      const mean = statistic(this.inputMean, 'mean', this.where);
      const variance = statistic(this.inputVariance!, 'variance', this.where);
      if (mean.shape.join() !== variance.shape.join()) {
        throw shapeError(this.where, {
          expected: 'mean and variance must have the same shape',
          got: `[${mean.shape}] and [${variance.shape}]`,
        });
      }
      if (mean.rank > this.axis.length) {
        throw shapeError(this.where, {
          expected: `mean has rank ${mean.rank}, more than the ${this.axis.length} kept axes (axis ${show(options.axis ?? null)})`,
          hint: 'give one value per entry of the kept axes, or a single number',
        });
      }
      if (variance.data().some((v) => v < 0))
        throw configError(this.where, { expected: 'variance must be >= 0', got: show(this.inputVariance) });
      this.fixed = { mean, variance };
    }
  }

  private get where(): string {
    return `Normalization "${this.name}"`;
  }

  override build(inputShape: LayerShape): void {
    const rank = inputShape.length;
    this.keepAxes = [...new Set(this.axis.map((a) => normalizeAxis(a, rank, this.where)))].sort((a, b) => a - b);
    for (const d of this.keepAxes) {
      if (inputShape[d] === null) {
        throw shapeError(this.where, {
          expected: `axis ${d} keeps its own statistics, so its size must be known`,
          got: formatLayerShape(inputShape),
        });
      }
    }
    this.buildShape = [...inputShape];
    this.broadcastShape = inputShape.map((d, i) => (this.keepAxes.includes(i) ? d! : 1));
    const shape = this.keepAxes.map((d) => inputShape[d]!);
    if (this.fixed) {
      // Aligned with the last kept axes, as Keras reshapes a lower-rank mean.
      const { mean, variance } = this.fixed;
      const target = this.keepAxes.slice(this.keepAxes.length - mean.rank);
      const expanded = Array<number>(rank).fill(1);
      target.forEach((d, i) => {
        expanded[d] = mean.shape[i]!;
      });
      if (mean.rank > 0 && target.some((d, i) => mean.shape[i] !== 1 && mean.shape[i] !== inputShape[d])) {
        throw shapeError(this.where, {
          expected: `mean of shape [${mean.shape}] must match the kept axes (${target.join(', ')}) of the input`,
          got: formatLayerShape(inputShape),
        });
      }
      this.fixed = {
        mean: ops.reshape(ops.cast(mean, this.dtype), expanded),
        variance: ops.reshape(ops.cast(variance, this.dtype), expanded),
      };
    } else {
      this.meanWeight = this.addWeight({ name: 'mean', shape, initializer: 'zeros', trainable: false });
      this.varianceWeight = this.addWeight({ name: 'variance', shape, initializer: 'ones', trainable: false });
      this.countWeight = this.addWeight({ name: 'count', shape: [], initializer: 'zeros', trainable: false });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const x = inputs.dtype === 'float32' || inputs.dtype === 'float64' ? inputs : ops.cast(inputs, this.dtype);
    const mean = this.fixed?.mean ?? ops.reshape(this.meanWeight!, this.broadcastShape);
    const variance = this.fixed?.variance ?? ops.reshape(this.varianceWeight!, this.broadcastShape);
    const std = ops.maximum(ops.sqrt(variance), NORMALIZATION_EPSILON);
    return this.invert ? ops.add(mean, ops.mul(x, std)) : ops.div(ops.sub(x, mean), std);
  }

  /**
   * Sets `mean` and `variance` from data: per entry of the kept axes, over every other axis (the
   * population variance, as Keras). Batches are merged exactly (Chan's pairwise update, in
   * float64), so any batching gives the same statistics. An async iterable (`nr.data.Dataset`)
   * returns a promise.
   */
  adapt(data: AdaptData): void;
  adapt(data: AsyncAdaptData): Promise<void>;
  adapt(data: AdaptData | AsyncAdaptData): void | Promise<void> {
    if (this.fixed) {
      throw configError(`${this.where}.adapt`, {
        expected: 'the layer was given mean and variance, so it has nothing to adapt',
        hint: 'create it without them',
      });
    }
    const state: Moments = { count: 0, mean: null, m2: null };
    if (data instanceof Tensor) {
      this.merge(state, data);
      return this.finish(state);
    }
    if (data !== null && typeof data === 'object' && Symbol.asyncIterator in data) {
      return (async () => {
        for await (const batch of data as AsyncAdaptData) this.merge(state, batchOf(batch, this.where));
        this.finish(state);
      })();
    }
    if (data === null || typeof data !== 'object' || !(Symbol.iterator in data)) {
      throw configError(`${this.where}.adapt`, { expected: 'data must be a tensor or an iterable of batches', got: show(data) });
    }
    for (const batch of data as AdaptData & Iterable<unknown>) this.merge(state, batchOf(batch as Tensor, this.where));
    this.finish(state);
  }

  /** Folds one batch into the running moments (Chan et al.'s parallel update). */
  private merge(state: Moments, batch: Tensor): void {
    if (!this.built) {
      // The batch size stays open unless it is a kept axis, so later batches may differ in size.
      const keepsBatch = this.axis.some((a) => normalizeAxis(a, batch.rank, this.where) === 0);
      this.build(batch.shape.map((d, i) => (i === 0 && !keepsBatch ? null : d)));
    }
    const shape = this.buildShape;
    if (batch.rank !== shape.length || this.keepAxes.some((d) => batch.shape[d] !== shape[d])) {
      throw shapeError(`${this.where}.adapt`, {
        expected: `batches of shape ${formatLayerShape(shape)}, as built (the kept axes ${this.keepAxes.join(', ')} must match)`,
        got: `[${batch.shape.join(', ')}]`,
      });
    }
    const size = this.keepAxes.reduce((n, d) => n * shape[d]!, 1);
    // The kept axes moved last, so that element i belongs to statistic i % size.
    const reduced = batch.shape.map((_, d) => d).filter((d) => !this.keepAxes.includes(d));
    const values = ops.transpose(batch, [...reduced, ...this.keepAxes]).data();
    const n = values.length / size;
    if (n === 0) return;
    const sum = new Float64Array(size);
    for (let i = 0; i < values.length; i++) sum[i % size]! += Number(values[i]);
    const batchMean = sum.map((v) => v / n);
    const m2 = new Float64Array(size);
    for (let i = 0; i < values.length; i++) m2[i % size]! += (Number(values[i]) - batchMean[i % size]!) ** 2;
    if (state.mean === null || state.m2 === null) {
      Object.assign(state, { count: n, mean: batchMean, m2 });
      return;
    }
    const total = state.count + n;
    for (let s = 0; s < size; s++) {
      const delta = batchMean[s]! - state.mean[s]!;
      state.mean[s]! += (delta * n) / total;
      state.m2[s]! += m2[s]! + (delta * delta * state.count * n) / total;
    }
    state.count = total;
  }

  private finish(state: Moments): void {
    if (state.mean === null || state.m2 === null) {
      throw configError(`${this.where}.adapt`, {
        expected: 'data with at least one value',
        got: 'no values',
        hint: 'pass a non-empty tensor or batches',
      });
    }
    const shape = this.meanWeight!.shape;
    this.meanWeight!.assign(tensor(state.mean, [...shape], this.dtype));
    this.varianceWeight!.assign(
      tensor(
        state.m2.map((v) => v / state.count),
        [...shape],
        this.dtype,
      ),
    );
    this.countWeight!.assign(tensor(state.count, [], this.dtype));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: [...this.axis], mean: this.inputMean, variance: this.inputVariance, invert: this.invert };
  }
}
declareLayerOptions(Normalization, {
  keys: { axis: is.any, mean: is.any, variance: is.any, invert: is.boolean } satisfies OwnOptionChecks<NormalizationOptions, LayerOptions>,
});
registerLayer(Normalization, 'Normalization');

interface Moments {
  count: number;
  mean: Float64Array | null;
  m2: Float64Array | null;
}

function statistic(value: Statistic, option: string, where: string): Tensor {
  try {
    const t = tensor(value as number, undefined, 'float64');
    if (!t.data().every(Number.isFinite)) throw new Error('not finite');
    return t;
  } catch {
    throw configError(where, { expected: `${option} must be a finite number or a (nested) list of them`, got: show(value) });
  }
}

function batchOf(batch: Tensor | readonly [Tensor, ...unknown[]], where: string): Tensor {
  const x = Array.isArray(batch) ? batch[0] : batch;
  if (!(x instanceof Tensor)) {
    throw configError(`${where}.adapt`, { expected: 'each batch must be a tensor or an [x, y] pair of tensors', got: show(batch) });
  }
  return x;
}
