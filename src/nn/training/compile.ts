import { configError, is, parseOptions, ownEntry, show } from '../../core/index.js';
import { type Tensor, noGrad } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { getMask } from '../layer.js';
import { recordedSoftmaxInput } from '../../ops/crossentropy.js';
import { FusedSoftmaxCrossentropy, getLoss, type Loss, type LossFunction, type LossName } from '../losses.js';
import { getMetric, type Metric, type MetricName } from '../metrics.js';
import { Optimizer, getOptimizer, type OptimizerName } from '../optimizers/index.js';

/*
 * What `compile` resolves: the optimizer, one loss per model output (summed with lossWeights), and
 * the metrics of each output. Log names follow Keras 3: `loss` and the metric names for a single
 * output; `loss`, `<output>_loss` and `<output>_<metric>` for several.
 *
 * Compile is also where the one fused loss is chosen: an output that the model reports as a softmax
 * over its last axis (`Model.softmaxOutputs`), trained with the built-in categorical or sparse
 * categorical crossentropy on probabilities, gets a FusedSoftmaxCrossentropy, which fit's training
 * step calls with the output's logits (see `computeLoss`). The logged loss is the same number.
 */

export type LossIdentifier = LossName | Loss | LossFunction;
export type MetricIdentifier = MetricName | Metric;
export type OptimizerIdentifier = OptimizerName | Optimizer | { className: string; config?: Record<string, unknown> };

const optimizerEntry = (o: Optimizer) => ({ className: o.className, config: o.getConfig() });

/** `{className, config}` is one optimizer; any other plain object names several. */
function isOptimizerRecord(v: unknown): v is Readonly<Record<string, OptimizerIdentifier>> {
  return v !== null && typeof v === 'object' && !(v instanceof Optimizer) && !('className' in v);
}

/** The options of `model.compile`. */
export interface CompileOptions {
  /**
   * An optimizer name ('adam', 'sgd', ...), an Optimizer, or `{className, config}`; or several by name
   * (`{generator: 'adam', discriminator: new nr.optimizers.Adam({learningRate: 2e-4})}`) for a model
   * whose overridden `trainStep` uses them as `this.optimizers.generator`, ...
   */
  optimizer: OptimizerIdentifier | Readonly<Record<string, OptimizerIdentifier>>;
  /**
   * A loss for every output, a list (one per output), or a record by output layer name. It may be
   * left out when the model's loss comes from `addLoss` alone or from an overridden `trainStep`.
   */
  loss?: LossIdentifier | readonly LossIdentifier[] | Readonly<Record<string, LossIdentifier>>;
  /** Metric names or instances (applied to every output), or a record by output layer name. */
  metrics?: readonly MetricIdentifier[] | Readonly<Record<string, MetricIdentifier | readonly MetricIdentifier[]>>;
  /** Weights of the per-output losses in the total (default 1 each). */
  lossWeights?: readonly number[] | Readonly<Record<string, number>>;
  /** Keras's switch between graph and eager execution; neurona always runs eagerly, so only true (or leaving it out) is accepted. */
  runEagerly?: true;
}

const COMPILE_OPTIONS = {
  keys: {
    optimizer: is.identifier,
    loss: is.any,
    metrics: is.any,
    lossWeights: is.any,
    runEagerly: (v: unknown, what: string) => {
      if (v !== true) {
        throw configError('', {
          expected: `${what} must be true`,
          got: show(v),
          rule: 'neurona always runs eagerly: there is no graph mode to turn on',
        });
      }
    },
  } satisfies Record<keyof CompileOptions, unknown>,
};

/**
 * The sample weights with an output's mask folded in (a sequence model's padded timesteps count for
 * nothing), as Keras applies the mask attached to a prediction: for a mean-reduced loss the mask is
 * scaled by size / (sum + 1e-7), so that the loss is the mean over the real timesteps only.
 */
