import { configError, numericsError } from '../../core/index.js';
import { BROWSER_WORKER_SOURCE, NODE_WORKER_SOURCE } from './worker-source.js';

/*
 * How the main thread talks to the device worker. Batches of commands go by postMessage; a blocking
 * answer (start-up, a read) is awaited on a shared word with Atomics.wait. In Node the answer itself
 * comes on a MessagePort drained by receiveMessageOnPort; a Web Worker has no such call, so there the
 * worker writes it into a SharedArrayBuffer (which needs a cross-origin isolated page). Asynchronous
 * reads (`dataAsync`) come back as ordinary messages, so nothing blocks.
 */

export interface Transport {
  post(batch: unknown[], transfer: ArrayBuffer[]): void;
  /** The shared word's value now: take it before posting what will be answered. */
  mark(): number;
  /** Blocks until the answer after `mark` and returns it. */
  receive(mark: number): unknown;
  /** The same without blocking (start-up in a browser worker, whose nested worker starts only when it yields). */
  receiveAsync(mark: number): Promise<unknown>;
  /** A command to queue before a read of `bytes` bytes, when the reply buffer must grow (browser). */
  roomFor(bytes: number): unknown | null;
  onAsync(handler: (message: unknown) => void): void;
  /** Keeps a Node process alive while asynchronous reads are pending. */
  hold(on: boolean): void;
  terminate(): void;
}

interface NodeWorker {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  on(event: 'message', fn: (message: unknown) => void): void;
  ref(): void;
  unref(): void;
  terminate(): Promise<number>;
}
export interface WorkerThreads {
  Worker: new (code: string, options: object) => NodeWorker;
  MessageChannel: new () => { port1: object; port2: object };
  receiveMessageOnPort(port: object): { message: unknown } | undefined;
}

/**
 * How long a blocking answer may take before it is reported as a hung device: 10 minutes, since a
 * software adapter (SwiftShader) can spend minutes on one training step's queued work.
 */
const READ_TIMEOUT_MS = 600_000;

const hung = () => numericsError('webgpu', { expected: `the device worker did not answer within ${READ_TIMEOUT_MS / 1000} s` });

async function waitForAsync(flag: Int32Array, mark: number, got: () => unknown): Promise<unknown> {
  const started = Date.now();
  const waitAsync = (Atomics as { waitAsync?: (a: Int32Array, i: number, v: number, t: number) => { value: unknown } }).waitAsync;
  for (;;) {
    const answer = got();
    if (answer !== undefined) return answer;
    if (Date.now() - started > READ_TIMEOUT_MS) throw hung();
    await (waitAsync ? waitAsync(flag, 0, mark, 100).value : new Promise((resolve) => setTimeout(resolve, 5)));
  }
}

function waitFor(flag: Int32Array, mark: number, got: () => unknown): unknown {
  const started = Date.now();
  for (;;) {
    const answer = got();
    if (answer !== undefined) return answer;
    if (Date.now() - started > READ_TIMEOUT_MS) throw hung();
    Atomics.wait(flag, 0, mark, 1000);
  }
}

export class NodeTransport implements Transport {
  private readonly worker: NodeWorker;
  private readonly port: object;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));

  constructor(private readonly threads: WorkerThreads) {
    const { port1, port2 } = new threads.MessageChannel();
    this.port = port1;
    const workerData = { port: port2, flag: this.flag.buffer };
    // No inherited flags: the source is CommonJS even under `node --input-type=module`, and needs no loader.
    this.worker = new threads.Worker(NODE_WORKER_SOURCE, { eval: true, execArgv: [], workerData, transferList: [port2] });
    this.worker.unref();
    (port1 as { unref?(): void }).unref?.();
  }

  post(batch: unknown[], transfer: ArrayBuffer[]): void {
    this.worker.postMessage(batch, transfer);
  }
  mark(): number {
    return Atomics.load(this.flag, 0);
  }
  receive(mark: number): unknown {
    return waitFor(this.flag, mark, () => this.threads.receiveMessageOnPort(this.port)?.message);
  }
  receiveAsync(mark: number): Promise<unknown> {
    return waitForAsync(this.flag, mark, () => this.threads.receiveMessageOnPort(this.port)?.message);
  }
  roomFor(): null {
    return null;
  }
  onAsync(handler: (message: unknown) => void): void {
    this.worker.on('message', handler);
    // A 'message' listener refs the worker: unref it again, or the process would never exit.
    this.worker.unref();
  }
  hold(on: boolean): void {
    if (on) this.worker.ref();
    else this.worker.unref();
  }
  terminate(): void {
    void this.worker.terminate();
  }
}

