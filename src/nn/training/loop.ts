import { clearBufferPool, configError, globalRandom, parseOptions, releaseFloat32, show } from '../../core/index.js';
import { Tensor, noGrad } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { Callback, CallbackList, type FitContext, type Logs, type ResumePoint } from '../callbacks/callback.js';
import { History } from '../callbacks/history.js';
import { ProgbarLogger } from '../callbacks/progbar.js';
import { describeValue } from '../describe.js';
import {
  EVALUATE_OPTIONS,
  FIT_OPTIONS,
  PREDICT_OPTIONS,
  TEST_ON_BATCH_OPTIONS,
  TRAIN_ON_BATCH_OPTIONS,
  checkCount,
  checkVerbose,
  type BatchOptions,
  type EvaluateOptions,
  type TestOnBatchOptions,
  logsAs,
  type FitOptions,
  type PredictOptions,
} from './options.js';
import { StepRunner, YIELD_EVERY_MS, predictStep, requireCompiled, type TrainableModel } from './step.js';
import { Dataset } from '../../data/pipeline/dataset.js';
import { DatasetBatches, datasetSteps, predictBatches, rejectWithDataset, runDatasetEvaluation, type StepBatch } from './dataset-input.js';
import {
  checkBatchSize,
  checkFinite,
  classWeightsToSampleWeights,
  concatOutputs,
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

export { trainStep, type TrainableModel, type StepData, type StepLogs } from './step.js';

export type { Verbose, FitOptions, EvaluateOptions, PredictOptions, BatchOptions, TestOnBatchOptions } from './options.js';

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

/** Keras's `fit`; returns the History callback. */
export async function fit(
  model: TrainableModel,
  x: TensorOrList | Dataset<unknown>,
  y: TensorOrList | undefined,
  raw: FitOptions = {},
): Promise<History> {
  const options = parseOptions<FitOptions>('fit', raw, FIT_OPTIONS);
  try {
    return await fitLoop(model, x, y, options);
  } finally {
    // The steps' recycled storage goes back to the garbage collector with the end of training.
    clearBufferPool();
  }
}

/** Where fit's batches come from: tensors cut into batches, or a Dataset. */
interface TrainSource {
  /** Batches per epoch; null when not known before the epoch ends (a Dataset of UNKNOWN cardinality). */
  steps: number | null;
  /** Runs the validation pass, or null without validation data. */
  validate: ((list: CallbackList) => Promise<Logs>) | null;
  /** Begins an epoch whose first step is `first` (draws the epoch's shuffle). */
  startEpoch(first: number): void | Promise<void>;
  /** The batch of `step`, or null when the data ended. Tensors answer synchronously (no microtask per step). */
  next(step: number): StepBatch | null | Promise<StepBatch | null>;
  close(): void | Promise<void>;
}

/** fit's batches from tensors: Keras's checks, validationSplit, and a seeded shuffle per epoch. */
function tensorSource(runner: StepRunner, x: TensorOrList, y: TensorOrList | undefined, options: FitOptions): TrainSource {
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'fit');
  for (const key of ['stepsPerEpoch', 'validationSteps'] as const) {
    if (options[key] !== undefined && !(key === 'validationSteps' && options.validationData instanceof Dataset)) {
      throw configError('fit', {
        expected: `option ${key} needs a Dataset (${key === 'stepsPerEpoch' ? 'x' : 'validationData'})`,
        hint: 'with tensors every pass covers all samples: leave it out',
      });
    }
  }
  const split = options.validationSplit ?? 0;
  if (typeof split !== 'number' || !(split >= 0 && split < 1)) {
    throw configError('fit', { expected: 'validationSplit must be a number in [0, 1)', got: show(split) });
  }
  let xs = toList(x, 'fit: x');
  // A model with its own trainStep may train on x alone (an autoencoder, a GAN).
  let ys = y === undefined && runner.trainTargetsOptional ? [] : toList(y, 'fit: y');
  let weights = sampleWeightsFor(ys, options);
  const n = sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  if (n === 0) throw configError('fit', { expected: 'x and y must hold samples', got: 'none (0 rows on axis 0)' });
  // Checked once, before the first step: NaN in the data would otherwise surface as a NaN loss.
  checkFinite(xs, 'fit: x');
  checkFinite(ys, 'fit: y');
  if (weights) checkFinite([weights], 'fit: sampleWeight');

  let validate = validationRunner(runner, options, batchSize);
  if (!validate && split > 0) {
    const parts = splitValidation(weights ? [xs, ys, [weights]] : [xs, ys], n, split);
    const [vx, vy, vw] = [parts.validation[0]!, parts.validation[1]!, parts.validation[2]?.[0]];
    const size = checkBatchSize(options.validationBatchSize ?? batchSize, 'fit (validationBatchSize)');
    validate = (list) => runEvaluation(runner, vx, vy, vw, size, list);
    xs = parts.train[0]!;
    ys = parts.train[1]!;
    weights = parts.train[2]?.[0];
  }
  const trainCount = xs[0]!.shape[0]!;
  const batchData = weights ? [...xs, ...ys, weights] : [...xs, ...ys];
  let order: Int32Array | null = null;
  return {
    steps: Math.ceil(trainCount / batchSize),
    validate,
    startEpoch: () => {
      order = options.shuffle === false ? null : shuffledIndices(trainCount);
    },
    next: (step) => {
      const start = step * batchSize;
      const end = Math.min(start + batchSize, trainCount);
      const batch = order ? takeRows(batchData, order.subarray(start, end)) : sliceRows(batchData, start, end);
      return {
        xs: batch.slice(0, xs.length),
        ys: batch.slice(xs.length, xs.length + ys.length),
        weights: weights ? batch.at(-1) : undefined,
        // A batch that is a copy (not the caller's own tensor) is read by this step alone.
        owned: batch.filter((t, i) => t !== batchData[i]),
      };
    },
    close: () => {},
  };
}

