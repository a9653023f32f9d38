import { test } from 'node:test';
import { existsSync, mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nr, assert } from '../../helpers.js';
import { setNoticeSink } from '../../../src/core/notice.js';
import { takeFloat32 } from '../../../src/core/buffer-pool.js';
import { Dataset as DatasetClass } from '../../../src/data/pipeline/dataset.js';

/*
 * fit / evaluate / predict on an nr.data.Dataset: the same batches as the tensor path give
 * bit-identical weights, losses and outputs; Keras's rules for what goes with a Dataset; steps
 * options; progress with an unknown length; and a prefetched pipeline overlapping the training step.
 */

const { Dataset } = nr.data;

function data(n: number, seed = 1): [nr.Tensor, nr.Tensor] {
  nr.setSeed(seed);
  const x = nr.randn([n, 4]);
  const y = nr.tensor(
    Array.from({ length: n }, (_, i) => i % 3),
    [n],
    'int32',
  );
  return [x, y];
}

function model(seed = 7): nr.Sequential {
  nr.setSeed(seed);
  const m = new nr.Sequential([
    new nr.layers.Dense({ units: 8, activation: 'relu', inputShape: [4], name: 'hidden' }),
    new nr.layers.Dense({ units: 3, name: 'logits' }),
  ]);
  m.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }),
    loss: new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    metrics: ['accuracy'],
  });
  return m;
}

const weightsOf = (m: nr.Sequential) => m.getWeights().map((w) => Array.from(w.data()));

