import { configError, envValue, is, parseOptions, show } from '../../core/index.js';
import { formatEpochLine, formatProgressLine, stripAnsi } from '../../core/format.js';
import { Callback, type CallbackParams, type Logs } from './callback.js';

/** Where progress goes: anything with `write` (process.stdout by default). */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface ProgbarLoggerOptions {
  /** 1: a live bar (TTY) or one line per epoch (not a TTY); 2: one line per epoch; 0: silent. Default: fit's verbose. */
  verbose?: 0 | 1 | 2;
  /** Default process.stdout (console.log in browsers). */
  stream?: ProgressStream;
  /** ANSI colours on a TTY, as Keras. Default: on for a TTY unless NO_COLOR is set. */
  color?: boolean;
  /** Minimum milliseconds between two redraws of the live bar. Default 50 (Keras's interval). */
  intervalMs?: number;
  /** Clock in milliseconds (tests pass a fake one). Default performance.now. */
  now?: () => number;
}

function defaultStream(): ProgressStream {
  const proc = (globalThis as { process?: { stdout?: ProgressStream } }).process;
  if (proc?.stdout) return proc.stdout;
  let pending = '';
  // Browsers: console.log prints whole lines, so buffer up to each newline and drop '\r' redraws.
  return {
    write(text: string) {
      pending += text;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) console.log(line.slice(line.lastIndexOf('\r') + 1));
    },
  };
}

const PROGBAR_OPTIONS = {
  keys: { verbose: is.any, stream: is.any, color: is.boolean, intervalMs: is.number, now: is.function } satisfies Record<
    keyof ProgbarLoggerOptions,
    unknown
  >,
};

/**
 * Prints Keras 3 progress during `fit`: `Epoch 3/10` (when there is more than one epoch), then
 * `250/250 ━━━━━━━━━━━━━━━━━━━━ 2s 8ms/step - accuracy: 0.9123 - loss: 0.2871 - val_accuracy: ...`.
 * With verbose 1 on a terminal the bar is redrawn in place (`\r`, at most every 50 ms); when output
 * is not a terminal only each epoch's final line is printed, so logs stay readable. Verbose 2 prints
 * `250/250 - 2s - 8ms/step - accuracy: ... - loss: ...` once per epoch.
 *
 * ```ts
 * new nr.callbacks.ProgbarLogger({ verbose: 2 });
 * ```
 */
export class ProgbarLogger extends Callback {
  private verbose: 0 | 1 | 2;
  private readonly explicitVerbose: boolean;
  private readonly stream: ProgressStream;
  private readonly live: boolean;
  private readonly color: boolean;
  private readonly intervalMs: number;
  private readonly now: () => number;
  private epochStart = 0;
  private firstStepEnd: number | null = null;
  private lastDraw = -Infinity;
  private previousWidth = 0;
  private seen = 0;
  /** The length of the first epoch when params.steps is null (unknown until then). */
  private knownSteps: number | null = null;
  private keys: string[] = [];
  /** Inside fit, validation runs silently (as in Keras); `evaluate` alone gets its own bar. */
  private inFit = false;

  constructor(raw: ProgbarLoggerOptions = {}) {
    super();
    const options = parseOptions<ProgbarLoggerOptions>('ProgbarLogger', raw, PROGBAR_OPTIONS);
    if (options.verbose !== undefined && options.verbose !== 0 && options.verbose !== 1 && options.verbose !== 2) {
      throw configError('ProgbarLogger', { expected: 'option verbose must be 0, 1 or 2', got: show(options.verbose) });
    }
    this.explicitVerbose = options.verbose !== undefined;
    this.verbose = options.verbose ?? 1;
    this.stream = options.stream ?? defaultStream();
    this.live = this.stream.isTTY === true;
    this.color = options.color ?? (this.live && !envValue('NO_COLOR'));
    this.intervalMs = options.intervalMs ?? 50;
    this.now = options.now ?? (() => performance.now());
  }

  override setParams(params: CallbackParams): void {
    super.setParams(params);
    this.knownSteps = null;
    if (!this.explicitVerbose) this.verbose = params.verbose;
  }

  override onTrainBegin(): void {
    this.inFit = true;
  }

  override onTrainEnd(): void {
    this.inFit = false;
  }

  override onTestBegin(): void {
    if (!this.inFit) this.reset();
  }

  override onTestBatchEnd(batch: number, logs?: Logs): void {
    if (!this.inFit) this.onTrainBatchEnd(batch, logs);
  }

  override onTestEnd(logs?: Logs): void {
    if (!this.inFit) this.finish(logs);
  }

  private reset(): void {
    this.epochStart = this.now();
    this.firstStepEnd = null;
    this.lastDraw = -Infinity;
    this.previousWidth = 0;
    this.seen = 0;
    this.keys = [];
  }

  override onEpochBegin(epoch: number): void {
    this.reset();
    const epochs = this.params?.epochs ?? 1;
    if (this.verbose > 0 && epochs > 1) this.stream.write(`Epoch ${epoch + 1}/${epochs}\n`);
  }

  /** Keras's display order: the first batch's keys (sorted), then later keys as they appear. */
  private updateKeys(logs: Logs): void {
    for (const k of Object.keys(logs).sort()) if (!this.keys.includes(k)) this.keys.push(k);
  }

  /** Seconds per step, leaving out the first step (compilation, warm-up) once there are others. */
  private secondsPerStep(step: number, now: number): number {
    if (step <= 0) return 0;
    if (this.firstStepEnd !== null && step > 1) return (now - this.firstStepEnd) / 1000 / (step - 1);
    return (now - this.epochStart) / 1000 / step;
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    const step = batch + 1;
    const now = this.now();
    this.seen = step;
    if (step === 1) this.firstStepEnd = now;
    this.updateKeys(logs);
    if (this.verbose !== 1 || !this.live) return;
    // Unknown steps: Keras's `5/Unknown` line until the first epoch ends, then that epoch's count.
    const steps = this.params ? (this.params.steps ?? this.knownSteps) : step;
    if (now - this.lastDraw < this.intervalMs && (steps === null || step < steps)) return;
    this.lastDraw = now;
    this.draw(
      formatProgressLine({
        step,
        steps,
        elapsedSeconds: (now - this.epochStart) / 1000,
        logs,
        finished: false,
        secondsPerStep: this.secondsPerStep(step, now),
        keys: this.keys,
        color: this.color,
      }),
      false,
    );
  }

  private draw(line: string, final: boolean): void {
    const width = [...stripAnsi(line)].length;
    const pad = ' '.repeat(Math.max(0, this.previousWidth - width));
    this.previousWidth = width;
    this.stream.write(`${this.live ? '\r' : ''}${line}${pad}${final ? '\n' : ''}`);
  }

  override onEpochEnd(_epoch: number, logs?: Logs): void {
    this.finish(logs);
  }

  private finish(logs: Logs = {}): void {
    if (this.verbose === 0) return;
    const now = this.now();
    const steps = this.params?.steps || this.seen;
    this.knownSteps ??= steps;
    this.updateKeys(logs);
    const elapsedSeconds = (now - this.epochStart) / 1000;
    const secondsPerStep = this.secondsPerStep(steps, now);
    if (this.verbose === 2) {
      this.stream.write(`${formatEpochLine({ steps, elapsedSeconds, secondsPerStep, logs, keys: this.keys })}\n`);
      return;
    }
    this.draw(
      formatProgressLine({
        step: steps,
        steps,
        elapsedSeconds,
        logs,
        finished: true,
        secondsPerStep,
        keys: this.keys,
        color: this.color,
      }),
      true,
    );
  }
}
