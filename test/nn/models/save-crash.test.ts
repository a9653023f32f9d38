import { test } from 'node:test';
import { assert } from '../../helpers.js';
import { saveCrashTest } from './fixtures/save-crash-harness.js';

// A child saving two models (same weight names, different activations and weights) alternately into
// one directory is SIGKILLed 20 times at random instants; after each kill loadModel must give exactly
// one of the two, and the next save must clear what the killed ones left behind.
test('model.save is all-or-nothing across model.json and model.safetensors: 20 SIGKILLs, every load exactly one model', {
  timeout: 180_000,
}, async () => {
  const r = await saveCrashTest({ kills: 20, seed: 11 });
  console.log(`save crash test: ${JSON.stringify(r)}`);
  const detail = JSON.stringify(r);
  assert.equal(r.kills, 20, detail);
  assert.equal(r.mixed, 0, `new weights with an old model.json (or the reverse): ${detail}`);
  assert.equal(r.failed, 0, `a load failed after a kill: ${detail}`);
  assert.equal(r.loadedFirst + r.loadedSecond, 20, detail);
  assert.ok(r.loadedFirst > 0 && r.loadedSecond > 0, `both models should come back at some kill: ${detail}`);
  assert.deepEqual(r.leftAfterFinalSave, [], `stale files after a complete save: ${detail}`);
});
