/*
 * scripts/reporter.mjs, the compact reporter of `npm test`, on a real run of node's test runner over
 * test/fixtures/reporter/sample.mjs: one line per file with its counts, the helper module's line for the
 * tests it defines, skips with their reasons, failures in full, and node's own summary lines last.
 */
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';
import { assert } from './helpers.js';

test('the compact reporter prints a line per file, skips, failures in full and the runner summary', () => {
  const run = spawnSync(
    process.execPath,
    ['--test', '--test-reporter=./scripts/reporter.mjs', 'test/fixtures/reporter/sample.mjs'],
    // Without this the inner runner, seeing it runs under a runner, would report to it instead of printing.
    { encoding: 'utf8', env: { ...process.env, NODE_TEST_CONTEXT: undefined } },
  );
  const out = run.stdout;
  assert.equal(run.status, 1, 'a failing test fails the run');
  assert.match(out, /^FAIL test\/fixtures\/reporter\/sample\.mjs {2}2 passed, 1 failed, 1 skipped {2}/m);
  assert.match(out, /^ok {3}test\/fixtures\/reporter\/helper\.mjs {2}1 passed {2}\(tests it defines/m);
  assert.match(out, /skipped or todo \(1\):\n {2}test\/fixtures\/reporter\/sample\.mjs > is skipped: no GPU here\n/);
  assert.match(out, /✖ a suite > fails inside it {2}\(test\/fixtures\/reporter\/sample\.mjs:9:\d+\)/);
  assert.match(out, /3 !== 2|2 !== 3/, 'the failure shows actual and expected');
  // CI's closing lines are node's own counts, as its TAP reporter prints them.
  const summary = out.trimEnd().split('\n').slice(-8);
  assert.deepEqual(summary.slice(0, 7), ['# tests 5', '# suites 1', '# pass 3', '# fail 1', '# cancelled 0', '# skipped 1', '# todo 0']);
  assert.match(summary[7]!, /^# duration_ms [\d.]+$/);
});
