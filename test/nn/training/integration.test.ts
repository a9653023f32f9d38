import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nr, assert, assertClose } from '../../helpers.js';

/*
 * Real `model.fit` runs with the real callbacks and options (Keras 3 semantics). The callback unit
 * tests drive a fake model; here the loop, the optimizer and the callbacks meet.
 */

const { EarlyStopping, LearningRateScheduler, ReduceLROnPlateau, TerminateOnNaN, CSVLogger, LambdaCallback } = nr.callbacks;

/** Bitwise copies of the weights' values. */
function weightValues(model: nr.Model): Float64Array[] {
  return model.getWeights().map((w) => Float64Array.from(w.data() as ArrayLike<number>));
}

function assertBitwiseEqual(a: ArrayLike<number>[], b: ArrayLike<number>[], message: string): void {
  assert.equal(a.length, b.length, `${message}: count`);
  a.forEach((x, i) => {
    assert.equal(x.length, b[i]!.length, `${message}: weight ${i} size`);
    for (let k = 0; k < x.length; k++) assert.ok(Object.is(x[k], b[i]![k]), `${message}: weight ${i}[${k}] ${x[k]} vs ${b[i]![k]}`);
  });
}

/** y = 2 x0 - x1 + 0.5 with a little deterministic noise. */
function regressionData(n: number, seed = 3): { x: nr.Tensor; y: nr.Tensor } {
  nr.setSeed(seed);
  const x = nr.randu([n, 2], { low: -1, high: 1 });
  const noise = nr.randu([n, 1], { low: -0.05, high: 0.05 });
  const xs = x.toArray() as number[][];
  const y = nr.tensor(xs.map((r) => [2 * r[0]! - r[1]! + 0.5])).add(noise);
  return { x, y };
}

function linearModel(seed = 1, learningRate = 0.05): nr.Sequential {
  nr.setSeed(seed);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2] })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate }), loss: 'mse', metrics: ['mae'] });
  return model;
}

/** Runs `fn` capturing everything written to process.stdout. */
async function captureStdout<T>(fn: () => Promise<T>): Promise<{ result: T; text: string }> {
  const chunks: string[] = [];
  const original = process.stdout.write;
  process.stdout.write = ((chunk: string | Uint8Array) => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  }) as typeof process.stdout.write;
  try {
    const result = await fn();
    return { result, text: chunks.join('') };
  } finally {
    process.stdout.write = original;
  }
}

const EARLY_STOPPING = 'EarlyStopping(val_loss, patience 1, restoreBestWeights)';
test(`${EARLY_STOPPING} stops after the first worse epoch and restores the best weights bitwise`, async () => {
  const { x, y } = regressionData(32);
  const xv = x.slice([24], [8]);
  const yv = y.slice([24], [8]);
  const model = linearModel(1, 0.05);
  const perEpoch: Float64Array[][] = [];
  const stop = new EarlyStopping({ monitor: 'val_loss', patience: 1, restoreBestWeights: true });
  const history = await model.fit(x.slice([0], [24]), y.slice([0], [24]), {
    epochs: 10,
    batchSize: 8,
    verbose: 0,
    shuffle: false,
    validationData: [xv, yv],
    callbacks: [
      // Epochs 0..2 learn; from epoch 3 the rate explodes and the validation loss worsens.
      new LearningRateScheduler((epoch) => (epoch < 3 ? 0.05 : 3)),
      new LambdaCallback({
        onEpochEnd: () => {
          perEpoch.push(weightValues(model));
        },
      }),
      stop,
    ],
  });
  const valLoss = history.history.val_loss!;
  assert.ok(valLoss[0]! > valLoss[1]! && valLoss[1]! > valLoss[2]!, `improving first: ${valLoss}`);
  assert.ok(valLoss[3]! > valLoss[2]!, `then worse: ${valLoss}`);
  assert.equal(valLoss.length, 4, `stops at epoch index 3 (first epoch without improvement, patience 1): ${valLoss}`);
  assert.deepEqual(history.epoch, [0, 1, 2, 3]);
  assert.equal(stop.stoppedEpoch, 3);
  assert.equal(stop.bestEpoch, 2);
  assert.equal(stop.best, valLoss[2]);
  // The final weights are those at the end of the best epoch, not of the last one.
  assertBitwiseEqual(weightValues(model), perEpoch[2]!, 'restored weights');
  assert.throws(() => assertBitwiseEqual(perEpoch[3]!, perEpoch[2]!, 'epoch 3 vs 2'));
  // And the model evaluates to the best val_loss again.
  const logs = await model.evaluate(xv, yv, { batchSize: 8, verbose: 0 });
  assert.equal(logs.loss, valLoss[2]);
});

