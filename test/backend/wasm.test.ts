import { test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { STRUCTS } from '../../src/backend/native/table.js';
import { wasmAddon } from '../../src/backend/wasm/index.js';
import type { Conv2DGeometry } from '../../src/backend/kernels.js';
import { availableBackends } from '../../src/backend/index.js';
import { nativeInfo } from '../../src/backend/native/index.js';
import { assert, nr, withBackend } from '../helpers.js';
import { TS_NODE } from '../ts-node.js';

/*
 * The wasm backend's own behaviour; its kernels' values are the conformance suite's (test/conformance/,
 * [wasm]) and its determinism test/backend/determinism.test.ts's.
 */

const addon = wasmAddon() as unknown as Record<string, (...args: unknown[]) => void> | null;
const skip = { skip: !addon && 'the wasm module does not load here' };
const f = (n: number) => new Float32Array(n);

function geometry(changes: Partial<Conv2DGeometry> = {}): Int32Array {
  // batch 1, 4x4x2 in, 4x4x3 out, 3x3 filter, stride 1, dilation 1, padding 1.
  const g: Conv2DGeometry = {
    ...{ batch: 1, inHeight: 4, inWidth: 4, inChannels: 2, outHeight: 4, outWidth: 4, outChannels: 3 },
    ...{ filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, dilationHeight: 1, dilationWidth: 1, padTop: 1, padLeft: 1 },
    ...changes,
  };
  return Int32Array.from(Object.keys(STRUCTS.geometry.fields) as (keyof Conv2DGeometry)[], (field) => g[field]);
}

test("the module's glue rejects wrong types, short arrays and bad geometries, naming the kernel", skip, () => {
  const wasm = addon!;
  wasm.conv2d!(f(32), f(54), f(48), geometry());
  const rejects = (call: () => void, kind: typeof TypeError | typeof RangeError, message: RegExp) =>
    assert.throws(call, (e: Error) => e instanceof kind && message.test(e.message), String(message));
  rejects(
    () => wasm.conv2d!(f(32), f(54), f(47), geometry()),
    RangeError,
    /^neurona wasm conv2d: out has 47 elements but the shape needs 48$/,
  );
  rejects(
    () => wasm.conv2dBiasActivation!(f(32), f(54), f(2), f(48), geometry(), 1),
    RangeError,
    /bias has 2 elements but the shape needs 3/,
  );
  rejects(
    () => wasm.conv2dBiasActivation!(f(32), f(54), f(3), f(48), geometry(), 4),
    TypeError,
    /activation must be an integer code below 4/,
  );
  rejects(
    () => wasm.conv2dBiasActivation!(f(32), f(54), [1, 2, 3], f(48), geometry(), 1),
    TypeError,
    /bias must be a Float32Array or null/,
  );
  rejects(
    () => wasm.conv2d!(f(32), f(54), f(48), geometry({ strideHeight: 0 })),
    RangeError,
    /conv2d: bad geometry \(sizes must be >= 0, strides and dilations >= 1\): \[1, 4, 4, 2, 4, 4, 3, 3, 3, 0,/,
  );
  rejects(() => wasm.conv2d!(f(32), f(54), f(48), Int32Array.of(1, 4, 4)), RangeError, /conv2d: geometry must have 15 fields, got 3/);
  rejects(
    () => wasm.matmul!(f(6), f(6), f(4), 1, 2, 2, 4, false, false, 0, 0),
    RangeError,
    /^neurona wasm matmul: (a|b) has 6 elements but the shape needs 8$/,
  );
  rejects(() => wasm.matmul!(f(6), f(6), f(4), 1, 2, 2, 3.5, false, false, 0, 0), TypeError, /matmul: k must be a non-negative integer/);
  rejects(() => wasm.unary!(0, f(4), f(4)), TypeError, /^neurona wasm unary: expected 4 arguments, got 3$/);
  rejects(
    () => wasm.applyUpdate!(1, f(4), f(4), [f(4)], new Float64Array(9)),
    TypeError,
    /applyUpdate: slots must be an array of at least 2 Float32Arrays for rule adam/,
  );
});

test('an array passed twice for reading is copied once and gives what two copies give; one also written is not shared', skip, () => {
  const wasm = addon!;
  const n = 1000;
  const y = Float32Array.from({ length: n }, (_, i) => Math.sin(i) * 3);
  const dy = Float32Array.from({ length: n }, (_, i) => Math.cos(i));
  const code = (wasm.unaryGradOps as unknown as string[]).indexOf('relu');
  const shared = f(n);
  wasm.unaryGrad!(code, y, y, dy, shared, 0);
  const apart = f(n);
  wasm.unaryGrad!(code, y, y.slice(), dy, apart, 0);
  assert.deepEqual(shared, apart);
  for (let i = 0; i < n; i++) assert.equal(shared[i], y[i]! > 0 ? dy[i] : 0);
  // dy as the output too: read and written, so it is not folded into y's copy and the kernel sees dy's values.
  const inPlace = dy.slice();
  wasm.unaryGrad!(code, y, y, inPlace, inPlace, 0);
  assert.deepEqual(inPlace, apart);
});

test('a product larger than the memory the module started with grows it and matches js', skip, () => {
  nr.setSeed(3);
  const a = nr.randn([700, 300]);
  const b = nr.randn([300, 900]);
  const expected = withBackend('js', () => nr.matmul(a, b)).data();
  const actual = withBackend('wasm', () => nr.matmul(a, b)).data();
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst < 1e-3, `largest difference ${worst}`);
  // A second call reuses the grown arena.
  assert.deepEqual(withBackend('wasm', () => nr.matmul(a, b)).data(), actual);
});

test('in Node ready() resolves to the backend already chosen', skip, async () => {
  assert.equal(await nr.ready(), nr.getBackend());
  assert.ok(availableBackends().includes('wasm'));
});

test('the allocation guard: a job whose parts allocate is seen at 1 and 2 threads, a kernel call that does not is not', skip, () => {
  // Kernels must reserve scratch before a parallel job: wasi-libc's malloc is not thread-safe
  // (native/wasm_alloc_guard.cc). Every conformance case on wasm runs under this guard; here it is
  // shown to fire.
  const wasm = addon!;
  for (const threads of [1, 2]) {
    wasm.setNumThreads!(threads);
    assert.equal((wasm.checkAllocationGuard as () => boolean)(), true, `${threads} thread(s)`);
    wasm.conv2d!(f(32), f(54), f(48), geometry());
  }
});

test('neurona info names the backend and why: wasm when the addon is missing, and why it has one thread', skip, () => {
  const { NEURONA_BACKEND: _b, NEURONA_QUIET: _q, NEURONA_WASM_MODULE: _m, ...env } = process.env;
  const info = (extra: Record<string, string>) =>
    spawnSync(process.execPath, [...TS_NODE, 'src/cli/main.ts', 'info'], {
      cwd: new URL('../..', import.meta.url).pathname,
      encoding: 'utf8',
      env: { ...env, NEURONA_NATIVE_ADDON: '/nonexistent/neurona.node', NEURONA_QUIET: '1', ...extra },
    });
  // The wasm line shows the threads the chosen backend runs on, set when it is chosen.
  const child = info({ NEURONA_NUM_THREADS: '3' });
  assert.equal(child.status, 0, child.stderr);
  assert.match(child.stdout, /^backend: wasm \(the native addon does not load; the wasm module does\)$/m);
  assert.match(child.stdout, /^native: unavailable \(the native addon \/nonexistent\/neurona\.node is missing/m);
  // Node 20's V8 has relaxed SIMD behind a flag the backend sets; later engines have it on.
  assert.match(child.stdout, /^wasm: relaxed SIMD \(fused multiply-add\), 3 thread\(s\) \(.*assets\/neurona-relaxed-threads\.wasm\)$/m);
  const plain = info({ NEURONA_NUM_THREADS: '3', NEURONA_WASM_RELAXED: '0' });
  assert.equal(plain.status, 0, plain.stderr);
  assert.match(plain.stdout, /^wasm: SIMD128 \(NEURONA_WASM_RELAXED=0\), 3 thread\(s\) \(.*assets\/neurona-threads\.wasm\)$/m);
  // Any other value is named, not silently taken for 0 or 1.
  const odd = info({ NEURONA_WASM_RELAXED: 'no', NEURONA_QUIET: '0' });
  assert.equal(odd.status, 0, odd.stderr);
  assert.match(odd.stderr, /NEURONA_WASM_RELAXED=no is neither 0 nor 1; ignored/);
  assert.match(odd.stdout, /^wasm: relaxed SIMD/m);
  // A folder with the single-threaded module only: wasm still loads, on one thread, and says why.
  const dir = mkdtempSync(join(tmpdir(), 'neurona-wasm-single-'));
  try {
    copyFileSync(new URL('../../assets/neurona.wasm', import.meta.url), join(dir, 'neurona.wasm'));
    const single = info({ NEURONA_WASM_MODULE: join(dir, 'neurona.wasm') });
    assert.equal(single.status, 0, single.stderr);
    const line =
      `wasm: SIMD128 (NEURONA_WASM_MODULE names the module), 1 thread(s) ` +
      `(${dir}/neurona.wasm; one thread only: ${dir}/neurona-threads.wasm is missing)`;
    assert.ok(single.stdout.split('\n').includes(line), single.stdout);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

// SIMD128 has no FMA, like the portable native path: both round each product before adding it, and
// all other kernels are the same C++; so the SIMD128 build and native portable agree bit for bit. The
// relaxed build's GEMM and convolutions are the same chains of fused multiply-adds as native AVX2's
// (docs/backends.md); its elementwise functions are not (GCC contracts native's into FMAs).
const sameBits = `
import * as nr from './src/index.ts';
nr.setNumThreads(1);
async function run(backend) {
  nr.setBackend(backend);
  nr.setSeed(5);
  const product = nr.matmul(nr.randn([67, 300]), nr.randn([300, 53])).data();
  const x = nr.randu([32, 8, 8, 3]);
  const y = x.mean([1, 2, 3]).greater(0.5).cast('int32');
  const model = new nr.Sequential([
    nr.Input({ shape: [8, 8, 3] }),
    new nr.layers.Conv2D({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu' }),
    new nr.layers.BatchNormalization(),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 32, activation: 'tanh' }),
    new nr.layers.Dense({ units: 2, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy' });
  await model.fit(x, y, { epochs: 2, batchSize: 16, verbose: 0 });
  return [product, ...model.getWeights().map((w) => w.data())].map((a) => Array.from(a));
}
function products(backend) {
  nr.setBackend(backend);
  nr.setSeed(3);
  const x = nr.randn([4, 12, 12, 8]);
  const outs = [nr.matmul(nr.randn([67, 300]), nr.randn([300, 53])), nr.conv2d(x, nr.randn([3, 3, 8, 16]), { padding: 'same' }),
    nr.conv2d(x, nr.randn([3, 3, 8, 4]), { strides: 2 })];
  return outs.map((a) => Array.from(a.data()));
}
const same = async (f) => (JSON.stringify(await f('wasm')) === JSON.stringify(await f('native')) ? 'same' : 'different');
console.log(await same(process.env.NEURONA_ISA === 'portable' ? run : products));
`;

test('wasm and native with NEURONA_ISA=portable give identical bits: a GEMM and a CNN training', {
  skip: (!addon || !availableBackends().includes('native')) && 'needs both the wasm module and the native addon',
}, () => {
  const child = spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', sameBits], {
    cwd: new URL('../..', import.meta.url).pathname,
    encoding: 'utf8',
    env: { ...process.env, NEURONA_ISA: 'portable', NEURONA_WASM_RELAXED: '0', NEURONA_QUIET: '1' },
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'same');
});

const native = nativeInfo();
const fma = native.available && /^avx/.test(native.isa);
test('the relaxed-SIMD build and native AVX2 give identical bits on a GEMM and on direct and GEMM-path convolutions', {
  skip: (!addon || !fma) && 'needs the wasm module and the native addon on a CPU with FMA',
}, () => {
  // The 3x3 same convolution over 8 channels is one AVX2 could run as Winograd (docs/backends.md),
  // which wasm does not: NEURONA_WINOGRAD=0 keeps native on its direct path.
  const child = spawnSync(process.execPath, [...TS_NODE, '--input-type=module', '-e', sameBits], {
    cwd: new URL('../..', import.meta.url).pathname,
    encoding: 'utf8',
    env: { ...process.env, NEURONA_QUIET: '1', NEURONA_WINOGRAD: '0' },
  });
  assert.equal(child.status, 0, child.stderr);
  assert.equal(child.stdout.trim(), 'same');
});
