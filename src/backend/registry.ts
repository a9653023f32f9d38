import { configError, notice, pooledBufferBytes, show } from '../core/index.js';
import { jsBackend, jsKernels } from './js/index.js';
import { KERNEL_NAMES, type Backend, type KernelName, type Kernels } from './kernels.js';
import { loadNativeBackend } from './native/index.js';
import { loadWebgpuBackend, webgpuMemory } from './webgpu/index.js';

/*
 * Backend selection. The active backend's kernels are merged over `js` once, when the backend is
 * chosen, so an op's kernel lookup is a property read and a missing kernel falls back per kernel.
 */

const registered = new Map<string, Backend>([['js', jsBackend]]);
let nativeTried = false;
let nativeFailure = '';
let active: Backend | null = null;
let table: Kernels = jsKernels;
let numThreads = defaultThreads();

function defaultThreads(): number {
  const env = typeof process !== 'undefined' ? process.env.NEURONA_NUM_THREADS : undefined;
  const fromEnv = env ? Number(env) : NaN;
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
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
    return active!;
  }
  const native = tryNative();
  if (native) activate(native);
  else {
    // Outside Node (a browser, a worker) native never applies: there js is the backend, not a fallback.
    const node = (globalThis as { process?: { versions?: { node?: string } } }).process?.versions?.node;
    if (node) notice(`native backend unavailable (${nativeFailure}); using the js backend`);
    activate(jsBackend);
  }
  return active!;
}

/** The kernel table of the active backend (with `js` filling any gap). */
export function kernels(): Kernels {
  if (!active) ensureActive();
  return table;
}

/**
 * Chooses the backend by name: `'js'` (pure TypeScript, everywhere), `'native'` (the C++ addon) or
 * `'webgpu'` (WGSL kernels on a GPU through the optional `webgpu` package; Node.js, see docs/backends.md).
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
  // webgpu starts a device worker: only when asked for by name, never chosen by default.
  if (name === 'webgpu' && !registered.has(name)) registered.set(name, loadWebgpuBackend());
  const backend = registered.get(name);
  if (!backend) {
    const available = [...new Set([...registered.keys(), 'native', 'webgpu'])].join(', ');
    throw configError('setBackend', { expected: `unknown backend ${show(name)}`, hint: `available backends are ${available}` });
  }
  activate(backend);
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

/** The names of the backends that can be selected here (`native` only when its addon loads). */
export function availableBackends(): string[] {
  tryNative();
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
