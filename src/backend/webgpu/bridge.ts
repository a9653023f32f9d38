import { configError, envValue, numericsError } from '../../core/index.js';
import { openTransport, type Transport } from './transport.js';

/*
 * The main thread's side of the device worker. Kernels are synchronous, WebGPU is not: commands are
 * queued here and posted to the worker in batches without waiting; only a readback (and start-up)
 * blocks, on Atomics.wait over a shared word the worker bumps after its answer (transport.ts). Node's
 * main thread and a browser's Web Worker may block this way; a browser's main thread may not (see
 * `syncReadAllowed`), and awaits `readAsync` (tensor.dataAsync()) instead.
 *
 * Buffer ids are chosen here, and freed buffers are pooled here by size bucket, so allocation costs
 * no message and the bytes in use are known without asking the worker.
 */

export interface AdapterInfo {
  vendor: string;
  architecture: string;
  description: string;
  device: string;
}

type Command =
  | { t: 'init'; mod: string }
  | { t: 'alloc'; id: number; bytes: number }
  | { t: 'destroy'; id: number }
  | { t: 'write'; id: number; data: ArrayBuffer }
  | { t: 'run'; key: string; code: string; ids: number[]; uniform: ArrayBuffer | null; groups: [number, number, number] }
  | { t: 'copy'; from: number; fromOffset: number; to: number; toOffset: number; bytes: number }
  | { t: 'read'; id: number; bytes: number }
  | { t: 'readAsync'; id: number; bytes: number; token: number }
  | { t: 'close' };

interface NodeModule {
  createRequire(from: string): { resolve(id: string): string };
}
interface NodeUrl {
  pathToFileURL(path: string): { href: string };
}

/** Bytes kept in the freed-buffer pool before buffers are destroyed instead. */
const POOL_LIMIT_BYTES = 256 * 1024 * 1024;
/** Commands queued before a batch is posted even without a readback. */
const BATCH = 64;

