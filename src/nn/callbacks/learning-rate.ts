import { configError, notice, is, parseOptions, ownEntry, show } from '../../core/index.js';
import { Callback, type CallbackModel, type Logs } from './callback.js';
import { checkMode, checkNumber, missingMonitorText, type MonitorMode } from './monitor.js';

const PRINT_OPTIONS = { keys: { print: is.function } };

function optimizerOf(owner: string, model: CallbackModel | null): { learningRate: number } {
  const optimizer = model?.optimizer;
  if (!optimizer) throw configError(owner, { expected: 'the model has no optimizer', hint: 'compile it before fit' });
  return optimizer;
}

/**
 * Sets the learning rate at the start of every epoch to `schedule(epoch, currentLr)` (epoch 0-based)
 * and records it in the logs as `learning_rate`.
 *
 * ```ts
 * new nr.callbacks.LearningRateScheduler((epoch, lr) => (epoch < 10 ? lr : lr * Math.exp(-0.1)));
 * ```
 */
export class LearningRateScheduler extends Callback {
  private readonly print: (line: string) => void;

  constructor(
    readonly schedule: (epoch: number, learningRate: number) => number,
    readonly verbose: 0 | 1 = 0,
    raw: { print?: (line: string) => void } = {},
  ) {
    super();
    const options = parseOptions<{ print?: (line: string) => void }>('LearningRateScheduler', raw, PRINT_OPTIONS);
    if (typeof schedule !== 'function') {
      throw configError('LearningRateScheduler', {
        expected: 'option schedule must be a function (epoch, lr) => lr',
        got: show(schedule),
      });
    }
    this.print = options.print ?? ((line) => console.log(line));
  }

  override onEpochBegin(epoch: number): void {
    const optimizer = optimizerOf('LearningRateScheduler', this.model);
    const learningRate = this.schedule(epoch, optimizer.learningRate);
    if (typeof learningRate !== 'number' || !Number.isFinite(learningRate)) {
      throw configError('LearningRateScheduler', {
        expected: 'schedule must return a finite number',
        got: `${show(learningRate)} at epoch ${epoch}`,
      });
    }
    optimizer.learningRate = learningRate;
    if (this.verbose > 0) this.print(`\nEpoch ${epoch + 1}: LearningRateScheduler setting learning rate to ${learningRate}.`);
  }

  override onEpochEnd(_epoch: number, logs?: Logs): void {
    if (logs) logs.learning_rate = optimizerOf('LearningRateScheduler', this.model).learningRate;
  }
}

export interface ReduceLROnPlateauOptions {
  /** Log key to watch. Default 'val_loss'. */
  monitor?: string;
  /** Multiplier applied to the learning rate, below 1. Default 0.1. */
  factor?: number;
  /** Epochs without improvement before reducing. Default 10. */
  patience?: number;
  /** 'min', 'max', or 'auto' ('max' when the name contains "acc", as in Keras). Default 'auto'. */
  mode?: MonitorMode;
  /** Smallest change that counts as an improvement. Default 1e-4. */
  minDelta?: number;
  /** Epochs to wait after a reduction before counting again. Default 0. */
  cooldown?: number;
  /** The learning rate never goes below this. Default 0. */
  minLr?: number;
  /** 1 prints each reduction. Default 0. */
  verbose?: 0 | 1;
}

const REDUCE_LR_OPTIONS = {
  keys: {
    monitor: is.string,
    factor: is.any,
    patience: is.any,
    mode: is.any,
    minDelta: is.any,
    cooldown: is.any,
    minLr: is.any,
    verbose: is.any,
    print: is.function,
  } satisfies Record<keyof ReduceLROnPlateauOptions | 'print', unknown>,
};

