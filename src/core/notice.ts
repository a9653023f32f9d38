/**
 * One-line notices to the user (backend fallbacks, convergence warnings). They go to stderr once per
 * distinct text so that a loop does not repeat them; `NEURONA_QUIET=1` silences them.
 */
const shown = new Set<string>();
let sink: (line: string) => void = (line) => {
  const env = typeof process !== 'undefined' ? process.env : undefined;
  if (env?.NEURONA_QUIET === '1') return;
  console.warn(line);
};

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
