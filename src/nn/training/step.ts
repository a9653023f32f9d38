import { configError, isPlainObject, show, trimBufferPool } from '../../core/index.js';
import { Tensor, noGrad, runRecyclingStep, valueAndGradOfStep, type Variable } from '../../tensor/index.js';
import type { CallbackModel, Logs } from '../callbacks/callback.js';
import { describeValue } from '../describe.js';
import type { CompiledState } from './compile.js';

/*
 * The two steps every loop runs (fit's training step, evaluate's test step) and what they need from
 * a model; the tensor loop (loop.ts) and the Dataset loop (dataset-input.ts) share them. A model may
 * override them (Keras 3's `train_step` / `test_step` / `predict_step`): the loops then call its
 * methods through a StepRunner, and the records they return become the logs.
 */

/** Names the model's inputs and outputs have, for Dataset elements that give x or y as `{name: tensor}`. */
export interface NamedIO {
  readonly inputNames?: readonly string[];
  readonly outputNames?: readonly string[];
}

/** What a training, test or predict step receives: Keras's `data`, i.e. `[x, y, sampleWeight]` of one batch. */
export type StepData = [x: Tensor | Tensor[], y?: Tensor | Tensor[], sampleWeight?: Tensor];

/** What an overridden step returns: scalar values by name (numbers, one-element tensors or metrics), shown as metrics. */
export type StepLogs = Record<string, number | Tensor | { result(): number }>;

/** A metric-like tracker a model holds (reset at each epoch, saved by BackupAndRestore). */
export interface Tracker {
  resetState(): void;
  getState(): Record<string, unknown>;
  setState(state: Record<string, unknown>): void;
}

/** The steps a model overrides (each absent when it keeps the compiled one). */
export interface OverriddenSteps {
  train?: (data: StepData) => unknown;
  test?: (data: StepData) => unknown;
  predict?: (data: StepData) => unknown;
}

/** What the loop needs from a model. */
export interface TrainableModel extends CallbackModel, NamedIO {
  readonly name: string;
  readonly compiled: CompiledState | null;
  readonly trainableWeights: Variable[];
  /** Every weight, trainable or not (a custom step never recycles their storage). */
  readonly weights: Variable[];
  /** The model's outputs for a batch of inputs (one tensor per output). */
  forward(inputs: readonly Tensor[], training: boolean): Tensor[];
  /** Creates the weights (if not yet) for inputs like these, so they can be differentiated. */
  buildFor(inputs: readonly Tensor[]): void;
  /** The regularization penalties and added losses of the last forward pass. */
  regularizationLosses(): Tensor[];
  /** The steps the model overrides (none when absent). */
  overriddenSteps?(): OverriddenSteps;
  /** The trackers the model holds besides the compiled metrics. */
  trackers?(): Tracker[];
}

/** Milliseconds between yields to the event loop during training. */
export const YIELD_EVERY_MS = 40;

export function requireCompiled(model: TrainableModel, method: string): CompiledState {
  if (!model.compiled) {
    throw configError(method, {
      expected: `the model ${show(model.name)} is not compiled`,
      hint: 'call model.compile({optimizer, loss, metrics}) first',
    });
  }
  return model.compiled;
}

/** The compiled loss plus the model's penalties and added losses; an error when there is nothing to minimise. */
function totalLoss(compiledTotal: Tensor | null, extra: readonly Tensor[], model: TrainableModel): Tensor {
  let total = compiledTotal;
  for (const penalty of extra) total = total ? total.add(penalty) : penalty;
  if (!total) {
    throw configError(`Model ${show(model.name)}`, {
      expected: 'a loss to minimise: compile was given no loss and the model added none',
      hint: "pass loss to compile (e.g. 'mse'), call this.addLoss(...) in call, or override trainStep",
    });
  }
  return total;
}

/** One optimization step on one batch; updates the compiled loss and metric trackers. */
export function trainStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  const optimizer = compiled.optimizer;
  if (!optimizer) {
    throw configError(`Model ${show(model.name)}`, {
      expected: `the built-in training step needs one optimizer; compile named ${Object.keys(compiled.optimizers).map(show).join(', ')}`,
      hint: 'override trainStep(data) and apply each optimizer to its weights there',
    });
  }
  model.buildFor(xs);
  const variables = model.trainableWeights;
  let predictions: Tensor[] = [];
  let perOutput: Tensor[] = [];
  const { value, grads, release } = valueAndGradOfStep(
    () => {
      predictions = model.forward(xs, true);
      const losses = compiled.computeLoss(ys, predictions, sampleWeight, true);
      perOutput = losses.perOutput;
      return totalLoss(losses.total, model.regularizationLosses(), model);
    },
    variables,
    () => [...predictions, ...perOutput],
  );
  optimizer.apply(grads, variables);
  compiled.update(
    xs[0]!.shape[0]!,
    value.item(),
    perOutput.map((l) => l.item()),
    ys,
    predictions,
    sampleWeight,
  );
  // Nothing reads the step's activations and gradients any more: the next step reuses their storage.
  release();
  trimBufferPool();
}

/** One evaluation step (no gradients, training false). */
export function testStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  trimBufferPool();
  noGrad(() => {
    const predictions = model.forward(xs, false);
    const losses = compiled.computeLoss(ys, predictions, sampleWeight);
    const total = totalLoss(losses.total, model.regularizationLosses(), model);
    compiled.update(
      xs[0]!.shape[0]!,
      total.item(),
      losses.perOutput.map((l) => l.item()),
      ys,
      predictions,
      sampleWeight,
    );
  });
}

