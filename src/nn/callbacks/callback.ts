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
  /** Batches per epoch. */
  steps: number;
  verbose: 0 | 1 | 2;
  /** Names of the metrics that appear in the logs, loss first. */
  metrics: string[];
}

export abstract class Callback {
  model: CallbackModel | null = null;
  params: CallbackParams | null = null;

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
}
