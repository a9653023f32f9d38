import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { nr, assert } from '../../helpers.js';
import { CallbackList, CSVLogger, History, LambdaCallback, ProgbarLogger, type Callback } from '../../../src/nn/callbacks/index.js';
import { stripAnsi } from '../../../src/core/format.js';
import { FakeModel } from './fake-model.js';

/** A fake fit with `steps` batches per epoch, each taking 10 ms on a fake clock. */
async function fit(callbacks: Callback[], epochs: number, steps: number, clock = { t: 0 }): Promise<void> {
  const list = new CallbackList(callbacks);
  list.configure(new FakeModel(), { epochs, steps, verbose: 1, metrics: ['loss', 'accuracy'] });
  await list.call('onTrainBegin');
  for (let e = 0; e < epochs; e++) {
    await list.callIndexed('onEpochBegin', e);
    for (let b = 0; b < steps; b++) {
      clock.t += 10;
      await list.callIndexed('onTrainBatchEnd', b, { loss: 1 / (b + 1 + e), accuracy: 0.5 + e / 10 });
    }
    await list.callIndexed('onEpochEnd', e, { loss: 0.25, accuracy: 0.9123, val_loss: 0.3012, val_accuracy: 0.905 });
  }
  await list.call('onTrainEnd');
}

function captured(isTTY: boolean) {
  const chunks: string[] = [];
  return {
    chunks,
    stream: {
      isTTY,
      write: (s: string) => {
        chunks.push(s);
      },
    },
    text: () => chunks.join(''),
  };
}

const FINAL = /^(\d+)\/\1 ━{20} \d+m?s \d+(ms|s|us)\/step - accuracy: 0\.9123 - loss: 0\.2500 - val_accuracy: 0\.9050 - val_loss: 0\.3012$/;

test('ProgbarLogger on a TTY redraws in place and ends each epoch with the final line', async () => {
  const out = captured(true);
  const clock = { t: 0 };
  await fit([new ProgbarLogger({ verbose: 1, stream: out.stream, now: () => clock.t, intervalMs: 50, color: true })], 2, 20, clock);
  const text = out.text();
  assert.ok(text.startsWith('Epoch 1/2\n'));
  assert.ok(text.includes('\nEpoch 2/2\n'));
  assert.ok(text.includes('\x1b[32m'));
  // 20 steps of 10 ms with a 50 ms interval: steps 1, 6, 11, 16, 20 are drawn, then the final line.
  const redraws = out.chunks.filter((c) => c.startsWith('\r') && !c.endsWith('\n'));
  assert.equal(redraws.length, 10);
  const finals = stripAnsi(text)
    .split('\n')
    .filter((l) => l.includes('val_loss'))
    .map((l) => l.slice(l.lastIndexOf('\r') + 1).trimEnd());
  assert.equal(finals.length, 2);
  for (const line of finals) assert.match(line, FINAL);
  assert.equal(
    finals[0],
    '20/20 ━━━━━━━━━━━━━━━━━━━━ 0s 10ms/step - accuracy: 0.9123 - loss: 0.2500 - val_accuracy: 0.9050 - val_loss: 0.3012',
  );
  assert.match(stripAnsi(out.chunks[1]!), /^\r 1\/20 ━{20} 0s 10ms\/step - accuracy: 0\.5000 - loss: 1\.0000$/);
});

test('ProgbarLogger verbose 1 off a TTY prints only the header and the final line per epoch', async () => {
  const out = captured(false);
  const clock = { t: 0 };
  await fit([new ProgbarLogger({ verbose: 1, stream: out.stream, now: () => clock.t })], 2, 250, clock);
  const lines = out.text().split('\n');
  assert.equal(lines.pop(), '');
  assert.equal(lines.length, 4);
  assert.equal(lines[0], 'Epoch 1/2');
  assert.equal(lines[2], 'Epoch 2/2');
  assert.equal(
    lines[1],
    '250/250 ━━━━━━━━━━━━━━━━━━━━ 2s 10ms/step - accuracy: 0.9123 - loss: 0.2500 - val_accuracy: 0.9050 - val_loss: 0.3012',
  );
  assert.match(lines[3]!, FINAL);
  assert.ok(!out.text().includes('\r') && !out.text().includes('\x1b'));
});

test('ProgbarLogger verbose 2 prints one line per epoch; one epoch has no header', async () => {
  const out = captured(true);
  const clock = { t: 0 };
  await fit([new ProgbarLogger({ verbose: 2, stream: out.stream, now: () => clock.t })], 1, 250, clock);
  assert.equal(out.text(), '250/250 - 2s - 10ms/step - accuracy: 0.9123 - loss: 0.2500 - val_accuracy: 0.9050 - val_loss: 0.3012\n');
  assert.throws(() => new ProgbarLogger({ verbose: 3 as never }), nr.ConfigError);
});

test('History collects every key per epoch', async () => {
  const history = new History();
  await fit([history], 3, 2);
  assert.deepEqual(history.epoch, [0, 1, 2]);
  assert.deepEqual(history.history.loss, [0.25, 0.25, 0.25]);
  assert.deepEqual(Object.keys(history.history).sort(), ['accuracy', 'loss', 'val_accuracy', 'val_loss']);
});

test('CSVLogger writes a sorted header and one row per epoch; append keeps the header once', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-csv-'));
  try {
    const path = join(dir, 'log.csv');
    writeFileSync(path, 'stale');
    await fit([new CSVLogger(path)], 2, 1);
    const expected = 'epoch,accuracy,loss,val_accuracy,val_loss\n0,0.9123,0.25,0.905,0.3012\n1,0.9123,0.25,0.905,0.3012\n';
    assert.equal(readFileSync(path, 'utf8'), expected);
    await fit([new CSVLogger(path, { append: true, separator: ';' })], 1, 1);
    assert.equal(readFileSync(path, 'utf8'), `${expected}0;0.9123;0.25;0.905;0.3012\n`);
    const tiny = join(dir, 'tiny.csv');
    const logger = new CSVLogger(tiny);
    logger.onTrainBegin();
    logger.onEpochEnd(0, { loss: 1e-5, lr: 3 });
    logger.onEpochEnd(1, { loss: NaN });
    assert.equal(readFileSync(tiny, 'utf8'), 'epoch,loss,lr\n0,1e-05,3.0\n1,nan,NA\n');
    assert.throws(() => new CSVLogger(path, { separator: '' }), /separator/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("LambdaCallback forwards hooks, takes Keras's snake_case names and rejects unknown ones", async () => {
  const events: string[] = [];
  await fit(
    [
      new LambdaCallback({
        onTrainBegin: () => {
          events.push('begin');
        },
        onEpochEnd: (epoch, logs) => {
          events.push(`epoch ${epoch} ${logs?.loss}`);
        },
        onTrainEnd: () => {
          events.push('end');
        },
      }),
    ],
    2,
    1,
  );
  assert.deepEqual(events, ['begin', 'epoch 0 0.25', 'epoch 1 0.25', 'end']);
  // Keras's snake_case names are aliases; a misspelt one is rejected with the nearest name.
  assert.doesNotThrow(() => new LambdaCallback({ on_epoch_end: () => {} } as never));
  assert.throws(
    () => new LambdaCallback({ on_epoch_ends: () => {} } as never),
    /LambdaCallback: unknown option 'on_epoch_ends'; did you mean 'on_epoch_end'\?/,
  );
});