/** The record an overridden step returned, as logs of numbers. */
export function stepLogs(out: unknown, model: TrainableModel, method: string): Logs {
  const where = `Model ${show(model.name)}.${method}`;
  if (!isPlainObject(out)) {
    throw configError(where, {
      expected: 'must return a record of scalar values {name: number | Tensor}',
      got: describeValue(out),
      hint: 'e.g. return { d_loss: this.dLossTracker.result(), g_loss: this.gLossTracker.result() }',
    });
  }
  const logs: Logs = {};
  for (const [key, v] of Object.entries(out)) {
    if (typeof v === 'number') logs[key] = v;
    else if (v instanceof Tensor && v.size === 1) logs[key] = noGrad(() => v.item());
    else if (v !== null && typeof v === 'object' && typeof (v as { result?: unknown }).result === 'function') {
      logs[key] = (v as { result(): number }).result();
    } else {
      throw configError(where, {
        expected: `the value of ${show(key)} must be a number, a one-element Tensor or a metric`,
        got: describeValue(v),
      });
    }
  }
  return logs;
}

/** A batch as Keras's `data`: x (one tensor or a list), y (absent, one or a list) and the sample weights. */
export function stepData(xs: readonly Tensor[], ys: readonly Tensor[], weights?: Tensor): StepData {
  const x = xs.length === 1 ? xs[0]! : [...xs];
  const y = ys.length === 0 ? undefined : ys.length === 1 ? ys[0]! : [...ys];
  return weights === undefined ? (y === undefined ? [x] : [x, y]) : [x, y, weights];
}

/** How the loops run steps on a model: its overridden steps, or the compiled ones. */
export class StepRunner {
  private readonly overridden: OverriddenSteps;
  constructor(
    readonly model: TrainableModel,
    readonly compiled: CompiledState,
  ) {
    this.overridden = model.overriddenSteps?.() ?? {};
  }

  /** Whether fit's batches may come without targets (the model's own trainStep decides what it needs). */
  get customTrain(): boolean {
    return this.overridden.train !== undefined;
  }
  get customTest(): boolean {
    return this.overridden.test !== undefined;
  }
  /** Whether training batches may come without y: the model's own trainStep decides, or compile has no loss to need it. */
  get trainTargetsOptional(): boolean {
    return this.customTrain || !this.compiled.hasLoss;
  }
  get testTargetsOptional(): boolean {
    return this.customTest || !this.compiled.hasLoss;
  }

  /** The log names known before training (an overridden step's names appear with its first logs). */
  get names(): string[] {
    return this.customTrain ? [] : this.compiled.logNames;
  }

  train(xs: readonly Tensor[], ys: readonly Tensor[], weights?: Tensor): Logs {
    const own = this.overridden.train;
    if (own) {
      // Its model runs' activations go back to the buffer pool during its backward passes and when it ends (runRecyclingStep).
      const out = runRecyclingStep(
        () => own(stepData(xs, ys, weights)),
        () => this.model.weights,
      );
      return stepLogs(out, this.model, 'trainStep');
    }
    trainStep(this.model, this.compiled, xs, ys, weights);
    return this.compiled.results();
  }

  test(xs: readonly Tensor[], ys: readonly Tensor[], weights?: Tensor): Logs {
    if (this.overridden.test) {
      const test = this.overridden.test;
      return stepLogs(
        noGrad(() => test(stepData(xs, ys, weights))),
        this.model,
        'testStep',
      );
    }
    testStep(this.model, this.compiled, xs, ys, weights);
    return this.compiled.results();
  }

  /** Forgets every batch: the compiled trackers and the model's own (Keras resets them at each epoch and evaluation). */
  reset(): void {
    this.compiled.reset();
    for (const t of this.model.trackers?.() ?? []) t.resetState();
  }

  trackerState(): unknown {
    return { ...this.compiled.getTrackerState(), trackers: (this.model.trackers?.() ?? []).map((t) => t.getState()) };
  }

  setTrackerState(state: unknown): void {
    const s = state as ReturnType<CompiledState['getTrackerState']> & { trackers?: Record<string, unknown>[] };
    this.compiled.setTrackerState(s);
    const trackers = this.model.trackers?.() ?? [];
    if (s.trackers && s.trackers.length !== trackers.length) {
      throw configError('BackupAndRestore', {
        expected: `the backup holds ${s.trackers.length} metric trackers of the model`,
        got: `the model has ${trackers.length}`,
        hint: 'resume with the same model code, or delete the backup',
      });
    }
    trackers.forEach((t, i) => s.trackers && t.setState(s.trackers[i]!));
  }
}

/** Outputs of one predict batch: the model's predictStep when it has one, else its forward pass. */
export function predictStep(model: TrainableModel, xs: readonly Tensor[]): Tensor[] {
  trimBufferPool();
  const own = model.overriddenSteps?.().predict;
  if (!own) return model.forward(xs, false);
  const out = own(stepData(xs, []));
  const list = out instanceof Tensor ? [out] : Array.isArray(out) && out.length > 0 && out.every((t) => t instanceof Tensor) ? out : null;
  if (!list) {
    throw configError(`Model ${show(model.name)}.predictStep`, {
      expected: 'must return a Tensor or an array of Tensors',
      got: describeValue(out),
    });
  }
  return list as Tensor[];
}
