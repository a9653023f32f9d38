import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { availableBackends, type Conv2DGeometry, kernels, type UpdateParams, type UpdateRule } from '../../src/backend/index.js';
import { STRUCTS } from '../../src/backend/native/table.js';
import { nativeInfo } from '../../src/backend/native/index.js';
import { assert, nr, withBackend } from '../helpers.js';
import { TS_NODE } from '../ts-node.js';

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
      encoding: 'utf8',
      env: { ...process.env, CXX: '/nonexistent/c++' },
    });
    assert.equal(child.status, 0, child.stderr);
    const lines = child.stdout.trim().split('\n');
    assert.equal(lines.length, 1, child.stdout);
    assert.equal(
      lines[0],
      'neurona: native backend not built (no C++ compiler found (tried /nonexistent/c++)); ' + 'neurona will use the js backend',
    );
    assert.equal(
      readFileSync(join(dir, 'build', 'native-build.txt'), 'utf8').trim(),
      'no C++ compiler found (tried /nonexistent/c++)',
      'the reason is kept for the runtime notice',
    );
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
  const child = spawnSync(
    process.execPath,
    [
      ...TS_NODE,
      '--input-type=module',
      '-e',
      "import { nativeInfo } from './src/backend/native/index.ts'; console.log(JSON.stringify(nativeInfo()));",
    ],
    {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NEURONA_NATIVE_ADDON: '/nonexistent/neurona.node' },
    },
  );
  assert.equal(child.status, 0, child.stderr);
  const info = JSON.parse(child.stdout) as { available: boolean; reason: string };
  assert.equal(info.available, false);
  assert.match(info.reason, /\/nonexistent\/neurona\.node is missing/);
});

