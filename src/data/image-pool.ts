/**
 * Image files decoded and resized off the main thread: a pool of worker threads, each reading files
 * and returning float32 pixels in a transferred buffer (no copy back), so that training on the main
 * thread overlaps with decoding. Without workers (they failed to start, or `numParallelCalls: 0`)
 * the same work runs on the main thread.
 *
 * The worker's file sits beside this one: image-worker.js in the built package, image-worker.ts
 * when neurona runs from its sources under tsx (tests, examples).
 */
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { Worker } from 'node:worker_threads';
import { ConfigError, FormatError, type NeuronaError, configError, formatError, show } from '../core/index.js';
import { type ColorMode, type ImagePixels, type PrepareImageOptions, prepareImage } from '../io/image.js';
import { type Decoder, decodeWith } from './sharp-decoder.js';

/** One file to read, decode and prepare. */
export interface ImageJob extends PrepareImageOptions {
  path: string;
  colorMode: ColorMode;
  maxPixels?: number;
  /** 'js' (default: jpeg-js and fast-png) or 'sharp' (the optional native decoder, see sharp-decoder.ts). */
  decoder?: Decoder;
}

/**
 * Reads, decodes and prepares one file on the calling thread; every failure is a FormatError naming
 * the file. `blocking` reads the file synchronously: right on a worker thread, where nothing else
 * waits, and cheaper for small files than a round trip through libuv's thread pool (a 96x80 PNG
 * decoded and resized took 1.09 ms with the asynchronous read, a quarter of it waiting).
 */
export async function readImageFile(job: ImageJob, blocking = false): Promise<ImagePixels> {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(blocking ? readFileSync(job.path) : await readFile(job.path));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw formatError(job.path, { expected: 'cannot read the file', rule: code ?? String(error), cause: error });
  }
  const image = await decodeWith(job.decoder ?? 'js', bytes, { name: job.path, colorMode: job.colorMode, maxPixels: job.maxPixels });
  return prepareImage(image, job);
}

/** The workers a pool starts by default: the machine's cores less the one that trains. */
export function defaultWorkers(): number {
  return Math.max(1, availableParallelism() - 1);
}

/** What a worker sends back: pixels, or the error's class name and message. */
export type WorkerReply = { id: number; image: ImagePixels } | { id: number; error: { name: string; message: string } };

/**
 * Node 20 does not run the parent's `--import tsx` hooks before a worker's own module loads, so from
 * the sources the worker first registers tsx itself, then imports the TypeScript file.
 */
function startWorker(): Worker {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return new Worker(new URL('./image-worker.js', here));
  const tsx = import.meta.resolve('tsx/esm/api');
  const file = new URL('./image-worker.ts', here).href;
  return new Worker(`import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(file)}); })`, {
    eval: true,
  });
}

const ERRORS: Record<string, new (message: string) => NeuronaError> = { FormatError, ConfigError };

interface Pending {
  job: ImageJob;
  resolve: (image: ImagePixels) => void;
  reject: (error: Error) => void;
}

/** A fixed set of worker threads that prepare image files, jobs spread to the least busy. */
export class ImagePool {
  private readonly workers: { worker: Worker; busy: number }[] = [];
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  /** Whether the pool runs jobs on the main thread (no workers asked for, or they failed to start). */
  inline: boolean;

  constructor(readonly size: number = defaultWorkers()) {
    if (!Number.isInteger(size) || size < 0 || size > 256) {
      throw configError('ImagePool', { expected: 'numParallelCalls must be an integer from 0 (main thread) to 256', got: show(size) });
    }
    this.inline = size === 0;
    for (let i = 0; i < size && !this.inline; i++) {
      try {
        const worker = startWorker();
        const slot = { worker, busy: 0 };
        worker.on('message', (reply: WorkerReply) => this.settle(slot, reply));
        worker.on('error', () => this.fail());
        // An idle pool never keeps the process alive; run() refs a worker while it holds a job. After
        // the listeners: adding a 'message' listener refs the worker's port again.
        worker.unref();
        this.workers.push(slot);
      } catch {
        this.inline = true;
      }
    }
  }

  /** Reads and prepares one file; a failure rejects with the same error class as on the main thread. */
  run(job: ImageJob): Promise<ImagePixels> {
    if (this.inline) return readImageFile(job);
    const slot = this.workers.reduce((a, b) => (b.busy < a.busy ? b : a));
    const id = this.nextId++;
    if (slot.busy++ === 0) slot.worker.ref();
    return new Promise((resolve, reject) => {
      this.pending.set(id, { job, resolve, reject });
      slot.worker.postMessage({ id, job });
    });
  }

  private settle(slot: { worker: Worker; busy: number }, reply: WorkerReply): void {
    if (--slot.busy === 0) slot.worker.unref();
    const waiting = this.pending.get(reply.id);
    if (!waiting) return;
    this.pending.delete(reply.id);
    if ('image' in reply) waiting.resolve(reply.image);
    else waiting.reject(new (ERRORS[reply.error.name] ?? Error)(reply.error.message));
  }

  /**
   * A worker that cannot start (no TypeScript loader for image-worker.ts, a sandbox without threads)
   * stops the pool: the jobs it held, and all later ones, run on the main thread.
   */
  private fail(): void {
    if (!this.inline) void this.close();
    for (const [id, waiting] of this.pending) {
      this.pending.delete(id);
      readImageFile(waiting.job).then(waiting.resolve, waiting.reject);
    }
  }

  /** Stops the workers; jobs still out are rejected. */
  async close(): Promise<void> {
    const workers = this.workers.splice(0);
    this.inline = true;
    await Promise.all(workers.map((w) => w.worker.terminate()));
  }
}

const pools = new Map<number, ImagePool>();

/** One pool per size for the whole process: datasets that ask for the same number of workers share them. */
export function sharedImagePool(size = defaultWorkers()): ImagePool {
  let pool = pools.get(size);
  if (!pool) {
    pool = new ImagePool(size);
    pools.set(size, pool);
  }
  return pool;
}
