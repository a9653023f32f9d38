import { test } from 'node:test';
import { assert, nr } from '../../helpers.js';
import { Callback, CallbackList } from '../../../src/nn/callbacks/callback.js';

/*
 * fit calls the per-batch hooks through CallbackList.callIndexedSync: synchronous hooks run back to
 * back with no await (no microtask turn per hook and batch), and an async hook is still awaited
 * before the next hook and the next batch, in callback order, exactly as Keras orders them.
 */

class Recorder extends Callback {
  constructor(
    private readonly log: string[],
    private readonly tag: string,
    private readonly delayMs: number | null,
  ) {
    super();
  }
  override onTrainBatchBegin(batch: number): void | Promise<void> {
    return this.hook(`begin ${batch}`);
  }
  override onTrainBatchEnd(batch: number): void | Promise<void> {
    return this.hook(`end ${batch}`);
  }
  private hook(what: string): void | Promise<void> {
    if (this.delayMs === null) {
      this.log.push(`${this.tag} ${what}`);
      return undefined;
    }
    this.log.push(`${this.tag} ${what} start`);
    return new Promise((resolve) =>
      setTimeout(() => {
        this.log.push(`${this.tag} ${what} done`);
        resolve();
      }, this.delayMs!),
    );
  }
}

test('callIndexedSync: all-synchronous hooks return undefined and run in order', () => {
  const log: string[] = [];
  const list = new CallbackList([new Recorder(log, 'a', null), new Recorder(log, 'b', null)]);
  assert.equal(list.callIndexedSync('onTrainBatchEnd', 3), undefined);
  assert.deepEqual(log, ['a end 3', 'b end 3']);
});

test('callIndexedSync: an async hook is awaited before the hooks after it', async () => {
  const log: string[] = [];
  const list = new CallbackList([new Recorder(log, 'a', null), new Recorder(log, 'b', 5), new Recorder(log, 'c', null)]);
  const pending = list.callIndexedSync('onTrainBatchBegin', 0);
  assert.ok(pending instanceof Promise);
  assert.deepEqual(log, ['a begin 0', 'b begin 0 start'], 'c waits for b');
  await pending;
  assert.deepEqual(log, ['a begin 0', 'b begin 0 start', 'b begin 0 done', 'c begin 0']);
});

test('fit awaits an async batch hook before the next batch and keeps the hook order', async () => {
  nr.setSeed(3);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 2, activation: 'softmax', inputShape: [3] })]);
  model.compile({ optimizer: 'sgd', loss: 'categorical_crossentropy' });
  const log: string[] = [];
  const x = nr.randu([6, 3]);
  const y = nr.oneHot(nr.tensor([0, 1, 0, 1, 1, 0], undefined, 'int32'), 2);
  await model.fit(x, y, {
    batchSize: 3,
    epochs: 1,
    verbose: 0,
    shuffle: false,
    callbacks: [new Recorder(log, 'slow', 2), new Recorder(log, 'sync', null)],
  });
  assert.deepEqual(log, [
    'slow begin 0 start',
    'slow begin 0 done',
    'sync begin 0',
    'slow end 0 start',
    'slow end 0 done',
    'sync end 0',
    'slow begin 1 start',
    'slow begin 1 done',
    'sync begin 1',
    'slow end 1 start',
    'slow end 1 done',
    'sync end 1',
  ]);
});