/** fit's batches from a Dataset (Keras: no y, batchSize, validationSplit or sampleWeight beside it; shuffle ignored). */
function datasetSource(runner: StepRunner, x: Dataset<unknown>, y: unknown, options: FitOptions): TrainSource {
  rejectWithDataset('fit', y, options as Record<string, unknown>, ['batchSize', 'validationSplit', 'sampleWeight']);
  const steps = datasetSteps(x, options.stepsPerEpoch, 'fit', 'stepsPerEpoch');
  const stepsPerEpoch = options.stepsPerEpoch === undefined ? null : steps;
  const batches = new DatasetBatches(x, runner.model, stepsPerEpoch, options.classWeight, !runner.trainTargetsOptional);
  return {
    steps,
    validate: validationRunner(runner, options, null),
    startEpoch: (first) => batches.startEpoch(first),
    next: (step) => batches.next(step),
    close: () => batches.close(),
  };
}

/** The validation pass of validationData (tensors or a Dataset), or null without it. */
function validationRunner(runner: StepRunner, options: FitOptions, batchSize: number | null): TrainSource['validate'] {
  const data = options.validationData;
  if (data === undefined) return null;
  if (data instanceof Dataset) {
    rejectWithDataset('fit (validationData)', undefined, options as Record<string, unknown>, ['validationBatchSize']);
    const steps = datasetSteps(data, options.validationSteps, 'fit (validationData)', 'validationSteps');
    return (list) => runDatasetEvaluation(runner, data, steps, list);
  }
  const xOnly = runner.testTargetsOptional && Array.isArray(data) && (data as unknown[]).length === 1;
  if (!xOnly && (!Array.isArray(data) || data.length < 2 || data.length > 3)) {
    throw configError('fit', {
      expected: 'validationData must be [xVal, yVal], [xVal, yVal, sampleWeightVal] or a Dataset',
      got: Array.isArray(data) ? `an array of ${data.length}` : show(data),
    });
  }
  const pair = data as readonly unknown[];
  const xs = toList(pair[0] as TensorOrList, 'fit: validationData x');
  const ys = pair.length < 2 ? [] : toList(pair[1] as TensorOrList, 'fit: validationData y');
  sampleCount([
    ['validationData x', xs],
    ['validationData y', ys],
  ]);
  checkFinite(xs, 'fit: validationData x');
  checkFinite(ys, 'fit: validationData y');
  const size = checkBatchSize(options.validationBatchSize ?? batchSize ?? 32, 'fit (validationBatchSize)');
  return (list) => runEvaluation(runner, xs, ys, pair[2] as Tensor | undefined, size, list);
}