function maskedWeight(yPred: Tensor, sampleWeight: Tensor | undefined, normalize: boolean): Tensor | undefined {
  const mask = getMask(yPred);
  if (!mask) return sampleWeight;
  let weight = normalize ? ops.mul(mask, mask.size / (mask.sum().item() + 1e-7)) : mask;
  if (sampleWeight) {
    const w =
      sampleWeight.rank < mask.rank
        ? sampleWeight.reshape([...sampleWeight.shape, ...mask.shape.slice(sampleWeight.rank).map(() => 1)])
        : sampleWeight;
    weight = ops.mul(weight, w);
  }
  return weight;
}

/** A weighted running mean (Keras's Mean metric): the loss of an epoch weighted by batch sizes. */
export class RunningMean {
  private total = 0;
  private count = 0;
  update(value: number, weight: number): void {
    this.total += value * weight;
    this.count += weight;
  }
  result(): number {
    return this.count === 0 ? 0 : this.total / this.count;
  }
  reset(): void {
    this.total = 0;
    this.count = 0;
  }
  getState(): [number, number] {
    return [this.total, this.count];
  }
  setState(state: readonly number[]): void {
    [this.total, this.count] = [state[0]!, state[1]!];
  }
}

const isLossIdentifier = (x: unknown): x is LossIdentifier =>
  typeof x === 'string' || typeof x === 'function' || (typeof x === 'object' && x !== null && 'call' in x && 'fn' in x);

/** One entry per output from a single value, a list or a record keyed by output name. */
function perOutput<T>(
  value: T | readonly T[] | Readonly<Record<string, T>>,
  outputNames: readonly string[],
  what: string,
  isSingle: (v: unknown) => v is T,
): T[] {
  if (isSingle(value)) return outputNames.map(() => value);
  if (Array.isArray(value)) {
    if (value.length !== outputNames.length) {
      throw configError('compile', {
        expected: `${what} has ${value.length} entries but the model has ${outputNames.length} outputs (${outputNames.join(', ')})`,
        hint: 'give one per output',
      });
    }
    return [...value] as T[];
  }
  const record = value as Readonly<Record<string, T>>;
  const unknown = Object.keys(record).filter((k) => !outputNames.includes(k));
  if (unknown.length > 0) {
    throw configError('compile', {
      expected: `${what} names ${unknown.map(show).join(', ')}, which ${unknown.length > 1 ? 'are not outputs' : 'is not an output'}`,
      hint: `the outputs are ${outputNames.map(show).join(', ')}`,
    });
  }
  return outputNames.map((name) => {
    const v = ownEntry(record, name);
    if (v === undefined) {
      throw configError('compile', {
        expected: `${what} has no entry for output ${show(name)}`,
        hint: `give one for every output (${outputNames.join(', ')})`,
      });
    }
    return v;
  });
}

export class CompiledState {
  /** The optimizer; null when compile named several (see `optimizers`). */
  readonly optimizer: Optimizer | null;
  /** The optimizers compile named (`{generator: ..., discriminator: ...}`); empty for a single one. */
  readonly optimizers: Readonly<Record<string, Optimizer>>;
  readonly losses: Loss[];
  /** Per output, the fused form of its loss that training steps use (see `chooseFusedLosses`), or null. */
  fusedLosses: (FusedSoftmaxCrossentropy | null)[] = [];
  readonly lossWeights: number[];
  readonly metrics: Metric[][];
  readonly lossTracker = new RunningMean();
  readonly outputLossTrackers: RunningMean[];
  readonly config: Record<string, unknown>;

