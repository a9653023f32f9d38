import { configError, envInteger, notice, pooledBufferBytes, show } from '../core/index.js';
import { jsBackend, jsKernels } from './js/index.js';
import { KERNEL_NAMES, type Backend, type KernelName, type Kernels } from './kernels.js';
import { loadNativeBackend } from './native/index.js';
import { loadWasmBackend, loadWasmBackendAsync } from './wasm/index.js';
import { loadWebgpuBackend, loadWebgpuBackendAsync, webgpuMemory } from './webgpu/index.js';

/*
 * Backend selection. The active backend's kernels are merged over `js` once, when the backend is
 * chosen, so an op's kernel lookup is a property read and a missing kernel falls back per kernel.
 */

const registered = new Map<string, Backend>([['js', jsBackend]]);
let nativeTried = false;
let nativeFailure = '';
let wasmFailure = '';
let active: Backend | null = null;
/** Whether the active backend was chosen by default (ready() may then move it to wasm) or by name. */
let chosenByDefault = false;
/** Why the active backend is the one it is, for `neurona info`. */
let why = '';
let table: Kernels = jsKernels;
let numThreads = defaultThreads();

function defaultThreads(): number {
  const fromEnv = envInteger('NEURONA_NUM_THREADS', 1, 'one thread per core');
  if (fromEnv !== undefined) return fromEnv;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  // Node 20 has no navigator; its os module knows the cores (reached without a top-level import,
  // which the browser entry could not resolve).
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const os = proc?.getBuiltinModule?.('node:os') as { availableParallelism?: () => number } | undefined;
  return os?.availableParallelism?.() ?? 1;
}

function tryNative(): Backend | null {
  if (!nativeTried) {
    nativeTried = true;
    const loaded = loadNativeBackend();
    if (loaded.ok) registered.set('native', loaded.backend);
    else nativeFailure = loaded.reason;
  }
  return registered.get('native') ?? null;
}

function tryWasm(): Backend | null {
  if (!registered.has('wasm')) {
    const loaded = loadWasmBackend();
    if (loaded.ok) registered.set('wasm', loaded.backend);
    else wasmFailure = loaded.reason;
  }
  return registered.get('wasm') ?? null;
}

function activate(backend: Backend): void {
  if (active !== backend) active?.activate?.(false);
  active = backend;
  backend.activate?.(true);
  const merged = { ...jsKernels };
  for (const name of KERNEL_NAMES) {
    const kernel = backend.kernels[name];
    if (kernel) (merged as Record<KernelName, unknown>)[name] = kernel;
  }
  table = merged;
  backend.setNumThreads?.(numThreads);
}

function ensureActive(): Backend {
  if (active) return active;
  const requested = typeof process !== 'undefined' ? process.env.NEURONA_BACKEND : undefined;
  if (requested) {
    setBackend(requested);
    why = `NEURONA_BACKEND=${requested}`;
    return active!;
  }
  const native = tryNative();
  // Outside Node (a browser, a worker) native never applies: there it is not a fallback worth a notice.
  const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
  const wasm = native ? null : tryWasm();
  const noWasm = wasm ? '' : `; wasm backend unavailable (${wasmFailure})`;
  if (node && !native) notice(`native backend unavailable (${nativeFailure})${noWasm}; using the ${wasm ? 'wasm' : 'js'} backend`);
  activate(native ?? wasm ?? jsBackend);
  chosenByDefault = true;
  why = native ? 'the native addon loads' : wasm ? 'the native addon does not load; the wasm module does' : 'neither native nor wasm loads';
  return active!;
}

/** The kernel table of the active backend (with `js` filling any gap). */
export function kernels(): Kernels {
  if (!active) ensureActive();
  return table;
}

/**
 * Chooses the backend by name: `'js'` (pure TypeScript, everywhere), `'native'` (the C++ addon) or
 * `'wasm'` (the same C++ kernels compiled to WebAssembly) or `'webgpu'` (WGSL kernels on a GPU through the
 * optional `webgpu` package; Node.js, see docs/backends.md).
 * The `NEURONA_BACKEND` environment variable does the same at start-up.
 *
 * ```ts
 * nr.setBackend('js');
 * nr.getBackend(); // 'js'
 * ```
 */
