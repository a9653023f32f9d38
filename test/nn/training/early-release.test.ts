import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { assert } from '../../helpers.js';
import { TS_NODE } from '../../ts-node.js';

/*
 * The built-in training step gives each activation back to the buffer pool as soon as the backward
 * pass no longer needs it (StepActivationRelease in src/tensor/autograd.ts). Under
 * NEURONA_DEBUG_POOL=1 (read once at load, hence a child process) storage given back holds NaN and an
 * op reading it raises, so a rule that gave back too early fails here by name: predictions a metric
 * reads after the pass, a detached value a later backward rule reads, in-place writes with two outputs;
 * and Sequential inference, which gives each value back once the next layer has read it.
 */

test('NEURONA_DEBUG_POOL=1: early release during the backward pass gives back nothing read later, and changes no bit', () => {
  const child = spawnSync(process.execPath, [...TS_NODE, 'test/nn/training/fixtures/early-release.ts'], {
    encoding: 'utf8',
    env: { ...process.env, NEURONA_DEBUG_POOL: '1' },
  });
  assert.equal(child.status, 0, `the child failed:\n${child.stderr}`);
  const report = JSON.parse(child.stdout.trim().split('\n').pop()!) as Record<string, string>;
  assert.deepEqual(report, {
    'mse loss with mae and mse metrics': 'same',
    'a detached activation read by a later backward rule': 'same',
    'a residual block written in place, with two outputs': 'same',
    'Sequential inference': 'same',
  });
});
