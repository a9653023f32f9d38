import { clearBufferPool, configError, globalRandom, is, parseOptions, releaseFloat32, show } from '../../core/index.js';
import { Tensor, noGrad, valueAndGradOfStep, type Variable } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { Callback, CallbackList, type CallbackModel, type FitContext, type Logs, type ResumePoint } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { ProgbarLogger } from '../callbacks/progbar.js';
import { describeValue } from '../describe.js';
import type { CompiledState } from './compile.js';
import {
  checkBatchSize,
  checkFinite,
  classWeightsToSampleWeights,
  sampleCount,
  shuffledIndices,
  sliceRows,
  splitValidation,
  takeRows,
  toList,
  yieldToEventLoop,
  type TensorOrList,
} from './data.js';

/*
 * fit / evaluate / predict / trainOnBatch over any model that can run a forward pass (Sequential,
 * functional and subclassed models share this loop). One training step: forward with training
 * true, loss = compiled loss (with the fused losses compile chose) + every layer's regularization
 * penalties, gradients of the trainable weights by valueAndGrad, optimizer.apply; the metrics are
 * updated from the same forward pass.
 */

/** What the loop needs from a model. */
export interface TrainableModel extends CallbackModel {
  readonly name: string;
  readonly compiled: CompiledState | null;
  readonly trainableWeights: Variable[];
  /** The model's outputs for a batch of inputs (one tensor per output). */
  forward(inputs: readonly Tensor[], training: boolean): Tensor[];
  /** Creates the weights (if not yet) for inputs like these, so they can be differentiated. */
  buildFor(inputs: readonly Tensor[]): void;
  /** The regularization penalties of the last forward pass. */
  regularizationLosses(): Tensor[];
}

export type Verbose = 0 | 1 | 2 | 'auto';

export interface FitOptions {
  epochs?: number;
  batchSize?: number;
  /** Shuffle the training samples before each epoch (seeded by nr.setSeed). Default true. */
  shuffle?: boolean;
  /** `[xVal, yVal]` or `[xVal, yVal, sampleWeightVal]`, evaluated after each epoch. */
  validationData?: readonly [TensorOrList, TensorOrList] | readonly [TensorOrList, TensorOrList, Tensor];
  /** Fraction in [0, 1) of the samples, taken from the END before shuffling, used for validation. */
  validationSplit?: number;
  validationBatchSize?: number;
  /** Validate every this many epochs (default 1). */
  validationFreq?: number;
  /** 0 silent, 1 progress bar, 2 one line per epoch; 'auto' is 1. Default 1. */
  verbose?: Verbose;
  callbacks?: readonly Callback[];
  /** Epoch to start from (for resuming). Default 0. */
  initialEpoch?: number;
  /** Weight of each class in the loss, e.g. `{0: 1, 1: 10}`. */
  classWeight?: Readonly<Record<number, number>>;
  /** One weight per sample, shape [n]. */
  sampleWeight?: Tensor;
}

export interface EvaluateOptions {
  batchSize?: number;
  verbose?: Verbose;
  sampleWeight?: Tensor;
  callbacks?: readonly Callback[];
}

export interface PredictOptions {
  batchSize?: number;
  /** Keras's `verbose=0`: predict prints no progress, so 0 is the only value accepted. */
  verbose?: 0;
}

export interface BatchOptions {
  sampleWeight?: Tensor;
  classWeight?: Readonly<Record<number, number>>;
}