export function setBackend(name: string): void {
  if (name === 'native' && !tryNative()) {
    throw configError('setBackend', { expected: `the 'native' backend is unavailable: ${nativeFailure}`, hint: "use setBackend('js')" });
  }
  if (name === 'wasm' && !tryWasm()) {
    throw configError('setBackend', { expected: `the 'wasm' backend is unavailable: ${wasmFailure}`, hint: "use setBackend('js')" });
  }
  // webgpu starts a device worker: only when asked for by name, never chosen by default.
  if (name === 'webgpu' && !registered.has(name)) registered.set(name, loadWebgpuBackend());
  const backend = registered.get(name);
  if (!backend) {
    const available = [...new Set(['js', 'native', 'wasm', 'webgpu', ...registered.keys()])].join(', ');
    throw configError('setBackend', { expected: `unknown backend ${show(name)}`, hint: `available backends are ${available}` });
  }
  activate(backend);
  chosenByDefault = false;
  why = 'chosen with setBackend';
}

/**
 * Resolves once the best backend here is loaded. Node loads every backend synchronously, so there it
 * changes nothing; a browser must fetch and compile the wasm module asynchronously, and until this
 * resolves runs on `js`. Unless a backend was chosen by name, the result is the active backend.
 * `wasmUrl` says where `neurona.wasm` is served when a bundler has moved neurona's files away from
 * its `assets/` folder (`neurona-threads.wasm` and the relaxed-SIMD builds beside it). `webgpu: true` starts the webgpu backend
 * without blocking and makes it active: in a browser that is the way to start it, inside a Web Worker.
 *
 * ```ts
 * console.log(await nr.ready()); // 'native', 'wasm' or 'js'
 * ```
 */
export async function ready(options: { wasmUrl?: string | URL; webgpu?: boolean } = {}): Promise<string> {
  if (options.webgpu) {
    // Asked for by name: started without blocking (in a browser's Web Worker it must be), then active.
    if (!registered.has('webgpu')) registered.set('webgpu', await loadWebgpuBackendAsync());
    setBackend('webgpu');
    return getBackend();
  }
  if (!tryNative() && !registered.has('wasm')) {
    const loaded = await loadWasmBackendAsync(options.wasmUrl);
    if (loaded.ok) {
      registered.set('wasm', loaded.backend);
      if (!active || chosenByDefault) {
        activate(loaded.backend);
        chosenByDefault = true;
        why = 'the wasm module was fetched and compiled by ready()';
      }
    } else {
      wasmFailure = loaded.reason;
    }
  }
  return getBackend();
}

/** Why the active backend was chosen: by name, by NEURONA_BACKEND, or which backends load here. */
export function backendReason(): string {
  ensureActive();
  return why;
}

/** The name of the active backend. */
export function getBackend(): string {
  return ensureActive().name;
}

/** Adds a backend under its name (used by the native binding and by tests of the fallback). */
export function registerBackend(backend: Backend): void {
  registered.set(backend.name, backend);
}

/** Which backend provides a given kernel right now. */
export function kernelProvider(name: KernelName): string {
  const backend = ensureActive();
  return backend.kernels[name] ? backend.name : 'js';
}

/** The names of the backends that can be selected here (`native` when its addon loads, `wasm` when its module does). */
export function availableBackends(): string[] {
  tryNative();
  tryWasm();
  return [...registered.keys()];
}

/**
 * Sets the number of threads of backends with a thread pool (default: the number of cores, or the
 * `NEURONA_NUM_THREADS` environment variable). The js backend always runs on one thread.
 */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw configError('setNumThreads', { expected: 'expected a positive integer', got: show(n) });
  }
  numThreads = n;
  active?.setNumThreads?.(n);
}

export function getNumThreads(): number {
  return numThreads;
}

/** What `nr.memory()` reports. */
export interface MemoryInfo {
  /** The active backend. */
  backend: string;
  /** GPU bytes held by arrays (`bytesInUse`) and by freed buffers kept for reuse (`bytesPooled`); null until webgpu starts. */
  webgpu: { bytesInUse: number; bytesPooled: number } | null;
  /** Host bytes the float32 buffer pool keeps between training steps. */
  hostPooledBytes: number;
}

/**
 * Memory held by neurona's allocators right now. GPU buffers are freed when the JavaScript arrays
 * holding them are garbage-collected (nothing needs disposing), so `webgpu.bytesInUse` follows the
 * live tensors.
 *
 * ```ts
 * const { backend, hostPooledBytes } = nr.memory();
 * console.log(backend, hostPooledBytes >= 0); // e.g. 'native' true
 * ```
 */
export function memory(): MemoryInfo {
  return { backend: ensureActive().name, webgpu: webgpuMemory(), hostPooledBytes: pooledBufferBytes() };
}
