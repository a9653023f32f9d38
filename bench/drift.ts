/**
 * The machine's own drift: one fixed kernel call (W5's second filter gradient, 14x14x16 -> 32 with 5x5
 * filters, batch 32, on the same arrays every time) repeated back to back for `--seconds`, timed in
 * windows of `--window` seconds, as long as a training workload's epoch. Nothing in the process changes
 * between windows (no allocation, no JIT work after the first window, no data), so the spread of its
 * windows is the machine's (frequency, neighbours on a shared host), the floor under any epoch-to-epoch
 * spread measured in the same sitting. Prints one JSON line: the windows' mean milliseconds per call, and
 * the spread, (max - min) / median in %, of every run of `--group` consecutive windows (3: W3's timed
 * epochs), the largest and the median of them.
 *
 * `node --import tsx bench/drift.ts [--seconds 15] [--window 0.75] [--group 3] [--threads 2]`
 * (bench/session-cnn.sh runs it before and after its pairs).
 */
import * as nr from '../src/index.js';
import { kernels } from '../src/backend/index.js';
import { median } from './util.js';

function option(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? Number(process.argv[at + 1]) : fallback;
}

const seconds = option('seconds', 15);
const window = option('window', 0.75);
const group = option('group', 3);
const threads = option('threads', 2);
nr.setBackend('native');
nr.setNumThreads(threads);
const table = kernels();
const g = {
  batch: 32,
  inHeight: 14,
  inWidth: 14,
  inChannels: 16,
  outHeight: 14,
  outWidth: 14,
  outChannels: 32,
  filterHeight: 5,
  filterWidth: 5,
  strideHeight: 1,
  strideWidth: 1,
  dilationHeight: 1,
  dilationWidth: 1,
  padTop: 2,
  padLeft: 2,
};
// Fixed values in [0, 1) (no denormals, which would slow the kernel for their own reason).
const filled = (n: number, salt: number) => Float32Array.from({ length: n }, (_, i) => ((i * 7919 + salt) % 1000) / 1000);
const x = filled(32 * 14 * 14 * 16, 1);
const dy = filled(32 * 14 * 14 * 32, 2);
const dFilter = new Float32Array(25 * 16 * 32);
const call = () => table.conv2dBackpropFilter(x, dy, dFilter, g);
for (let i = 0; i < 50; i++) call();

const windows: number[] = [];
const start = performance.now();
while (performance.now() - start < seconds * 1000) {
  const t0 = performance.now();
  let calls = 0;
  while (performance.now() - t0 < window * 1000) {
    for (let i = 0; i < 10; i++) call();
    calls += 10;
  }
  windows.push((performance.now() - t0) / calls);
}
const spreads: number[] = [];
for (let i = 0; i + group <= windows.length; i++) {
  const part = windows.slice(i, i + group);
  spreads.push((100 * (Math.max(...part) - Math.min(...part))) / median(part));
}
console.log(
  JSON.stringify({
    probe: 'drift',
    threads,
    window_s: window,
    group,
    ms_per_call: windows.map((v) => Number(v.toFixed(4))),
    overall_spread_pct: Number(((100 * (Math.max(...windows) - Math.min(...windows))) / median(windows)).toFixed(1)),
    group_spread_pct_max: Number(Math.max(...spreads).toFixed(1)),
    group_spread_pct_median: Number(median(spreads).toFixed(1)),
    groups_over_5_pct: spreads.filter((s) => s >= 5).length,
    groups: spreads.length,
  }),
);
