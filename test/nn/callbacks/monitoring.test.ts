import { test } from 'node:test';
import { nr, assert } from '../../helpers.js';
import {
  EarlyStopping,
  ReduceLROnPlateau,
  LearningRateScheduler,
  TerminateOnNaN,
  CallbackList,
  type Callback,
} from '../../../src/nn/callbacks/index.js';
import { setNoticeSink } from '../../../src/core/index.js';
import { FakeModel } from './fake-model.js';

/** Runs a fake fit: epoch e trains the weights to value e + 1 and ends with `logs[e]`. Returns epochs run. */
async function run(callback: Callback, model: FakeModel, logs: Record<string, number>[]): Promise<number> {
  const list = new CallbackList([callback]);
  list.configure(model, { epochs: logs.length, steps: 1, verbose: 0, metrics: ['loss'] });
  await list.call('onTrainBegin');
  let epochs = 0;
  for (let e = 0; e < logs.length; e++) {
    await list.callIndexed('onEpochBegin', e);
    model.train(e + 1);
    await list.callIndexed('onEpochEnd', e, { ...logs[e]! });
    epochs++;
    if (model.stopTraining) break;
  }
  await list.call('onTrainEnd');
  return epochs;
}

const losses = (values: number[]) => values.map((v) => ({ val_loss: v }));

test('EarlyStopping stops after patience epochs without improvement', async () => {
  const model = new FakeModel();
  const es = new EarlyStopping({ patience: 2 });
  assert.equal(await run(es, model, losses([1, 0.8, 0.9, 0.85, 0.7, 0.6])), 4);
  assert.equal(es.stoppedEpoch, 3);
  assert.equal(es.bestEpoch, 1);
});

test('EarlyStopping patience 0 stops at the first non-improvement; minDelta counts small gains as none', async () => {
  assert.equal(await run(new EarlyStopping(), new FakeModel(), losses([1, 0.9, 0.95, 0.5])), 3);
  const es = new EarlyStopping({ patience: 1, minDelta: 0.05 });
  // 0.9 beats 1 by more than 0.05; 0.87 beats 0.9 by less: no improvement, stop.
  assert.equal(await run(es, new FakeModel(), losses([1, 0.9, 0.87, 0.86, 0.5])), 3);
  assert.equal(es.stoppedEpoch, 2);
});

test('EarlyStopping mode max and auto direction for accuracy', async () => {
  const logs = [0.5, 0.6, 0.55, 0.58].map((v) => ({ val_accuracy: v }));
  assert.equal(await run(new EarlyStopping({ monitor: 'val_accuracy', patience: 1 }), new FakeModel(), logs), 3);
  assert.equal(await run(new EarlyStopping({ monitor: 'val_accuracy', mode: 'max', patience: 1 }), new FakeModel(), logs), 3);
  assert.equal(await run(new EarlyStopping({ monitor: 'val_accuracy', mode: 'min', patience: 1 }), new FakeModel(), logs), 2);
});

test('EarlyStopping restores the best epoch weights bitwise, stopped early or not', async () => {
  const model = new FakeModel();
  await run(new EarlyStopping({ patience: 1, restoreBestWeights: true }), model, losses([1, 0.5, 0.7, 0.8, 0.9]));
  assert.deepEqual([...model.weights[0]!.data()], [2, 2, 2]); // epoch 1 trained to value 2
  assert.deepEqual(model.weights[1]!.shape, [1, 1]);
  const full = new FakeModel();
  const es = new EarlyStopping({ patience: 10, restoreBestWeights: true });
  assert.equal(await run(es, full, losses([1, 0.3, 0.4, 0.5])), 4);
  assert.equal(es.stoppedEpoch, 0);
  assert.deepEqual([...full.weights[0]!.data()], [2, 2, 2]);
});

test('EarlyStopping keeps a snapshot even when the model updates weights in place', async () => {
  const model = new FakeModel();
  const es = new EarlyStopping({ patience: 5, restoreBestWeights: true });
  model.train = (value: number) => {
    (model.weights[0]!.data() as Float32Array).fill(value);
  };
  await run(es, model, losses([0.1, 0.5, 0.6]));
  assert.deepEqual([...model.weights[0]!.data()], [1, 1, 1]);
});

test('EarlyStopping baseline: stops when the baseline is never beaten', async () => {
  const es = new EarlyStopping({ patience: 2, baseline: 0.5 });
  // Improvements that do not beat the baseline do not reset the wait (Keras 3).
  assert.equal(await run(es, new FakeModel(), losses([0.9, 0.8, 0.85, 0.9, 0.95])), 3);
  assert.equal(await run(new EarlyStopping({ patience: 2 }), new FakeModel(), losses([0.9, 0.8, 0.85, 0.9, 0.95])), 4);
  const beats = new EarlyStopping({ patience: 2, baseline: 0.5 });
  assert.equal(await run(beats, new FakeModel(), losses([0.9, 0.4, 0.3, 0.2])), 4);
});

test('EarlyStopping startFromEpoch ignores warm-up epochs', async () => {
  assert.equal(await run(new EarlyStopping({ startFromEpoch: 2 }), new FakeModel(), losses([1, 2, 3, 4, 5])), 4);
});

