import { test } from 'node:test';
import { assert } from '../../helpers.js';
import { crashTest } from './fixtures/crash-harness.js';

// A child process training with BackupAndRestore (a backup every 3 batches) is SIGKILLed 20 times,
// half of them right after it announced a backup write, and restarted until it finishes.
test('BackupAndRestore survives 20 SIGKILLs with bit-identical final weights', { timeout: 120_000 }, async () => {
  const r = await crashTest({ kills: 20, seed: 7, epochs: 1200, saveFreq: 3 });
  console.log(`crash test: ${JSON.stringify(r)}`);
  assert.equal(r.kills, 20);
  assert.ok(r.killsDuringWrite >= 10, `kills during a write: ${r.killsDuringWrite}`);
  assert.ok(r.identical, 'final weights differ from the uninterrupted run');
  assert.ok(r.historyIdentical, 'history differs from the uninterrupted run');
});
