import { configError, isPlainObject, notice, releaseFloat32, show } from '../../core/index.js';
import * as ops from '../../ops/index.js';
import { Dataset, INFINITE, isRecyclable } from '../../data/pipeline/dataset.js';
import { describeValue } from '../describe.js';
import { Tensor, noGrad } from '../../tensor/index.js';
import type { CallbackList, Logs } from '../callbacks/callback.js';
import { checkFinite, classWeightsToSampleWeights, sampleCount, yieldToEventLoop } from './data.js';
import { YIELD_EVERY_MS, predictStep, type NamedIO, type StepRunner, type TrainableModel } from './step.js';

/*
 * fit/evaluate/predict over an nr.data.Dataset: Keras's rules for what may come with one, how an
 * element unpacks into x, y and sample weights, and the iterator that the loop pulls batches from
 * (one `next()` per step, awaited only when the step needs its batch, so a prefetching dataset
 * produces the next batch while the model trains on this one).
 */

/** One step's data: inputs, targets, optional weights, and the tensors whose storage the step may recycle. */
export interface StepBatch {
  xs: Tensor[];
  ys: Tensor[];
  weights?: Tensor;
  /** Made for this step alone (copies no one else holds); their storage goes back to the pool after it. */
  owned: Tensor[];
}

/**
 * Accepts `model.fit(dataset, options)` (Keras's form) as well as `fit(dataset, undefined, options)`,
 * and `fit(x, options)` for a model whose step needs no y (a plain object is never y, which is a
 * Tensor or a list): returns the y and options that go on to the loop, which rejects a y given with a Dataset.
 */
export function datasetArguments<O>(y: unknown, options: O | undefined): [unknown, O | undefined] {
  if (options === undefined && isPlainObject(y)) return [undefined, y as O];
  return [y, options];
}

/** Keras's rules for the options that do not go with a Dataset. */
export function rejectWithDataset(where: string, y: unknown, options: Record<string, unknown>, keys: readonly string[]): void {
  if (y !== undefined) {
    throw configError(where, {
      expected: 'y must not be given when x is a Dataset: its elements carry the targets, as [x, y] or [x, y, sampleWeight]',
      got: describeValue(y),
      hint: `put the labels in the dataset (e.g. Dataset.fromTensorSlices([x, y]).batch(32)) and call ${where}(dataset, options)`,
    });
  }
  const hints: Record<string, string> = {
    batchSize: 'the dataset yields batches already: batch it with dataset.batch(n)',
    validationSplit: 'a Dataset cannot be split by fraction: pass validationData (e.g. dataset.take(k) and dataset.skip(k))',
    sampleWeight: 'give the weights in the dataset, as its elements [x, y, sampleWeight]',
    validationBatchSize: 'the validation dataset yields batches already: batch it with dataset.batch(n)',
  };
  for (const key of keys) {
    if (options[key] !== undefined) {
      throw configError(where, { expected: `option ${key} is not accepted when x is a Dataset (Keras rejects it too)`, hint: hints[key] });
    }
  }
}

/** Steps per pass: the steps option when given, else the cardinality (null when unknown); an endless dataset needs steps. */
export function datasetSteps(dataset: Dataset<unknown>, steps: number | undefined, where: string, option: string): number | null {
  if (steps !== undefined) {
    if (!Number.isInteger(steps) || steps < 1)
      throw configError(where, { expected: `${option} must be an integer >= 1`, got: show(steps) });
    return steps;
  }
  const size = dataset.cardinality();
  if (size === INFINITE) {
    throw configError(where, {
      expected: 'the Dataset is infinite (cardinality INFINITE), so a pass over it would never end',
      hint: `give ${option}, or take(n) from the dataset`,
    });
  }
  if (size === 0) throw configError(where, { expected: 'the Dataset must yield at least one batch', got: 'none (cardinality 0)' });
  return size >= 0 ? size : null;
}

