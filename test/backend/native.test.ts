import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableBackends, kernels } from '../../src/backend/index.js';
import { nativeInfo } from '../../src/backend/native/index.js';
import { assert, nr, withBackend } from '../helpers.js';

/*
 * The native backend's own contract, beyond the conformance suite: the install script never fails,
 * the addon reports its instruction set and threads, rejects bad arguments with JavaScript errors
 * instead of touching memory it was not given, and every compiled ISA path computes the same GEMM.
 */

const root = new URL('../..', import.meta.url).pathname;
const built = availableBackends().includes('native');
const skipUnbuilt = { skip: !built && 'the native addon is not built here' };

test('the install script exits 0 with one line saying why when no C++ compiler is found', () => {
  // A scratch copy of the layout the script expects, so the real build/ is left alone.
  const dir = mkdtempSync(join(tmpdir(), 'neurona-install-'));
  try {
    mkdirSync(join(dir, 'scripts'));
    mkdirSync(join(dir, 'native'));
    copyFileSync(join(root, 'scripts', 'build-native.mjs'), join(dir, 'scripts', 'build-native.mjs'));
    copyFileSync(join(root, 'native', 'binding.gyp'), join(dir, 'native', 'binding.gyp'));
    const child = spawnSync(process.execPath, [join(dir, 'scripts', 'build-native.mjs')], {
      encoding: 'utf8', env: { ...process.env, CXX: '/nonexistent/c++' },
    });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.trim().split('\n');
    assert.equal(lines.length, 1, child.stdout);
    assert.equal(lines[0], 'neurona: native backend not built (no C++ compiler found (tried /nonexistent/c++)); '
      + 'neurona will use the js backend');
    assert.equal(readFileSync(join(dir, 'build', 'native-build.txt'), 'utf8').trim(),
      'no C++ compiler found (tried /nonexistent/c++)', 'the reason is kept for the runtime notice');
    assert.equal(existsSync(join(dir, 'build', 'Release', 'neurona.node')), false);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('nativeInfo names the instruction set and follows setNumThreads', skipUnbuilt, () => {
  const info = nativeInfo();
  assert.ok(info.available, 'available');
  assert.ok(['avx512', 'avx2', 'portable'].includes(info.isa), info.isa);
  assert.equal(info.threads, nr.getNumThreads());
  const before = nr.getNumThreads();
  withBackend('native', () => {
    try {
      nr.setNumThreads(3);
      const now = nativeInfo();
      assert.ok(now.available && now.threads === 3, JSON.stringify(now));
    } finally {
      nr.setNumThreads(before);
    }
  });
});

test('without the addon, nativeInfo says why', () => {
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e',
    "import { nativeInfo } from './src/backend/native/index.ts'; console.log(JSON.stringify(nativeInfo()));"], {
    cwd: root, encoding: 'utf8', env: { ...process.env, NEURONA_NATIVE_ADDON: '/nonexistent/neurona.node' },
  });
  assert.equal(child.status, 0, child.stderr);
  const info = JSON.parse(child.stdout) as { available: boolean; reason: string };
  assert.equal(info.available, false);
  assert.match(info.reason, /\/nonexistent\/neurona\.node is missing/);
});

test('the addon rejects wrong arguments with errors that name the kernel', skipUnbuilt, () => {
  const addon = createRequire(import.meta.url)(nativeInfo().available ? (nativeInfo() as { path: string }).path : '') as {
    matmul: (...args: unknown[]) => void; setNumThreads: (n: unknown) => void;
  };
  const f = (n: number) => new Float32Array(n);
  assert.throws(() => addon.matmul(new Float64Array(4), f(4), f(4), 1, 2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof TypeError && /matmul: a must be a Float32Array/.test(e.message));
  assert.throws(() => addon.matmul(f(4), f(4), f(3), 1, 2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof RangeError && /matmul: out has 3 elements but the shape needs 4/.test(e.message));
  assert.throws(() => addon.matmul(f(8), f(4), f(8), 2, 2, 2, 2, false, false, 4, 4),
    (e: Error) => e instanceof RangeError && /matmul: b has 4 elements but the shape needs 8/.test(e.message));
  assert.throws(() => addon.matmul(f(4), f(4), f(4), 1, -2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof TypeError && /matmul: m must be a non-negative integer/.test(e.message));
  assert.throws(() => addon.matmul(f(4), f(4), f(4)), (e: Error) => e instanceof TypeError && /expected 11 arguments, got 3/.test(e.message));
  assert.throws(() => addon.setNumThreads(0), (e: Error) => e instanceof RangeError && /at least 1/.test(e.message));
});

test('float64 matmul on the native backend falls back to the js kernel, bit for bit', skipUnbuilt, () => {
  const a = nr.randu([13, 29], { dtype: 'float64' });
  const b = nr.randu([29, 7], { dtype: 'float64' });
  const viaJs = withBackend('js', () => nr.matmul(a, b).data());
  const viaNative = withBackend('native', () => {
    assert.notEqual(kernels().matmul, withBackend('js', () => kernels().matmul), 'native registers its own matmul');
    return nr.matmul(a, b).data();
  });
  assert.ok(viaNative instanceof Float64Array);
  assert.deepEqual(viaNative, viaJs);
});

// Each compiled instruction-set path, chosen by NEURONA_ISA in a child process, against a float64
// reference: this machine's best path runs the whole conformance suite, the others run here.
const isaCheck = `
import * as nr from './src/index.ts';
import { nativeInfo } from './src/backend/native/index.ts';
nr.setBackend('native');
let worst = 0;
for (const [m, k, n] of [[1, 1, 1], [7, 300, 33], [70, 517, 129], [130, 31, 9]]) {
  for (const ta of [false, true]) for (const tb of [false, true]) {
    const a = nr.randu(ta ? [k, m] : [m, k], { low: -1, high: 1 }), b = nr.randu(tb ? [n, k] : [k, n], { low: -1, high: 1 });
    const c = nr.matmul(a, b, { transposeA: ta, transposeB: tb }).data();
    const A = a.data(), B = b.data();
    for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
      let s = 0, scale = 0;
      for (let p = 0; p < k; p++) { const x = A[ta ? p * m + i : i * k + p] * B[tb ? j * k + p : p * n + j]; s += x; scale += Math.abs(x); }
      worst = Math.max(worst, Math.abs(c[i * n + j] - s) / (scale * Math.sqrt(k) * 1.2e-7));
    }
  }
}
console.log(JSON.stringify({ isa: nativeInfo().isa, worst }));
`;

for (const isa of ['portable', 'avx2', 'avx512']) {
  test(`the ${isa} GEMM agrees with a float64 reference on every transpose combination`, skipUnbuilt, (t) => {
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', isaCheck], {
      cwd: root, encoding: 'utf8', env: { ...process.env, NEURONA_ISA: isa, NEURONA_QUIET: '1' },
    });
    assert.equal(child.status, 0, child.stderr);
    const result = JSON.parse(child.stdout) as { isa: string; worst: number };
    if (result.isa !== isa) {
      t.skip(`this CPU lacks ${isa} (runs ${result.isa})`);
      return;
    }
    // Error in units of float32 epsilon * sqrt(k) * sum |a_ip b_pj|: a blocked float32 sum stays well under 1.
    assert.ok(result.worst < 1, `${isa}: worst error ${result.worst}`);
  });
}

test('every native kernel passes the conformance suite at every size (no js cut-off for small arrays)', skipUnbuilt, () => {
  // The wrapper sends arrays below a size cut-off to js; with the cut-off at 0 the native loops also
  // meet the small edge cases (NaN, infinities, extreme exponents, ties) the suite spells out.
  const files = ['elementwise', 'binary', 'reduce', 'matmul', 'threads'].map((f) => `test/conformance/${f}.test.ts`);
  // Without NODE_TEST_CONTEXT the child reports in plain TAP instead of to this runner.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', '--import', 'tsx', ...files], {
    cwd: root, encoding: 'utf8', env: { ...env, NEURONA_NATIVE_MIN_ELEMENTS: '0', NEURONA_QUIET: '1' },
  });
  const failed = child.stdout.split('\n').filter((l) => l.startsWith('not ok'));
  assert.deepEqual(failed, [], child.stdout.slice(-4000));
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  assert.match(child.stdout, /\[native\]/, 'the native backend took part');
});
