/*
 * W2 / W2b: MNIST MLP training with the Keras-style API, exactly as ../shared/bench/peers/README.md
 * (section 4) and its tfjs/mlp.js define them:
 *   W2 : Flatten(28x28) -> Dense(8, relu) -> Dense(10, softmax); batch 32
 *   W2b: Flatten(28x28) -> Dense(256, relu) -> Dense(256, relu) -> Dense(10, softmax); batch 128
 * Adam(lr=1e-3, eps 1e-7), categorical cross-entropy on one-hot labels, no training metrics,
 * shuffle every epoch, 5 epochs over the 8,000 training digits. samples/s per epoch = 8000 / epoch
 * wall time between the onEpochBegin and onEpochEnd callbacks; reported: median of epochs 2..5 and
 * test accuracy on the 2,000 test digits after epoch 5. Each run builds a fresh model.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as nr from '../src/index.js';
import { median, type Row } from './util.js';

export const MLP_WORKLOADS = ['W2', 'W2b'] as const;
export type MlpWorkload = (typeof MLP_WORKLOADS)[number];

const FILES = ['mnist_train_x.f32', 'mnist_train_y.u8', 'mnist_test_x.f32', 'mnist_test_y.u8'] as const;

/** Where the peers' MNIST binaries live: $DATA_DIR, else $PEERS_DIR/data, else /tmp/peers/data. */
export function dataDir(): string {
  return process.env.DATA_DIR ?? path.join(process.env.PEERS_DIR ?? '/tmp/peers', 'data');
}

export interface Mnist { trainX: Float32Array; trainY: Uint8Array; testX: Float32Array; testY: Uint8Array }

/** The split written by peers/data/prep_mnist.js, or the list of missing files. */
export function loadMnist(dir = dataDir()): Mnist | { missing: string[] } {
  const missing = FILES.filter((f) => !fs.existsSync(path.join(dir, f))).map((f) => path.join(dir, f));
  if (missing.length > 0) return { missing };
  const read = (f: string) => fs.readFileSync(path.join(dir, f));
  const f32 = (f: string) => { const b = read(f); return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4); };
  const u8 = (f: string) => { const b = read(f); return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); };
  return { trainX: f32(FILES[0]), trainY: u8(FILES[1]), testX: f32(FILES[2]), testY: u8(FILES[3]) };
}

function oneHot(labels: Uint8Array, k = 10): Float32Array {
  const out = new Float32Array(labels.length * k);
  labels.forEach((l, i) => { out[i * k + l] = 1; });
  return out;
}

function build(which: MlpWorkload): nr.Sequential {
  const hidden = which === 'W2'
    ? [new nr.layers.Dense({ units: 8, activation: 'relu' })]
    : [new nr.layers.Dense({ units: 256, activation: 'relu' }), new nr.layers.Dense({ units: 256, activation: 'relu' })];
  const model = new nr.Sequential([
    new nr.layers.Flatten({ inputShape: [28, 28] }),
    ...hidden,
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 }), loss: 'categorical_crossentropy' });
  return model;
}

/** Fraction of rows of `probs` ([n, k]) whose argmax equals the label. */
function accuracy(probs: nr.Tensor, labels: Uint8Array): number {
  const p = probs.data() as Float32Array;
  const k = probs.shape[1]!;
  let correct = 0;
  for (let i = 0; i < labels.length; i++) {
    let best = 0;
    for (let j = 1; j < k; j++) if (p[i * k + j]! > p[i * k + best]!) best = j;
    if (best === labels[i]) correct++;
  }
  return correct / labels.length;
}

export async function mlp(which: MlpWorkload, backend: string, data: Mnist, runs: number, epochs: number): Promise<Row[]> {
  nr.setBackend(backend);
  const batchSize = which === 'W2' ? 32 : 128;
  const ntr = data.trainY.length;
  const xtr = nr.tensor(data.trainX, [ntr, 28, 28]);
  const ytr = nr.tensor(oneHot(data.trainY), [ntr, 10]);
  const xte = nr.tensor(data.testX, [data.testY.length, 28, 28]);
  const rows: Row[] = [];
  for (let run = 0; run < runs; run++) {
    nr.setSeed(1 + run);
    const model = build(which);
    const perEpoch: number[] = [];
    let t0 = 0;
    const timer = new nr.callbacks.LambdaCallback({
      onEpochBegin: () => { t0 = performance.now(); },
      onEpochEnd: () => { perEpoch.push(ntr / ((performance.now() - t0) / 1000)); },
    });
    const history = await model.fit(xtr, ytr, { batchSize, epochs, shuffle: true, verbose: 0, callbacks: [timer] });
    const acc = accuracy(model.predict(xte, { batchSize: 500 }), data.testY);
    const loss = history.history.loss!;
    rows.push({
      workload: which, library: 'neurona', backend, threads: backend === 'js' ? 1 : nr.getNumThreads(), run, batchSize, epochs,
      samples_per_s_median_ep2_5: Math.round(median(perEpoch.slice(1))),
      per_epoch: perEpoch.map(Math.round),
      final_loss: +loss[loss.length - 1]!.toFixed(4), test_acc: +acc.toFixed(4),
    });
  }
  return rows;
}
