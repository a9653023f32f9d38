import { test } from 'node:test';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assert, nr } from '../../helpers.js';

test('BackupAndRestore removes temporary files a killed process left in backupDir', async () => {
  const backupDir = join(mkdtempSync(join(tmpdir(), 'neurona-backup-')), 'backup');
  mkdirSync(backupDir, { recursive: true });
  const stale = join(backupDir, '.backup.safetensors.12345.abcdef.tmp');
  const unrelated = join(backupDir, 'notes.txt');
  writeFileSync(stale, 'half written');
  writeFileSync(unrelated, 'keep me');
  nr.setSeed(3);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 1, inputShape: [2], name: 'cleanup_dense' })]);
  model.compile({ optimizer: 'sgd', loss: 'mse' });
  let seenDuringTraining: boolean | null = null;
  const probe = new nr.callbacks.LambdaCallback({
    onEpochBegin: () => {
      seenDuringTraining = existsSync(stale);
    },
  });
  await model.fit(nr.randn([8, 2]), nr.randn([8, 1]), {
    epochs: 1,
    verbose: 0,
    callbacks: [new nr.callbacks.BackupAndRestore({ backupDir, deleteCheckpoint: false }), probe],
  });
  assert.equal(seenDuringTraining, false, 'the stale temporary file was still there when training started');
  assert.equal(existsSync(unrelated), true, 'files that are not backup temporaries must stay');
});