test('EarlyStopping without a stop still restores the best epoch at train end', async () => {
  const { x, y } = regressionData(16);
  const model = linearModel(2, 0.05);
  const perEpoch: Float64Array[][] = [];
  const history = await model.fit(x, y, {
    epochs: 3,
    batchSize: 16,
    verbose: 0,
    shuffle: false,
    validationData: [x, y],
    callbacks: [
      new LearningRateScheduler((epoch) => (epoch < 2 ? 0.05 : 5)),
      new LambdaCallback({
        onEpochEnd: () => {
          perEpoch.push(weightValues(model));
        },
      }),
      new EarlyStopping({ monitor: 'val_loss', patience: 5, restoreBestWeights: true }),
    ],
  });
  assert.equal(history.history.loss!.length, 3);
  const v = history.history.val_loss!;
  assert.ok(v[2]! > v[1]!, `last epoch is worse: ${v}`);
  assertBitwiseEqual(weightValues(model), perEpoch[1]!, 'restored weights');
});

test('LearningRateScheduler sets optimizer.learningRate each epoch, logs learning_rate, and the optimizer uses it', async () => {
  const { x, y } = regressionData(8);
  const model = linearModel(1, 0.1);
  const seenRates: number[] = [];
  const perEpoch: Float64Array[][] = [];
  const schedule = (epoch: number) => (epoch === 1 ? 0 : 0.1 / (epoch + 1));
  const history = await model.fit(x, y, {
    epochs: 4,
    batchSize: 8,
    verbose: 0,
    callbacks: [
      new LearningRateScheduler(schedule),
      new LambdaCallback({
        onEpochBegin: () => {
          seenRates.push(model.optimizer!.learningRate);
        },
        onEpochEnd: () => {
          perEpoch.push(weightValues(model));
        },
      }),
    ],
  });
  const expected = [0, 1, 2, 3].map(schedule);
  assert.deepEqual(seenRates, expected);
  assert.deepEqual(history.history.learning_rate, expected);
  assert.equal(model.optimizer!.learningRate, expected[3]);
  // A rate of 0 in epoch 1 leaves the weights unchanged; the other epochs move them.
  assertBitwiseEqual(perEpoch[1]!, perEpoch[0]!, 'epoch 1 with lr 0');
  assert.throws(() => assertBitwiseEqual(perEpoch[2]!, perEpoch[1]!, 'epoch 2'));
});

test('ReduceLROnPlateau reduces the rate after a real plateau in fit', async () => {
  // x = 0 and no bias: the gradient is 0, so the loss is exactly flat.
  nr.setSeed(1);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, useBias: false, inputShape: [2] })]);
  model.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.1 }), loss: 'mse' });
  const x = nr.zeros([4, 2]);
  const y = nr.ones([4, 1]);
  const history = await model.fit(x, y, {
    epochs: 5,
    batchSize: 4,
    verbose: 0,
    callbacks: [new ReduceLROnPlateau({ monitor: 'loss', factor: 0.5, patience: 2 })],
  });
  assert.deepEqual(history.history.loss, [1, 1, 1, 1, 1]);
  // Keras logs the rate in force during the epoch, then reduces: epoch 0 best, epochs 1-2 wait,
  // reduce at the end of epoch 2 (wait 2 >= patience 2), again at the end of epoch 4.
  assert.deepEqual(history.history.learning_rate, [0.1, 0.1, 0.1, 0.05, 0.05]);
  assert.equal(model.optimizer!.learningRate, 0.025);
});