const tensorCheck = (value: unknown, what: string) => {
  if (!(value instanceof Tensor)) throw configError('', { expected: `${what} must be a Tensor`, got: describeValue(value) });
};
const COMMON = { batchSize: is.any, verbose: is.any, callbacks: is.arrayOf(is.any, 'an array of callbacks'), sampleWeight: tensorCheck };
const FIT_OPTIONS = {
  keys: {
    ...COMMON,
    epochs: is.any,
    shuffle: is.boolean,
    validationData: is.arrayOf(is.any, 'an array [xVal, yVal] or [xVal, yVal, sampleWeightVal]'),
    validationSplit: is.any,
    validationBatchSize: is.any,
    validationFreq: is.any,
    initialEpoch: is.any,
    classWeight: is.object,
  } satisfies Record<keyof FitOptions, unknown>,
};
const EVALUATE_OPTIONS = { keys: COMMON satisfies Record<keyof EvaluateOptions, unknown> };
const PREDICT_OPTIONS = {
  keys: {
    batchSize: is.any,
    verbose: (v: unknown, what: string) => {
      if (v !== 0) {
        throw configError(what, {
          expected: 'predict prints no progress bar in neurona',
          got: show(v),
          hint: 'give verbose: 0 or leave it out',
        });
      }
    },
  },
};
const TRAIN_ON_BATCH_OPTIONS = {
  keys: { sampleWeight: tensorCheck, classWeight: is.object } satisfies Record<keyof BatchOptions, unknown>,
};
const TEST_ON_BATCH_OPTIONS = { keys: { sampleWeight: tensorCheck } };

/** Milliseconds between yields to the event loop during training. */
const YIELD_EVERY_MS = 40;

function requireCompiled(model: TrainableModel, method: string): CompiledState {
  if (!model.compiled) {
    throw configError(method, {
      expected: `the model ${show(model.name)} is not compiled`,
      hint: 'call model.compile({optimizer, loss, metrics}) first',
    });
  }
  return model.compiled;
}

function checkVerbose(verbose: unknown, where: string): 0 | 1 | 2 {
  if (verbose === 'auto') return 1;
  if (verbose === 0 || verbose === 1 || verbose === 2) return verbose;
  throw configError(where, { expected: "verbose must be 0, 1, 2 or 'auto'", got: show(verbose) });
}

function checkCount(value: unknown, name: string, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw configError(where, { expected: `${name} must be an integer >= ${min}`, got: show(value) });
  }
  return value;
}

/** Combines sampleWeight and classWeight into one weight per sample (or undefined). */
function sampleWeightsFor(ys: readonly Tensor[], options: FitOptions): Tensor | undefined {
  let weights = options.sampleWeight;
  if (weights !== undefined && !(weights instanceof Tensor)) {
    throw configError('fit', {
      expected: 'sampleWeight must be a Tensor of shape [n]',
      got: describeValue(weights),
    });
  }
  if (options.classWeight !== undefined) {
    if (ys.length > 1) {
      throw configError('fit', {
        expected: 'classWeight is only supported for models with one output',
        got: `${ys.length} outputs`,
        hint: 'pass sampleWeight instead',
      });
    }
    const fromClasses = classWeightsToSampleWeights(ys[0]!, options.classWeight);
    weights = weights === undefined ? fromClasses : ops.mul(weights, fromClasses);
  }
  return weights;
}

/** One optimization step on one batch; updates the compiled loss and metric trackers. */
export function trainStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  model.buildFor(xs);
  const variables = model.trainableWeights;
  let predictions: Tensor[] = [];
  let perOutput: Tensor[] = [];
  const { value, grads, release } = valueAndGradOfStep(() => {
    predictions = model.forward(xs, true);
    const losses = compiled.computeLoss(ys, predictions, sampleWeight, true);
    perOutput = losses.perOutput;
    let total = losses.total;
    for (const penalty of model.regularizationLosses()) total = total.add(penalty);
    return total;
  }, variables);
  compiled.optimizer.apply(grads, variables);
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
}