test('fit on a Dataset gives bit-identical weights and history to fit on the same tensors and batches', async () => {
  const [x, y] = data(50);
  const [xv, yv] = data(12, 2);
  const a = model();
  const ha = await a.fit(x, y, { epochs: 3, batchSize: 16, shuffle: false, verbose: 0, validationData: [xv, yv] });
  const b = model();
  const ds = Dataset.fromTensorSlices([x, y]).batch(16).prefetch(2);
  const hb = await b.fit(ds, { epochs: 3, verbose: 0, validationData: Dataset.fromTensorSlices([xv, yv]).batch(32) });
  assert.deepEqual(weightsOf(b), weightsOf(a));
  assert.deepEqual(hb.history, ha.history);
  assert.deepEqual(Object.keys(hb.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
  // evaluate and predict on datasets: equal to the tensor path, also through an async map.
  assert.deepEqual(
    await b.evaluate(Dataset.fromTensorSlices([x, y]).batch(7), { verbose: 0 }),
    await b.evaluate(x, y, { batchSize: 7, verbose: 0 }),
  );
  const viaDataset = await b.predict(
    Dataset.fromTensorSlices(x)
      .batch(16)
      .map(async (t) => t),
  );
  assert.deepEqual(viaDataset.shape, [50, 3]);
  assert.deepEqual(Array.from(viaDataset.data()), Array.from(b.predict(x, { batchSize: 16 }).data()));
  // [x, y] elements: predict ignores the targets.
  const withTargets = await b.predict(Dataset.fromTensorSlices([x, y]).batch(20));
  assert.deepEqual(Array.from(withTargets.data()), Array.from(viaDataset.data()));
});

test('sample weights from the dataset and classWeight equal the tensor path', async () => {
  const [x, y] = data(30);
  const w = nr.tensor(Array.from({ length: 30 }, (_, i) => 0.5 + (i % 4)));
  const a = model();
  await a.fit(x, y, { epochs: 2, batchSize: 8, shuffle: false, verbose: 0, sampleWeight: w, classWeight: { 0: 1, 1: 2, 2: 0.5 } });
  const b = model();
  await b.fit(Dataset.fromTensorSlices([x, y, w]).batch(8), { epochs: 2, verbose: 0, classWeight: { 0: 1, 1: 2, 2: 0.5 } });
  assert.deepEqual(weightsOf(b), weightsOf(a));
});

test('stepsPerEpoch runs one iterator on across epochs, as Keras; running out stops training with a notice', async () => {
  const [x, y] = data(40);
  const a = model();
  // 3 epochs of 2 batches of 8 from one continuing pass: the 40 samples, then the first 8 again.
  const ha = await a.fit(Dataset.fromTensorSlices([x, y]).batch(8).repeat(), { epochs: 3, stepsPerEpoch: 2, verbose: 0 });
  const b = model();
  const xs = nr.concat([x, x.slice([0], [8])], 0);
  const ys = nr.concat([y, y.slice([0], [8])], 0);
  await b.fit(xs, ys, { epochs: 1, batchSize: 8, shuffle: false, verbose: 0 });
  assert.deepEqual(weightsOf(a), weightsOf(b));
  assert.equal(ha.history.loss!.length, 3);
  const lines: string[] = [];
  const previous = setNoticeSink((line) => lines.push(line));
  try {
    const c = model();
    const hc = await c.fit(Dataset.fromTensorSlices([x, y]).batch(8), { epochs: 4, stepsPerEpoch: 3, verbose: 0 });
    // 5 batches: epoch 1 runs 3, epoch 2 runs 2 and finds the data exhausted.
    assert.equal(hc.history.loss!.length, 2);
    assert.equal(c.stopTraining, true);
  } finally {
    setNoticeSink(previous);
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /fit: the training Dataset ran out of data at step 3 of 3.*stepsPerEpoch \* epochs.*repeat\(\)/);
  // validationSteps limits the validation pass to its first batches.
  const d = model();
  const hd = await d.fit(Dataset.fromTensorSlices([x, y]).batch(8), {
    epochs: 1,
    verbose: 0,
    validationData: Dataset.fromTensorSlices([x, y]).batch(8).repeat(),
    validationSteps: 2,
  });
  const first16 = await d.evaluate(x.slice([0], [16]), y.slice([0], [16]), { batchSize: 8, verbose: 0 });
  assert.equal(hd.history.val_loss![0], first16.loss);
  assert.deepEqual(await d.evaluate(Dataset.fromTensorSlices([x, y]).batch(8).repeat(), { steps: 2, verbose: 0 }), first16);
  assert.deepEqual((await d.predict(Dataset.fromTensorSlices(x).batch(8).repeat(), { steps: 3 })).shape, [24, 3]);
});

test('a dataset of unknown length: the progress bar counts up to "Unknown", then knows the length', async () => {
  const [x, y] = data(20);
  const written: string[] = [];
  const progbar = new nr.callbacks.ProgbarLogger({
    verbose: 1,
    stream: { write: (t: string) => written.push(t), isTTY: true },
    color: false,
    intervalMs: 0,
  });
  const unknown = Dataset.fromTensorSlices([x, y])
    .batch(5)
    .filter(() => true);
  assert.equal(unknown.cardinality(), Dataset.UNKNOWN);
  const history = await model().fit(unknown, { epochs: 2, verbose: 1, callbacks: [progbar] });
  assert.equal(history.history.loss!.length, 2);
  const text = written.join('');
  const [first, second] = text.split('Epoch 2/2');
  assert.match(first!, / {6}1\/Unknown \d+s/);
  assert.match(first!, /4\/4 ━/);
  assert.doesNotMatch(second!, /Unknown/);
  assert.match(second!, /1\/4 ━/);
});

test('fit awaits the next batch only when it needs it: a prefetched async map overlaps the steps', async () => {
  const [x, y] = data(24);
  /** Per step, whether the map call for the next batch had started when the step began. */
  const overlapsIn = async (prefetch: boolean) => {
    let started = 0;
    const mapped = Dataset.fromTensorSlices([x, y])
      .batch(4)
      .map(async (batch) => {
        started++;
        // Stands for decoding in a worker: it runs on while the main thread trains.
        await new Promise((resolve) => setTimeout(resolve, 3));
        return batch;
      });
    const seen: boolean[] = [];
    const probe = new nr.callbacks.LambdaCallback({ onTrainBatchBegin: (step: number) => void seen.push(started > step + 1) });
    await model().fit(prefetch ? mapped.prefetch(1) : mapped, { epochs: 1, verbose: 0, callbacks: [probe] });
    return seen;
  };
  assert.deepEqual(await overlapsIn(true), [true, true, true, true, true, false]);
  assert.deepEqual(await overlapsIn(false), [false, false, false, false, false, false]);
});

test('batches the pipeline made are given back to the pool after their step; cached ones are not', async () => {
  const [x, y] = data(24);
  const wide = nr.randn([24, 37]);
  const m = new nr.Sequential([new nr.layers.Dense({ units: 3, inputShape: [37] })]);
  m.compile({ optimizer: 'sgd', loss: new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true }) });
  /** The storage of every x batch the model received, and whether the pool handed it out again right after the step. */
  const run = async (dataset: nr.data.Dataset) => {
    const storage: Float32Array[] = [];
    // Forwards fit's own iteration, so that the probe is not a user-visible hand-off itself.
    const peek = DatasetClass.of((recycle) => {
      const it = recycle ? DatasetClass.iterateForFit(dataset) : dataset[Symbol.asyncIterator]();
      return {
        next: async () => {
          const r = await it.next();
          if (!r.done) storage.push((r.value as nr.Tensor[])[0]!.data() as Float32Array);
          return r;
        },
        return: async () => (await it.return?.()) ?? { done: true, value: undefined },
      };
    }, dataset.cardinality());
    const reused: boolean[] = [];
    const probe = new nr.callbacks.LambdaCallback({ onTrainBatchEnd: () => void reused.push(takeFloat32(8 * 37) === storage.at(-1)) });
    await m.fit(peek, { epochs: 2, verbose: 0, callbacks: [probe] });
    return reused;
  };
  assert.deepEqual(await run(Dataset.fromTensorSlices([wide, y]).batch(8)), [true, true, true, true, true, true]);
  assert.deepEqual(await run(Dataset.fromTensorSlices([wide, y]).batch(8).cache()), [false, false, false, false, false, false]);
  assert.deepEqual(
    await run(
      Dataset.fromTensorSlices([wide, y])
        .batch(8)
        .map((e) => e),
    ),
    [false, false, false, false, false, false],
  );
  // Stages that only pass batches on keep them recyclable.
  assert.deepEqual(
    await run(
      DatasetClass.zip([Dataset.fromTensorSlices(wide), Dataset.fromTensorSlices(y)])
        .batch(8)
        .shuffle(2, { seed: 1 })
        .prefetch(1)
        .concatenate(Dataset.fromTensorSlices([wide, y]).batch(8).take(1))
        .skip(1)
        .repeat(1),
    ),
    [true, true, true, true, true, true],
  );
  // Batches that reached user code (toArray, a for await) and come back through fromGenerator keep their storage.
  const kept = await Dataset.fromTensorSlices([wide, y]).batch(8).toArray();
  const looped: nr.Tensor[][] = [];
  for await (const b of Dataset.fromTensorSlices([wide, y]).batch(8).prefetch(1)) looped.push(b);
  for (const batches of [kept, looped]) {
    const before = batches.map((b) => Array.from(b[0]!.data()));
    assert.deepEqual(await run(Dataset.fromGenerator(() => batches)), [false, false, false, false, false, false]);
    assert.deepEqual(
      batches.map((b) => Array.from(b[0]!.data())),
      before,
    );
  }
  // A cached pipeline trains bit-identically to the tensors every epoch (its batches were never recycled).
  const a = model();
  await a.fit(Dataset.fromTensorSlices([x, y]).batch(8).cache(), { epochs: 3, verbose: 0 });
  const b = model();
  await b.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  assert.deepEqual(weightsOf(a), weightsOf(b));
});