/** Size buckets: multiples of 256 bytes up to 64 KiB, then 1, 1.25, 1.5, 1.75 times a power of two. */
export function bucketBytes(bytes: number): number {
  const b = Math.max(bytes, 16);
  if (b <= 65536) return Math.ceil(b / 256) * 256;
  const p = 2 ** Math.floor(Math.log2(b));
  const quarter = p / 4;
  return Math.ceil(b / quarter) * quarter;
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/**
 * The module specifier a Node worker imports: NEURONA_WEBGPU_MODULE (a path), else `webgpu` resolved
 * from the working directory; empty in a browser (navigator.gpu).
 */
function moduleSpecifier(): string {
  const url = builtin<NodeUrl>('node:url');
  if (!url) return '';
  const override = envValue('NEURONA_WEBGPU_MODULE');
  if (override) return url.pathToFileURL(override).href;
  const mod = builtin<NodeModule>('node:module')!;
  const cwd = (globalThis as { process: { cwd(): string } }).process.cwd();
  try {
    return url.pathToFileURL(mod.createRequire(`${cwd}/`).resolve('webgpu')).href;
  } catch {
    return 'webgpu';
  }
}

export class Bridge {
  info!: AdapterInfo;
  /** Storage arrays one shader may bind on this device (at least 8); a kernel needing more falls back. */
  maxStorageBuffers = 8;
  private readonly transport: Transport;
  private queue: Command[] = [];
  private transfer: ArrayBuffer[] = [];
  private nextId = 1;
  private readonly free = new Map<number, number[]>();
  private readonly sizeOf = new Map<number, number>();
  private pooled = 0;
  private inUse = 0;
  /** Dispatches per shader key (the kernel name first), for tests and the benchmark to see what ran on the GPU. */
  readonly dispatches = new Map<string, number>();
  /** Blocking and asynchronous readbacks so far (tests count the host round trips of an op). */
  reads = 0;
  private nextToken = 1;
  private readonly pending = new Map<number, { resolve(data: ArrayBuffer): void; reject(error: Error): void }>();

  /** Starts the worker and waits for its adapter and device; throws a ConfigError saying why there is none. */
  static open(): Bridge {
    const bridge = new Bridge();
    bridge.started(bridge.await());
    return bridge;
  }

  /**
   * The same without blocking: in a browser's Web Worker the nested device worker only starts once the
   * calling thread yields, so its first answer must be awaited (`nr.ready({ webgpu: true })`).
   */
  static async openAsync(): Promise<Bridge> {
    const bridge = new Bridge();
    const mark = bridge.transport.mark();
    bridge.flush();
    bridge.transport.hold(true); // in Node a pending wait alone does not keep the process alive
    try {
      bridge.started(await bridge.transport.receiveAsync(mark));
    } finally {
      bridge.transport.hold(false);
    }
    return bridge;
  }

  private constructor() {
    this.transport = openTransport();
    this.transport.onAsync((message) => this.settle(message as { token: number; data?: ArrayBuffer; error?: string }));
    this.queue.push({ t: 'init', mod: moduleSpecifier() });
  }

  private started(answer: unknown): void {
    const reply = answer as { ok: boolean; reason?: string; info?: AdapterInfo; maxStorageBuffers?: number };
    if (!reply.ok) {
      this.transport.terminate();
      throw configError('webgpu', { expected: `no WebGPU device: ${reply.reason ?? 'unknown reason'}`, hint: ADAPTER_HINT });
    }
    this.info = reply.info!;
    this.maxStorageBuffers = reply.maxStorageBuffers ?? 8;
    // Dawn aborts the process when its threads are torn down with the device still alive: close it first.
    const proc = (globalThis as { process?: { once(event: string, fn: () => void): void } }).process;
    proc?.once('exit', () => this.close());
  }

  /** Finishes the queued work and destroys the device (synchronously: it runs in the process's exit handler). */
  close(): void {
    this.queue.push({ t: 'close' });
    try {
      this.await();
    } catch {
      // A device that fails while closing has nothing left to lose.
    }
  }

  /** A buffer of at least `bytes` bytes: a pooled one of the same bucket when there is one. */
  alloc(bytes: number): number {
    const size = bucketBytes(bytes);
    this.inUse += size;
    const reused = this.free.get(size)?.pop();
    if (reused !== undefined) {
      this.pooled -= size;
      return reused;
    }
    const id = this.nextId++;
    this.sizeOf.set(id, size);
    this.send({ t: 'alloc', id, bytes: size });
    return id;
  }

  /** The size in bytes of buffer `id` (its pool bucket). */
  bytesOf(id: number): number {
    return this.sizeOf.get(id)!;
  }

  /** Returns a buffer to the pool (queued work that reads it still runs first: the worker keeps order). */
  release(id: number): void {
    const size = this.sizeOf.get(id)!;
    this.inUse -= size;
    if (this.pooled + size > POOL_LIMIT_BYTES) {
      this.sizeOf.delete(id);
      this.send({ t: 'destroy', id });
      return;
    }
    const list = this.free.get(size);
    if (list) list.push(id);
    else this.free.set(size, [id]);
    this.pooled += size;
  }

  /** Uploads `data`'s bytes to the start of buffer `id`, padded to whole 4-byte words (bool arrays). */
  write(id: number, data: Float32Array | Int32Array | Uint8Array): void {
    const copy = new ArrayBuffer(Math.ceil(data.byteLength / 4) * 4);
    new Uint8Array(copy).set(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    this.transfer.push(copy);
    this.send({ t: 'write', id, data: copy });
  }

  run(key: string, code: string, ids: number[], uniform: ArrayBuffer | null, groups: [number, number, number]): void {
    this.dispatches.set(key, (this.dispatches.get(key) ?? 0) + 1);
    this.send({ t: 'run', key, code, ids, uniform, groups });
  }

  /** Copies `bytes` bytes (a multiple of 4) between two buffers on the GPU, after the work queued so far. */
  copy(from: number, fromOffset: number, to: number, toOffset: number, bytes: number): void {
    if (bytes > 0) this.send({ t: 'copy', from, fromOffset, to, toOffset, bytes });
  }

  /** Blocks until the queued work is done and returns the first `bytes` bytes of buffer `id`. */
  read(id: number, bytes: number): ArrayBuffer {
    const size = Math.ceil(bytes / 4) * 4;
    this.reads++;
    const room = this.transport.roomFor(size);
    if (room) this.queue.push(room as Command);
    this.queue.push({ t: 'read', id, bytes: size });
    const reply = this.await() as { data?: ArrayBuffer; error?: string };
    if (reply.error !== undefined) throw deviceError(reply.error);
    return reply.data!;
  }

  /** The same without blocking: resolves once the queued work is done and the bytes are back. */
  readAsync(id: number, bytes: number): Promise<ArrayBuffer> {
    const token = this.nextToken++;
    this.reads++;
    const done = new Promise<ArrayBuffer>((resolve, reject) => this.pending.set(token, { resolve, reject }));
    this.queue.push({ t: 'readAsync', id, bytes: Math.ceil(bytes / 4) * 4, token });
    if (this.pending.size === 1) this.transport.hold(true);
    this.flush();
    return done;
  }

  private settle(message: { token: number; data?: ArrayBuffer; error?: string }): void {
    const waiting = this.pending.get(message.token);
    if (!waiting) return;
    this.pending.delete(message.token);
    if (this.pending.size === 0) this.transport.hold(false);
    if (message.error !== undefined) waiting.reject(deviceError(message.error));
    else waiting.resolve(message.data!);
  }

  memory(): { bytesInUse: number; bytesPooled: number } {
    return { bytesInUse: this.inUse, bytesPooled: this.pooled };
  }

  private send(command: Command): void {
    this.queue.push(command);
    if (this.queue.length >= BATCH) this.flush();
  }

  private flush(): void {
    if (this.queue.length === 0) return;
    this.transport.post(this.queue, this.transfer);
    this.queue = [];
    this.transfer = [];
  }

  private await(): unknown {
    syncReadAllowed();
    const mark = this.transport.mark();
    this.flush();
    return this.transport.receive(mark);
  }
}

function deviceError(message: string): Error {
  return numericsError('webgpu', {
    expected: `the device reported an error: ${message}`,
    hint: 'see docs/backends.md, "The webgpu backend"',
  });
}

export const ADAPTER_HINT =
  'install the optional dependency `webgpu` (Dawn for Node) and a GPU driver; without a GPU, SwiftShader works: ' +
  'VK_ICD_FILENAMES=/usr/lib/chromium/vk_swiftshader_icd.json (Debian package chromium)';

/** A synchronous readback blocks the calling thread, which a browser forbids on its main thread. */
function syncReadAllowed(): void {
  const g = globalThis as { document?: unknown; process?: { versions?: { node?: string } } };
  if (g.document !== undefined && !g.process?.versions?.node) {
    throw configError('webgpu', {
      expected:
        "a synchronous read of GPU data (data(), toArray(), item(), a kernel that runs on the CPU) cannot block a browser's main thread",
      hint: 'await tensor.dataAsync(), or train inside a Web Worker',
    });
  }
}