async function fitLoop(
  model: TrainableModel,
  x: TensorOrList | Dataset<unknown>,
  y: TensorOrList | undefined,
  options: FitOptions,
): Promise<History> {
  const compiled = requireCompiled(model, 'fit');
  const runner = new StepRunner(model, compiled);
  const epochs = checkCount(options.epochs ?? 1, 'epochs', 'fit', 1);
  const initialEpoch = checkCount(options.initialEpoch ?? 0, 'initialEpoch', 'fit', 0);
  const verbose = checkVerbose(options.verbose ?? 1, 'fit');
  const validationFreq = checkCount(options.validationFreq ?? 1, 'validationFreq', 'fit', 1);
  const source = x instanceof Dataset ? datasetSource(runner, x, y, options) : tensorSource(runner, x, y, options);
  const steps = source.steps;

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
  const names = runner.names;
  list.configure(model, { epochs, steps, verbose, metrics: source.validate ? [...names, ...names.map((m) => `val_${m}`)] : names });

  // BackupAndRestore: every callback sees where fit stands (epoch, next step, RNG state before the
  // epoch's shuffle, running trackers) and may save it at the save points below.
  let epochLogs: Logs = {};
  const context: FitContext = {
    callbacks,
    epoch: initialEpoch,
    step: 0,
    epochRandomState: null,
    // The last step's logs too: a backup taken after an epoch's last batch resumes with no step left to make them.
    trackerState: () => ({ ...(runner.trackerState() as object), logs: epochLogs }),
  };
  for (const c of callbacks) c.fitContext = context;
  const savers = callbacks.filter((c) => c.onSavePoint !== undefined);
  const savePoint = async (kind: 'batch' | 'epoch') => {
    for (const c of savers) await c.onSavePoint!(kind);
  };

  model.stopTraining = false;
  let lastYield = Date.now();
  try {
    await list.call('onTrainBegin');
    // A callback restoring a backup (after every onTrainBegin reset) says where to resume.
    let resume: ResumePoint | null = null;
    for (const c of callbacks) resume = (await c.restoreTraining?.()) ?? resume;
    const resumedStopped = resume?.stopTraining === true; // the backed-up run had already stopped early
    if (resumedStopped) model.stopTraining = true;
    for (let epoch = resume ? resume.epoch : initialEpoch; epoch < epochs && !resumedStopped; epoch++) {
      // Resuming inside an epoch: its onEpochBegin already ran; the same shuffle is drawn again from the
      // saved pre-shuffle RNG state (a Dataset skips the batches already run), then the RNG and trackers
      // continue from the saved batch.
      const midEpoch = resume !== null && resume.step > 0 && epoch === resume.epoch;
      let firstStep = 0;
      context.epoch = epoch;
      context.step = 0;
      if (midEpoch) {
        if (resume!.epochRandomState) globalRandom().setState(resume!.epochRandomState);
        context.epochRandomState = resume!.epochRandomState;
        await source.startEpoch(resume!.step);
        globalRandom().setState(resume!.randomState);
        runner.setTrackerState(resume!.trackerState);
        epochLogs = { ...((resume!.trackerState as { logs?: Logs }).logs ?? {}) };
        firstStep = context.step = resume!.step;
      } else {
        if (resume !== null && epoch === resume.epoch) globalRandom().setState(resume.randomState);
        runner.reset();
        await list.callIndexed('onEpochBegin', epoch);
        context.epochRandomState = globalRandom().getState();
        await source.startEpoch(0);
      }
      let empty = false;
      for (let step = firstStep; steps === null || step < steps; step++) {
        // Asked for only now, so a prefetching Dataset has been producing it during the last step.
        const next = source.next(step);
        const batch = next instanceof Promise ? await next : next;
        if (batch === null) {
          // An epoch with no batch at all is not recorded (its loss would read 0, a best to EarlyStopping).
          empty = step === 0;
          if (empty || (steps !== null && step < steps && options.stepsPerEpoch !== undefined)) model.stopTraining = true;
          break;
        }
        // Hooks that finish synchronously are not awaited: no microtask turn per hook and step.
        const begun = list.callIndexedSync('onTrainBatchBegin', step);
        if (begun) await begun;
        const logs = runner.train(batch.xs, batch.ys, batch.weights);
        // A step of the model's own may keep its batch (e.g. for a callback): only the built-in one gives it back.
        if (!runner.customTrain) releaseFloat32(batch.owned.flatMap((t) => (t._data instanceof Float32Array ? [t._data] : [])));
        epochLogs = logs;
        const ended = list.callIndexedSync('onTrainBatchEnd', step, logs);
        if (ended) await ended;
        context.step = step + 1;
        if (savers.length > 0) await savePoint('batch');
        if (Date.now() - lastYield >= YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = Date.now();
        }
        if (model.stopTraining) break;
      }
      if (empty) break;
      epochLogs = { ...epochLogs };
      // Keras's _should_eval counts the absolute 1-based epoch, so a resumed fit (initialEpoch > 0)
      // validates at the same epochs as an uninterrupted one (caught by the integration test
      // 'validationFreq counts epochs from 1 as Keras does, also with initialEpoch').
      if (source.validate && (epoch + 1) % validationFreq === 0) {
        const valLogs = await source.validate(list);
        for (const [k, v] of Object.entries(valLogs)) epochLogs[`val_${k}`] = v;
      }
      await list.callIndexed('onEpochEnd', epoch, epochLogs);
      context.epoch = epoch + 1;
      context.step = 0;
      await savePoint('epoch');
      if (model.stopTraining) break;
    }
  } finally {
    await source.close();
  }
  // Keras's fit ends by putting the moving averages of an optimizer with useEma into the weights.
  const optimizers = [...(compiled.optimizer ? [compiled.optimizer] : []), ...Object.values(compiled.optimizers)];
  for (const optimizer of optimizers) optimizer.finalizeVariableValues(model.trainableWeights);
  await list.call('onTrainEnd', epochLogs);
  return history;
}