test('the addon rejects wrong arguments with errors that name the kernel', skipUnbuilt, () => {
  const addon = createRequire(import.meta.url)(nativeInfo().available ? (nativeInfo() as { path: string }).path : '') as {
    matmul: (...args: unknown[]) => void;
    setNumThreads: (n: unknown) => void;
  };
  const f = (n: number) => new Float32Array(n);
  assert.throws(
    () => addon.matmul(new Float64Array(4), f(4), f(4), 1, 2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof TypeError && /matmul: a must be a Float32Array/.test(e.message),
  );
  assert.throws(
    () => addon.matmul(f(4), f(4), f(3), 1, 2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof RangeError && /matmul: out has 3 elements but the shape needs 4/.test(e.message),
  );
  assert.throws(
    () => addon.matmul(f(8), f(4), f(8), 2, 2, 2, 2, false, false, 4, 4),
    (e: Error) => e instanceof RangeError && /matmul: b has 4 elements but the shape needs 8/.test(e.message),
  );
  // (2^20 - 1) * 2^50 wraps around a 64-bit long to a negative count, which once passed the length check.
  assert.throws(
    () => addon.matmul(f(4), f(4 << 20), f(4 << 20), 1 << 20, 2, 2, 2, false, false, 2 ** 50, 4),
    (e: Error) => e instanceof RangeError && /matmul: a has 4 elements but the shape needs 9223372036854775807/.test(e.message),
  );
  assert.throws(
    () => addon.matmul(f(4), f(4), f(4), 1, -2, 2, 2, false, false, 0, 0),
    (e: Error) => e instanceof TypeError && /matmul: m must be a non-negative integer/.test(e.message),
  );
  assert.throws(
    () => addon.matmul(f(4), f(4), f(4)),
    (e: Error) => e instanceof TypeError && /expected 11 arguments, got 3/.test(e.message),
  );
  assert.throws(
    () => addon.setNumThreads(0),
    (e: Error) => e instanceof RangeError && /at least 1/.test(e.message),
  );
});

test('the elementwise kernels of the table reject short arrays and wrong types, naming the kernel and argument', skipUnbuilt, () => {
  const info = nativeInfo();
  const addon = createRequire(import.meta.url)(info.available ? info.path : '') as Record<string, (...args: unknown[]) => void>;
  const f = (n: number) => new Float32Array(n);
  addon.gelu!(f(5), f(5), false);
  addon.geluBackward!(f(6), f(5), f(5), true); // longer inputs are fine: the output's length rules
  assert.throws(
    () => addon.gelu!(f(4), f(5), false),
    (e: Error) => e instanceof RangeError && /^neurona native gelu: x has 4 elements but the shape needs 5$/.test(e.message),
  );
  assert.throws(
    () => addon.geluBackward!(f(5), f(4), f(5), false),
    (e: Error) => e instanceof RangeError && /geluBackward: dy has 4 elements but the shape needs 5/.test(e.message),
  );
  assert.throws(
    () => addon.geluBackward!(f(5), new Float64Array(5), f(5), false),
    (e: Error) => e instanceof TypeError && /geluBackward: dy must be a Float32Array/.test(e.message),
  );
  assert.throws(
    () => addon.gelu!(f(5), f(5), 1),
    (e: Error) => e instanceof TypeError && /gelu: approximate must be a boolean/.test(e.message),
  );
  assert.throws(
    () => addon.gelu!(f(5), f(5)),
    (e: Error) => e instanceof TypeError && /gelu: expected 3 arguments, got 2/.test(e.message),
  );
  const native = withBackend('native', () => kernels());
  const js = withBackend('js', () => kernels());
  assert.notEqual(native.gelu, js.gelu, 'native registers its own gelu');
  assert.notEqual(native.geluBackward, js.geluBackward, 'native registers its own geluBackward');
});

test('float64 matmul on the native backend falls back to the js kernel, bit for bit', skipUnbuilt, () => {
  const a = nr.randu([13, 29], { dtype: 'float64' });
  const b = nr.randu([29, 7], { dtype: 'float64' });
  const viaJs = withBackend('js', () => nr.matmul(a, b).data());
  const viaNative = withBackend('native', () => {
    assert.notEqual(
      kernels().matmul,
      withBackend('js', () => kernels().matmul),
      'native registers its own matmul',
    );
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
for (const [m, k, n] of [[1, 1, 1], [7, 300, 33], [70, 517, 129], [130, 31, 9], [390, 260, 420]]) {
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
    const child = spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', isaCheck], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NEURONA_ISA: isa, NEURONA_QUIET: '1' },
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
  const names = [
    'elementwise',
    'gelu',
    'binary',
    'reduce',
    'matmul',
    'conv',
    'pool',
    'norm',
    'layer-norm',
    'group-norm',
    'optimizer',
    'recurrent',
    'threads',
    'attention',
    'sparse',
  ];
  const files = names.map((f) => `test/conformance/${f}.test.ts`);
  // Without NODE_TEST_CONTEXT the child reports in plain TAP instead of to this runner.
  const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
  const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...TS_NODE, ...files], {
    cwd: root,
    encoding: 'utf8',
    // wasm shares the cut-off (and the glue below it); webgpu has its own conformance runs.
    env: { ...env, NEURONA_NATIVE_MIN_ELEMENTS: '0', NEURONA_QUIET: '1', NEURONA_TEST_BACKENDS: 'js,native,wasm' },
  });
  const failed = child.stdout.split('\n').filter((l) => l.startsWith('not ok'));
  assert.deepEqual(failed, [], child.stdout.slice(-4000));
  assert.equal(child.status, 0, child.stderr.slice(-2000));
  assert.match(child.stdout, /\[native\]/, 'the native backend took part');
});

// The image kernels' glue (native/addon_images.cc) and the others': a geometry arrives as an Int32Array
// in the kernel table's field order, and no geometry, however wrong, may reach memory outside the arrays.
test('the training kernels reject bad geometries, short arrays and missing slots with errors that name the kernel', skipUnbuilt, () => {
  const info = nativeInfo();
  const addon = createRequire(import.meta.url)(info.available ? info.path : '') as Record<string, (...args: unknown[]) => void>;
  const f = (n: number) => new Float32Array(n);
  // batch 1, 4x4x2 in, 4x4x3 out, 3x3 filter, stride 1, dilation 1, padding 1; packed in the table's field order.
  const geometry = (changes: Partial<Conv2DGeometry> = {}) => {
    const g: Conv2DGeometry = {
      batch: 1,
      inHeight: 4,
      inWidth: 4,
      inChannels: 2,
      outHeight: 4,
      outWidth: 4,
      outChannels: 3,
      filterHeight: 3,
      filterWidth: 3,
      strideHeight: 1,
      strideWidth: 1,
      dilationHeight: 1,
      dilationWidth: 1,
      padTop: 1,
      padLeft: 1,
      ...changes,
    };
    return Int32Array.from(Object.keys(STRUCTS.geometry.fields) as (keyof Conv2DGeometry)[], (field) => g[field]);
  };
  addon.conv2d!(f(32), f(54), f(48), geometry()); // the right sizes pass
  assert.throws(
    () => addon.conv2d!(f(32), f(54), f(47), geometry()),
    (e: Error) => e instanceof RangeError && /conv2d: out has 47 elements but the shape needs 48/.test(e.message),
  );
  addon.conv2dBiasActivation!(f(32), f(54), f(3), f(48), geometry(), 1);
  addon.conv2dBiasActivation!(f(32), f(54), null, f(48), geometry(), 0);
  assert.throws(
    () => addon.conv2dBiasActivation!(f(32), f(54), f(2), f(48), geometry(), 1),
    (e: Error) => e instanceof RangeError && /conv2dBiasActivation: bias has 2 elements but the shape needs 3/.test(e.message),
  );
  assert.throws(
    () => addon.conv2dBiasActivation!(f(32), f(54), f(3), f(47), geometry(), 1),
    (e: Error) => e instanceof RangeError && /conv2dBiasActivation: out has 47 elements but the shape needs 48/.test(e.message),
  );
  assert.throws(
    () => addon.conv2dBiasActivation!(f(32), f(54), f(3), f(48), geometry(), 4),
    (e: Error) => e instanceof TypeError && /conv2dBiasActivation: activation must be an integer code below 4/.test(e.message),
  );
  assert.throws(
    () => addon.conv2dBiasActivation!(f(32), f(54), [1, 2, 3], f(48), geometry(), 1),
    (e: Error) => e instanceof TypeError && /conv2dBiasActivation: bias must be a Float32Array or null/.test(e.message),
  );
  assert.throws(
    () => addon.conv2dBackpropFilter!(f(32), f(48), f(53), geometry()),
    (e: Error) => e instanceof RangeError && /conv2dBackpropFilter: dFilter has 53 elements but the shape needs 54/.test(e.message),
  );
  assert.throws(
    () => addon.conv2dBackpropInput!(f(47), f(54), f(32), geometry()),
    (e: Error) => e instanceof RangeError && /conv2dBackpropInput: dy has 47 elements/.test(e.message),
  );
  assert.throws(
    () => addon.conv2d!(f(32), f(54), f(48), geometry({ strideHeight: 0 })),
    (e: Error) =>
      e instanceof RangeError &&
      /conv2d: bad geometry \(sizes must be >= 0, strides and dilations >= 1\): \[1, 4, 4, 2, 4, 4, 3, 3, 3, 0,/.test(e.message),
  );
  assert.throws(() => addon.conv2d!(f(32), f(54), f(48), geometry({ inHeight: -4 })), /conv2d: bad geometry/);
  assert.throws(
    () => addon.conv2d!(f(32), f(54), f(48), Int32Array.of(1, 4, 4)),
    (e: Error) => e instanceof RangeError && /conv2d: geometry must have 15 fields, got 3/.test(e.message),
  );
  assert.throws(
    () => addon.conv2d!(f(32), f(54), f(48), [1, 4, 4, 2, 4, 4, 3, 3, 3, 1, 1, 1, 1, 1, 1]),
    (e: Error) => e instanceof TypeError && /conv2d: geometry must be an Int32Array/.test(e.message),
  );
  // Products that overflow 64 bits are rejected, not wrapped around.
  assert.throws(
    () =>
      addon.conv2d!(
        f(32),
        f(54),
        f(48),
        geometry({ batch: 2 ** 31 - 1, inHeight: 2 ** 31 - 1, inWidth: 2 ** 31 - 1, inChannels: 2 ** 31 - 1 }),
      ),
    (e: Error) => e instanceof RangeError && /conv2d: x has 32 elements but the shape needs 9223372036854775807/.test(e.message),
  );
  assert.throws(
    () => addon.depthwiseConv2d!(f(32), f(45), f(80), geometry({ outChannels: 5 })),
    (e: Error) =>
      e instanceof RangeError && /depthwiseConv2d: bad geometry \(outChannels 5 is not a multiple of inChannels 2\)/.test(e.message),
  );
  assert.throws(
    () => addon.pool2d!(0, f(32), f(31), geometry({ outChannels: 2 })),
    (e: Error) => e instanceof RangeError && /pool2d: out has 31 elements but the shape needs 32/.test(e.message),
  );
  assert.throws(
    () => addon.pool2d!(7, f(32), f(32), geometry()),
    (e: Error) => e instanceof TypeError && /pool2d: op must be an integer code below 2/.test(e.message),
  );
  assert.throws(
    () => addon.batchNormTraining!(f(12), 2, 3, 2, f(3), f(2), 1e-3, f(12), f(3), f(3)),
    (e: Error) => e instanceof RangeError && /batchNormTraining: beta has 2 elements but the shape needs 3/.test(e.message),
  );
  assert.throws(
    () => addon.batchNormBackward!(f(12), f(11), 2, 3, 2, f(3), f(3), f(3), f(12), f(3), f(3)),
    (e: Error) => e instanceof RangeError && /batchNormBackward: dy has 11 elements but the shape needs 12/.test(e.message),
  );
  // The recurrent steps: batch 2, units 3 (LSTM rows of 12, GRU gates of 12, GRU projections of 9).
  assert.throws(
    () => addon.lstmCell!(f(24), f(23), null, f(6), f(6), null, f(24), f(6), f(6), 2, 3),
    (e: Error) => e instanceof RangeError && /lstmCell: hu has 23 elements but the shape needs 24/.test(e.message),
  );
  assert.throws(
    () => addon.lstmCell!(f(24), f(24), f(11), f(6), f(6), f(1), f(24), f(6), f(6), 2, 3),
    (e: Error) => e instanceof RangeError && /lstmCell: bias has 11 elements but the shape needs 12/.test(e.message),
  );
  assert.throws(
    () => addon.lstmCellBackward!(f(24), f(6), f(6), f(1), null, null, f(6), f(6), f(24), 2, 3),
    (e: Error) => e instanceof RangeError && /lstmCellBackward: mask has 1 elements but the shape needs 2/.test(e.message),
  );
  assert.throws(
    () => addon.gruCell!(f(18), f(18), null, f(8), f(6), null, f(24), f(6), 2, 3),
    (e: Error) => e instanceof RangeError && /gruCell: biasRec has 8 elements but the shape needs 9/.test(e.message),
  );
  assert.throws(
    () => addon.gruCellBackward!(f(18), f(6), null, null, null, f(6), f(18), f(18), 2, 3),
    (e: Error) => e instanceof RangeError && /gruCellBackward: gates has 18 elements but the shape needs 24/.test(e.message),
  );
  assert.throws(
    () => addon.simpleRnnCell!(f(6), f(6), null, f(6), null, f(5), 2, 3),
    (e: Error) => e instanceof RangeError && /simpleRnnCell: h has 5 elements but the shape needs 6/.test(e.message),
  );
  assert.throws(
    () => addon.simpleRnnCellBackward!(f(6), null, f(5), null, f(6), f(6), 2, 3),
    (e: Error) => e instanceof RangeError && /simpleRnnCellBackward: dy has 5 elements but the shape needs 6/.test(e.message),
  );
  assert.throws(
    () => addon.layerNorm!(f(12), 3, 4, f(3), null, 1e-3, false, f(12), f(3), f(3)),
    (e: Error) => e instanceof RangeError && /layerNorm: gamma has 3 elements but the shape needs 4/.test(e.message),
  );
  assert.throws(
    () => addon.layerNormBackward!(f(12), f(12), 3, 4, null, f(2), f(3), false, f(12), null, f(4)),
    (e: Error) => e instanceof RangeError && /layerNormBackward: mean has 2 elements but the shape needs 3/.test(e.message),
  );
  assert.throws(
    () => addon.scatterAdd!(f(6), 1, 4, 2, new Int32Array([1, 4, 0]), f(8)),
    (e: Error) => e instanceof RangeError && /scatterAdd: index 4 at position 1 is outside \[0, 4\)/.test(e.message),
  );
  assert.throws(
    () => addon.scatterAdd!(f(6), 1, 4, 2, new Int32Array([1, 3, 0]), f(7)),
    (e: Error) => e instanceof RangeError && /scatterAdd: out has 7 elements but the shape needs 8/.test(e.message),
  );
  assert.throws(
    () => addon.groupNorm!(f(24), 2, 3, 4, 2, f(3), null, 1e-3, f(24), f(4), f(4)),
    (e: Error) => e instanceof RangeError && /groupNorm: gamma has 3 elements but the shape needs 4/.test(e.message),
  );
  assert.throws(
    () => addon.groupNormBackward!(f(24), f(24), 2, 3, 4, 2, null, f(3), f(4), f(24), null, null),
    (e: Error) => e instanceof RangeError && /groupNormBackward: mean has 3 elements but the shape needs 4/.test(e.message),
  );
  assert.throws(
    () => addon.groupNorm!(f(24), 2, 3, 4, 3, null, null, 1e-3, f(24), f(6), f(6)),
    (e: Error) => e instanceof RangeError && /groupNorm: channels must be a multiple of groups/.test(e.message),
  );
  const ints = (...v: number[]) => new Int32Array(v);
  assert.throws(
    () => addon.sparseMatmul!(ints(0, 2, 1), ints(0, 1), f(2), f(4), 2, f(4)),
    (e: Error) => e instanceof RangeError && /sparseMatmul: rowPtr decreases at row 1/.test(e.message),
  );
  assert.throws(
    () => addon.sparseMatmul!(ints(0, 1, 2), ints(0, 2), f(2), f(4), 2, f(4)),
    (e: Error) => e instanceof RangeError && /sparseMatmul: column 2 at position 1 is outside \[0, 2\)/.test(e.message),
  );
  assert.throws(
    () => addon.sparseMatmul!(ints(0, 1, 2), ints(0, 1), f(2), f(4), 2, f(3)),
    (e: Error) => e instanceof RangeError && /sparseMatmul: out has 3 elements but the shape needs 4/.test(e.message),
  );
  assert.throws(
    () => addon.sparseMatmul!(ints(0, 1, 3), ints(0, 1), f(2), f(4), 2, f(4)),
    (e: Error) => e instanceof RangeError && /sparseMatmul: rowPtr ends at 3 but colIdx has 2 entries/.test(e.message),
  );
  // adam with amsgrad reads three slots.
  const params: Record<keyof UpdateParams, number> = {
    learningRate: 0.01,
    momentum: 0,
    nesterov: 0,
    beta1: 0.9,
    beta2: 0.999,
    rho: 0,
    epsilon: 1e-7,
    amsgrad: 1,
    centered: 0,
  };
  const hyper = Float64Array.from(Object.keys(STRUCTS.updateParams.fields) as (keyof UpdateParams)[], (field) => params[field]);
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(8), [f(8), f(8)], hyper),
    (e: Error) => e instanceof TypeError && /applyUpdate: slots must be an array of at least 3 Float32Arrays for rule adam/.test(e.message),
  );
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(8), [f(8), f(7), f(8)], hyper),
    (e: Error) => e instanceof RangeError && /applyUpdate: slots\[1\] has 7 elements but the shape needs 8/.test(e.message),
  );
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(8), [f(8), new Float64Array(8), f(8)], hyper),
    (e: Error) => e instanceof TypeError && /applyUpdate: slots\[1\] must be a Float32Array/.test(e.message),
  );
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(8), [f(8), f(8), f(8)], Float64Array.of(0.01)),
    (e: Error) => e instanceof RangeError && /applyUpdate: hyperParameters must have 9 fields, got 1/.test(e.message),
  );
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(7), [f(8), f(8), f(8)], hyper),
    (e: Error) => e instanceof RangeError && /applyUpdate: grad has 7 elements but the shape needs 8/.test(e.message),
  );
  assert.throws(
    () => addon.applyUpdate!(1, f(8), f(8), f(8), hyper),
    (e: Error) => e instanceof TypeError && /applyUpdate: slots must be an array/.test(e.message),
  );
});