/** One evaluation step (no gradients, training false). */
function testStep(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  sampleWeight?: Tensor,
): void {
  noGrad(() => {
    const predictions = model.forward(xs, false);
    const losses = compiled.computeLoss(ys, predictions, sampleWeight);
    let total = losses.total;
    for (const penalty of model.regularizationLosses()) total = total.add(penalty);
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

/** Keras's `fit`; returns the History callback. */
export async function fit(model: TrainableModel, x: TensorOrList, y: TensorOrList, raw: FitOptions = {}): Promise<History> {
  const options = parseOptions<FitOptions>('fit', raw, FIT_OPTIONS);
  try {
    return await fitLoop(model, x, y, options);
  } finally {
    // The steps' recycled storage goes back to the garbage collector with the end of training.
    clearBufferPool();
  }
}

async function fitLoop(model: TrainableModel, x: TensorOrList, y: TensorOrList, options: FitOptions): Promise<History> {
  const compiled = requireCompiled(model, 'fit');
  const epochs = checkCount(options.epochs ?? 1, 'epochs', 'fit', 1);
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'fit');
  const initialEpoch = checkCount(options.initialEpoch ?? 0, 'initialEpoch', 'fit', 0);
  const verbose = checkVerbose(options.verbose ?? 1, 'fit');
  const validationFreq = checkCount(options.validationFreq ?? 1, 'validationFreq', 'fit', 1);
  const split = options.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    throw configError('fit', { expected: 'validationSplit must be a number in [0, 1)', got: show(split) });
  }
  let xs = toList(x, 'fit: x');
  let ys = toList(y, 'fit: y');
  let weights = sampleWeightsFor(ys, options);
  const n = sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  if (n === 0) throw configError('fit', { expected: 'x and y must hold samples', got: 'none (0 rows on axis 0)' });
  // Checked once, before the first step: NaN in the data would otherwise surface as a NaN loss.
  checkFinite(xs, 'fit: x');
  checkFinite(ys, 'fit: y');
  if (weights) checkFinite([weights], 'fit: sampleWeight');

  let validation: { xs: Tensor[]; ys: Tensor[]; weights?: Tensor } | null = null;
  if (options.validationData !== undefined) {
    const data = options.validationData;
    if (!Array.isArray(data) || data.length < 2 || data.length > 3) {
      throw configError('fit', {
        expected: 'validationData must be [xVal, yVal] or [xVal, yVal, sampleWeightVal]',
        got: Array.isArray(data) ? `an array of ${data.length}` : show(data),
      });
    }
    validation = {
      xs: toList(data[0], 'fit: validationData x'),
      ys: toList(data[1], 'fit: validationData y'),
      weights: data[2] as Tensor | undefined,
    };
    sampleCount([
      ['validationData x', validation.xs],
      ['validationData y', validation.ys],
    ]);
    checkFinite(validation.xs, 'fit: validationData x');
    checkFinite(validation.ys, 'fit: validationData y');
  } else if (split > 0) {
    const parts = splitValidation(weights ? [xs, ys, [weights]] : [xs, ys], n, split);
    validation = { xs: parts.validation[0]!, ys: parts.validation[1]!, weights: parts.validation[2]?.[0] };
    xs = parts.train[0]!;
    ys = parts.train[1]!;
    weights = parts.train[2]?.[0];
  }
  const trainCount = xs[0]!.shape[0]!;
  const steps = Math.ceil(trainCount / batchSize);

  const callbacks = [...(options.callbacks ?? [])];
  for (const c of callbacks) {
    if (!(c instanceof Callback)) throw configError('fit', { expected: 'callbacks must be Callback instances', got: describeValue(c) });
  }
  let history = callbacks.find((c): c is History => c instanceof History);
  if (!history) {
    history = new History();
    callbacks.push(history);
  }
  if (verbose > 0 && !callbacks.some((c) => c instanceof ProgbarLogger)) callbacks.push(new ProgbarLogger({ verbose: verbose as 1 | 2 }));
  const list = new CallbackList(callbacks);
  const names = compiled.logNames;
  list.configure(model, { epochs, steps, verbose, metrics: validation ? [...names, ...names.map((m) => `val_${m}`)] : names });

  // BackupAndRestore: every callback sees where fit stands (epoch, next step, RNG state before the
  // epoch's shuffle, running trackers) and may save it at the save points below.
  const context: FitContext = {
    callbacks,
    epoch: initialEpoch,
    step: 0,
    epochRandomState: null,
    trackerState: () => compiled.getTrackerState(),
  };
  for (const c of callbacks) c.fitContext = context;
  const savers = callbacks.filter((c) => c.onSavePoint !== undefined);
  const savePoint = async (kind: 'batch' | 'epoch') => {
    for (const c of savers) await c.onSavePoint!(kind);
  };

  model.stopTraining = false;
  let lastYield = Date.now();
  let epochLogs: Logs = {};
  await list.call('onTrainBegin');
  // A callback restoring a backup (after every onTrainBegin reset) says where to resume.
  let resume: ResumePoint | null = null;
  for (const c of callbacks) resume = (await c.restoreTraining?.()) ?? resume;
  const resumedStopped = resume?.stopTraining === true; // the backed-up run had already stopped early
  if (resumedStopped) model.stopTraining = true;
  for (let epoch = resume ? resume.epoch : initialEpoch; epoch < epochs && !resumedStopped; epoch++) {
    // Resuming inside an epoch: its onEpochBegin already ran; the same shuffle is drawn again from the
    // saved pre-shuffle RNG state, then the RNG and trackers continue from the saved batch.
    const midEpoch = resume !== null && resume.step > 0 && epoch === resume.epoch;
    let firstStep = 0;
    let order: Int32Array | null;
    context.epoch = epoch;
    context.step = 0;
    if (midEpoch) {
      if (resume!.epochRandomState) globalRandom().setState(resume!.epochRandomState);
      context.epochRandomState = resume!.epochRandomState;
      order = options.shuffle === false ? null : shuffledIndices(trainCount);
      globalRandom().setState(resume!.randomState);
      compiled.setTrackerState(resume!.trackerState as ReturnType<CompiledState['getTrackerState']>);
      firstStep = context.step = resume!.step;
    } else {
      if (resume !== null && epoch === resume.epoch) globalRandom().setState(resume.randomState);
      compiled.reset();
      await list.callIndexed('onEpochBegin', epoch);
      context.epochRandomState = globalRandom().getState();
      order = options.shuffle === false ? null : shuffledIndices(trainCount);
    }
    const batchData = weights ? [...xs, ...ys, weights] : [...xs, ...ys];
    for (let step = firstStep; step < steps; step++) {
      // Hooks that finish synchronously are not awaited: no microtask turn per hook and step.
      const begun = list.callIndexedSync('onTrainBatchBegin', step);
      if (begun) await begun;
      const start = step * batchSize;
      const end = Math.min(start + batchSize, trainCount);
      const batch = order ? takeRows(batchData, order.subarray(start, end)) : sliceRows(batchData, start, end);
      trainStep(
        model,
        compiled,
        batch.slice(0, xs.length),
        batch.slice(xs.length, xs.length + ys.length),
        weights ? batch.at(-1) : undefined,
      );
      // A batch that is a copy (not the caller's own tensor) was read by this step alone: its
      // storage can serve the next one.
      releaseFloat32(batch.flatMap((t, i) => (t !== batchData[i] && t._data instanceof Float32Array ? [t._data] : [])));
      const ended = list.callIndexedSync('onTrainBatchEnd', step, compiled.results());
      if (ended) await ended;
      context.step = step + 1;
      if (savers.length > 0) await savePoint('batch');
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
      if (model.stopTraining) break;
    }
    epochLogs = compiled.results();
    // Keras's _should_eval counts the absolute 1-based epoch, so a resumed fit (initialEpoch > 0)
    // validates at the same epochs as an uninterrupted one (caught by the integration test
    // 'validationFreq counts epochs from 1 as Keras does, also with initialEpoch').
    if (validation && (epoch + 1) % validationFreq === 0) {
      const valLogs = await runEvaluation(
        model,
        compiled,
        validation.xs,
        validation.ys,
        validation.weights,
        checkBatchSize(options.validationBatchSize ?? batchSize, 'fit (validationBatchSize)'),
        list,
      );
      for (const [k, v] of Object.entries(valLogs)) epochLogs[`val_${k}`] = v;
    }
    await list.callIndexed('onEpochEnd', epoch, epochLogs);
    context.epoch = epoch + 1;
    context.step = 0;
    await savePoint('epoch');
    if (model.stopTraining) break;
  }
  await list.call('onTrainEnd', epochLogs);
  return history;
}

async function runEvaluation(
  model: TrainableModel,
  compiled: CompiledState,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  weights: Tensor | undefined,
  batchSize: number,
  list: CallbackList,
): Promise<Logs> {
  const n = sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  compiled.reset();
  await list.call('onTestBegin');
  let lastYield = Date.now();
  for (let step = 0, start = 0; start < n; step++, start += batchSize) {
    const end = Math.min(start + batchSize, n);
    testStep(
      model,
      compiled,
      sliceRows(xs, start, end),
      sliceRows(ys, start, end),
      weights ? sliceRows([weights], start, end)[0] : undefined,
    );
    const ended = list.callIndexedSync('onTestBatchEnd', step, compiled.results());
    if (ended) await ended;
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
  }
  const logs = compiled.results();
  await list.call('onTestEnd', logs);
  return logs;
}

/** Keras's `evaluate`, returning the logs as a record (`{loss, accuracy, ...}`). */
export async function evaluate(model: TrainableModel, x: TensorOrList, y: TensorOrList, raw: EvaluateOptions = {}): Promise<Logs> {
  const options = parseOptions<EvaluateOptions>('evaluate', raw, EVALUATE_OPTIONS);
  const compiled = requireCompiled(model, 'evaluate');
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'evaluate');
  const verbose = checkVerbose(options.verbose ?? 1, 'evaluate');
  const xs = toList(x, 'evaluate: x');
  const ys = toList(y, 'evaluate: y');
  const n = sampleCount([['x', xs], ['y', ys], ...(options.sampleWeight ? [['sampleWeight', [options.sampleWeight]] as const] : [])]);
  checkFinite(xs, 'evaluate: x');
  checkFinite(ys, 'evaluate: y');
  const callbacks = [...(options.callbacks ?? [])];
  if (verbose > 0 && !callbacks.some((c) => c instanceof ProgbarLogger)) callbacks.push(new ProgbarLogger({ verbose }));
  const list = new CallbackList(callbacks);
  list.configure(model, { epochs: 1, steps: Math.ceil(n / batchSize), verbose, metrics: compiled.logNames });
  return runEvaluation(model, compiled, xs, ys, options.sampleWeight, batchSize, list);
}

