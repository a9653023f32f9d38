/*
 * W3, W4, W5: CNN training (and W3/W4 inference) exactly as ../shared/bench/peers/README.md
 * (section 4) and its tfjs/cnn.js define them:
 *   W3: Input(32,32,3); Conv2D(32,3,s1,same) ReLU; Conv2D(32,3,s2,same) ReLU; Conv2D(64,3,s1,same) ReLU;
 *       Conv2D(64,3,s2,same) ReLU; Flatten; Dense(128) ReLU; Dense(10, softmax)
 *   W4: W3 with BatchNormalization after every conv and after Dense(128), Dropout(0.5) before the last Dense
 *   W5: the LeNet-like MNIST CNN (ZeroPadding2D(2), 5x5 convs with max pooling, Dense 120/84/10)
 * Adam(1e-3), categorical cross-entropy, batch 32, shuffle. W3/W4: N = 2048 synthetic x ~ U[0,1) with
 * random labels, 1 warm-up + 3 timed epochs, median samples/s of the 3; inference: predict 2048 at batch
 * 256, 1 warm-up + 3 timed, median. W5: 3 epochs over the 8,000 training digits, median of epochs 2..3,
 * test accuracy after epoch 3. Each row also has the process's peak RSS after the run (peak_rss_mib).
 */
import * as nr from '../src/index.js';
import { lenet } from '../src/cli/jobs/deck004.js';
import { accuracy, epochTimer, median, oneHot, threadsOf, type Mnist, type Row } from './util.js';

export const CNN_WORKLOADS = ['W3', 'W4', 'W5'] as const;
export type CnnWorkload = (typeof CNN_WORKLOADS)[number];

/** W5 is deck 004's LeNet-like CNN (`neurona train mnist-lenet`), layer for layer the peers' W5. */
export function build(which: CnnWorkload): nr.Sequential {
  const L = nr.layers;
  let model: nr.Sequential;
  if (which === 'W5') {
    model = lenet();
  } else {
    const layers: nr.layers.Layer[] = [];
    const bn = which === 'W4';
    (
      [
        [32, 1],
        [32, 2],
        [64, 1],
        [64, 2],
      ] as const
    ).forEach(([filters, strides], i) => {
      layers.push(
        new L.Conv2D({
          filters,
          kernelSize: 3,
          strides,
          padding: 'same',
          activation: 'relu',
          ...(i === 0 ? { inputShape: [32, 32, 3] } : {}),
        }),
      );
      if (bn) layers.push(new L.BatchNormalization());
    });
    layers.push(new L.Flatten(), new L.Dense({ units: 128, activation: 'relu' }));
    if (bn) layers.push(new L.BatchNormalization(), new L.Dropout({ rate: 0.5 }));
    layers.push(new L.Dense({ units: 10, activation: 'softmax' }));
    model = new nr.Sequential(layers);
  }
  model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3, epsilon: 1e-7 }), loss: 'categorical_crossentropy' });
  return model;
}

/** Samples per second, whole above 100, else to 3 significant digits (a software GPU adapter is that slow). */
const rate = (v: number) => (v >= 100 ? Math.round(v) : +v.toPrecision(3));

/** One run per `runs` of a CNN workload on `backend`; `data` is needed for W5 only. */
export async function cnn(
  which: CnnWorkload,
  backend: string,
  data: Mnist | undefined,
  runs: number,
  epochsOverride?: number,
  samples = 2048,
): Promise<Row[]> {
  nr.setBackend(backend);
  const batchSize = 32;
  const rows: Row[] = [];
  let x: nr.Tensor;
  let y: nr.Tensor;
  let inferX: nr.Tensor | undefined;
  if (which === 'W5') {
    const n = data!.trainY.length;
    x = nr.tensor(data!.trainX, [n, 28, 28, 1]);
    y = oneHot(data!.trainY);
  } else {
    nr.setSeed(7);
    x = nr.randu([samples, 32, 32, 3]);
    y = oneHot(nr.randu([samples], { low: 0, high: 10 }).floor().cast('int32').data());
    inferX = nr.randu([samples, 32, 32, 3]);
  }
  const n = x.shape[0]!;
  const epochs = epochsOverride ?? (which === 'W5' ? 3 : 4);
  for (let run = 0; run < runs; run++) {
    nr.setSeed(1 + run);
    const model = build(which);
    const timer = epochTimer(n);
    await model.fit(x, y, { batchSize, epochs, shuffle: true, verbose: 0, callbacks: [timer.callback] });
    const row: Row = {
      workload: which,
      library: 'neurona',
      backend,
      threads: threadsOf(backend),
      run,
      batchSize,
      epochs,
      train_samples_per_s: rate(median(timer.perEpoch.slice(1))),
      per_epoch: timer.perEpoch.map(rate),
    };
    if (which === 'W5') {
      const testX = nr.tensor(data!.testX, [data!.testY.length, 28, 28, 1]);
      row.test_acc = +accuracy(model.predict(testX, { batchSize: 500 }), data!.testY).toFixed(4);
    } else {
      const infer = () => {
        const t = performance.now();
        model.predict(inferX!, { batchSize: 256 }).data();
        return inferX!.shape[0]! / ((performance.now() - t) / 1000);
      };
      infer();
      const timed = [infer(), infer(), infer()];
      row.infer_batch = 256;
      row.infer_samples_per_s = rate(median(timed));
      row.infer_all = timed.map(rate);
    }
    if (backend === 'webgpu') row.gpu_bytes_in_use = nr.memory().webgpu?.bytesInUse;
    // The process's peak so far (it only grows: run one workload per process to compare it with a
    // peer's process, e.g. PyTorch's under /usr/bin/time -f %M).
    row.peak_rss_mib = Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;
    rows.push(row);
  }
  return rows;
}