test('TerminateOnNaN stops a fit right after the first NaN batch', async () => {
  // fit refuses NaN in x, so the invalid loss comes from a finite input whose square overflows float32.
  const xs = [
    [1, 0],
    [0, 1],
    [1, 1],
    [3e38, 1],
    [0, 0],
    [2, 1],
  ];
  const x = nr.tensor(xs);
  const y = nr.tensor(xs.map(() => [1]));
  const model = linearModel(1, 0.01);
  const batches: [number, number][] = [];
  const printed: string[] = [];
  let epoch = -1;
  const history = await model.fit(x, y, {
    epochs: 3,
    batchSize: 2,
    shuffle: false,
    verbose: 0,
    callbacks: [
      new LambdaCallback({
        onEpochBegin: (e) => {
          epoch = e;
        },
        onTrainBatchEnd: (b) => {
          batches.push([epoch, b]);
        },
      }),
      new TerminateOnNaN({ print: (line) => printed.push(line) }),
    ],
  });
  // Batch 1 holds the overflowing sample: batch 2 and the later epochs never run.
  assert.deepEqual(batches, [
    [0, 0],
    [0, 1],
  ]);
  assert.deepEqual(printed, ['Batch 1: Invalid loss, terminating training']);
  assert.equal(history.history.loss!.length, 1);
  assert.ok(!Number.isFinite(history.history.loss![0]));
  assert.equal(model.stopTraining, true);
});

test('TerminateOnNaN stops a diverging linear regression (huge learning rate)', async () => {
  const { x, y } = regressionData(16);
  const model = linearModel(1, 1e18);
  const printed: string[] = [];
  const history = await model.fit(x, y, {
    epochs: 50,
    batchSize: 2,
    shuffle: false,
    verbose: 0,
    callbacks: [new TerminateOnNaN({ print: (line) => printed.push(line) })],
  });
  const losses = history.history.loss!;
  assert.ok(losses.length < 50, `stopped early: ${losses.length} epochs`);
  assert.ok(losses.slice(0, -1).every(Number.isFinite), 'every epoch before the last is finite');
  assert.ok(!Number.isFinite(losses.at(-1)!), `last loss is not finite: ${losses.at(-1)}`);
  assert.equal(printed.length, 1);
});

