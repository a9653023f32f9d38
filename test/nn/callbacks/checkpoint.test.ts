import { test } from 'node:test';
import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { assert } from '../../helpers.js';
import * as nr from '../../../src/index.js';
import { pyFormat } from '../../../src/nn/callbacks/pyformat.js';
import { makeData, makeModel, weightBytes } from './fixtures/train.js';

const { x, y } = makeData();
const fitOptions = { epochs: 4, batchSize: 8, verbose: 0 as const, validationSplit: 0.125 };

test('pyFormat formats like Python str.format', () => {
  const ints = new Set(['epoch']);
  assert.equal(pyFormat('w-{epoch:02d}-{val_loss:.2f}', { epoch: 3, val_loss: 0.4567 }, ints), 'w-03-0.46');
  assert.equal(pyFormat('{epoch}-{loss}', { epoch: 12, loss: 1 }, ints), '12-1.0');
  assert.equal(pyFormat('{loss:.3e}|{loss:8.3f}|{{x}}', { loss: 0.000123456 }, ints), '1.235e-04|   0.000|{x}');
  assert.equal(pyFormat('{a:.2f}', { a: 0.125 }, ints), '0.12'); // round half to even on the exact value
  assert.equal(pyFormat('{a}', { a: 1e-7 }, ints), '1e-07');
});

test('ModelCheckpoint: template names, saveBestOnly, batch frequency, weights-only files load', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-mc-'));
  const model = makeModel();
  await model.fit(x, y, {
    ...fitOptions,
    callbacks: [
      new nr.callbacks.ModelCheckpoint(join(dir, 'all', 'e{epoch:02d}-{loss:.3f}.safetensors'), { saveWeightsOnly: true, monitor: 'loss' }),
      new nr.callbacks.ModelCheckpoint(join(dir, 'best', 'e{epoch:02d}'), {
        saveBestOnly: true,
        monitor: 'val_loss',
        initialValueThreshold: 1e9,
      }),
      new nr.callbacks.ModelCheckpoint(join(dir, 'batch', 'e{epoch}-b{batch}.safetensors'), { saveWeightsOnly: true, saveFreq: 5 }),
    ],
  });
  const all = readdirSync(join(dir, 'all')).sort();
  assert.equal(all.length, 4);
  assert.ok(
    all.every((f, i) => new RegExp(`^e0${i + 1}-\\d\\.\\d{3}\\.safetensors$`).test(f)),
    all.join(','),
  );
  const loaded = makeModel();
  await loaded.loadWeights(join(dir, 'all', all[3]!));
  assert.ok(weightBytes(loaded).equals(weightBytes(model)), 'the last epoch file holds the final weights');
  // 4 epochs x 11 batches, a save every 5 batches -> 8 files, named by 1-based epoch and batch.
  assert.equal(readdirSync(join(dir, 'batch')).length, 8);
  assert.ok(existsSync(join(dir, 'batch', 'e1-b5.safetensors')) && existsSync(join(dir, 'batch', 'e2-b4.safetensors')));
  // saveBestOnly: saved only on an improvement of val_loss.
  const best = readdirSync(join(dir, 'best'));
  assert.ok(best.length >= 1 && best.length <= 4);
  const reloaded = await nr.loadModel(join(dir, 'best', best.sort().at(-1)!));
  assert.equal(reloaded.getWeights().length, model.getWeights().length);
  const neverImproves = join(dir, 'none', 'm');
  await makeModel().fit(x, y, {
    ...fitOptions,
    epochs: 2,
    callbacks: [new nr.callbacks.ModelCheckpoint(neverImproves, { saveBestOnly: true, initialValueThreshold: -1 })],
  });
  assert.ok(!existsSync(neverImproves));
  assert.throws(() => new nr.callbacks.ModelCheckpoint('a.safetensors'), /saveWeightsOnly/);
});

async function runWithCrash(crashAt: number | null, saveFreq: 'epoch' | number): Promise<{ w: Buffer; h: string; crashed: boolean }> {
  const backupDir = mkdtempSync(join(tmpdir(), 'neurona-bk-'));
  let seen = 0;
  let crashed = false;
  const callbacks = () => [
    new nr.callbacks.EarlyStopping({ monitor: 'val_loss', patience: 100 }),
    new nr.callbacks.ReduceLROnPlateau({ monitor: 'val_loss', patience: 1, factor: 0.5 }),
    new nr.callbacks.BackupAndRestore({ backupDir, saveFreq }),
    new nr.callbacks.LambdaCallback({
      onTrainBatchEnd: () => {
        if (++seen === crashAt) throw new Error('simulated crash');
      },
    }),
  ];
  let model = makeModel();
  let history: nr.callbacks.History;
  try {
    history = await model.fit(x, y, { ...fitOptions, callbacks: callbacks() });
  } catch (e) {
    assert.match((e as Error).message, /simulated crash/);
    crashed = true;
    model = makeModel(); // a fresh process would rebuild the model from scratch
    history = await model.fit(x, y, { ...fitOptions, callbacks: callbacks() });
  }
  assert.ok(!existsSync(backupDir), 'the backup is deleted at the end');
  return { w: weightBytes(model), h: JSON.stringify(history.history), crashed };
}

test('BackupAndRestore resumes bit-identically after a crash (epoch and batch granularity)', async () => {
  const reference = await runWithCrash(null, 'epoch');
  for (const [crashAt, freq] of [
    [20, 'epoch'],
    [17, 3],
    [30, 1],
    [23, 4],
  ] as const) {
    const resumed = await runWithCrash(crashAt, freq);
    assert.ok(resumed.crashed);
    assert.ok(resumed.w.equals(reference.w), `final weights differ (crash at batch ${crashAt}, saveFreq ${freq})`);
    assert.equal(resumed.h, reference.h, `history differs (crash at batch ${crashAt}, saveFreq ${freq})`);
  }
});
