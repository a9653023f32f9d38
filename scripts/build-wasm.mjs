#!/usr/bin/env node
/*
 * Builds the wasm backend: native/kernels/ (the sources of the native addon) with native/wasm_api.cc
 * and the addon's glue (addon_arrays.cc, addon_images.cc) compiled for wasm32 with SIMD128, linked twice:
 * assets/neurona.wasm, single-threaded with its own memory, and assets/neurona-threads.wasm, which
 * imports a shared memory that JavaScript workers run parts of its jobs on (thread_pool_wasm.cc). The
 * files are committed, so a clone or an install without clang still has them;
 * test/backend/wasm-build.test.ts rebuilds them and fails when the bytes differ from the committed ones.
 *
 * Needs clang 16 (Debian's clang-16, lld-16, wasi-libc, libclang-rt-16-dev-wasm32, libc++-16-dev-wasm32 and
 * libc++abi-16-dev-wasm32): clang 14 writes relaxed SIMD with the opcodes of the proposal's draft, which
 * engines refuse, and the committed bytes are clang 16's (`NEURONA_WASM_CXX` names another clang++ 16).
 * Reproducible: fixed flags and file order, no debug information, source paths mapped to `.`, the name
 * section stripped.
 *
 *   node scripts/build-wasm.mjs [--out-dir dir] [-DNAME=value ...]
 *   node scripts/build-wasm.mjs --probe    prints the clang++ it would use, or exits 1 when there is none
 *
 * -D defines are for measuring alternatives (the GEMM tile: -DNEURONA_WASM_MR=6); the committed file
 * is built without them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const outIndex = argv.indexOf('--out-dir');
const outDir = outIndex >= 0 ? argv[outIndex + 1] : join(root, 'assets');
const defines = argv.filter((a) => a.startsWith('-D'));

/** In link order; the native build's files, less the N-API module (addon.cc) and std::thread's pool. */
const WASM_SOURCES = [
  'native/wasm_api.cc',
  'native/wasm_alloc_guard.cc',
  'native/addon_arrays.cc',
  'native/addon_images.cc',
  'native/kernels/dispatch.cc',
  'native/kernels/isa_wasm.cc',
  'native/kernels/layout.cc',
  'native/kernels/thread_pool_wasm.cc',
];

/** The most memory the module may grow to: 4 GiB, all that wasm32 addresses. */
const MAX_MEMORY = 4 * 1024 * 1024 * 1024;

/** -fno-math-errno and -fno-trapping-math as in native/binding.gyp (they change no result). */
const COMPILE = [
  '--target=wasm32-wasi',
  '--sysroot=/usr',
  // Debian's clang 16 does not find libc++'s wasm32 headers by itself (it looks for a v1 folder under
  // /usr/include/c++, which holds GCC's).
  '-isystem/usr/include/wasm32-wasi/c++/v1',
  '-std=c++17',
  '-O3',
  '-msimd128',
  '-fno-math-errno',
  '-fno-trapping-math',
  '-fno-exceptions',
  '-fvisibility=hidden',
  '-g0',
  `-ffile-prefix-map=${root}=.`,
];
const LINK = [
  '--target=wasm32-wasi',
  '--sysroot=/usr',
  '-mexec-model=reactor',
  '-Wl,--strip-all',
  '-Wl,--gc-sections',
  `-Wl,--max-memory=${MAX_MEMORY}`,
  // The allocation guard (native/wasm_alloc_guard.cc) sees every allocation of the C and C++ libraries.
  ...['malloc', 'calloc', 'realloc', 'aligned_alloc', 'posix_memalign', 'free'].map((name) => `-Wl,--wrap=${name}`),
];

/** The memory the threaded module starts with, which JavaScript creates (src/backend/wasm/threads.ts). */
const INITIAL_MEMORY = 16 * 1024 * 1024;

/**
 * The threaded module: atomics for the pool, a shared memory imported from JavaScript, and the stack
 * pointer exported so that each worker's instance can be given its own stack. Debian's wasi-libc and
 * libc++ are built without atomics, which wasm-ld's feature check refuses with shared memory; they are
 * safe here because only the calling thread ever enters them (malloc, strings for error messages):
 * workers run kernel parts, which allocate nothing.
 */
