/**
 * Plain-text formatting shared by training output and model summaries: the Keras 3 progress line,
 * Python-style number rendering, thousands separators, byte sizes and box tables. No tensors here.
 *
 * The formats follow Keras 3 (keras/src/utils/progbar.py and summary_utils.py):
 * - finished line:  `250/250 ━━━━━━━━━━━━━━━━━━━━ 2s 8ms/step - accuracy: 0.9123 - loss: 0.2871`
 *   (elapsed whole seconds, never minutes: `125s`);
 * - running line:   ` 12/250 ━━━━━━━━━━━━━━━━━━━━ 3s 14ms/step - loss: 0.5012` where the time is the
 *   ETA: `%ds` up to a minute, then `m:ss`, then `h:mm:ss`; the step count is padded to the width
 *   of the total;
 * - verbose 2 line: `250/250 - 2s - 8ms/step - accuracy: 0.9123 - loss: 0.2871`;
 * - per step: `Ns/step` when >= 1 s (or exactly 0), `Nms/step` when >= 1 ms, else `Nus/step`;
 * - values: `%.4f` when |v| > 1e-3, else `%.4e` (`1.2346e-05`, `0.0000e+00`, `nan`).
 */

const BAR_WIDTH = 20;
const BAR_CHAR = '━';
const ANSI = { bold: '\x1b[1m', green: '\x1b[32m', gray: '\x1b[37m', reset: '\x1b[0m' };

/** Python's `'%.0f' % x`: round half to even on exact ties (JavaScript's toFixed rounds them up). */
export function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff === 0.5) return floor % 2 === 0 ? floor : floor + 1;
  return Math.round(x);
}

/** Python's `'%.Ne' % x`: the exponent has a sign and at least two digits (`1.2346e-05`). */
export function formatExponential(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return nonFinite(x);
  const [mantissa, exponent] = x.toExponential(digits).split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  return `${mantissa}e${sign}${exponent.replace(/^[+-]/, '').padStart(2, '0')}`;
}

function nonFinite(x: number): string {
  return Number.isNaN(x) ? 'nan' : x > 0 ? 'inf' : '-inf';
}

/** A metric value as Keras prints it in progress lines: 4 decimals, or scientific when tiny. */
export function formatMetricValue(value: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  return Math.abs(value) > 1e-3 ? value.toFixed(4) : formatExponential(value, 4);
}

/**
 * Python's `repr(float)` (what Keras's CSVLogger writes): the shortest digits that round-trip,
 * scientific below 1e-4 or from 1e16 (`1e-05`, `1e+16`), and a `.0` on whole numbers (`3.0`).
 */
export function formatPythonFloat(value: number): string {
  if (!Number.isFinite(value)) return nonFinite(value);
  if (value === 0) return Object.is(value, -0) ? '-0.0' : '0.0';
  const [mantissa, exponentText] = value.toExponential().split('e') as [string, string];
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 16) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  const text = String(value); // JavaScript is already positional in this range
  return text.includes('.') ? text : `${text}.0`;
}

/** Seconds per step as Keras prints it: `2s/step`, `8ms/step`, `80us/step`. */
export function formatStepTime(secondsPerStep: number, unit = 'step'): string {
  if (secondsPerStep >= 1 || secondsPerStep === 0) return `${roundHalfEven(secondsPerStep)}s/${unit}`;
  if (secondsPerStep >= 1e-3) return `${roundHalfEven(secondsPerStep * 1e3)}ms/${unit}`;
  return `${roundHalfEven(secondsPerStep * 1e6)}us/${unit}`;
}

/** Elapsed time of a finished epoch: whole seconds (`0s`, `2s`, `125s`), as Keras prints it. */
export function formatElapsed(seconds: number): string {
  return `${roundHalfEven(seconds)}s`;
}

/** Remaining time while an epoch runs: `45s`, `1:05`, `1:02:03` (truncated, as Keras does). */
export function formatEta(seconds: number): string {
  const s = Math.max(0, seconds);
  const two = (n: number) => String(Math.floor(n)).padStart(2, '0');
  if (s > 3600) return `${Math.floor(s / 3600)}:${two((s % 3600) / 60)}:${two(s % 60)}`;
  if (s > 60) return `${Math.floor(s / 60)}:${two(s % 60)}`;
  return `${Math.floor(s)}s`;
}

/** Log keys in Keras's display order: sorted, as Keras 3's trainer sorts its logs. */
function orderedKeys(logs: Record<string, number>, keys?: readonly string[]): string[] {
  if (keys === undefined) return Object.keys(logs).sort();
  return keys.filter((k) => k in logs);
}

function metricsText(logs: Record<string, number>, keys?: readonly string[]): string {
  return orderedKeys(logs, keys)
    .map((k) => ` - ${k}: ${formatMetricValue(logs[k]!)}`)
    .join('');
}

export interface ProgressLineOptions {
  /** Steps done so far (1-based). */
  step: number;
  /** Steps in the epoch; null when unknown (a Dataset of unknown length): Keras's `5/Unknown` line. */
  steps: number | null;
  /** Seconds since the epoch began. */
  elapsedSeconds: number;
  logs: Record<string, number>;
  /** True for the epoch's last line: shows the elapsed time instead of the ETA. */
  finished: boolean;
  /** Seconds per step; defaults to elapsedSeconds / step. */
  secondsPerStep?: number;
  /** Display order of the log keys; defaults to sorted. Keys absent from `logs` are skipped. */
  keys?: readonly string[];
  /** Colour the bar with ANSI codes like Keras (bold count, green done, gray to do). Default false. */
  color?: boolean;
}

