import { TS_NODE } from '../ts-node.js';
/*
 * Storage is owned by JavaScript and freed by the garbage collector (docs/architecture.md, "Tensors"): there is
 * no dispose()/tidy(), and a long loop of small ops keeps memory flat. The loop runs in a child
 * process (test/tensor/fixtures/memory-loop.ts) so its resident set size is not mixed with the
 * test runner's or other tests'.
 */
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert, nr } from '../helpers.js';

const MB = 1024 * 1024;
const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'memory-loop.ts');

interface LoopReport {
  iterations: number;
  kept: number;
  values: number[];
  requiresGrad: boolean;
  rssAtCheckpoint: number;
  rssAtEnd: number;
  msAtCheckpoint: number;
  totalMs: number;
}

function runLoop(iterations: number, mode: 'free' | 'retain'): LoopReport {
  const child = spawnSync(process.execPath, [...TS_NODE, fixture, String(iterations), mode], {
    encoding: 'utf8',
    env: { ...process.env, NEURONA_QUIET: '1' },
    timeout: 300_000,
  });
  assert.equal(child.status, 0, `memory fixture failed (signal ${child.signal}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as LoopReport;
}

test('no dispose() or tidy() exists on tensors or the package namespace', () => {
  const namespace = nr as unknown as Record<string, unknown>;
  const t = nr.ones([2]);
  const v = nr.variable(nr.ones([2]));
  for (const name of ['dispose', 'tidy', 'keep', 'disposeVariables']) {
    assert.ok(!(name in namespace), `nr.${name} must not exist`);
    assert.ok(!(name in nr.Tensor.prototype), `Tensor.prototype.${name} must not exist`);
    assert.ok(!(name in t), `tensor.${name} must not exist`);
    assert.ok(!(name in v), `variable.${name} must not exist`);
  }
});

test('10 million small tensors in a loop keep memory flat (RSS growth under 64 MB)', (t) => {
  const iterations = 10_000_000;
  const report = runLoop(iterations, 'free');
  const growth = report.rssAtEnd - report.rssAtCheckpoint;
  t.diagnostic(
    `${iterations} iterations in ${(report.totalMs / 1000).toFixed(2)} s ` +
      `(first 1M: ${(report.msAtCheckpoint / 1000).toFixed(2)} s); RSS after 1M ${(report.rssAtCheckpoint / MB).toFixed(1)} MB, ` +
      `at the end ${(report.rssAtEnd / MB).toFixed(1)} MB, growth ${(growth / MB).toFixed(1)} MB`,
  );
  assert.equal(report.iterations, iterations);
  assert.deepEqual(report.values, [iterations, iterations], 'the loop computed the wrong values');
  assert.equal(report.requiresGrad, false);
  assert.ok(growth < 64 * MB, `RSS grew by ${(growth / MB).toFixed(1)} MB between 1M and ${iterations} iterations (limit 64 MB)`);
});

test('the memory measure detects a leak: keeping every result alive grows RSS past the limit', () => {
  // The control for the test above: the same loop, but every tensor is kept in an array.
  const report = runLoop(1_500_000, 'retain');
  assert.equal(report.kept, 1_500_000);
  const growth = report.rssAtEnd - report.rssAtCheckpoint;
  assert.ok(
    growth > 64 * MB,
    `retaining 500k more tensors after the first million grew RSS by only ${(growth / MB).toFixed(1)} MB; the measure cannot see leaks`,
  );
});
