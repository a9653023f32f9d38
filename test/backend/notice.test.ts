import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { availableBackends } from '../../src/backend/index.js';
import { assert } from '../helpers.js';
import { TS_NODE } from '../ts-node.js';

const program = `
import * as nr from './src/index.ts';
for (let i = 0; i < 3; i++) nr.tensor([1, 2]).add(1);
console.log(nr.getBackend());
`;

/** NEURONA_NATIVE_ADDON pointing nowhere stands for a machine where the addon was never built. */
const MISSING_ADDON = '/nonexistent/neurona.node';
/** And NEURONA_WASM_MODULE pointing nowhere for a package that lost its wasm module too. */
const MISSING_WASM = '/nonexistent/neurona.wasm';

function run(env: Record<string, string>) {
  const {
    NEURONA_QUIET: _quiet,
    NEURONA_BACKEND: _backend,
    NEURONA_NATIVE_ADDON: _addon,
    NEURONA_WASM_MODULE: _wasm,
    ...rest
  } = process.env;
  return spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', program], {
    encoding: 'utf8',
    env: { ...rest, ...env },
  });
}

test('without the native addon, neurona runs on wasm and says why in exactly one line', {
  skip: !availableBackends().includes('wasm') && 'the wasm module does not load here',
}, () => {
  const child = run({ NEURONA_NATIVE_ADDON: MISSING_ADDON });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'wasm');
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('neurona:'));
  assert.equal(lines.length, 1, child.stderr);
  assert.match(
    lines[0]!,
    /^neurona: native backend unavailable \([^;]+is missing[^;]*; run `npm rebuild neurona`[^)]*\)\); using the wasm backend$/,
  );
});

test('without the native addon and the wasm module, neurona runs on js and says why in exactly one line', () => {
  const child = run({ NEURONA_NATIVE_ADDON: MISSING_ADDON, NEURONA_WASM_MODULE: MISSING_WASM });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'js');
  const lines = child.stderr.split('\n').filter((l) => l.startsWith('neurona:'));
  assert.equal(lines.length, 1, child.stderr);
  assert.match(lines[0]!, /native backend unavailable \(.+\); wasm backend unavailable \(.+\); using the js backend/);
  assert.ok(lines[0]!.includes(`${MISSING_WASM} is missing`), lines[0]);
  assert.ok(lines[0]!.includes(`${MISSING_ADDON} is missing`), lines[0]);
  // The remedy works in a project that depends on neurona, and in a checkout of neurona itself.
  assert.match(lines[0]!, /run `npm rebuild neurona` to build it \(in a checkout of neurona: `npm run build:native`\)/);
});

test('an addon file that is not a loadable module gives a notice naming it and the loader error', () => {
  const child = run({ NEURONA_NATIVE_ADDON: new URL('../../package.json', import.meta.url).pathname, NEURONA_WASM_MODULE: MISSING_WASM });
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

// The addon reads NEURONA_ISA, NEURONA_WINOGRAD and NEURONA_MALLOC_TUNING itself; a value it would not
// understand is named in a notice, with what is done instead, rather than taken silently.
test('a NEURONA_WINOGRAD, NEURONA_ISA or NEURONA_MALLOC_TUNING value the addon does not read gives a notice', {
  skip: !availableBackends().includes('native') && 'the addon is not built here',
}, () => {
  const child = run({ NEURONA_WINOGRAD: 'off', NEURONA_ISA: 'avx3', NEURONA_MALLOC_TUNING: 'yes' });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'native');
  assert.match(child.stderr, /NEURONA_WINOGRAD="off" is not 1 or 0; treated as 1 \(Winograd convolutions on\)/);
  assert.match(child.stderr, /NEURONA_ISA="avx3" is not avx512 or avx2 or portable; the CPU's best instruction set is used/);
  assert.match(child.stderr, /NEURONA_MALLOC_TUNING="yes" is not 1 or 0; treated as 1 \(tuned\)/);
  const accepted = run({ NEURONA_WINOGRAD: '0', NEURONA_ISA: 'avx2', NEURONA_MALLOC_TUNING: '1' });
  assert.equal(accepted.stderr.includes('neurona:'), false, accepted.stderr);
});

test('NEURONA_QUIET=1 silences the notice; NEURONA_BACKEND=js selects js without one', () => {
  assert.equal(
    run({ NEURONA_QUIET: '1', NEURONA_NATIVE_ADDON: MISSING_ADDON, NEURONA_WASM_MODULE: MISSING_WASM }).stderr.includes('neurona:'),
    false,
  );
  const chosen = run({ NEURONA_BACKEND: 'js' });
  assert.equal(chosen.stdout.trim(), 'js');
  assert.equal(chosen.stderr.includes('neurona:'), false);
});

test('NEURONA_BACKEND with an unknown name fails with a ConfigError listing the backends', () => {
  const child = run({ NEURONA_BACKEND: 'gpu', NEURONA_NATIVE_ADDON: MISSING_ADDON });
  assert.notEqual(child.status, 0);
  assert.match(child.stderr, /ConfigError: setBackend: unknown backend "gpu"; available backends are js, native, wasm/);
});

test('NEURONA_BACKEND=wasm selects wasm silently; without the module it fails naming the missing file', {
  skip: !availableBackends().includes('wasm') && 'the wasm module does not load here',
}, () => {
  const chosen = run({ NEURONA_BACKEND: 'wasm' });
  assert.equal(chosen.status, 0, chosen.stderr);
  assert.equal(chosen.stdout.trim(), 'wasm');
  assert.equal(chosen.stderr.includes('neurona:'), false, chosen.stderr);
  const missing = run({ NEURONA_BACKEND: 'wasm', NEURONA_WASM_MODULE: MISSING_WASM });
  assert.notEqual(missing.status, 0);
  assert.match(missing.stderr, /ConfigError: setBackend: the 'wasm' backend is unavailable: \/nonexistent\/neurona\.wasm is missing/);
});