test('stepsPerEpoch equal to the batches of a finite dataset starts the data over at each epoch, as Keras 3', async () => {
  const [x, y] = data(32);
  const reference = model();
  const href = await reference.fit(x, y, { epochs: 3, batchSize: 8, shuffle: false, verbose: 0 });
  const lines: string[] = [];
  const previous = setNoticeSink((line) => lines.push(line));
  try {
    const batches = await Dataset.fromTensorSlices([x, y]).batch(8).toArray();
    for (const ds of [Dataset.fromTensorSlices([x, y]).batch(8), Dataset.fromGenerator(() => batches)]) {
      const m = model();
      const h = await m.fit(ds, { epochs: 3, stepsPerEpoch: 4, verbose: 0 });
      assert.deepEqual(h.history, href.history, `cardinality ${ds.cardinality()}`);
      assert.deepEqual(weightsOf(m), weightsOf(reference));
      assert.equal(m.stopTraining, false);
    }
  } finally {
    setNoticeSink(previous);
  }
  assert.deepEqual(lines, []);
});

test('an epoch that gets no batch is not recorded: training stops before its validation and onEpochEnd', async () => {
  const [x, y] = data(16);
  const batches = await Dataset.fromTensorSlices([x, y]).batch(8).toArray();
  const lines: string[] = [];
  const previous = setNoticeSink((line) => lines.push(line));
  try {
    for (const stepsPerEpoch of [undefined, 2]) {
      // One iterator for every call: the second epoch finds it exhausted.
      const once = batches[Symbol.iterator]();
      const ended: number[] = [];
      const m = model();
      const h = await m.fit(
        Dataset.fromGenerator(() => once),
        {
          epochs: 3,
          stepsPerEpoch,
          verbose: 0,
          validationData: Dataset.fromTensorSlices([x, y]).batch(16),
          callbacks: [new nr.callbacks.LambdaCallback({ onEpochEnd: (epoch) => void ended.push(epoch) })],
        },
      );
      assert.deepEqual(ended, [0]);
      assert.equal(h.history.loss!.length, 1);
      assert.equal(h.history.val_loss!.length, 1);
      assert.ok(h.history.loss![0]! > 0.1);
      assert.equal(m.stopTraining, true);
    }
  } finally {
    setNoticeSink(previous);
  }
  assert.equal(lines.length, 2);
  assert.match(lines[0]!, /fit: the training Dataset gave no batch this epoch; training stops.*must return a new iterable/);
  assert.match(lines[1]!, /fit: the training Dataset ran out of data at step 1 of 2/);
});