const THREADS = {
  compile: ['-matomics', '-mbulk-memory'],
  link: [
    '-Wl,--shared-memory',
    '-Wl,--import-memory',
    `-Wl,--initial-memory=${INITIAL_MEMORY}`,
    '-Wl,--export=__stack_pointer',
    '-Wl,--no-check-features',
  ],
};
/**
 * Each module twice: with SIMD128 alone, which every engine with wasm SIMD runs, and with relaxed SIMD,
 * whose fused multiply-add the GEMM micro-kernel uses (native/kernels/isa_wasm.cc); the
 * backend loads the relaxed pair where the engine validates it (src/backend/wasm/index.ts).
 */
const VARIANTS = [
  { file: 'neurona.wasm', compile: [], link: [] },
  { file: 'neurona-threads.wasm', ...THREADS },
  { file: 'neurona-relaxed.wasm', compile: ['-mrelaxed-simd'], link: [] },
  { file: 'neurona-relaxed-threads.wasm', compile: ['-mrelaxed-simd', ...THREADS.compile], link: THREADS.link },
];

/** Debian's packages of the toolchain (printed when it is missing; .ci/run installs them). */
const APT_PACKAGES = 'clang-16 lld-16 wasi-libc libclang-rt-16-dev-wasm32 libc++-16-dev-wasm32 libc++abi-16-dev-wasm32';

/** A tiny program that needs what the build needs: clang 16's wasm32 target, wasm-ld, wasi-libc, libc++ and relaxed SIMD. */
const PROBE = [
  '#include <vector>',
  '#include <wasm_simd128.h>',
  '#if __clang_major__ != 16',
  '#error "the committed modules are built by clang 16"',
  '#endif',
  'extern "C" __attribute__((export_name("f"))) float f(int n) {',
  '  v128_t x = wasm_f32x4_splat(float(std::vector<int>(n).size()));',
  '  return wasm_f32x4_extract_lane(__builtin_wasm_relaxed_madd_f32x4(x, x, x), 0);',
  '}',
  '',
].join('\n');

function findClang() {
  const names = process.env.NEURONA_WASM_CXX ? [process.env.NEURONA_WASM_CXX] : ['clang++-16', 'clang++'];
  const work = mkdtempSync(join(tmpdir(), 'neurona-wasm-probe-'));
  try {
    for (const name of names) {
      // Compiled and linked apart, as the build does: clang given -O at the link runs binaryen's wasm-opt
      // when one is on PATH, and an old one refuses relaxed SIMD.
      const object = join(work, 'probe.o');
      const compile = spawnSync(name, [...COMPILE, '-mrelaxed-simd', '-x', 'c++', '-c', '-', '-o', object], {
        input: PROBE,
        encoding: 'utf8',
      });
      if (compile.error || compile.status !== 0) continue;
      const link = spawnSync(name, [...LINK, object, '-o', join(work, 'probe.wasm')], { encoding: 'utf8' });
      if (!link.error && link.status === 0) return name;
    }
    return null;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

function run(command, args) {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${command} ${args.join(' ')} exited with ${code}`))));
  });
}

async function main() {
  const clang = findClang();
  if (argv.includes('--probe')) {
    if (clang) console.log(clang);
    process.exit(clang ? 0 : 1);
  }
  if (!clang) {
    console.error(`build-wasm: no clang++ 16 that targets wasm32-wasi; apt-get install ${APT_PACKAGES}`);
    process.exit(1);
  }
  const work = mkdtempSync(join(tmpdir(), 'neurona-wasm-'));
  try {
    // Two compilers at a time: the GEMM unit takes most of the time and the machines have few cores.
    const jobs = [];
    for (const [v, variant] of VARIANTS.entries()) {
      const objects = WASM_SOURCES.map((_, i) => join(work, `${v}-${i}.o`));
      for (const [i, source] of WASM_SOURCES.entries()) {
        jobs.push(() => run(clang, [...COMPILE, ...variant.compile, ...defines, '-c', source, '-o', objects[i]]));
      }
      variant.objects = objects;
    }
    await Promise.all(
      [0, 1].map(async () => {
        for (let job = jobs.shift(); job; job = jobs.shift()) await job();
      }),
    );
    for (const variant of VARIANTS) {
      const linked = join(work, variant.file);
      await run(clang, [...LINK, ...variant.link, ...variant.objects, '-o', linked]);
      const out = join(outDir, variant.file);
      copyFileSync(linked, out);
      // wasm-ld marks its output executable; the module is data, and git should record it so.
      chmodSync(out, 0o644);
      console.log(`build-wasm: wrote ${relative(process.cwd(), out) || out}`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`build-wasm: ${error.message}`);
  process.exit(1);
});
