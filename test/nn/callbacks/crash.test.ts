import { test } from 'node:test';
import { assert } from '../../helpers.js';
import { crashTest } from './fixtures/crash-harness.js';

// A child process training with BackupAndRestore (a backup every 3 batches) is SIGKILLed 20 times,
// half of them right after it announced a backup write, and restarted until it finishes.
test('BackupAndRestore survives 20 SIGKILLs with bit-identical final weights', { timeout: 240_000 }, async () => {
  // 250 epochs of 11 batches: the 20 killed runs each get at most 20 backups (60 batches) in before the
  // kill, 1,200 batches in all, so training is never over before the last kill.
  const r = await crashTest({ kills: 20, seed: 7, epochs: 250, saveFreq: 3 });
  console.log(`crash test: ${JSON.stringify(r)}`);
  assert.equal(r.kills, 20);
  assert.ok(r.killsDuringWrite >= 10, `kills during a write: ${r.killsDuringWrite}`);
  assert.ok(r.identical, 'final weights differ from the uninterrupted run');
  assert.ok(r.historyIdentical, 'history differs from the uninterrupted run');
});

// The same for a GAN: a Model subclass with its own trainStep, two named optimizers (their slots and
// step counts), two Mean trackers mid-epoch, Dropout and the latent noise drawn from the global RNG.
test('BackupAndRestore resumes a GAN with two optimizers bit-identically after SIGKILLs', { timeout: 240_000 }, async () => {
  const r = await crashTest({
    kills: 8,
    seed: 11,
    epochs: 80,
    saveFreq: 3,
    fixture: 'train-gan.ts',
    required: ['sequential/g1/kernel', 'optimizers/generator/iterations', 'optimizers/discriminator/iterations'],
  });
  console.log(`GAN crash test: ${JSON.stringify(r)}`);
  assert.equal(r.kills, 8);
  assert.ok(r.killsDuringWrite >= 4, `kills during a write: ${r.killsDuringWrite}`);
  assert.ok(r.identical, 'final weights differ from the uninterrupted run');
  assert.ok(r.historyIdentical, 'history (d_loss, g_loss) differs from the uninterrupted run');
});