async function runEvaluation(
  runner: StepRunner,
  xs: readonly Tensor[],
  ys: readonly Tensor[],
  weights: Tensor | undefined,
  batchSize: number,
  list: CallbackList,
): Promise<Logs> {
  const n = sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  runner.reset();
  await list.call('onTestBegin');
  let lastYield = Date.now();
  let logs: Logs = {};
  for (let step = 0, start = 0; start < n; step++, start += batchSize) {
    const end = Math.min(start + batchSize, n);
    logs = runner.test(
      sliceRows(xs, start, end),
      ys.length > 0 ? sliceRows(ys, start, end) : [],
      weights ? sliceRows([weights], start, end)[0] : undefined,
    );
    const ended = list.callIndexedSync('onTestBatchEnd', step, logs);
    if (ended) await ended;
    if (Date.now() - lastYield >= YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = Date.now();
    }
  }
  await list.call('onTestEnd', logs);
  return logs;
}

/** Keras's `evaluate`, returning the logs as a record (`{loss, accuracy, ...}`). */
export async function evaluate(
  model: TrainableModel,
  x: TensorOrList | Dataset<unknown>,
  y: TensorOrList | undefined,
  raw: EvaluateOptions = {},
): Promise<Logs | number | number[]> {
  const options = parseOptions<EvaluateOptions>('evaluate', raw, EVALUATE_OPTIONS);
  const compiled = requireCompiled(model, 'evaluate');
  const runner = new StepRunner(model, compiled);
  const verbose = checkVerbose(options.verbose ?? 1, 'evaluate');
  const callbacks = [...(options.callbacks ?? [])];
  if (verbose > 0 && !callbacks.some((c) => c instanceof ProgbarLogger)) callbacks.push(new ProgbarLogger({ verbose }));
  const list = new CallbackList(callbacks);
  if (x instanceof Dataset) {
    rejectWithDataset('evaluate', y, options as Record<string, unknown>, ['batchSize', 'sampleWeight']);
    const steps = datasetSteps(x, options.steps, 'evaluate', 'steps');
    list.configure(model, { epochs: 1, steps, verbose, metrics: runner.names });
    return logsAs(await runDatasetEvaluation(runner, x, steps, list, 'evaluate'), options.returnDict);
  }
  if (options.steps !== undefined)
    throw configError('evaluate', { expected: 'option steps needs a Dataset x', hint: 'leave it out for tensors' });
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'evaluate');
  const xs = toList(x, 'evaluate: x');
  const ys = y === undefined && runner.testTargetsOptional ? [] : toList(y, 'evaluate: y');
  const n = sampleCount([['x', xs], ['y', ys], ...(options.sampleWeight ? [['sampleWeight', [options.sampleWeight]] as const] : [])]);
  checkFinite(xs, 'evaluate: x');
  checkFinite(ys, 'evaluate: y');
  list.configure(model, { epochs: 1, steps: Math.ceil(n / batchSize), verbose, metrics: runner.names });
  return logsAs(await runEvaluation(runner, xs, ys, options.sampleWeight, batchSize, list), options.returnDict);
}