  /** `softmaxOutputs[i]`: output i is a softmax over its last axis computed by a built-in layer (missing: false). */
  constructor(
    raw: CompileOptions,
    readonly outputNames: readonly string[],
    softmaxOutputs: readonly boolean[] = [],
  ) {
    if (!raw || typeof raw !== 'object') {
      throw configError('compile', {
        expected: 'the options must be an object {optimizer, loss, metrics}',
        got: show(raw),
      });
    }
    const options = parseOptions<CompileOptions>('compile', raw, COMPILE_OPTIONS);
    if (options.optimizer === undefined) throw configError('compile', { expected: 'option "optimizer" is required', hint: "e.g. 'adam'" });
    if (isOptimizerRecord(options.optimizer)) {
      const entries = Object.entries(options.optimizer);
      if (entries.length === 0) throw configError('compile', { expected: 'option "optimizer" names no optimizer', got: '{}' });
      for (const [key] of entries) {
        if (!/^[A-Za-z_][\w.-]*$/.test(key)) {
          throw configError('compile', { expected: 'optimizer names must be identifiers (letters, digits, _ . -)', got: show(key) });
        }
      }
      this.optimizer = null;
      this.optimizers = Object.fromEntries(entries.map(([key, id]) => [key, getOptimizer(id)]));
      const shared = entries.find(([, id], i) => id instanceof Optimizer && entries.findIndex(([, o]) => o === id) !== i);
      if (shared) {
        throw configError('compile', {
          expected: 'each named optimizer must be its own instance',
          got: `${show(shared[0])} is also given under another name`,
          hint: 'create one optimizer per name: their slots and step counts are separate',
        });
      }
    } else {
      this.optimizer = getOptimizer(options.optimizer);
      this.optimizers = {};
    }
    const lossIds = options.loss === undefined ? [] : perOutput(options.loss, outputNames, 'loss', isLossIdentifier);
    this.losses = lossIds.map((id) => getLoss(id));
    this.chooseFusedLosses(softmaxOutputs);
    this.lossWeights =
      options.lossWeights === undefined
        ? outputNames.map(() => 1)
        : perOutput(options.lossWeights, outputNames, 'lossWeights', (v): v is number => typeof v === 'number');
    this.lossWeights.forEach((w, i) => {
      if (!Number.isFinite(w)) {
        throw configError('compile', {
          expected: `lossWeights for output ${show(outputNames[i])} must be a finite number`,
          got: show(w),
        });
      }
    });
    const metricIds: MetricIdentifier[][] =
      options.metrics === undefined
        ? outputNames.map(() => [])
        : Array.isArray(options.metrics)
          ? outputNames.map(() => [...(options.metrics as MetricIdentifier[])])
          : perOutput(
              options.metrics as Record<string, MetricIdentifier | readonly MetricIdentifier[]>,
              outputNames,
              'metrics',
              (_v): _v is MetricIdentifier => false,
            ).map((m) => (Array.isArray(m) ? [...m] : [m as MetricIdentifier]));
    // A Metric instance shared by several outputs would mix them: only names are reused per output.
    this.metrics = metricIds.map((ids, i) => ids.map((id) => getMetric(id, lossIds[i])));
    this.outputLossTrackers = outputNames.map(() => new RunningMean());
    this.config = {
      optimizer: this.optimizer
        ? optimizerEntry(this.optimizer)
        : Object.fromEntries(Object.entries(this.optimizers).map(([k, o]) => [k, optimizerEntry(o)])),
      loss: lossIds.map((l) => (typeof l === 'string' ? l : typeof l === 'function' ? l.name : l.name)),
      metrics: metricIds.map((ids) => ids.map((m) => (typeof m === 'string' ? m : m.name))),
      lossWeights: this.lossWeights,
    };
  }

  /**
   * Chooses, per output, the FusedSoftmaxCrossentropy of its loss when the output is a softmax over
   * its last axis (`softmaxOutputs[i]`) and the loss has a fused form, else null. Called at compile,
   * and again when a compiled Sequential model gains or loses a layer.
   */
  chooseFusedLosses(softmaxOutputs: readonly boolean[]): void {
    this.fusedLosses = this.losses.map((loss, i) => (softmaxOutputs[i] === true ? FusedSoftmaxCrossentropy.of(loss) : null));
  }

  get multiOutput(): boolean {
    return this.outputNames.length > 1;
  }

  /** Whether compile was given a loss (else the loss is what the model adds with addLoss). */
  get hasLoss(): boolean {
    return this.losses.length > 0;
  }

  /** Log names in order: loss, per-output losses, metrics. */
  get logNames(): string[] {
    const names = ['loss'];
    if (this.multiOutput && this.hasLoss) this.outputNames.forEach((o) => names.push(`${o}_loss`));
    this.metrics.forEach((ms, i) => ms.forEach((m) => names.push(this.metricKey(i, m))));
    return names;
  }

  private metricKey(output: number, metric: Metric): string {
    return this.multiOutput ? `${this.outputNames[output]}_${metric.name}` : metric.name;
  }

