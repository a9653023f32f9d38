import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { availableBackends } from '../../src/backend/index.js';
import { assert } from '../helpers.js';

const program = `
import * as nr from './src/index.ts';
for (let i = 0; i < 3; i++) nr.tensor([1, 2]).add(1);
console.log(nr.getBackend());
`;

/** NEURONA_NATIVE_ADDON pointing nowhere stands for a machine where the addon was never built. */
const MISSING_ADDON = '/nonexistent/neurona.node';

function run(env: Record<string, string>) {
  const { NEURONA_QUIET: _quiet, NEURONA_BACKEND: _backend, NEURONA_NATIVE_ADDON: _addon, ...rest } = process.env;
  return spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', program], {
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
}

test('without the native addon, neurona runs on js and says why in exactly one line', () => {
  const child = run({ NEURONA_NATIVE_ADDON: MISSING_ADDON });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'js');
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('neurona:'));
  assert.equal(lines.length, 1, child.stderr);
  assert.match(lines[0]!, /native backend unavailable \(.+\); using the js backend/);
  assert.ok(lines[0]!.includes(`${MISSING_ADDON} is missing`), lines[0]);
  // The remedy works in a project that depends on neurona, and in a checkout of neurona itself.
  assert.match(lines[0]!, /run `npm rebuild neurona` to build it \(in a checkout of neurona: `npm run build:native`\)/);
});

test('an addon file that is not a loadable module gives a notice naming it and the loader error', () => {
  const child = run({ NEURONA_NATIVE_ADDON: new URL('../../package.json', import.meta.url).pathname });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'js');
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('neurona:'));
  assert.equal(lines.length, 1, child.stderr);
  assert.match(lines[0]!, /package\.json (failed to load|is an older or foreign build)/);
});

test('with the addon built, neurona selects native silently', {
  skip: !availableBackends().includes('native') && 'the addon is not built here',
}, () => {
  const child = run({});
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'native');
  assert.equal(child.stderr.includes('neurona:'), false, child.stderr);
});

test('NEURONA_QUIET=1 silences the notice; NEURONA_BACKEND=js selects js without one', () => {
  assert.equal(run({ NEURONA_QUIET: '1', NEURONA_NATIVE_ADDON: MISSING_ADDON }).stderr.includes('neurona:'), false);
  const chosen = run({ NEURONA_BACKEND: 'js' });
  assert.equal(chosen.stdout.trim(), 'js');
  assert.equal(chosen.stderr.includes('neurona:'), false);
});

test('NEURONA_BACKEND with an unknown name fails with a ConfigError listing the backends', () => {
  const child = run({ NEURONA_BACKEND: 'gpu', NEURONA_NATIVE_ADDON: MISSING_ADDON });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /ConfigError: setBackend: unknown backend "gpu"; available backends are js/);
});