/** Keras's `predict`: batched forward passes (training false, no gradients), concatenated. */
export function predict(model: TrainableModel, x: TensorOrList, raw: PredictOptions = {}): Tensor[] {
  const options = parseOptions<PredictOptions>('predict', raw, PREDICT_OPTIONS);
  if (options.steps !== undefined)
    throw configError('predict', { expected: 'option steps needs a Dataset x', hint: 'leave it out for tensors' });
  const batchSize = checkBatchSize(options.batchSize ?? 32, 'predict');
  const xs = toList(x, 'predict: x');
  const n = sampleCount([['x', xs]]);
  return noGrad(() => {
    const parts: Tensor[][] = [];
    for (let start = 0; start < n; start += batchSize) parts.push(predictStep(model, sliceRows(xs, start, Math.min(start + batchSize, n))));
    return concatOutputs(parts);
  });
}

/**
 * `predict` over a Dataset (its elements x, [x], [x, y] or [x, y, sampleWeight]; targets are
 * ignored), awaiting each batch: the outputs of all batches, concatenated.
 */
export async function predictDataset(model: TrainableModel, dataset: Dataset<unknown>, raw: PredictOptions = {}): Promise<Tensor[]> {
  const options = parseOptions<PredictOptions>('predict', raw, PREDICT_OPTIONS);
  rejectWithDataset('predict', undefined, options as Record<string, unknown>, ['batchSize']);
  return concatOutputs(await predictBatches(model, dataset, datasetSteps(dataset, options.steps, 'predict', 'steps')));
}

/** One training step on one batch; returns the logs of that batch alone. */
export function trainOnBatch(
  model: TrainableModel,
  x: TensorOrList,
  y: TensorOrList | undefined,
  raw: BatchOptions = {},
): Logs | number | number[] {
  const options = parseOptions<BatchOptions>('trainOnBatch', raw, TRAIN_ON_BATCH_OPTIONS);
  const runner = new StepRunner(model, requireCompiled(model, 'trainOnBatch'));
  const xs = toList(x, 'trainOnBatch: x');
  const ys = y === undefined && runner.trainTargetsOptional ? [] : toList(y, 'trainOnBatch: y');
  const weights = sampleWeightsFor(ys, options);
  sampleCount([['x', xs], ['y', ys], ...(weights ? [['sampleWeight', [weights]] as const] : [])]);
  runner.reset();
  return logsAs(runner.train(xs, ys, weights), options.returnDict);
}

/** Evaluates one batch; returns its logs. */
export function testOnBatch(
  model: TrainableModel,
  x: TensorOrList,
  y: TensorOrList | undefined,
  raw: TestOnBatchOptions = {},
): Logs | number | number[] {
  const options = parseOptions<TestOnBatchOptions>('testOnBatch', raw, TEST_ON_BATCH_OPTIONS);
  const runner = new StepRunner(model, requireCompiled(model, 'testOnBatch'));
  const xs = toList(x, 'testOnBatch: x');
  const ys = y === undefined && runner.testTargetsOptional ? [] : toList(y, 'testOnBatch: y');
  sampleCount([
    ['x', xs],
    ['y', ys],
  ]);
  runner.reset();
  return logsAs(runner.test(xs, ys, options.sampleWeight), options.returnDict);
}