test('CSVLogger writes one row per epoch with the same numbers as history', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-csv-'));
  try {
    const file = join(dir, 'log.csv');
    const { x, y } = regressionData(20);
    const model = linearModel(1, 0.05);
    const history = await model.fit(x, y, {
      epochs: 4,
      batchSize: 5,
      verbose: 0,
      validationSplit: 0.25,
      // The scheduler comes first: it adds learning_rate to the logs object that CSVLogger then sees.
      callbacks: [new LearningRateScheduler((_epoch, lr) => lr * 0.5), new CSVLogger(file)],
    });
    const text = readFileSync(file, 'utf8');
    assert.ok(text.endsWith('\n'));
    const [header, ...rows] = text.trimEnd().split('\n');
    const keys = header!.split(',');
    assert.deepEqual(keys, ['epoch', 'learning_rate', 'loss', 'mae', 'val_loss', 'val_mae']);
    assert.equal(rows.length, 4);
    rows.forEach((row, e) => {
      const cells = row.split(',');
      assert.equal(cells[0], String(e));
      keys.slice(1).forEach((k, i) => {
        assert.equal(Number(cells[i + 1]), history.history[k]![e], `epoch ${e} ${k}`);
      });
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('classWeight weights the loss as Keras does: sum(w_i * loss_i) / n', async () => {
  nr.setSeed(5);
  const x = nr.randu([6, 3], { low: -1, high: 1 });
  const labels = [0, 1, 1, 0, 1, 1];
  const y = nr.tensor(labels.map((v) => [v]));
  const classWeight = { 0: 3, 1: 0.5 };
  const build = () => {
    nr.setSeed(9);
    const m = new nr.Sequential([new nr.layers.Dense({ units: 1, activation: 'sigmoid', inputShape: [3] })]);
    m.compile({ optimizer: new nr.optimizers.SGD({ learningRate: 0.1 }), loss: 'binary_crossentropy' });
    return m;
  };
  const model = build();
  const p = Array.from(model.predict(x).data() as ArrayLike<number>);
  const eps = 1e-7;
  const perSample = p.map((q, i) => {
    const c = Math.min(Math.max(q, eps), 1 - eps);
    return -(labels[i]! * Math.log(c) + (1 - labels[i]!) * Math.log(1 - c));
  });
  const weighted = perSample.reduce((s, l, i) => s + classWeight[labels[i] as 0 | 1] * l, 0) / labels.length;
  const plain = perSample.reduce((s, l) => s + l, 0) / labels.length;
  const history = await model.fit(x, y, { epochs: 1, batchSize: 6, shuffle: false, verbose: 0, classWeight });
  assertClose([history.history.loss![0]!], [weighted], { rtol: 1e-5, atol: 1e-6, message: 'weighted loss' });
  assert.ok(Math.abs(weighted - plain) > 1e-3, 'the weights matter for this data');
  // The same as an explicit sampleWeight of the class weights.
  const other = build();
  const h2 = await other.fit(x, y, {
    epochs: 1,
    batchSize: 6,
    shuffle: false,
    verbose: 0,
    sampleWeight: nr.tensor(labels.map((l) => classWeight[l as 0 | 1])),
  });
  assert.equal(h2.history.loss![0], history.history.loss![0]);
  assertBitwiseEqual(weightValues(other), weightValues(model), 'weights after the weighted step');
});

test('initialEpoch: epochs 3, initialEpoch 1 runs 2 epochs shown as Epoch 2/3 and 3/3', async () => {
  const { x, y } = regressionData(8);
  const model = linearModel();
  const begun: number[] = [];
  const { result: history, text } = await captureStdout(() =>
    model.fit(x, y, {
      epochs: 3,
      initialEpoch: 1,
      batchSize: 4,
      verbose: 2,
      callbacks: [
        new LambdaCallback({
          onEpochBegin: (e) => {
            begun.push(e);
          },
        }),
      ],
    }),
  );
  assert.deepEqual(begun, [1, 2]);
  assert.deepEqual(history.epoch, [1, 2]);
  assert.equal(history.history.loss!.length, 2);
  const lines = text.split('\n');
  assert.equal(lines[0], 'Epoch 2/3');
  assert.equal(lines[2], 'Epoch 3/3');
  assert.ok(!text.includes('Epoch 1/3'));
});

test('validationFreq counts epochs from 1 as Keras does, also with initialEpoch', async () => {
  // Keras's _should_eval: (epoch + 1) % validation_freq == 0, with the absolute epoch index.
  const { x, y } = regressionData(8);
  const model = linearModel();
  const validated: number[] = [];
  await model.fit(x, y, {
    epochs: 5,
    initialEpoch: 1,
    batchSize: 4,
    verbose: 0,
    validationData: [x, y],
    validationFreq: 2,
    callbacks: [
      new LambdaCallback({
        onEpochEnd: (e, logs) => {
          if (logs && 'val_loss' in logs) validated.push(e);
        },
      }),
    ],
  });
  assert.deepEqual(validated, [1, 3]);
});

test('validationSplit takes the last fraction before shuffling: the same run as validationData', async () => {
  const { x, y } = regressionData(16);
  const a = linearModel(4);
  nr.setSeed(11);
  const ha = await a.fit(x, y, { epochs: 3, batchSize: 4, verbose: 0, validationSplit: 0.25 });
  const b = linearModel(4);
  nr.setSeed(11);
  const hb = await b.fit(x.slice([0], [12]), y.slice([0], [12]), {
    epochs: 3,
    batchSize: 4,
    verbose: 0,
    validationData: [x.slice([12], [4]), y.slice([12], [4])],
  });
  assert.deepEqual(Object.keys(ha.history).sort(), ['loss', 'mae', 'val_loss', 'val_mae']);
  assert.deepEqual(ha.history, hb.history);
  assertBitwiseEqual(weightValues(a), weightValues(b), 'weights');
  // A split from the front would give another validation loss.
  const front = await b.evaluate(x.slice([0], [4]), y.slice([0], [4]), { batchSize: 4, verbose: 0 });
  assert.notEqual(front.loss, hb.history.val_loss!.at(-1));
});

/** A subclassed model that records the first feature of every training batch it sees. */
class Recorder extends nr.Model {
  dense = new nr.layers.Dense({ units: 1 });
  seen: number[][] = [];
  override call(x: nr.Tensor, { training = false } = {}): nr.Tensor {
    if (training) this.seen.push((x.toArray() as number[][]).map((r) => r[0]!));
    return this.dense.apply(x);
  }
}

test('shuffle false feeds the batches in order; shuffle true permutes every epoch', async () => {
  const x = nr.tensor(Array.from({ length: 8 }, (_, i) => [i, 1]));
  const y = nr.tensor(Array.from({ length: 8 }, (_, i) => [i]));
  nr.setSeed(1);
  const model = new Recorder();
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  await model.fit(x, y, { epochs: 2, batchSize: 3, shuffle: false, verbose: 0 });
  assert.deepEqual(model.seen, [
    [0, 1, 2],
    [3, 4, 5],
    [6, 7],
    [0, 1, 2],
    [3, 4, 5],
    [6, 7],
  ]);

  model.seen = [];
  await model.fit(x, y, { epochs: 2, batchSize: 3, verbose: 0 });
  assert.deepEqual(
    model.seen.map((b) => b.length),
    [3, 3, 2, 3, 3, 2],
  );
  const epochs = [model.seen.slice(0, 3).flat(), model.seen.slice(3).flat()];
  for (const order of epochs)
    assert.deepEqual(
      [...order].sort((p, q) => p - q),
      [0, 1, 2, 3, 4, 5, 6, 7],
    );
  assert.notDeepEqual(epochs[0], [0, 1, 2, 3, 4, 5, 6, 7]);
  assert.notDeepEqual(epochs[0], epochs[1]);
});

test('verbose 0 prints nothing; verbose 2 prints Epoch i/N and one line per epoch', async () => {
  const { x, y } = regressionData(16);
  const quiet = await captureStdout(() => linearModel().fit(x, y, { epochs: 2, batchSize: 4, verbose: 0, validationSplit: 0.25 }));
  assert.equal(quiet.text, '');
  const quietEval = await captureStdout(() => linearModel().evaluate(x, y, { verbose: 0 }));
  assert.equal(quietEval.text, '');

  const { result: history, text } = await captureStdout(() =>
    linearModel().fit(x, y, { epochs: 3, batchSize: 4, verbose: 2, validationSplit: 0.25 }),
  );
  const lines = text.split('\n');
  assert.equal(lines.pop(), '', 'ends with a newline');
  assert.equal(lines.length, 6, text);
  assert.ok(!text.includes('\r'));
  const num = '(-?\\d+\\.\\d{4}|-?\\d\\.\\d{4}e[+-]\\d+)';
  const pattern = new RegExp(`^3/3 - \\d+s - \\d+(s|ms|us)/step - loss: ${num} - mae: ${num} - val_loss: ${num} - val_mae: ${num}$`);
  for (let e = 0; e < 3; e++) {
    assert.equal(lines[2 * e], `Epoch ${e + 1}/3`);
    const m = pattern.exec(lines[2 * e + 1]!);
    assert.ok(m, `line ${JSON.stringify(lines[2 * e + 1])}`);
    const loss = history.history.loss![e]!;
    if (loss > 1e-3) assert.equal(m[2], loss.toFixed(4));
  }
});

test('the same seed gives bitwise identical histories and weights (dropout, shuffling)', async () => {
  const run = async (seed: number) => {
    nr.setSeed(seed);
    const x = nr.randn([24, 4]);
    const y = nr.cast(x.sum(-1, true).greater(0), 'float32');
    const model = new nr.Sequential([
      new nr.layers.Dense({ units: 8, activation: 'relu', inputShape: [4] }),
      new nr.layers.Dropout({ rate: 0.3 }),
      new nr.layers.Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
    const history = await model.fit(x, y, { epochs: 3, batchSize: 5, verbose: 0, validationSplit: 0.2 });
    return { history: history.history, weights: weightValues(model) };
  };
  const a = await run(42);
  const b = await run(42);
  assert.deepEqual(Object.keys(a.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  for (const k of Object.keys(a.history)) assertBitwiseEqual([a.history[k]!], [b.history[k]!], k);
  assertBitwiseEqual(a.weights, b.weights, 'weights');
  // Another seed gives another run (so the comparison above can fail).
  const c = await run(43);
  assert.throws(() => assertBitwiseEqual(c.weights, a.weights, 'weights'));
});

test('model.stopTraining set in onTrainBatchEnd stops mid-epoch; the epoch still ends', async () => {
  const { x, y } = regressionData(20);
  const model = linearModel();
  const batches: number[] = [];
  const ended: number[] = [];
  const history = await model.fit(x, y, {
    epochs: 5,
    batchSize: 4,
    shuffle: false,
    verbose: 0,
    callbacks: [
      new LambdaCallback({
        onTrainBatchEnd: (b) => {
          batches.push(b);
          if (b === 1) model.stopTraining = true;
        },
        onEpochEnd: (e) => {
          ended.push(e);
        },
      }),
    ],
  });
  assert.deepEqual(batches, [0, 1]);
  assert.deepEqual(ended, [0]);
  assert.equal(history.history.loss!.length, 1);
  // The epoch's loss is the mean over the two batches that ran (both of size 4).
  const first = linearModel();
  const l0 = first.trainOnBatch(x.slice([0], [4]), y.slice([0], [4])).loss!;
  const l1 = first.trainOnBatch(x.slice([4], [4]), y.slice([4], [4])).loss!;
  assertClose([history.history.loss![0]!], [(l0 + l1) / 2], { rtol: 1e-12, atol: 0 });
  // A new fit starts again (stopTraining is reset).
  const again = await model.fit(x, y, { epochs: 2, batchSize: 4, verbose: 0 });
  assert.equal(again.history.loss!.length, 2);
});

test('evaluate on a frozen model returns the last epoch val_loss for the same data', async () => {
  const { x, y } = regressionData(20);
  const xv = x.slice([14], [6]);
  const yv = y.slice([14], [6]);
  const model = linearModel();
  const history = await model.fit(x.slice([0], [14]), y.slice([0], [14]), {
    epochs: 3,
    batchSize: 4,
    verbose: 0,
    validationData: [xv, yv],
  });
  const logs = await model.evaluate(xv, yv, { batchSize: 4, verbose: 0 });
  assert.equal(logs.loss, history.history.val_loss!.at(-1));
  assert.equal(logs.mae, history.history.val_mae!.at(-1));
  // And it is not simply the training loss.
  assert.notEqual(logs.loss, history.history.loss!.at(-1));
});
