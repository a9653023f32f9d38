/*
 * Callbacks see training through Keras's hooks. `fit` calls them in this order: onTrainBegin;
 * per epoch onEpochBegin, per batch onTrainBatchBegin / onTrainBatchEnd, then (with validation)
 * onTestBegin / onTestBatchEnd... / onTestEnd, then onEpochEnd with the epoch's logs
 * (`loss`, metrics, `val_loss`, `val_<metric>`); finally onTrainEnd. Hooks may be async.
 */

/** Metric values by name, e.g. `{loss: 0.31, accuracy: 0.91, val_loss: 0.35}`. */
export type Logs = Record<string, number>;

/** What a callback may touch on the model being trained. */
export interface CallbackModel {
  /** Set to true to stop `fit` after the current epoch. */
  stopTraining: boolean;
  getWeights(): import('../../tensor/index.js').Tensor[];
  setWeights(weights: readonly import('../../tensor/index.js').Tensor[]): void;
  /** The compiled optimizer (learning rate readable and settable for plain numbers). */
  readonly optimizer: { learningRate: number } | null;
}

/** Parameters `fit` passes to callbacks before training. */
export interface CallbackParams {
  epochs: number;
  /** Batches per epoch; null when not known in advance (a Dataset of unknown cardinality), as Keras's None. */
  steps: number | null;
  verbose: 0 | 1 | 2;
  /** Names of the metrics that appear in the logs, loss first. */
  metrics: string[];
}

/**
 * Where `fit` stands, for BackupAndRestore (set on every callback by `fit`). `epoch`/`step` name the
 * next batch to run; `epochRandomState` is the global RNG state just before this epoch's shuffle.
 */
export interface FitContext {
  readonly callbacks: readonly Callback[];
  epoch: number;
  step: number;
  epochRandomState: import('../../core/random.js').RandomState | null;
  trackerState(): unknown;
}

/** Where a restored fit continues (returned by `Callback.restoreTraining`). */
export interface ResumePoint {
  epoch: number;
  step: number;
  epochRandomState: import('../../core/random.js').RandomState | null;
  randomState: import('../../core/random.js').RandomState;
  trackerState: unknown;
  stopTraining: boolean;
}

export abstract class Callback {
  model: CallbackModel | null = null;
  params: CallbackParams | null = null;
  fitContext: FitContext | null = null;

  /** Optional: the callback's state as JSON, saved by BackupAndRestore (undefined: nothing to save). */
  getState?(): unknown;
  /** Optional: restores what getState returned (called after onTrainBegin on a resumed fit). */
  setState?(state: unknown): void;
  /** Called by `fit` after onTrainBegin; a callback that restores a backup returns where to resume. */
  restoreTraining?(): Promise<ResumePoint | null>;
  /** Called by `fit` after every batch's and every epoch's hooks have all run (a consistent save point). */
  onSavePoint?(kind: 'batch' | 'epoch'): Promise<void>;

  setModel(model: CallbackModel): void {
    this.model = model;
  }

  setParams(params: CallbackParams): void {
    this.params = params;
  }

  onTrainBegin(_logs?: Logs): void | Promise<void> {}
  onTrainEnd(_logs?: Logs): void | Promise<void> {}
  onEpochBegin(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onEpochEnd(_epoch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchBegin(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTrainBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onTestBegin(_logs?: Logs): void | Promise<void> {}
  onTestEnd(_logs?: Logs): void | Promise<void> {}
  onTestBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
  onPredictBatchEnd(_batch: number, _logs?: Logs): void | Promise<void> {}
}

type Hook = 'onTrainBegin' | 'onTrainEnd' | 'onTestBegin' | 'onTestEnd';
type IndexedHook = 'onEpochBegin' | 'onEpochEnd' | 'onTrainBatchBegin' | 'onTrainBatchEnd' | 'onTestBatchEnd' | 'onPredictBatchEnd';

/** Calls a hook on every callback in order, awaiting each. */
export class CallbackList {
  constructor(readonly callbacks: Callback[]) {}

  configure(model: CallbackModel, params: CallbackParams): void {
    for (const c of this.callbacks) {
      c.setModel(model);
      c.setParams(params);
    }
  }

  async call(hook: Hook, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c[hook](logs);
  }

  async callIndexed(hook: IndexedHook, index: number, logs?: Logs): Promise<void> {
    for (const c of this.callbacks) await c[hook](index, logs);
  }

  /**
   * Same order and waiting as `callIndexed`, but synchronous until a hook returns a promise: it
   * returns undefined when every hook finished synchronously, else a promise for the rest. `fit`
   * calls the per-batch hooks through this, since a microtask turn per hook per batch is a measurable
   * share of a small model's step (W2 runs 250 steps per epoch).
   */
  callIndexedSync(hook: IndexedHook, index: number, logs?: Logs): Promise<void> | undefined {
    const callbacks = this.callbacks;
    for (let i = 0; i < callbacks.length; i++) {
      const result = callbacks[i]![hook](index, logs);
      if (isPromiseLike(result)) return this.finishIndexed(result, i + 1, hook, index, logs);
    }
    return undefined;
  }

  private async finishIndexed(pending: PromiseLike<void>, next: number, hook: IndexedHook, index: number, logs?: Logs): Promise<void> {
    await pending;
    for (let i = next; i < this.callbacks.length; i++) await this.callbacks[i]![hook](index, logs);
  }
}

function isPromiseLike(value: unknown): value is PromiseLike<void> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}