/** Keras's `predict`: batched forward passes (training false, no gradients), concatenated. */
export function predict(model: TrainableModel, x: TensorOrList, raw: PredictOptions = {}): Tensor[] {
  const options = parseOptions<PredictOptions>('predict', raw, PREDICT_OPTIONS);
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'predict');
  const xs = toList(x, 'predict: x');
  const n = sampleCount([['x', xs]]);
  return noGrad(() => {
    const parts: Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize)
      parts.push(model.forward(sliceRows(xs, start, Math.min(start + batchSize, n)), false));
    if (parts.length === 0) throw configError('predict', { expected: 'x must hold samples', got: 'none (0 rows on axis 0)' });
    return parts[0]!.map((_, o) =>
      parts.length === 1
        ? parts[0]![o]!
        : ops.concat(
            parts.map((p) => p[o]!),
            0,
          ),
    );
  });
}

/** One training step on one batch; returns the logs of that batch alone. */
export function trainOnBatch(model: TrainableModel, x: TensorOrList, y: TensorOrList, raw: BatchOptions = {}): Logs {
  const options = parseOptions<BatchOptions>('trainOnBatch', raw, TRAIN_ON_BATCH_OPTIONS);
  const compiled = requireCompiled(model, 'trainOnBatch');
  const xs = toList(x, 'trainOnBatch: x');
  const ys = toList(y, 'trainOnBatch: y');
  const weights = sampleWeightsFor(ys, options);
  sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  compiled.reset();
  trainStep(model, compiled, xs, ys, weights);
  return compiled.results();
}

/** Evaluates one batch; returns its logs. */
export function testOnBatch(model: TrainableModel, x: TensorOrList, y: TensorOrList, raw: { sampleWeight?: Tensor } = {}): Logs {
  const options = parseOptions<{ sampleWeight?: Tensor }>('testOnBatch', raw, TEST_ON_BATCH_OPTIONS);
  const compiled = requireCompiled(model, 'testOnBatch');
  const xs = toList(x, 'testOnBatch: x');
  const ys = toList(y, 'testOnBatch: y');
  sampleCount([
    ['x', xs],
    ['y', ys],
  ]);
  compiled.reset();
  testStep(model, compiled, xs, ys, options.sampleWeight);
  return compiled.results();
}
