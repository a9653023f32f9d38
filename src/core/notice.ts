import { configError, show } from './errors.js';

/**
 * One-line notices to the user (backend fallbacks, convergence warnings). They go to stderr once per
 * distinct text so that a loop does not repeat them; `NEURONA_QUIET=1` (Node) or `setQuiet(true)`
 * (anywhere, browsers included) silences them.
 */
const shown = new Set<string>();
let quietSetting: boolean | null = null;
let sink: (line: string) => void = (line) => {
  if (!isQuiet()) console.warn(line);
};

/**
 * Silences neurona's notices (`true`) or lets them through again (`false`); the browser's form of
 * `NEURONA_QUIET=1`, which it overrides once called.
 *
 * ```ts
 * nr.setQuiet(true);
 * ```
 */
export function setQuiet(quiet: boolean): void {
  if (typeof quiet !== 'boolean') throw configError('setQuiet', { expected: 'expected true or false', got: show(quiet) });
  quietSetting = quiet;
}

/** Whether notices and progress lines are silenced: setQuiet's choice, else `NEURONA_QUIET=1`. */
export function isQuiet(): boolean {
  if (quietSetting !== null) return quietSetting;
  const env = typeof process !== 'undefined' ? process.env : undefined;
  return env?.NEURONA_QUIET === '1';
}

export function notice(line: string): void {
  if (shown.has(line)) return;
  shown.add(line);
  sink(`neurona: ${line}`);
}

/** Redirects notices (tests use it to capture them); returns the previous sink. */
export function setNoticeSink(next: (line: string) => void): (line: string) => void {
  const previous = sink;
  sink = next;
  shown.clear();
  return previous;
}