test('the native backend runs its own training kernels on float32 and hands float64 to js', skipUnbuilt, () => {
  const names = [
    'conv2d',
    'conv2dBiasActivation',
    'conv2dBackpropInput',
    'conv2dBackpropFilter',
    'depthwiseConv2d',
    'depthwiseConv2dBackpropInput',
    'depthwiseConv2dBackpropFilter',
    'pool2d',
    'pool2dBackward',
    'batchNormTraining',
    'batchNormBackward',
    'layerNorm',
    'layerNormBackward',
    'groupNorm',
    'groupNormBackward',
    'scatterAdd',
    'sparseMatmul',
    'applyUpdate',
    'lstmCell',
    'lstmCellBackward',
    'gruCell',
    'gruCellBackward',
    'simpleRnnCell',
    'simpleRnnCellBackward',
  ] as const;
  const jsTable = withBackend('js', () => kernels());
  const nativeTable = withBackend('native', () => kernels());
  for (const name of names) assert.notEqual(nativeTable[name], jsTable[name], `native registers its own ${name}`);
  // float64 (gradient checks) goes to the js kernel, bit for bit.
  const x = nr.randu([2, 7, 6, 3], { dtype: 'float64' });
  const w = nr.randu([3, 2, 3, 4], { dtype: 'float64' });
  const viaJs = withBackend('js', () => nr.conv2d(x, w, { padding: 'same' }).data());
  const viaNative = withBackend('native', () => nr.conv2d(x, w, { padding: 'same' }).data());
  assert.ok(viaNative instanceof Float64Array);
  assert.deepEqual(viaNative, viaJs);
});

