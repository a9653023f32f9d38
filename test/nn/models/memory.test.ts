// fit keeps memory flat: no tensor of a finished step stays reachable (run in a child process so
// the resident set size is this loop's alone).
import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { assert } from '../../helpers.js';
import { TS_NODE } from '../../ts-node.js';

const MB = 1024 * 1024;
const fixture = join(dirname(fileURLToPath(import.meta.url)), 'fixtures', 'fit-loop.ts');

test('100 epochs of fit keep RSS growth under 64 MB', (t) => {
  const child = spawnSync(process.execPath, ['--expose-gc', ...TS_NODE, fixture, '100'], {
    encoding: 'utf8',
    env: { ...process.env, NEURONA_QUIET: '1' },
    timeout: 300_000,
  });
  assert.equal(child.status, 0, child.stderr);
  const report = JSON.parse(child.stdout.trim().split('\n').at(-1)!) as { epochs: number; rssAtCheckpoint: number; rssAtEnd: number };
  const growth = report.rssAtEnd - report.rssAtCheckpoint;
  t.diagnostic(`RSS after 10 epochs ${(report.rssAtCheckpoint / MB).toFixed(1)} MB, after 100 ${(report.rssAtEnd / MB).toFixed(1)} MB`);
  assert.equal(report.epochs, 100);
  assert.ok(growth < 64 * MB, `RSS grew by ${(growth / MB).toFixed(1)} MB`);
});
