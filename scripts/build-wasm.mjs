#!/usr/bin/env node
/*
 * Builds the wasm backend: native/kernels/ (the sources of the native addon) with native/wasm_api.cc
 * and the addon's glue (addon_arrays.cc, addon_images.cc) compiled for wasm32 with SIMD128, linked twice:
 * assets/neurona.wasm, single-threaded with its own memory, and assets/neurona-threads.wasm, which
 * imports a shared memory that JavaScript workers run parts of its jobs on (thread_pool_wasm.cc). The
 * files are committed, so a clone or an install without clang still has them;
 * test/backend/wasm-build.test.ts rebuilds them and fails when the bytes differ from the committed ones.
 *
 * Needs Debian's clang, lld, wasi-libc, libclang-rt-dev-wasm32 and libc++-dev-wasm32 (clang 14 or
 * later; `NEURONA_WASM_CXX` names another clang++). Reproducible: fixed flags and file order, no debug
 * information, source paths mapped to `.`, the name section stripped.
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
const VARIANTS = [
  { file: 'neurona.wasm', compile: [], link: [] },
  {
    file: 'neurona-threads.wasm',
    compile: ['-matomics', '-mbulk-memory'],
    link: [
      '-Wl,--shared-memory',
      '-Wl,--import-memory',
      `-Wl,--initial-memory=${INITIAL_MEMORY}`,
      '-Wl,--export=__stack_pointer',
      '-Wl,--no-check-features',
    ],
  },
];

/** A tiny program that needs what the build needs: clang's wasm32 target, wasm-ld, wasi-libc and libc++. */
const PROBE = '#include <vector>\nextern "C" __attribute__((export_name("f"))) int f(int n) { return std::vector<int>(n).size(); }\n';

function findClang() {
  const names = process.env.NEURONA_WASM_CXX ? [process.env.NEURONA_WASM_CXX] : ['clang++', 'clang++-14', 'clang++-16', 'clang++-19'];
  const work = mkdtempSync(join(tmpdir(), 'neurona-wasm-probe-'));
  try {
    for (const name of names) {
      const args = [...COMPILE, ...LINK, '-x', 'c++', '-', '-o', join(work, 'probe.wasm')];
      const probe = spawnSync(name, args, { input: PROBE, encoding: 'utf8' });
      if (!probe.error && probe.status === 0) return name;
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
    console.error(
      'build-wasm: no clang++ that targets wasm32-wasi; apt-get install clang lld wasi-libc libclang-rt-dev-wasm32 libc++-dev-wasm32',
    );
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