// Paths that the native kernels choose by shape must not change a bit (native/kernels/gemm_impl.h,
// conv_impl.h): the direct convolution and direct filter gradient against the im2col +
// GEMM path (one more filter sends the same problem there, and the other filters' sums are untouched
// by it), and a narrow
// product, which the GEMM computes transposed, against the same columns inside a wide one.
test("the direct convolution, its filter gradient and the transposed narrow GEMM give the general paths' bits", skipUnbuilt, () => {
  withBackend('native', () => {
    const bits = (t: nr.Tensor) => new Uint32Array((t.data() as Float32Array).slice().buffer);
    // The last case has 5 x 5 x 16 = 400 taps: two KC slices, and runs across rows.
    for (const [xShape, filters, padding, size] of [
      [[3, 24, 26, 1], 16, 'valid', 3],
      [[2, 20, 18, 3], 32, 'same', 3],
      [[3, 7, 7, 16], 32, 'same', 5],
    ] as const) {
      const x = nr.randu([...xShape], { low: -1, high: 1 });
      const wide = nr.randu([size, size, xShape[3], filters + 1], { low: -1, high: 1 });
      const narrow = nr.slice(wide, [0, 0, 0, 0], [size, size, xShape[3], filters]);
      const direct = nr.conv2d(x, narrow, { padding });
      const general = nr.slice(nr.conv2d(x, wide, { padding }), [0, 0, 0, 0], [...direct.shape]);
      assert.deepEqual(bits(direct), bits(general), `conv2d x ${xShape}, ${filters} filters`);
    }
    // The filter gradient: each column of dFilter sums over the pixels on its own, so the direct
    // kernel's columns must equal the GEMM path's for the same x and dy columns. Shapes: padding
    // (a padded copy), none (x read in place), a stride, a dilation, enough pixels for several
    // chunks and groups, and a batch padded image by image.
    const filterCases = [
      [[3, 24, 26, 1], 5, 16, 'valid', 1, 1],
      [[4, 30, 28, 3], 3, 32, 'same', 1, 1],
      [[3, 21, 19, 2], 3, 16, 'same', 2, 1],
      [[2, 17, 23, 4], 3, 32, 'same', 1, 2],
      [[40, 32, 32, 3], 3, 32, 'same', 1, 1],
      [[3, 7, 7, 32], 5, 64, 'same', 1, 1],
      [[2, 11, 10, 20], 3, 48, 'valid', 2, 1],
      // A padded batch over 1 MB a thread: each thread pads the images it reads into its own ring.
      [[32, 33, 33, 16], 3, 32, 'same', 2, 1],
    ] as const;
    for (const [xShape, size, filters, padding, stride, dilation] of filterCases) {
      const x = nr.randu([...xShape], { low: -1, high: 1 });
      const options = { padding, strides: stride, dilationRate: dilation };
      const outShape = nr.conv2d(x, nr.zeros([size, size, xShape[3], filters]), options).shape;
      const dyWide = nr.randu([...outShape.slice(0, 3), filters + 1], { low: -1, high: 1 });
      const dyNarrow = nr.slice(dyWide, [0, 0, 0, 0], [...outShape]);
      const [direct] = nr.grad((w) => nr.conv2d(x, w, options).mul(dyNarrow).sum())(nr.zeros([size, size, xShape[3], filters]));
      const [general] = nr.grad((w) => nr.conv2d(x, w, options).mul(dyWide).sum())(nr.zeros([size, size, xShape[3], filters + 1]));
      assert.deepEqual(
        bits(direct!),
        bits(nr.slice(general!, [0, 0, 0, 0], [...direct!.shape])),
        `conv2dBackpropFilter x ${xShape}, ${filters} filters`,
      );
    }
    const a = nr.randu([70, 300], { low: -1, high: 1 });
    const b = nr.randu([300, 40], { low: -1, high: 1 });
    const narrowColumns = nr.slice(b, [0, 0], [300, 9]);
    assert.deepEqual(bits(nr.matmul(a, narrowColumns)), bits(nr.slice(nr.matmul(a, b), [0, 0], [70, 9])), 'matmul 70x300x9');
  });
});

