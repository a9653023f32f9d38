/** Helpers shared by the benchmark workloads. */

/** One measurement, printed as a JSON line. */
export type Row = Record<string, unknown>;

/** Median; the mean of the two middle values for an even count (as the peers' scripts do). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}