test('multi-input models take x as an array or as {inputName: tensor} from the dataset', async () => {
  nr.setSeed(3);
  const a = nr.Input({ shape: [2], name: 'left' });
  const b = nr.Input({ shape: [3], name: 'right' });
  const out = new nr.layers.Dense({ units: 1 }).apply(new nr.layers.Concatenate().apply([a, b]));
  const build = () => {
    nr.setSeed(11);
    const m = new nr.Model({ inputs: [a, b], outputs: out });
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    return m;
  };
  const left = nr.randn([10, 2]);
  const right = nr.randn([10, 3]);
  const target = nr.randn([10, 1]);
  const m1 = build();
  const w0 = m1.getWeights().map((w) => Array.from(w.data()));
  await m1.fit([left, right], target, { batchSize: 5, shuffle: false, verbose: 0 });
  const m2 = build();
  m2.setWeights(w0.map((v, i) => nr.tensor(v, m1.getWeights()[i]!.shape)));
  await m2.fit(Dataset.fromTensorSlices([{ right, left }, target]).batch(5), { verbose: 0 });
  assert.deepEqual(
    m2.getWeights().map((w) => Array.from(w.data())),
    m1.getWeights().map((w) => Array.from(w.data())),
  );
  await assert.rejects(m2.fit(Dataset.fromTensorSlices([{ left, middle: right }, target]).batch(5), { verbose: 0 }), (e: Error) => {
    return (
      e instanceof nr.ConfigError &&
      /fit: the dataset's x given by name must have one Tensor for each of \["left","right"\].*add \["right"\]/.test(e.message)
    );
  });
});