// On AVX-512 and AVX2, a 3x3 stride-1 convolution with whole vectors of channels and even output sizes
// runs as Winograd F(2x2, 3x3) (docs/backends.md); NEURONA_WINOGRAD=0 keeps it on the direct path, whose forward
// pass and filter gradient give the general (GEMM) path's bits: 48 filters against the first 48 of 49.
const winogradCheck = `
import * as nr from './src/index.ts';
import { nativeInfo } from './src/backend/native/index.ts';
nr.setBackend('native');
nr.setSeed(11);
const x = nr.randu([2, 16, 16, 32], { low: -1, high: 1 });
const wide = nr.randu([3, 3, 32, 49], { low: -1, high: 1 });
const dyWide = nr.randu([2, 16, 16, 49], { low: -1, high: 1 });
const w = nr.slice(wide, [0, 0, 0, 0], [3, 3, 32, 48]);
const dy = nr.slice(dyWide, [0, 0, 0, 0], [2, 16, 16, 48]);
const narrow = (t) => nr.slice(t, [0, 0, 0, 0], [...t.shape.slice(0, 3), 48]);
const [dx, dw] = nr.grad((a, b) => nr.conv2d(a, b, { padding: 'same' }).mul(dy).sum())(x, w);
const [, dwWide] = nr.grad((a, b) => nr.conv2d(a, b, { padding: 'same' }).mul(dyWide).sum())(x, wide);
const pairs = [[nr.conv2d(x, w, { padding: 'same' }), narrow(nr.conv2d(x, wide, { padding: 'same' }))], [dw, narrow(dwWide)]];
const gap = ([a, b]) => { const p = a.data(), q = b.data(); let g = 0; for (let i = 0; i < p.length; i++) g = Math.max(g, Math.abs(p[i] - q[i])); return g; };
const same = ([a, b]) => new Uint32Array(a.data().slice().buffer).every((v, i) => v === new Uint32Array(b.data().slice().buffer)[i]);
console.log(JSON.stringify({ isa: nativeInfo().isa, same: pairs.map(same), gap: pairs.map(gap), dx: Array.from(dx.data()) }));
`;

