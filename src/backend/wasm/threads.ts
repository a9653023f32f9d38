/*
 * The workers of the threaded wasm module (assets/neurona-threads.wasm, native/kernels/thread_pool_wasm.cc):
 * each is a JavaScript worker (Node's worker_threads, or a browser's Web Worker) holding its own instance
 * of the module on the shared memory, with its own stack, that calls neurona_worker() once and stays in
 * it, running parts of the jobs the calling thread posts. Workers start asynchronously; until one runs,
 * the caller runs its parts, so results never depend on when they start.
 */

/** What a worker needs: the compiled module, the shared memory and the top of its stack. */
interface WorkerData {
  module: unknown;
  memory: unknown;
  stackTop: number;
}

/** The code each worker runs, in Node (workerData) and in browsers (its first message) alike. */
const WORKER_SOURCE = `
const start = ({ module, memory, stackTop }) => {
  const stub = () => 8;
  const imports = { env: { memory }, wasi_snapshot_preview1: { fd_close: stub, fd_seek: stub, fd_write: stub } };
  const instance = new WebAssembly.Instance(module, imports);
  instance.exports.__stack_pointer.value = stackTop;
  instance.exports.neurona_worker();
};
if (typeof require === 'function') start(require('node:worker_threads').workerData);
else self.onmessage = (event) => start(event.data);
`;

/** Each worker's stack; the kernels keep only small tiles and indices there. */
const STACK_BYTES = 256 * 1024;

type Spawn = (data: WorkerData) => void;

interface NodeWorker {
  unref(): void;
}

/**
 * How workers are started here, or why they cannot be: Node's worker_threads, or Web Workers with
 * SharedArrayBuffer, which browsers give only to cross-origin-isolated pages.
 */
export function workerSupport(): { spawn: Spawn } | { reason: string } {
  const g = globalThis as {
    process?: { versions?: { node?: string }; getBuiltinModule?: (id: string) => unknown };
    crossOriginIsolated?: boolean;
    SharedArrayBuffer?: unknown;
    Worker?: new (url: string) => { postMessage(data: unknown): void };
    Blob?: new (parts: string[], options: { type: string }) => unknown;
    URL: { createObjectURL?(blob: unknown): string };
  };
  if (g.SharedArrayBuffer === undefined) {
    return { reason: 'this page is not cross-origin isolated, so it has no SharedArrayBuffer (serve it with COOP and COEP headers)' };
  }
  if (g.process?.versions?.node) {
    const threads = g.process.getBuiltinModule?.('node:worker_threads') as
      | { Worker: new (code: string, options: { eval: true; workerData: WorkerData }) => NodeWorker }
      | undefined;
    if (!threads) return { reason: `Node.js ${g.process.versions.node} lacks process.getBuiltinModule (Node.js 20.16+)` };
    // unref: idle workers sleep in memory.atomic.wait32 for good and must not keep the process alive.
    return { spawn: (workerData) => new threads.Worker(WORKER_SOURCE, { eval: true, workerData }).unref() };
  }
  if (g.crossOriginIsolated === false) return { reason: 'this page is not cross-origin isolated (serve it with COOP and COEP headers)' };
  if (!g.Worker || !g.Blob || !g.URL.createObjectURL) return { reason: 'this JavaScript environment has no Web Workers' };
  const url = g.URL.createObjectURL(new g.Blob([WORKER_SOURCE], { type: 'text/javascript' }));
  const WorkerClass = g.Worker;
  return { spawn: (data) => new WorkerClass(url).postMessage(data) };
}

/** Starts workers on one module instance's memory until there are `count`; returns how many run. */
export function workerPool(spawn: Spawn, module: unknown, memory: unknown, malloc: (bytes: number) => number) {
  let started = 0;
  return (count: number): number => {
    for (; started < count; started++) {
      const base = malloc(STACK_BYTES);
      if (!base) break;
      // The stack grows down from its top, which wasm's C ABI keeps 16-byte aligned.
      spawn({ module, memory, stackTop: (base + STACK_BYTES) & ~15 });
    }
    return started;
  };
}
