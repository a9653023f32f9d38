import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { assert, nr } from './helpers.js';
import { main } from '../src/cli/commands.js';

const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string; bin: Record<string, string> };

test('VERSION equals package.json version', () => {
  assert.equal(nr.VERSION, pkg.version);
});

test('neurona --version and --help', async () => {
  let out = '';
  assert.equal(await main(['--version'], (s) => { out += s; }), 0);
  assert.equal(out.trim(), pkg.version);
  out = '';
  assert.equal(await main(['--help'], (s) => { out += s; }), 0);
  assert.match(out, /Usage:/);
  assert.match(out, /--version/);
});

test('an unknown command prints one clear line and exits non-zero', async () => {
  let err = '';
  assert.equal(await main(['frobnicate'], () => {}, (s) => { err += s; }), 2);
  assert.match(err, /unknown command 'frobnicate'/);
  assert.equal(err.trim().split('\n').length, 1);
});

test('the bin entry runs as a program', () => {
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', '--version'], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.equal(run.stdout.trim(), pkg.version);
  assert.equal(pkg.bin.neurona, './dist/cli/main.js');
});