test(
  'NEURONA_WINOGRAD=0 keeps 3x3 stride-1 convolutions on the direct path and its bits; on AVX-512 and AVX2 Winograd otherwise, within float32 rounding',
  skipUnbuilt,
  (t) => {
    const run = (env: Record<string, string>) => {
      const child = spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', winogradCheck], {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, NEURONA_QUIET: '1', ...env },
      });
      assert.equal(child.status, 0, child.stderr);
      return JSON.parse(child.stdout) as { isa: string; same: boolean[]; gap: number[]; dx: number[] };
    };
    const direct = run({ NEURONA_WINOGRAD: '0' });
    assert.deepEqual(direct.same, [true, true], 'forward and filter gradient with NEURONA_WINOGRAD=0');
    const winograd = run({});
    if (winograd.isa !== 'avx512' && winograd.isa !== 'avx2') {
      t.skip(`this CPU runs the ${winograd.isa} kernels, which have no Winograd path`);
      return;
    }
    assert.deepEqual(winograd.same, [false, false], 'Winograd gives other last bits than the direct path');
    // Forward sums of 288 products of values in [-1, 1] (a few units), the filter gradient of 512.
    assert.ok(winograd.gap[0]! < 5e-5 && winograd.gap[1]! < 1e-4, `Winograd against the general path: ${winograd.gap}`);
    let dxGap = 0;
    for (let i = 0; i < direct.dx.length; i++) dxGap = Math.max(dxGap, Math.abs(direct.dx[i]! - winograd.dx[i]!));
    assert.ok(dxGap > 0 && dxGap < 5e-5, `input gradient, Winograd against direct: ${dxGap}`);
  },
);

// A batch of at least 4 images per thread is padded image by image inside the threads, a smaller one
// as a whole batch up front (conv_impl.h reserve_per_image): the sums are the same, so the bits must be.
test('the direct convolution padded image by image gives the bits of the batch padded up front', skipUnbuilt, () => {
  withBackend('native', () => {
    const bits = (t: nr.Tensor) => Array.from(new Uint32Array((t.data() as Float32Array).slice().buffer));
    const previous = nr.getNumThreads();
    try {
      for (const threads of [1, 2]) {
        nr.setNumThreads(threads);
        // [x shape, kernel, filters, stride]: rows wide enough to run row by row; rows so narrow that
        // runs cross them (inside each image); stride 2 with 'same' padding after the image only.
        for (const [xShape, size, filters, stride] of [
          [[9, 12, 12, 16], 3, 32, 2],
          [[9, 7, 5, 16], 5, 32, 1],
          [[8, 10, 9, 32], 3, 16, 1],
        ] as const) {
          const x = nr.randu([...xShape], { low: -1, high: 1 });
          const w = nr.randu([size, size, xShape[3], filters], { low: -1, high: 1 });
          const bias = nr.randu([filters], { low: -1, high: 1 });
          const options = { padding: 'same', strides: stride, bias, activation: 'relu' } as const;
          const batch = nr.conv2d(x, w, options);
          const one = (i: number) => nr.conv2d(nr.slice(x, [i, 0, 0, 0], [1, ...xShape.slice(1)]), w, options);
          const alone = nr.concat(
            Array.from({ length: xShape[0] }, (_, i) => one(i)),
            0,
          );
          assert.deepEqual(bits(batch), bits(alone), `conv2d x ${xShape}, ${threads} threads`);
          if (stride !== 1) continue;
          // The stride-1 input gradient runs as a direct convolution of dy, padded the same way.
          const dy = nr.randu([...batch.shape], { low: -1, high: 1 });
          const dx = (xs: nr.Tensor, d: nr.Tensor) => nr.grad((v) => nr.conv2d(v, w, { padding: 'same' }).mul(d).sum())(xs)[0]!;
          const slices = Array.from({ length: xShape[0] }, (_, i) =>
            dx(nr.slice(x, [i, 0, 0, 0], [1, ...xShape.slice(1)]), nr.slice(dy, [i, 0, 0, 0], [1, ...batch.shape.slice(1)])),
          );
          assert.deepEqual(bits(dx(x, dy)), bits(nr.concat(slices, 0)), `conv2dBackpropInput x ${xShape}, ${threads} threads`);
        }
      }
    } finally {
      nr.setNumThreads(previous);
    }
  });
});

