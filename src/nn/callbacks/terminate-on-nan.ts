import { is, parseOptions } from '../../core/index.js';
import { Callback, type Logs } from './callback.js';

/**
 * Stops training as soon as a batch's loss is NaN or infinite.
 *
 * ```ts
 * new nr.callbacks.TerminateOnNaN();
 * ```
 */
export class TerminateOnNaN extends Callback {
  private readonly print: (line: string) => void;

  constructor(raw: { print?: (line: string) => void } = {}) {
    super();
    const options = parseOptions<{ print?: (line: string) => void }>('TerminateOnNaN', raw, { keys: { print: is.function } });
    this.print = options.print ?? ((line) => console.log(line));
  }

  override onTrainBatchEnd(batch: number, logs: Logs = {}): void {
    const loss = logs.loss;
    if (loss !== undefined && !Number.isFinite(loss)) {
      this.print(`Batch ${batch}: Invalid loss, terminating training`);
      this.model!.stopTraining = true;
    }
  }
}
