import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { assert } from '../../helpers.js';
import { TS_NODE } from '../../ts-node.js';

/*
 * NEURONA_DEBUG_POOL=1 (src/core/buffer-pool.ts) poisons the storage a training step gives back, so a
 * custom layer that keeps a tensor from one step and reads it in the next fails loudly instead of
 * reading what a later step wrote there. The variable is read once when neurona loads, so each mode
 * runs in a child process (fixtures/pool-keeper.ts) with the environment set or removed.
 */

interface Run {
  loss: number[];
  keptIsNaN: boolean | null;
  error: { name: string; message: string } | null;
}
interface Report {
  pool: {
    givenIsNaN: boolean;
    givenIsOnes: boolean;
    wasGivenBack: boolean;
    pooled: number;
    takenIsGiven: boolean;
    takenIsZero: boolean;
    pooledAfterTake: number;
  };
  takenUnfilled: { isGiven: boolean; holds: number | string };
  freshUnfilled: number | string;
  pooling: Run;
  withoutPooling: Run;
}

function run(debug: string | undefined): Report {
  const { NEURONA_DEBUG_POOL: _, ...env } = process.env;
  const child = spawnSync(process.execPath, [...TS_NODE, 'test/nn/training/fixtures/pool-keeper.ts'], {
    encoding: 'utf8',
    env: debug === undefined ? env : { ...env, NEURONA_DEBUG_POOL: debug },
  });
  assert.equal(child.status, 0, `the child failed:\n${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').pop()!) as Report;
}

test('NEURONA_DEBUG_POOL=1: a layer that keeps a tensor from the previous step fails loudly, naming the mistake', () => {
  const report = run('1');
  // Storage given back holds NaN and never comes out again; the pool's sizes stay as without the mode.
  assert.deepEqual(report.pool, {
    givenIsNaN: true,
    givenIsOnes: false,
    wasGivenBack: true,
    pooled: 64 * 4,
    takenIsGiven: false,
    takenIsZero: true,
    pooledAfterTake: 0,
  });
  // Storage for a result the op writes in full starts as NaN, pooled or new, so a missed element shows.
  assert.deepEqual(report.takenUnfilled, { isGiven: false, holds: 'NaN' });
  assert.equal(report.freshUnfilled, 'NaN');
  const { error, keptIsNaN } = report.pooling;
  assert.ok(error, 'fit must fail when a layer reads storage of an earlier step');
  assert.equal(error.name, 'NumericsError');
  // The layer that read it prefixes its name, as layers do for every error of their call.
  assert.match(error.message, /^KeepsLastOutput "keeps_last_output" \(input shape \[16, 64\]\): NEURONA_DEBUG_POOL: /);
  assert.match(error.message, /an op must not read a tensor whose storage a finished training step gave back to the buffer pool/);
  assert.match(error.message, /got a float32 tensor of shape \[16, 64\], now filled with NaN/);
  assert.match(error.message, /keep t\.clone\(\) instead, or compute it under nr\.noGrad/);
  assert.equal(keptIsNaN, true, "the kept tensor's storage must hold NaN");
  // With recycling off nothing is given back, so the same layer trains as it would without the mode.
  assert.equal(report.withoutPooling.error, null);
  assert.equal(report.withoutPooling.loss.length, 2);
});

test('without NEURONA_DEBUG_POOL the pool recycles storage as before and the same layer trains silently', () => {
  for (const value of [undefined, '0']) {
    const report = run(value);
    assert.deepEqual(
      report.pool,
      {
        givenIsNaN: false,
        givenIsOnes: true,
        wasGivenBack: false,
        pooled: 64 * 4,
        takenIsGiven: true,
        takenIsZero: true,
        pooledAfterTake: 0,
      },
      `NEURONA_DEBUG_POOL=${value}`,
    );
    // A result the op writes in full takes pooled storage as it is (no zero-filling); new storage is zeros.
    assert.deepEqual(report.takenUnfilled, { isGiven: true, holds: 2.5 });
    assert.equal(report.freshUnfilled, 0);
    assert.equal(report.pooling.error, null, `NEURONA_DEBUG_POOL=${value}`);
    assert.ok(report.pooling.loss.every(Number.isFinite));
    // The kept tensor is multiplied by 0, so recycling under it changes no number.
    assert.deepEqual(report.pooling.loss, report.withoutPooling.loss);
  }
});

test("NEURONA_DEBUG_POOL=1 also guards the layers' trusted op paths (pooling and convolution skip toTensor)", () => {
  const { NEURONA_DEBUG_POOL: _, ...env } = process.env;
  const child = spawnSync(process.execPath, [...TS_NODE, 'test/nn/training/fixtures/pool-given-back-layers.ts'], {
    encoding: 'utf8',
    env: { ...env, NEURONA_DEBUG_POOL: '1' },
  });
  assert.equal(child.status, 0, `the child failed:\n${child.stderr}`);
  const errors = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, string | null>;
  for (const [layer, name] of [
    ['MaxPooling2D', 'max_pooling2d'],
    ['Conv2D', 'conv2d'],
  ]) {
    assert.match(
      errors[layer] ?? '',
      new RegExp(`^NumericsError: ${layer} "${name}" \\(input shape \\[1, 4, 4, 8\\]\\): NEURONA_DEBUG_POOL: `),
    );
  }
});