test('matmulBiasActivation on native rounds as its matmul, add and activation kernels do, bit for bit', skipUnbuilt, () => {
  withBackend('native', () => {
    const table = kernels();
    for (const [m, k, n] of [
      [40, 33, 70],
      [64, 50, 10],
      [300, 20, 9],
      [9, 700, 40],
    ] as const) {
      const a = nr.randu([m, k], { low: -2, high: 2 }).data() as Float32Array;
      const b = nr.randu([k, n], { low: -2, high: 2 }).data() as Float32Array;
      const bias = nr.randu([n], { low: -2, high: 2 }).data() as Float32Array;
      const args = { batch: 1, m, n, k, transA: false, transB: false, aBatchStride: 0, bBatchStride: 0 };
      const product = new Float32Array(m * n);
      table.matmul(a, b, product, args);
      for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as const) {
        for (const withBias of [true, false]) {
          // m * n >= 256: the separate kernels run natively too (below that the wrapper uses js).
          const separate = new Float32Array(m * n);
          if (withBias) table.binary('add', product, [m, n], bias, [n], separate, [m, n]);
          else separate.set(product);
          if (activation !== 'linear') table.unary(activation, separate.slice(), separate, 0);
          const fused = new Float32Array(m * n);
          table.matmulBiasActivation(a, b, withBias ? bias : null, fused, args, activation);
          assert.deepEqual(
            new Uint32Array(fused.buffer),
            new Uint32Array(separate.buffer),
            `${m}x${k}x${n} ${activation} bias=${withBias}`,
          );
        }
      }
    }
  });
});

test('conv2dBiasActivation on native rounds as its conv2d, add and activation kernels do, bit for bit', skipUnbuilt, () => {
  withBackend('native', () => {
    const table = kernels();
    // [x shape, kernel, filters, padding, stride]: the direct first-layer path (1 and 3 channels), the
    // im2col + GEMM path with a wide and a narrow (transposed) product, a pointwise conv without
    // im2col, and one below the size where the separate elementwise kernels run natively.
    const cases = [
      [[2, 20, 21, 1], 5, 16, 'valid', 1],
      [[2, 18, 17, 3], 3, 32, 'same', 1],
      [[3, 9, 11, 20], 3, 40, 'same', 1],
      [[2, 13, 12, 19], 3, 7, 'same', 2],
      [[2, 8, 9, 5], 1, 33, 'valid', 1],
      [[1, 4, 4, 3], 3, 3, 'valid', 1],
    ] as const;
    for (const [xShape, size, filters, padding, stride] of cases) {
      const x = nr.randu([...xShape], { low: -1, high: 1 });
      const w = nr.randu([size, size, xShape[3], filters], { low: -1, high: 1 });
      const bias = nr.randu([filters], { low: -1, high: 1 }).data() as Float32Array;
      const convolved = nr.conv2d(x, w, { padding, strides: stride });
      const g = geometryOf(x.shape, w.shape, convolved.shape, padding, stride);
      const n = convolved.size;
      for (const activation of ['linear', 'relu', 'sigmoid', 'tanh'] as const) {
        for (const withBias of [true, false]) {
          const separate = new Float32Array(n);
          if (withBias) table.binary('add', convolved.data(), convolved.shape, bias, [filters], separate, convolved.shape);
          else separate.set(convolved.data());
          if (activation !== 'linear') table.unary(activation, separate.slice(), separate, 0);
          const fused = new Float32Array(n);
          table.conv2dBiasActivation(x.data() as Float32Array, w.data() as Float32Array, withBias ? bias : null, fused, g, activation);
          assert.deepEqual(
            new Uint32Array(fused.buffer),
            new Uint32Array(separate.buffer),
            `${xShape} ${size}x${size}x${filters} ${activation} bias=${withBias}`,
          );
        }
      }
    }
  });
});

/** The kernel geometry of a conv2d whose output shape is known (TensorFlow's leading padding). */
function geometryOf(
  xShape: readonly number[],
  wShape: readonly number[],
  outShape: readonly number[],
  padding: 'valid' | 'same',
  stride: number,
) {
  const before = (inSize: number, outSize: number, kernel: number) =>
    padding === 'valid' ? 0 : Math.floor(Math.max((outSize - 1) * stride + kernel - inSize, 0) / 2);
  return {
    batch: xShape[0]!,
    inHeight: xShape[1]!,
    inWidth: xShape[2]!,
    inChannels: xShape[3]!,
    outHeight: outShape[1]!,
    outWidth: outShape[2]!,
    outChannels: wShape[3]!,
    filterHeight: wShape[0]!,
    filterWidth: wShape[1]!,
    strideHeight: stride,
    strideWidth: stride,
    dilationHeight: 1,
    dilationWidth: 1,
    padTop: before(xShape[1]!, outShape[1]!, wShape[0]!),
    padLeft: before(xShape[2]!, outShape[2]!, wShape[1]!),
  };
}

