import { is, parseOptions } from '../../core/index.js';
import { Callback, type Logs } from './callback.js';

type EpochHook = (epoch: number, logs?: Logs) => void | Promise<void>;
type BatchHook = (batch: number, logs?: Logs) => void | Promise<void>;
type TrainHook = (logs?: Logs) => void | Promise<void>;

export interface LambdaCallbackOptions {
  onEpochBegin?: EpochHook;
  onEpochEnd?: EpochHook;
  onTrainBatchBegin?: BatchHook;
  onTrainBatchEnd?: BatchHook;
  onTrainBegin?: TrainHook;
  onTrainEnd?: TrainHook;
}

const LAMBDA_OPTIONS = {
  keys: {
    onEpochBegin: is.function,
    onEpochEnd: is.function,
    onTrainBatchBegin: is.function,
    onTrainBatchEnd: is.function,
    onTrainBegin: is.function,
    onTrainEnd: is.function,
  } satisfies Record<keyof LambdaCallbackOptions, unknown>,
};
/**
 * A callback made of plain functions, for one-off hooks.
 *
 * ```ts
 * new nr.callbacks.LambdaCallback({ onEpochEnd: (epoch, logs) => console.log(epoch, logs?.loss) });
 * ```
 */
export class LambdaCallback extends Callback {
  private readonly hooks: LambdaCallbackOptions;

  constructor(hooks: LambdaCallbackOptions = {}) {
    super();
    this.hooks = parseOptions<LambdaCallbackOptions>('LambdaCallback', hooks, LAMBDA_OPTIONS);
  }

  override onEpochBegin(epoch: number, logs?: Logs): void | Promise<void> {
    return this.hooks.onEpochBegin?.(epoch, logs);
  }
  override onEpochEnd(epoch: number, logs?: Logs): void | Promise<void> {
    return this.hooks.onEpochEnd?.(epoch, logs);
  }
  override onTrainBatchBegin(batch: number, logs?: Logs): void | Promise<void> {
    return this.hooks.onTrainBatchBegin?.(batch, logs);
  }
  override onTrainBatchEnd(batch: number, logs?: Logs): void | Promise<void> {
    return this.hooks.onTrainBatchEnd?.(batch, logs);
  }
  override onTrainBegin(logs?: Logs): void | Promise<void> {
    return this.hooks.onTrainBegin?.(logs);
  }
  override onTrainEnd(logs?: Logs): void | Promise<void> {
    return this.hooks.onTrainEnd?.(logs);
  }
}
