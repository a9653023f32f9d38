import { notice, is, parseOptions, ownEntry } from '../../core/index.js';
import { tensor, type Tensor } from '../../tensor/index.js';
import { Callback, type Logs } from './callback.js';
import { checkMode, checkNumber, missingMonitorText, resolveMode, type MonitorMode } from './monitor.js';

/** Copies weights: a model may update its weight storage in place as it trains. */
function snapshot(weights: readonly Tensor[]): Tensor[] {
  return weights.map((w) => tensor(w));
}

export interface EarlyStoppingOptions {
  /** Log key to watch. Default 'val_loss'. */
  monitor?: string;
  /** Smallest change that counts as an improvement (its absolute value is used). Default 0. */
  minDelta?: number;
  /** Epochs without improvement before stopping. Default 0. */
  patience?: number;
  /** 'min', 'max', or 'auto' (from the metric's name). Default 'auto'. */
  mode?: MonitorMode;
  /** Training stops unless the monitor beats this value within `patience` epochs. */
  baseline?: number;
  /** Restore the weights of the best epoch when training ends (stopped early or not). Default false. */
  restoreBestWeights?: boolean;
  /** Epochs to wait before watching at all (warm-up). Default 0. */
  startFromEpoch?: number;
  /** 1 prints when it stops and restores. Default 0. */
  verbose?: 0 | 1;
}

const EARLY_STOPPING_OPTIONS = {
  keys: {
    monitor: is.string,
    minDelta: is.any,
    patience: is.any,
    mode: is.any,
    baseline: is.nullable(is.number),
    restoreBestWeights: is.boolean,
    startFromEpoch: is.any,
    verbose: is.any,
    print: is.function,
  } satisfies Record<keyof EarlyStoppingOptions | 'print', unknown>,
};

/**
 * Stops training when `monitor` has stopped improving (Keras 3 semantics).
 *
 * ```ts
 * new nr.callbacks.EarlyStopping({ monitor: 'val_loss', patience: 3, restoreBestWeights: true });
 * ```
 */
export class EarlyStopping extends Callback {
  readonly monitor: string;
  readonly minDelta: number;
  readonly patience: number;
  readonly mode: MonitorMode;
  readonly baseline: number | undefined;
  readonly restoreBestWeights: boolean;
  readonly startFromEpoch: number;
  readonly verbose: number;
  /** Epoch (0-based) at which training was stopped; 0 if it was not. */
  stoppedEpoch = 0;
  /** Epoch (0-based) of the best monitored value. */
  bestEpoch = 0;
  best = Infinity;
  wait = 0;
  bestWeights: Tensor[] | null = null;
  private direction: 'min' | 'max' | null = null;
  private readonly print: (line: string) => void;

  constructor(raw: EarlyStoppingOptions & { print?: (line: string) => void } = {}) {
    super();
    const owner = 'EarlyStopping';
    const options = parseOptions<EarlyStoppingOptions & { print?: (line: string) => void }>(owner, raw, EARLY_STOPPING_OPTIONS);
    this.monitor = options.monitor ?? 'val_loss';
    this.minDelta = Math.abs(checkNumber(owner, 'minDelta', options.minDelta ?? 0));
    this.patience = checkNumber(owner, 'patience', options.patience ?? 0, { min: 0, integer: true });
    this.mode = checkMode(owner, options.mode ?? 'auto');
    this.baseline = options.baseline === undefined ? undefined : checkNumber(owner, 'baseline', options.baseline);
    this.restoreBestWeights = options.restoreBestWeights ?? false;
    this.startFromEpoch = checkNumber(owner, 'startFromEpoch', options.startFromEpoch ?? 0, { min: 0, integer: true });
    this.verbose = checkNumber(owner, 'verbose', options.verbose ?? 0, { min: 0, integer: true });
    this.print = options.print ?? ((line) => console.log(line));
  }

  override onTrainBegin(): void {
    // Reset so that one instance can serve several fits, as in Keras.
    this.wait = 0;
    this.stoppedEpoch = 0;
    this.bestWeights = null;
    this.bestEpoch = 0;
    this.direction = null;
  }

  private isImprovement(value: number, reference: number): boolean {
    // An improvement must beat the reference by more than minDelta in the monitored direction.
    return this.direction === 'min' ? value + this.minDelta < reference : value - this.minDelta > reference;
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    const current = ownEntry(logs, this.monitor);
    if (current === undefined) {
      notice(missingMonitorText('EarlyStopping', this.monitor, logs));
      return;
    }
    if (this.direction === null) {
      this.direction = resolveMode('EarlyStopping', this.monitor, this.mode);
      this.best = this.direction === 'min' ? Infinity : -Infinity;
    }
    if (epoch < this.startFromEpoch) return;
    if (this.restoreBestWeights && this.bestWeights === null) {
      // Until something improves, the first watched epoch's weights are the best.
      this.bestWeights = snapshot(this.model!.getWeights());
      this.bestEpoch = epoch;
    }
    this.wait += 1;
    if (this.isImprovement(current, this.best)) {
      this.best = current;
      this.bestEpoch = epoch;
      if (this.restoreBestWeights) this.bestWeights = snapshot(this.model!.getWeights());
      // The wait restarts only when the value beats both the previous best and the baseline.
      if (this.baseline === undefined || this.isImprovement(current, this.baseline)) this.wait = 0;
      return;
    }
    if (this.wait >= this.patience && epoch > 0) {
      this.stoppedEpoch = epoch;
      this.model!.stopTraining = true;
    }
  }

  override getState(): unknown {
    return {
      stoppedEpoch: this.stoppedEpoch,
      bestEpoch: this.bestEpoch,
      best: this.best,
      wait: this.wait,
      direction: this.direction,
      bestWeights:
        this.bestWeights?.map((w) => ({ shape: [...w.shape], dtype: w.dtype, data: Array.from(w.data() as ArrayLike<number>) })) ?? null,
    };
  }

  override setState(state: unknown): void {
    const s = state as {
      stoppedEpoch: number;
      bestEpoch: number;
      best: number;
      wait: number;
      direction: 'min' | 'max' | null;
      bestWeights: { shape: number[]; dtype: string; data: number[] }[] | null;
    };
    Object.assign(this, { stoppedEpoch: s.stoppedEpoch, bestEpoch: s.bestEpoch, best: s.best, wait: s.wait, direction: s.direction });
    this.bestWeights = s.bestWeights?.map((w) => tensor(w.data, w.shape, w.dtype as 'float32')) ?? null;
  }

  override onTrainEnd(): void {
    if (this.stoppedEpoch > 0 && this.verbose > 0) this.print(`Epoch ${this.stoppedEpoch + 1}: early stopping`);
    if (this.restoreBestWeights && this.bestWeights !== null) {
      if (this.verbose > 0) this.print(`Restoring model weights from the end of the best epoch: ${this.bestEpoch + 1}.`);
      this.model!.setWeights(this.bestWeights);
    }
  }
}