/** x or y of an element as a list in the model's order: a Tensor, an array of Tensors, or `{name: tensor}`. */
function part(value: unknown, names: readonly string[] | undefined, what: string): Tensor[] {
  if (value instanceof Tensor) return [value];
  if (Array.isArray(value) && value.length > 0 && value.every((t) => t instanceof Tensor)) return [...value];
  if (isPlainObject(value) && names) {
    const missing = names.filter((n) => !(value[n] instanceof Tensor));
    const extra = Object.keys(value).filter((k) => !names.includes(k));
    if (missing.length === 0 && extra.length === 0) return names.map((n) => value[n] as Tensor);
    throw configError('', {
      expected: `${what} given by name must have one Tensor for each of ${show(names)}`,
      got: `keys ${show(Object.keys(value))}`,
      hint: missing.length > 0 ? `add ${show(missing)}` : `remove ${show(extra)}`,
    });
  }
  throw configError('', {
    expected: `${what} must be a Tensor, an array of Tensors${names ? ' or an object {name: Tensor}' : ''}`,
    got: describeValue(value),
  });
}

/**
 * Splits a batch element into x, y and sample weights. Keras's rule: an array is `[x]`, `[x, y]` or
 * `[x, y, sampleWeight]` (so a multi-input x is nested: `[[a, b], y]`); anything else is x alone.
 */
export function unpackElement(element: unknown, model: NamedIO, where: string, needsTargets: boolean): StepBatch {
  const parts = Array.isArray(element) ? element : [element];
  if (parts.length < 1 || parts.length > 3 || (needsTargets && parts.length < 2)) {
    throw configError(where, {
      expected: `each Dataset element must be ${needsTargets ? '' : 'x, [x], '}[x, y] or [x, y, sampleWeight]`,
      got: Array.isArray(element) ? `an array of ${element.length}` : describeValue(element),
      hint: needsTargets ? 'map the elements to pairs, e.g. dataset.map((e) => [e.image, e.label])' : undefined,
    });
  }
  const xs = part(parts[0], model.inputNames, `${where}: the dataset's x`);
  const ys = parts.length > 1 ? part(parts[1], model.outputNames, `${where}: the dataset's y`) : [];
  const weights = parts[2] as Tensor | undefined;
  if (weights !== undefined && !(weights instanceof Tensor)) {
    throw configError(where, { expected: "the dataset's sampleWeight must be a Tensor of shape [batch]", got: describeValue(weights) });
  }
  sampleCount([[`the dataset's x`, xs], [`the dataset's y`, ys], ...(weights ? [[`the dataset's sampleWeight`, [weights]] as const] : [])]);
  const owned = [...xs, ...ys, ...(weights ? [weights] : [])].filter(isRecyclable);
  return { xs, ys, weights, owned };
}

/**
 * The training batches of a Dataset, epoch after epoch. Without stepsPerEpoch each epoch is one full
 * pass (a fresh iteration); with it, one iterator runs on across epochs, as in Keras 3: one that ends
 * exactly at an epoch boundary starts over, one that ends inside an epoch stops training with a notice.
 */
export class DatasetBatches {
  private iterator: AsyncIterator<unknown> | null = null;
  /** Batches the current iterator has given. */
  private delivered = 0;
  /** Batches given in all, over every iterator. */
  private step = 0;

  constructor(
    private readonly dataset: Dataset<unknown>,
    private readonly model: NamedIO,
    private readonly stepsPerEpoch: number | null,
    private readonly classWeight?: Readonly<Record<number, number>>,
    /** False when the model's own trainStep takes elements without targets. */
    private readonly needsTargets = true,
  ) {}

  /** Starts an epoch: a new pass unless stepsPerEpoch carries the iterator on; skips `first` batches (resuming). */
  async startEpoch(first: number): Promise<void> {
    if (this.stepsPerEpoch === null) await this.close();
    for (let i = 0; i < first; i++) if ((await this.pull()).done) return;
  }

  private async pull(): Promise<IteratorResult<unknown>> {
    if (this.iterator === null) {
      this.iterator = Dataset.iterateForFit(this.dataset);
      this.delivered = 0;
    }
    const r = await this.iterator.next();
    if (r.done) this.iterator = null;
    else this.delivered++;
    return r;
  }