test('applyUpdate on native equals the js kernel bit for bit for every rule and option', skipUnbuilt, () => {
  // The native loops compute in float64 with the js kernel's terms in its order, and without fused
  // multiply-adds; any reordering or contraction would change some of these 3 x 10,007 values.
  const n = 10007;
  const base = {
    learningRate: 0.01,
    momentum: 0,
    nesterov: false,
    beta1: 0.9,
    beta2: 0.999,
    rho: 0.9,
    epsilon: 1e-7,
    amsgrad: false,
    centered: false,
  };
  const cases: [UpdateRule, Partial<UpdateParams>, number][] = [
    ['sgd', {}, 0],
    ['sgd', { momentum: 0.9 }, 1],
    ['sgd', { momentum: 0.9, nesterov: true }, 1],
    ['adam', {}, 2],
    ['adam', { amsgrad: true }, 3],
    ['rmsprop', {}, 1],
    ['rmsprop', { momentum: 0.5 }, 2],
    ['rmsprop', { centered: true }, 2],
    ['rmsprop', { momentum: 0.5, centered: true }, 3],
    ['adagrad', {}, 1],
    ['adadelta', { learningRate: 1, rho: 0.95 }, 2],
  ];
  let seed = 12345;
  const values = (scale: number, positive = false) =>
    Float32Array.from({ length: n }, () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      const v = ((seed / 2147483648) * 2 - 1) * scale;
      return positive ? Math.abs(v) : v;
    });
  for (const [rule, options, slotCount] of cases) {
    const w = values(1);
    const slots = Array.from({ length: slotCount }, () => values(0.1, rule !== 'sgd'));
    const grads = [values(3), values(3), values(3)];
    const run = (backend: string) =>
      withBackend(backend, () => {
        const state = [w.slice(), ...slots.map((s) => s.slice())];
        for (const g of grads) kernels().applyUpdate(rule, state[0]!, g, state.slice(1), { ...base, ...options });
        return state;
      });
    assert.deepEqual(run('native'), run('js'), `${rule} ${JSON.stringify(options)}`);
  }
});

// The other instruction-set paths on the training kernels' conformance cases (this machine's best
// path runs them in the test above): conv_impl.h and the rest are compiled once per ISA, and so are
// the GEMM's epilogue (fused) and its splits over threads.
for (const isa of ['portable', 'avx2']) {
  test(
    `the ${isa} training kernels pass the conv, pool, norm, layer-norm, group-norm, optimizer, fused and threads conformance cases`,
    skipUnbuilt,
    () => {
      const files = ['conv', 'pool', 'norm', 'layer-norm', 'group-norm', 'optimizer', 'fused', 'threads'].map(
        (f) => `test/conformance/${f}.test.ts`,
      );
      const { NODE_TEST_CONTEXT: _context, ...env } = process.env;
      const child = spawnSync(process.execPath, ['--test', '--test-reporter=tap', ...TS_NODE, ...files], {
        cwd: root,
        encoding: 'utf8',
        env: { ...env, NEURONA_ISA: isa, NEURONA_NATIVE_MIN_ELEMENTS: '0', NEURONA_QUIET: '1', NEURONA_TEST_BACKENDS: 'js,native' },
      });
      const failed = child.stdout.split('\n').filter((l) => l.startsWith('not ok'));
      assert.deepEqual(failed, [], child.stdout.slice(-4000));
      assert.equal(child.status, 0, child.stderr.slice(-2000));
    },
  );
}

test('the attention kernels reject short arrays and inconsistent mask views, naming the kernel', skipUnbuilt, () => {
  const info = nativeInfo();
  const addon = createRequire(import.meta.url)(info.available ? info.path : '') as Record<string, (...args: unknown[]) => void>;
  const f = (n: number) => new Float32Array(n);
  // 2 matrices of 3 x 4 scores, a mask of 1 matrix with one row shared by both.
  addon.attentionSoftmax!(f(24), f(4), f(24), 2, 3, 4, 0.5, true, 1, 1, 2, false);
  addon.attentionSoftmax!(f(24), null, f(24), 2, 3, 4, 0.5, false, 0, 1, 1, true);
  assert.throws(
    () => addon.attentionSoftmax!(f(23), null, f(24), 2, 3, 4, 0.5, false, 0, 1, 1, false),
    (e: Error) => e instanceof RangeError && /attentionSoftmax: scores has 23 elements but the shape needs 24/.test(e.message),
  );
  assert.throws(
    () => addon.attentionSoftmax!(f(24), f(8), f(24), 2, 3, 4, 0.5, false, 2, 3, 1, false),
    (e: Error) => e instanceof RangeError && /attentionSoftmax: mask has 8 elements but the shape needs 24/.test(e.message),
  );
  assert.throws(
    () => addon.attentionSoftmax!(f(24), f(24), f(24), 2, 3, 4, 0.5, false, 2, 2, 1, false),
    (e: Error) => e instanceof RangeError && /attentionSoftmax: the mask needs .* mask_rows of 1 or rows/.test(e.message),
  );
  assert.throws(
    () => addon.attentionSoftmax!(f(24), f(24), f(24), 2, 3, 4, 0.5, false, 2, 3, 0, false),
    (e: Error) => e instanceof RangeError && /attentionSoftmax: the mask needs mask_batch and mask_repeat >= 1/.test(e.message),
  );
  assert.throws(
    () => addon.attentionSoftmaxBackward!(f(12), f(11), f(12), 3, 4, 1),
    (e: Error) => e instanceof RangeError && /attentionSoftmaxBackward: dProbs has 11 elements but the shape needs 12/.test(e.message),
  );
});
