import { appendFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { configError, is, parseOptions, show } from '../../core/index.js';
import { formatPythonFloat } from '../../core/format.js';
import { Callback, type Logs } from './callback.js';

export interface CSVLoggerOptions {
  /** Field separator. Default ','. */
  separator?: string;
  /** Append to an existing file (writing the header only if the file is empty). Default false. */
  append?: boolean;
}

const CSV_LOGGER_OPTIONS = { keys: { separator: is.string, append: is.boolean } satisfies Record<keyof CSVLoggerOptions, unknown> };

/**
 * Streams epoch results to a CSV file: a header `epoch,<log keys sorted>` then one row per epoch
 * (epoch 0-based, values as Python prints floats, as Keras's CSVLogger writes them; a key missing
 * from an epoch's logs is written `NA`). Each row is appended as it is produced, so the file can be
 * watched while training runs. Node only (the browser entry leaves it out).
 *
 * ```ts
 * new nr.callbacks.CSVLogger('training.csv', { separator: ',', append: false });
 * ```
 */
export class CSVLogger extends Callback {
  readonly separator: string;
  readonly append: boolean;
  private keys: string[] | null = null;
  private writeHeader = true;

  constructor(
    readonly filename: string,
    raw: CSVLoggerOptions = {},
  ) {
    super();
    const options = parseOptions<CSVLoggerOptions>('CSVLogger', raw, CSV_LOGGER_OPTIONS);
    if (typeof filename !== 'string' || filename.length === 0) {
      throw configError('CSVLogger', { expected: 'option filename must be a non-empty path', got: show(filename) });
    }
    this.separator = options.separator ?? ',';
    if (typeof this.separator !== 'string' || this.separator.length === 0 || /[\n\r"]/.test(this.separator)) {
      throw configError('CSVLogger', {
        expected: 'option separator must be a non-empty string without quotes or newlines',
        got: show(this.separator),
      });
    }
    this.append = options.append ?? false;
  }

  override onTrainBegin(): void {
    this.keys = null;
    if (this.append) {
      this.writeHeader = !existsSync(this.filename) || readFileSync(this.filename, 'utf8').length === 0;
    } else {
      writeFileSync(this.filename, '');
      this.writeHeader = true;
    }
  }

  override onEpochEnd(epoch: number, logs: Logs = {}): void {
    if (this.keys === null) {
      this.keys = Object.keys(logs).sort();
      if (this.writeHeader) appendFileSync(this.filename, `${['epoch', ...this.keys].join(this.separator)}\n`);
      this.writeHeader = false;
    }
    const values = this.keys.map((k) => (logs[k] === undefined ? 'NA' : formatPythonFloat(logs[k]!)));
    appendFileSync(this.filename, `${[String(epoch), ...values].join(this.separator)}\n`);
  }
}