  /** The next batch, or null at the end of the data (the loop then ends the epoch, or training when step is 0). */
  async next(step: number): Promise<StepBatch | null> {
    let r = await this.pull();
    // Keras 3's EpochIterator: data that ran out exactly at an epoch boundary starts over.
    if (r.done && step === 0 && this.delivered > 0) r = await this.pull();
    if (r.done) {
      if (this.step === 0) throw configError('fit', { expected: 'the training Dataset must yield at least one batch', got: 'none' });
      if (this.stepsPerEpoch !== null) {
        notice(
          `fit: the training Dataset ran out of data at step ${step + 1} of ${this.stepsPerEpoch}; training stops. ` +
            'It must yield at least stepsPerEpoch * epochs batches: use dataset.repeat()',
        );
      } else if (step === 0) {
        notice(
          'fit: the training Dataset gave no batch this epoch; training stops. Each epoch iterates it anew: ' +
            'a Dataset.fromGenerator function must return a new iterable on every call',
        );
      }
      return null;
    }
    this.step++;
    // One macrotask turn: the microtasks that start producing the next batch (a prefetch's pull, a
    // map call posting work to a worker) run now, so that work overlaps this step's compute.
    await yieldToEventLoop();
    const batch = unpackElement(r.value, this.model, 'fit', this.needsTargets);
    checkFinite(batch.xs, `fit: x of the dataset's batch ${step}`);
    checkFinite(batch.ys, `fit: y of the dataset's batch ${step}`);
    if (this.classWeight !== undefined) {
      if (batch.ys.length > 1)
        throw configError('fit', { expected: 'classWeight is only supported for models with one output', hint: 'give sample weights' });
      const fromClasses = classWeightsToSampleWeights(batch.ys[0]!, this.classWeight);
      batch.weights = batch.weights === undefined ? fromClasses : ops.mul(batch.weights, fromClasses);
    }
    return batch;
  }

  /** Ends the current iteration (the dataset's generators run their cleanup). */
  async close(): Promise<void> {
    const iterator = this.iterator;
    this.iterator = null;
    await iterator?.return?.();
  }
}

/** One pass of testStep over a Dataset's batches (`steps` of them, or all when null). */
export async function runDatasetEvaluation(
  runner: StepRunner,
  dataset: Dataset<unknown>,
  steps: number | null,
  list: CallbackList,
  where = 'fit (validationData)',
): Promise<Logs> {
  runner.reset();
  await list.call('onTestBegin');
  let lastYield = Date.now();
  let logs: Logs = {};
  const iterator = Dataset.iterateForFit(dataset);
  try {
    for (let step = 0; steps === null || step < steps; step++) {
      const r = await iterator.next();
      if (r.done) {
        if (step === 0) throw configError(where, { expected: 'the Dataset must yield at least one batch', got: 'none' });
        break;
      }
      await yieldToEventLoop(); // lets the next batch's production start, as in DatasetBatches.next
      const batch = unpackElement(r.value, runner.model, where, !runner.testTargetsOptional);
      logs = runner.test(batch.xs, batch.ys, batch.weights);
      if (!runner.customTest) releaseFloat32(batch.owned.flatMap((t) => (t._data instanceof Float32Array ? [t._data] : [])));
      const ended = list.callIndexedSync('onTestBatchEnd', step, logs);
      if (ended) await ended;
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    }
  } finally {
    await iterator.return?.();
  }
  await list.call('onTestEnd', logs);
  return logs;
}

/** The model's outputs (training false) for each batch of `dataset` (`steps` of them, or all when null). */
export async function predictBatches(model: TrainableModel, dataset: Dataset<unknown>, steps: number | null): Promise<Tensor[][]> {
  const parts: Tensor[][] = [];
  let lastYield = Date.now();
  const iterator = dataset[Symbol.asyncIterator]();
  try {
    while (steps === null || parts.length < steps) {
      const r = await iterator.next();
      if (r.done) break;
      await yieldToEventLoop(); // lets the next batch's production start, as in DatasetBatches.next
      // The batch's storage is not recycled: an output may share it (a Reshape or Flatten model).
      const { xs } = unpackElement(r.value, model, 'predict', false);
      parts.push(noGrad(() => predictStep(model, xs)));
      if (Date.now() - lastYield >= YIELD_EVERY_MS) {
        await yieldToEventLoop();
        lastYield = Date.now();
      }
    }
  } finally {
    await iterator.return?.();
  }
  return parts;
}