test("Keras's rules for what may come with a Dataset are ConfigErrors that say what to change", async () => {
  const [x, y] = data(8);
  const ds = Dataset.fromTensorSlices([x, y]).batch(4);
  const m = model();
  const rejects = (p: Promise<unknown>, pattern: RegExp) =>
    assert.rejects(p, (e: Error) => e instanceof nr.ConfigError && pattern.test(e.message));
  await rejects(m.fit(ds as never, y, { verbose: 0 }), /fit: y must not be given when x is a Dataset.*put the labels in the dataset/);
  await rejects(m.fit(ds, { batchSize: 4, verbose: 0 }), /fit: option batchSize is not accepted when x is a Dataset.*dataset.batch\(n\)/);
  await rejects(m.fit(ds, { validationSplit: 0.2, verbose: 0 }), /fit: option validationSplit is not accepted.*validationData/);
  await rejects(m.fit(ds, { sampleWeight: nr.ones([8]), verbose: 0 }), /fit: option sampleWeight.*\[x, y, sampleWeight\]/);
  await rejects(
    m.fit(ds, { validationData: ds, validationBatchSize: 4, verbose: 0 }),
    /fit \(validationData\): option validationBatchSize/,
  );
  await rejects(m.fit(ds.repeat(), { verbose: 0 }), /fit: the Dataset is infinite.*give stepsPerEpoch/);
  await rejects(
    m.fit(ds, { validationData: ds.repeat(), verbose: 0 }),
    /fit \(validationData\): the Dataset is infinite.*give validationSteps/,
  );
  await rejects(m.fit(ds, { stepsPerEpoch: 0, verbose: 0 }), /fit: stepsPerEpoch must be an integer >= 1, got 0/);
  await rejects(m.fit(x, y, { stepsPerEpoch: 2, verbose: 0 }), /fit: option stepsPerEpoch needs a Dataset/);
  await rejects(
    m.fit(Dataset.fromTensorSlices(x).batch(4), { verbose: 0 }),
    /fit: each Dataset element must be \[x, y\] or \[x, y, sampleWeight\], got a float32 tensor.*map the elements to pairs/,
  );
  await rejects(m.fit(ds.take(0), { verbose: 0 }), /fit: the Dataset must yield at least one batch, got none \(cardinality 0\)/);
  const empty = ds.filter(() => false);
  await rejects(m.fit(empty, { verbose: 0 }), /fit: the training Dataset must yield at least one batch/);
  await rejects(m.evaluate(empty, { verbose: 0 }), /evaluate: the Dataset must yield at least one batch/);
  await rejects(m.evaluate(ds, { batchSize: 4, verbose: 0 }), /evaluate: option batchSize is not accepted/);
  await rejects(m.evaluate(ds as never, y, { verbose: 0 }), /evaluate: y must not be given when x is a Dataset/);
  await rejects(m.evaluate(x, y, { steps: 1, verbose: 0 } as never), /evaluate: option steps needs a Dataset x/);
  await rejects(m.predict(ds, { batchSize: 4 }), /predict: option batchSize is not accepted/);
  await rejects(m.predict(ds.repeat()), /predict: the Dataset is infinite.*give steps/);
  assert.throws(() => m.predict(x, { steps: 1 }), /predict: option steps needs a Dataset x/);
  // NaN in a batch is caught before the step, naming the batch.
  const bad = Dataset.fromTensorSlices([
    nr.tensor([
      [1, 2, 3, 4],
      [1, Number.NaN, 3, 4],
    ]),
    nr.tensor([0, 1], [2], 'int32'),
  ]).batch(1);
  await assert.rejects(
    m.fit(bad, { verbose: 0 }),
    (e: Error) => e instanceof nr.NumericsError && /fit: x of the dataset's batch 1 holds NaN/.test(e.message),
  );
});

test('BackupAndRestore resumes a Dataset fit bit-identically, inside an epoch too (the run skips the batches done)', async () => {
  const [x, y] = data(32);
  const ds = Dataset.fromTensorSlices([x, y])
    .batch(8)
    .map(async (batch) => batch)
    .prefetch(1);
  const validationData = Dataset.fromTensorSlices([x, y]).take(8).batch(8);
  const run = async (crashAt: number | null, saveFreq: 'epoch' | number) => {
    const backupDir = mkdtempSync(join(tmpdir(), 'neurona-ds-bk-'));
    let seen = 0;
    const callbacks = () => [
      new nr.callbacks.BackupAndRestore({ backupDir, saveFreq }),
      new nr.callbacks.LambdaCallback({
        onTrainBatchEnd: () => {
          if (++seen === crashAt) throw new Error('simulated crash');
        },
      }),
    ];
    let m = model();
    let history: nr.callbacks.History;
    try {
      history = await m.fit(ds, { epochs: 3, verbose: 0, validationData, callbacks: callbacks() });
      assert.equal(crashAt, null);
    } catch (e) {
      assert.match((e as Error).message, /simulated crash/);
      m = model();
      history = await m.fit(ds, { epochs: 3, verbose: 0, validationData, callbacks: callbacks() });
    }
    assert.ok(!existsSync(backupDir));
    return { weights: weightsOf(m), history: history.history };
  };
  const reference = await run(null, 'epoch');
  for (const [crashAt, freq] of [
    [6, 'epoch'],
    [7, 2],
  ] as const) {
    const resumed = await run(crashAt, freq);
    assert.deepEqual(resumed.weights, reference.weights, `crash at batch ${crashAt}, saveFreq ${freq}`);
    assert.deepEqual(resumed.history, reference.history, `crash at batch ${crashAt}, saveFreq ${freq}`);
  }
});
