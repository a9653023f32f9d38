import { test } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { assert } from '../helpers.js';

/*
 * assets/neurona.wasm, neurona-threads.wasm and their relaxed-SIMD twins are committed (a clone or an install
 * without clang still gets the wasm backend), so they must be exactly what their sources build: this rebuilds
 * them and compares the bytes.
 */

const root = new URL('../..', import.meta.url).pathname;
const script = join(root, 'scripts', 'build-wasm.mjs');
const clang = spawnSync(process.execPath, [script, '--probe'], { encoding: 'utf8' }).status === 0;

const FILES = ['neurona.wasm', 'neurona-threads.wasm', 'neurona-relaxed.wasm', 'neurona-relaxed-threads.wasm'];

test('the four wasm modules in assets/ rebuild bit-identically from native/', {
  skip: !clang && 'no clang++ 16 for wasm32-wasi here (`npm run build:wasm` names the Debian packages; .ci/run installs them)',
}, () => {
  const dir = mkdtempSync(join(tmpdir(), 'neurona-wasm-test-'));
  try {
    const build = spawnSync(process.execPath, [script, '--out-dir', dir], { encoding: 'utf8' });
    assert.equal(build.status, 0, build.stderr);
    for (const file of FILES) {
      const committed = readFileSync(join(root, 'assets', file));
      const rebuilt = readFileSync(join(dir, file));
      assert.ok(committed.length > 100_000, `the committed ${file} has only ${committed.length} bytes`);
      assert.ok(
        committed.equals(rebuilt),
        `assets/${file} (${committed.length} bytes) differs from a rebuild (${rebuilt.length} bytes): run \`npm run build:wasm\` and commit it`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