test('EarlyStopping: a missing monitor warns once and does not crash; bad options are ConfigErrors', async () => {
  const lines: string[] = [];
  const previous = setNoticeSink((l) => lines.push(l));
  try {
    assert.equal(await run(new EarlyStopping({ monitor: 'val_los' }), new FakeModel(), losses([1, 2, 3])), 3);
  } finally {
    setNoticeSink(previous);
  }
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /val_los.*available: val_loss/);
  assert.throws(
    () => new EarlyStopping({ patience: -1 }),
    (e: Error) => e instanceof nr.ConfigError && /patience/.test(e.message),
  );
  assert.throws(
    () => new EarlyStopping({ mode: 'up' as never }),
    (e: Error) => e instanceof nr.ConfigError && /mode/.test(e.message),
  );
  await assert.rejects(run(new EarlyStopping({ monitor: 'val_zebra' }), new FakeModel(), [{ val_zebra: 1 }]), nr.ConfigError);
});

test('ReduceLROnPlateau lowers the rate after patience, honours cooldown and minLr', async () => {
  const model = new FakeModel();
  const rates: number[] = [];
  const cb = new ReduceLROnPlateau({ patience: 2, factor: 0.5, cooldown: 1, minLr: 0.02 });
  const list = new CallbackList([cb]);
  list.configure(model, { epochs: 10, steps: 1, verbose: 0, metrics: ['loss'] });
  await list.call('onTrainBegin');
  const values = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1];
  const logged: number[] = [];
  for (let e = 0; e < values.length; e++) {
    const logs = { val_loss: values[e]! };
    await list.callIndexed('onEpochEnd', e, logs);
    logged.push((logs as Record<string, number>).learning_rate!);
    rates.push(model.optimizer!.learningRate);
  }
  // Keras order: the cooldown counter drops first, then the same epoch may count towards patience.
  // wait 2 at epoch 2 -> 0.05 (cooldown 1); epoch 3 ends cooldown and waits 1; epoch 4 -> 0.025; epoch 6 -> 0.02 (minLr).
  assert.deepEqual(rates, [0.1, 0.1, 0.05, 0.05, 0.025, 0.025, 0.02, 0.02, 0.02, 0.02]);
  assert.deepEqual(logged.slice(0, 3), [0.1, 0.1, 0.1]); // logged before the reduction, as Keras does
  assert.throws(() => new ReduceLROnPlateau({ factor: 1 }), /factor/);
});

test('ReduceLROnPlateau resets the wait on improvement larger than minDelta', async () => {
  const model = new FakeModel();
  const cb = new ReduceLROnPlateau({ patience: 2, minDelta: 0.01 });
  const list = new CallbackList([cb]);
  list.configure(model, { epochs: 5, steps: 1, verbose: 0, metrics: ['loss'] });
  await list.call('onTrainBegin');
  for (const [e, v] of [1, 0.5, 0.495, 0.4, 0.395, 0.39].entries()) await list.callIndexed('onEpochEnd', e, { val_loss: v });
  // 0.495 and 0.395 are within minDelta: wait 1 at epoch 2, reset at 3, 1 at 4, 2 at 5 -> reduce.
  assert.ok(Math.abs(model.optimizer!.learningRate - 0.01) < 1e-15);
});

test('LearningRateScheduler sets the rate at epoch begin and logs it', async () => {
  const model = new FakeModel();
  const seen: number[][] = [];
  const cb = new LearningRateScheduler((epoch, lr) => {
    seen.push([epoch, lr]);
    return epoch < 1 ? lr : lr / 2;
  });
  const list = new CallbackList([cb]);
  list.configure(model, { epochs: 3, steps: 1, verbose: 0, metrics: ['loss'] });
  const logs: Record<string, number>[] = [];
  for (let e = 0; e < 3; e++) {
    await list.callIndexed('onEpochBegin', e);
    const l = { loss: 1 };
    await list.callIndexed('onEpochEnd', e, l);
    logs.push(l);
  }
  assert.deepEqual(seen, [
    [0, 0.1],
    [1, 0.1],
    [2, 0.05],
  ]);
  assert.deepEqual(
    logs.map((l) => l.learning_rate),
    [0.1, 0.05, 0.025],
  );
  const bad = new LearningRateScheduler(() => NaN);
  bad.setModel(model);
  assert.throws(() => bad.onEpochBegin(0), nr.ConfigError);
});

test('TerminateOnNaN stops on NaN or infinite batch loss only', () => {
  const printed: string[] = [];
  const model = new FakeModel();
  const cb = new TerminateOnNaN({ print: (l) => printed.push(l) });
  cb.setModel(model);
  cb.onTrainBatchEnd(0, { loss: 0.5 });
  cb.onTrainBatchEnd(1, { accuracy: NaN });
  assert.equal(model.stopTraining, false);
  cb.onTrainBatchEnd(2, { loss: Infinity });
  assert.equal(model.stopTraining, true);
  assert.deepEqual(printed, ['Batch 2: Invalid loss, terminating training']);
  const m2 = new FakeModel();
  cb.setModel(m2);
  cb.onTrainBatchEnd(0, { loss: NaN });
  assert.equal(m2.stopTraining, true);
});
