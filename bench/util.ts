/** Helpers shared by the benchmark workloads: MNIST loading, labels, accuracy, epoch timing, a device run checked against the CPU. */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as nr from '../src/index.js';

/** One measurement, printed as a JSON line. */
export type Row = Record<string, unknown>;

/** Median; the mean of the two middle values for an even count (as the peers' scripts do). */
export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const MNIST_FILES = ['mnist_train_x.f32', 'mnist_train_y.u8', 'mnist_test_x.f32', 'mnist_test_y.u8'] as const;

/** Where the peers' MNIST binaries live: $DATA_DIR, else $PEERS_DIR/data, else /tmp/peers/data. */
export function dataDir(): string {
  return process.env.DATA_DIR ?? path.join(process.env.PEERS_DIR ?? '/tmp/peers', 'data');
}

/** The 8,000 / 2,000 split of peers/data/prep_mnist.js: pixels in [0, 1], row-major N x 784. */
export interface Mnist {
  trainX: Float32Array;
  trainY: Uint8Array;
  testX: Float32Array;
  testY: Uint8Array;
}

/** The split written by peers/data/prep_mnist.js, or the list of missing files. */
export function loadMnist(dir = dataDir()): Mnist | { missing: string[] } {
  const missing = MNIST_FILES.filter((f) => !fs.existsSync(path.join(dir, f))).map((f) => path.join(dir, f));
  if (missing.length > 0) return { missing };
  const read = (f: string) => fs.readFileSync(path.join(dir, f));
  const f32 = (f: string) => {
    const b = read(f);
    return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
  };
  const u8 = (f: string) => {
    const b = read(f);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  };
  return { trainX: f32(MNIST_FILES[0]), trainY: u8(MNIST_FILES[1]), testX: f32(MNIST_FILES[2]), testY: u8(MNIST_FILES[3]) };
}

/** One-hot float32 targets [n, k] for integer labels. */
export function oneHot(labels: ArrayLike<number>, k = 10): nr.Tensor {
  const out = new Float32Array(labels.length * k);
  for (let i = 0; i < labels.length; i++) out[i * k + labels[i]!] = 1;
  return nr.tensor(out, [labels.length, k]);
}

/** Fraction of rows of `probs` ([n, k]) whose first maximum is at the label. */
export function accuracy(probs: nr.Tensor, labels: ArrayLike<number>): number {
  const predicted = probs.argmax(1).data();
  let correct = 0;
  for (let i = 0; i < labels.length; i++) if (predicted[i] === labels[i]) correct++;
  return correct / labels.length;
}

/**
 * Samples/s of each epoch over `samples` samples, timed between the onEpochBegin and onEpochEnd
 * callbacks as the peers' tfjs scripts do; pass `callback` to fit and read `perEpoch` afterwards.
 */
export function epochTimer(samples: number): { callback: nr.callbacks.Callback; perEpoch: number[] } {
  const perEpoch: number[] = [];
  let t0 = 0;
  const callback = new nr.callbacks.LambdaCallback({
    onEpochBegin: () => {
      t0 = performance.now();
    },
    onEpochEnd: () => {
      perEpoch.push(samples / ((performance.now() - t0) / 1000));
    },
  });
  return { callback, perEpoch };
}

/** Threads the backend computes with (js always runs on one). */
export function threadsOf(backend: string): number | string {
  if (backend === 'webgpu') return 'gpu';
  return backend === 'js' ? 1 : nr.getNumThreads();
}

/**
 * A device backend's run checked against the CPU: `compute` once on the active backend and once on
 * native (or js), the largest difference over the largest magnitude. The bench's correctness figure
 * on a software adapter.
 */
export function againstCpu(compute: () => nr.Tensor): Record<string, number | string> {
  const device = nr.getBackend();
  const got = Float32Array.from(compute().data() as Float32Array);
  const cpu = nr.availableBackends().includes('native') ? 'native' : 'js';
  nr.setBackend(cpu);
  try {
    const want = compute().data() as Float32Array;
    let diff = 0;
    let scale = 0;
    want.forEach((w, i) => {
      diff = Math.max(diff, Math.abs(w - got[i]!));
      scale = Math.max(scale, Math.abs(w));
    });
    return { checked_against: cpu, max_abs_diff: +diff.toPrecision(3), max_abs_value: +scale.toPrecision(3) };
  } finally {
    nr.setBackend(device);
  }
}