  /**
   * The weighted total of the per-output losses, and each output's loss (with autograd). With
   * `fused` (fit's training step), an output that has a fused loss gets it, with its logits read as
   * the input of the output's recorded softmax node; an output that is not a recorded softmax
   * (nothing below it trains, so it needs no gradient) gets the plain loss, which gives the same value.
   */
  computeLoss(
    yTrue: readonly Tensor[],
    yPred: readonly Tensor[],
    sampleWeight?: Tensor,
    fused = false,
  ): { total: Tensor | null; perOutput: Tensor[] } {
    if (!this.hasLoss) return { total: null, perOutput: [] };
    if (yTrue.length !== yPred.length) {
      const outputs = `${yPred.length} output${yPred.length > 1 ? 's' : ''}`;
      throw configError('', {
        expected: `the model has ${outputs} but ${yTrue.length} target${yTrue.length > 1 ? 's were' : ' was'} given`,
        hint: `pass y as ${yPred.length > 1 ? `an array of ${yPred.length} Tensors` : 'one Tensor'}`,
      });
    }
    const perOutput = this.losses.map((loss, i) => {
      const fusedLoss = fused ? this.fusedLosses[i] : null;
      const logits = fusedLoss ? recordedSoftmaxInput(yPred[i]!) : null;
      const weight = maskedWeight(yPred[i]!, sampleWeight, loss.reduction === 'sum_over_batch_size');
      if (fusedLoss && logits) return fusedLoss.call(yTrue[i]!, yPred[i]!, logits, weight);
      return loss.call(yTrue[i]!, yPred[i]!, weight);
    });
    let total = this.lossWeights[0] === 1 ? perOutput[0]! : perOutput[0]!.mul(this.lossWeights[0]!);
    for (let i = 1; i < perOutput.length; i++)
      total = total.add(this.lossWeights[i] === 1 ? perOutput[i]! : perOutput[i]!.mul(this.lossWeights[i]!));
    return { total, perOutput };
  }

  /** Adds one batch to the running loss and metrics. */
  update(
    batchSize: number,
    loss: number,
    perOutput: readonly number[],
    yTrue: readonly Tensor[],
    yPred: readonly Tensor[],
    sampleWeight?: Tensor,
  ): void {
    this.lossTracker.update(loss, batchSize);
    perOutput.forEach((l, i) => this.outputLossTrackers[i]!.update(l, batchSize));
    noGrad(() =>
      this.metrics.forEach((ms, i) => {
        const weight = maskedWeight(yPred[i]!, sampleWeight, false);
        ms.forEach((m) => m.updateState(yTrue[i]!, yPred[i]!, weight));
      }),
    );
  }

  /** The current logs (running averages since the last reset). */
  results(): Record<string, number> {
    const logs: Record<string, number> = { loss: this.lossTracker.result() };
    if (this.multiOutput && this.hasLoss)
      this.outputNames.forEach((o, i) => {
        logs[`${o}_loss`] = this.outputLossTrackers[i]!.result();
      });
    this.metrics.forEach((ms, i) =>
      ms.forEach((m) => {
        logs[this.metricKey(i, m)] = m.result();
      }),
    );
    return logs;
  }

  /** The running loss and metric trackers as JSON (BackupAndRestore resumes mid-epoch with them). */
  getTrackerState(): { loss: number[]; outputs: number[][]; metrics: Record<string, unknown>[][] } {
    return {
      loss: this.lossTracker.getState(),
      outputs: this.outputLossTrackers.map((t) => t.getState()),
      metrics: this.metrics.map((ms) => ms.map((m) => m.getState())),
    };
  }

  setTrackerState(state: { loss: number[]; outputs: number[][]; metrics: Record<string, unknown>[][] }): void {
    this.lossTracker.setState(state.loss);
    this.outputLossTrackers.forEach((t, i) => t.setState(state.outputs[i]!));
    this.metrics.forEach((ms, i) => ms.forEach((m, j) => m.setState(state.metrics[i]![j]!)));
  }

  reset(): void {
    this.lossTracker.reset();
    this.outputLossTrackers.forEach((t) => t.reset());
    this.metrics.forEach((ms) => ms.forEach((m) => m.resetState()));
  }
}
