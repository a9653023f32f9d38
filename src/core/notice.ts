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
  return envFlag('NEURONA_QUIET');
}

/** @internal `process.env[name]` where there is a process (Node), else undefined (browsers). */
export function envValue(name: string): string | undefined {
  return (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
}

/**
 * A notice that a variable's value was not understood and what was done instead. Shown once, like
 * every notice; a bad NEURONA_QUIET reaches here again from inside its own notice (the sink asks
 * isQuiet), where `notice` finds the line shown already and returns.
 */
function reportBadEnv(name: string, value: string, expected: string, instead: string): void {
  notice(`${name}=${JSON.stringify(value)} is not ${expected}; ${instead}`);
}

/**
 * @internal An on/off environment variable: `1` is on; unset, empty or `0` is off; anything else
 * is off with a notice that says so (a typo such as `true` is never silently taken either way).
 */
export function envFlag(name: string): boolean {
  const value = envValue(name);
  if (value === undefined || value === '' || value === '0') return false;
  if (value === '1') return true;
  reportBadEnv(name, value, '1 or 0', 'treated as 0 (off)');
  return false;
}

/** @internal A variable the native addon reads itself: a notice when it is set to none of `allowed`. */
export function checkEnvChoice(name: string, allowed: readonly string[], instead: string): void {
  const value = envValue(name);
  if (value && !allowed.includes(value)) reportBadEnv(name, value, allowed.join(' or '), instead);
}

/**
 * @internal An integer environment variable of at least `min`: its value, or undefined when unset
 * or empty, or with a notice when it is something else (then the caller's default applies).
 */
export function envInteger(name: string, min: number, fallback: string): number | undefined {
  const value = envValue(name);
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (Number.isInteger(n) && n >= min) return n;
  reportBadEnv(name, value, `an integer >= ${min}`, `ignored, using ${fallback}`);
  return undefined;
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
