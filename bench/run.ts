/*
 * neurona's benchmarks, on the workloads of ../shared/bench/peers/README.md (same names, sizes and
 * units, so the figures sit beside the peers'). Run with `npm run bench [-- W1 --sizes 128,512]`.
 * Prints a table and one JSON line per measurement. Never part of `npm test`.
 *
 * Today: W1 (GEMM) on the backends available here. The training workloads (W2-W5) join once the
 * model API exists.
 */
import * as nr from '../src/index.js';
import { availableBackends } from '../src/backend/index.js';

interface Args { workloads: string[]; sizes: number[]; reps: number; backends: string[] }

function parseArgs(argv: string[]): Args {
  const args: Args = { workloads: [], sizes: [128, 256, 512, 1024, 2048], reps: 5, backends: availableBackends() };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sizes') args.sizes = argv[++i]!.split(',').map(Number);
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--backend') args.backends = argv[++i]!.split(',');
    else args.workloads.push(a);
  }
  if (args.workloads.length === 0) args.workloads = ['W1'];
  return args;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** W1: C = A.B for square float32 n x n, A, B ~ U[0, 1); GFLOP/s = 2n^3 / time per multiply. */
function w1(backend: string, sizes: number[], reps: number): Record<string, unknown>[] {
  nr.setBackend(backend);
  nr.setSeed(1);
  const rows: Record<string, unknown>[] = [];
  for (const n of sizes) {
    const a = nr.randu([n, n]);
    const b = nr.randu([n, n]);
    const once = () => {
      const t0 = performance.now();
      nr.matmul(a, b).data();
      return (performance.now() - t0) / 1000;
    };
    // Warm-up: 2 untimed calls; the first calibrates how many multiplies make a rep of >= 50 ms.
    const inner = Math.max(1, Math.round(0.05 / Math.max(once(), 1e-6)));
    once();
    const gflops: number[] = [];
    for (let r = 0; r < reps; r++) {
      let t = 0;
      for (let k = 0; k < inner; k++) t += once();
      gflops.push((2 * n ** 3) / (t / inner) / 1e9);
    }
    rows.push({
      workload: 'W1', library: 'neurona', backend, threads: backend === 'js' ? 1 : nr.getNumThreads(), n, inner, reps,
      best_gflops: +Math.max(...gflops).toFixed(2), median_gflops: +median(gflops).toFixed(2),
    });
  }
  return rows;
}

const args = parseArgs(process.argv.slice(2));
const results: Record<string, unknown>[] = [];
console.log(JSON.stringify({ info: { node: process.version, version: nr.VERSION, backends: args.backends, date: new Date().toISOString() } }));
for (const workload of args.workloads) {
  for (const backend of args.backends) {
    if (workload === 'W1') {
      for (const row of w1(backend, args.sizes, args.reps)) {
        console.log(JSON.stringify(row));
        results.push(row);
      }
    } else {
      console.error(`bench: workload ${workload} is not implemented yet (available: W1)`);
      process.exitCode = 2;
    }
  }
}
console.log('\nworkload  backend  n      median GFLOP/s  best GFLOP/s');
for (const r of results) {
  console.log(`${String(r.workload).padEnd(10)}${String(r.backend).padEnd(9)}${String(r.n).padEnd(7)}${String(r.median_gflops).padEnd(16)}${r.best_gflops}`);
}
