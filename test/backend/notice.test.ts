import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { assert } from '../helpers.js';

const program = `
import * as nr from './src/index.ts';
for (let i = 0; i < 3; i++) nr.tensor([1, 2]).add(1);
console.log(nr.getBackend());
`;

function run(env: Record<string, string>) {
  const { NEURONA_QUIET: _quiet, NEURONA_BACKEND: _backend, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
    encoding: 'utf8', env: { ...rest, ...env },
  });
}

test('without the native addon, neurona runs on js and says why in exactly one line', () => {
  const child = run({});
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'js');
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('neurona:'));
  assert.equal(lines.length, 1, child.stderr);
  assert.match(lines[0]!, /native backend unavailable \(.+\); using the js backend/);
});

test('NEURONA_QUIET=1 silences the notice; NEURONA_BACKEND=js selects js without one', () => {
  assert.equal(run({ NEURONA_QUIET: '1' }).stderr.includes('neurona:'), false);
  const chosen = run({ NEURONA_BACKEND: 'js' });
  assert.equal(chosen.stdout.trim(), 'js');
  assert.equal(chosen.stderr.includes('neurona:'), false);
});

test('NEURONA_BACKEND with an unknown name fails with a ConfigError listing the backends', () => {
  const child = run({ NEURONA_BACKEND: 'gpu' });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /ConfigError: setBackend: unknown backend "gpu"; available backends are js/);
});