/**
 * Multiplies the learning rate by `factor` when `monitor` has not improved for `patience` epochs
 * (Keras 3 semantics, including cooldown and `minLr`); adds `learning_rate` to the epoch's logs.
 *
 * ```ts
 * new nr.callbacks.ReduceLROnPlateau({ monitor: 'val_loss', factor: 0.5, patience: 2, minLr: 1e-5 });
 * ```
 */
export class ReduceLROnPlateau extends Callback {
  readonly monitor: string;
  readonly factor: number;
  readonly patience: number;
  readonly mode: MonitorMode;
  readonly minDelta: number;
  readonly cooldown: number;
  readonly minLr: number;
  readonly verbose: number;
  best = Infinity;
  wait = 0;
  cooldownCounter = 0;
  private readonly print: (line: string) => void;

  constructor(raw: ReduceLROnPlateauOptions & { print?: (line: string) => void } = {}) {
    super();
    const owner = 'ReduceLROnPlateau';
    const options = parseOptions<ReduceLROnPlateauOptions & { print?: (line: string) => void }>(owner, raw, REDUCE_LR_OPTIONS);
    this.monitor = options.monitor ?? 'val_loss';
    this.factor = checkNumber(owner, 'factor', options.factor ?? 0.1, { min: 0 });
    if (this.factor >= 1) throw configError(owner, { expected: 'option factor must be below 1.0', got: show(this.factor) });
    this.patience = checkNumber(owner, 'patience', options.patience ?? 10, { min: 0, integer: true });
    this.mode = checkMode(owner, options.mode ?? 'auto');
    this.minDelta = checkNumber(owner, 'minDelta', options.minDelta ?? 1e-4);
    this.cooldown = checkNumber(owner, 'cooldown', options.cooldown ?? 0, { min: 0, integer: true });
    this.minLr = checkNumber(owner, 'minLr', options.minLr ?? 0, { min: 0 });
    this.verbose = checkNumber(owner, 'verbose', options.verbose ?? 0, { min: 0, integer: true });
    this.print = options.print ?? ((line) => console.log(line));
    this.reset();
  }

  private get maximize(): boolean {
    return this.mode === 'max' || (this.mode === 'auto' && this.monitor.includes('acc'));
  }

  private reset(): void {
    this.best = this.maximize ? -Infinity : Infinity;
    this.cooldownCounter = 0;
    this.wait = 0;
  }

  override onTrainBegin(): void {
    this.reset();
  }

  override getState(): unknown {
    return { best: this.best, wait: this.wait, cooldownCounter: this.cooldownCounter };
  }

  override setState(state: unknown): void {
    const s = state as { best: number; wait: number; cooldownCounter: number };
    Object.assign(this, { best: s.best, wait: s.wait, cooldownCounter: s.cooldownCounter });
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const optimizer = optimizerOf('ReduceLROnPlateau', this.model);
    logs.learning_rate = optimizer.learningRate;
    const current = ownEntry(logs, this.monitor);
    if (current === undefined) {
      notice(missingMonitorText('ReduceLROnPlateau', this.monitor, logs));
      return;
    }
    if (this.cooldownCounter > 0) {
      this.cooldownCounter -= 1;
      this.wait = 0;
    }
    const improved = this.maximize ? current > this.best + this.minDelta : current < this.best - this.minDelta;
    if (improved) {
      this.best = current;
      this.wait = 0;
    } else if (this.cooldownCounter <= 0) {
      this.wait += 1;
      if (this.wait >= this.patience) {
        const oldLr = optimizer.learningRate;
        // Keras compares with min_lr as float32, so a rate stored in float32 at min_lr counts as reached.
        if (oldLr > Math.fround(this.minLr)) {
          const newLr = Math.max(oldLr * this.factor, this.minLr);
          optimizer.learningRate = newLr;
          if (this.verbose > 0) this.print(`\nEpoch ${epoch + 1}: ReduceLROnPlateau reducing learning rate to ${newLr}.`);
          this.cooldownCounter = this.cooldown;
          this.wait = 0;
        }
      }
    }
  }
}