interface BrowserWorker {
  postMessage(value: unknown, transfer?: readonly ArrayBuffer[]): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  terminate(): void;
}

export class BrowserTransport implements Transport {
  private readonly worker: BrowserWorker;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private reply = new SharedArrayBuffer(1 << 16);

  constructor() {
    const g = globalThis as unknown as {
      Worker: new (url: string) => BrowserWorker;
      URL: { createObjectURL(blob: unknown): string };
      Blob: new (parts: string[], options: object) => unknown;
    };
    const url = g.URL.createObjectURL(new g.Blob([BROWSER_WORKER_SOURCE], { type: 'text/javascript' }));
    this.worker = new g.Worker(url);
    this.worker.postMessage([{ t: 'shared', flag: this.flag.buffer, reply: this.reply }]);
  }

  post(batch: unknown[], transfer: ArrayBuffer[]): void {
    this.worker.postMessage(batch, transfer);
  }
  mark(): number {
    return Atomics.load(this.flag, 0);
  }
  receive(mark: number): unknown {
    return waitFor(this.flag, mark, () => (Atomics.load(this.flag, 0) === mark ? undefined : this.decode()));
  }
  receiveAsync(mark: number): Promise<unknown> {
    return waitForAsync(this.flag, mark, () => (Atomics.load(this.flag, 0) === mark ? undefined : this.decode()));
  }
  roomFor(bytes: number): unknown | null {
    if (bytes + 8 <= this.reply.byteLength) return null;
    this.reply = new SharedArrayBuffer(Math.max(bytes + 8, 2 * this.reply.byteLength));
    return { t: 'shared', flag: this.flag.buffer, reply: this.reply };
  }
  onAsync(handler: (message: unknown) => void): void {
    this.worker.onmessage = (event) => handler(event.data);
  }
  hold(): void {}
  terminate(): void {
    this.worker.terminate();
  }

  private decode(): unknown {
    const [kind, length] = new Int32Array(this.reply, 0, 2) as unknown as [number, number];
    // slice() copies out of shared memory into an ordinary buffer.
    const bytes = new Uint8Array(this.reply, 8, length).slice();
    if (kind === 1) return { data: bytes.buffer };
    return JSON.parse(new TextDecoder().decode(bytes));
  }
}

function builtin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

/** The transport this environment allows, or a ConfigError saying why there is none. */
export function openTransport(): Transport {
  const threads = builtin<WorkerThreads>('node:worker_threads');
  if (threads) return new NodeTransport(threads);
  const g = globalThis as { document?: unknown; Worker?: unknown; crossOriginIsolated?: boolean };
  if (g.document !== undefined) {
    throw configError('webgpu', {
      expected: "the webgpu backend blocks on its reads, which a browser's main thread may not do",
      hint: 'train inside a Web Worker (the page cross-origin isolated: COOP and COEP headers); the page awaits tensor.dataAsync()',
    });
  }
  if (typeof g.Worker !== 'function' || typeof SharedArrayBuffer !== 'function' || g.crossOriginIsolated === false) {
    throw configError('webgpu', {
      expected: 'the webgpu backend needs nested Web Workers and SharedArrayBuffer here',
      hint: 'serve the page cross-origin isolated (Cross-Origin-Opener-Policy: same-origin, Cross-Origin-Embedder-Policy: require-corp)',
    });
  }
  return new BrowserTransport();
}
