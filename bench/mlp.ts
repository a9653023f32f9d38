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
import * as nr from '../src/index.js';
import { accuracy, epochTimer, median, oneHot, threadsOf, type Mnist, type Row } from './util.js';

export const MLP_WORKLOADS = ['W2', 'W2b'] as const;
export type MlpWorkload = (typeof MLP_WORKLOADS)[number];

function build(which: MlpWorkload): nr.Sequential {
  const hidden =
    which === 'W2'
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

export async function mlp(which: MlpWorkload, backend: string, data: Mnist, runs: number, epochs: number): Promise<Row[]> {
  nr.setBackend(backend);
  const batchSize = which === 'W2' ? 32 : 128;
  const ntr = data.trainY.length;
  const xtr = nr.tensor(data.trainX, [ntr, 28, 28]);
  const ytr = oneHot(data.trainY);
  const xte = nr.tensor(data.testX, [data.testY.length, 28, 28]);
  const rows: Row[] = [];
  for (let run = 0; run < runs; run++) {
    nr.setSeed(1 + run);
    const model = build(which);
    const timer = epochTimer(ntr);
    const history = await model.fit(xtr, ytr, { batchSize, epochs, shuffle: true, verbose: 0, callbacks: [timer.callback] });
    const acc = accuracy(model.predict(xte, { batchSize: 500 }), data.testY);
    const loss = history.history.loss!;
    rows.push({
      workload: which,
      library: 'neurona',
      backend,
      threads: threadsOf(backend),
      run,
      batchSize,
      epochs,
      samples_per_s_median_ep2_5: Math.round(median(timer.perEpoch.slice(1))),
      per_epoch: timer.perEpoch.map(Math.round),
      final_loss: +loss[loss.length - 1]!.toFixed(4),
      test_acc: +acc.toFixed(4),
    });
  }
  return rows;
}