/**
 * One Keras 3 progress line (no `\r`, no newline):
 * `250/250 ━━━━━━━━━━━━━━━━━━━━ 2s 8ms/step - accuracy: 0.9123 - loss: 0.2871`.
 * Without colour, the part of the bar still to do is blank so that progress stays visible.
 */
export function formatProgressLine(options: ProgressLineOptions): string {
  const { step, steps, elapsedSeconds, logs, finished, keys, color = false } = options;
  const secondsPerStep = options.secondsPerStep ?? (step > 0 ? elapsedSeconds / step : 0);
  if (steps === null) {
    const count = `${String(step).padStart(7)}/Unknown`;
    const time = formatElapsed(elapsedSeconds);
    const text = color ? `${ANSI.bold}${count}${ANSI.reset} ${ANSI.bold}${time}${ANSI.reset}` : `${count} ${time}`;
    return `${text} ${formatStepTime(secondsPerStep)}${metricsText(logs, keys)}`;
  }
  const count = `${String(step).padStart(String(steps).length)}/${steps}`;
  const done = Math.max(0, Math.min(BAR_WIDTH, Math.floor((BAR_WIDTH * step) / Math.max(steps, 1))));
  const bar = color
    ? `${ANSI.bold}${count}${ANSI.reset} ${done > 0 ? `${ANSI.green}${BAR_CHAR.repeat(done)}${ANSI.reset}` : ''}` +
      `${ANSI.gray}${BAR_CHAR.repeat(BAR_WIDTH - done)}${ANSI.reset}`
    : `${count} ${BAR_CHAR.repeat(done)}${' '.repeat(BAR_WIDTH - done)}`;
  const time = finished ? formatElapsed(elapsedSeconds) : formatEta(secondsPerStep * (steps - step));
  const timeText = color ? `${ANSI.bold}${time}${ANSI.reset}` : time;
  return `${bar} ${timeText} ${formatStepTime(secondsPerStep)}${metricsText(logs, keys)}`;
}

/** Keras 3's verbose=2 epoch line: `250/250 - 2s - 8ms/step - accuracy: 0.9123 - loss: 0.2871`. */
export function formatEpochLine(options: {
  steps: number;
  elapsedSeconds: number;
  secondsPerStep: number;
  logs: Record<string, number>;
  keys?: readonly string[];
}): string {
  const { steps, elapsedSeconds, secondsPerStep, logs, keys } = options;
  return `${steps}/${steps} - ${formatElapsed(elapsedSeconds)} - ${formatStepTime(secondsPerStep)}${metricsText(logs, keys)}`;
}

/** Removes ANSI colour codes (for measuring or comparing lines). */
export function stripAnsi(text: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ESC (\x1b) opens every ANSI code; matching it is the point
  return text.replace(/\x1b\[[0-9;]*m/g, '');
}

/** `6370` -> `'6,370'`. */
export function formatNumberWithCommas(n: number): string {
  if (!Number.isFinite(n)) return nonFinite(n);
  const negative = n < 0;
  const [whole, fraction] = Math.abs(n).toString().split('.') as [string, string | undefined];
  const grouped = whole.replace(/\B(?=(\d{3})+(?!\d))/g, ',');
  return `${negative ? '-' : ''}${grouped}${fraction !== undefined ? `.${fraction}` : ''}`;
}

/** Bytes in Keras summary style (powers of 1024, two decimals): `25480` -> `'24.88 KB'`. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let value = bytes;
  for (const unit of units) {
    if (value / 1024 < 1) return `${value.toFixed(2)} ${unit}`;
    value /= 1024;
  }
  return `${(value * 1024).toFixed(2)} PB`;
}

export interface TableColumn {
  header: string;
  align?: 'left' | 'right';
  /** Minimum content width; the column grows to fit its widest cell. */
  width?: number;
}

/**
 * A box table like Keras 3's `model.summary()` (heavy header, a rule between rows):
 * ```
 * ┏━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓
 * ┃ Layer (type)    ┃ Param # ┃
 * ┡━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩
 * │ dense (Dense)   │     650 │
 * └─────────────────┴─────────┘
 * ```
 */
export function formatTable(rows: readonly (readonly string[])[], columns: readonly TableColumn[]): string {
  const widths = columns.map((c, i) => Math.max(c.width ?? 0, [...c.header].length, ...rows.map((r) => [...(r[i] ?? '')].length)));
  const cell = (text: string, i: number) => {
    const pad = ' '.repeat(widths[i]! - [...text].length);
    return columns[i]!.align === 'right' ? pad + text : text + pad;
  };
  const rule = (left: string, fill: string, join: string, right: string) => left + widths.map((w) => fill.repeat(w + 2)).join(join) + right;
  const line = (cells: readonly string[], edge: string) => edge + columns.map((_, i) => ` ${cell(cells[i] ?? '', i)} `).join(edge) + edge;
  const out = [
    rule('┏', '━', '┳', '┓'),
    line(
      columns.map((c) => c.header),
      '┃',
    ),
    rule('┡', '━', '╇', '┩'),
  ];
  rows.forEach((r, i) => {
    if (i > 0) out.push(rule('├', '─', '┼', '┤'));
    out.push(line(r, '│'));
  });
  out.push(rule('└', '─', '┴', '┘'));
  return out.join('\n');
}
