/*
 * Float32 storage handed back by a finished training step, so the next step's activations and
 * gradients land in memory that is already mapped and warm instead of fresh zeroed pages (fresh
 * large typed arrays cost page faults on first touch, and their external memory drives extra
 * garbage collections). Only the training loop gives buffers back (src/nn/training/loop.ts: a
 * step's graph and gradients, see `valueAndGradOfStep` in src/tensor/autograd.ts, and the batch
 * copies it made), and only those nothing can reach any more; `allocate` takes from here first.
 * Buffers come back zero-filled, as a fresh typed array would.
 */

/** Arrays smaller than this are left to the garbage collector (pooling them gains nothing). */
export const POOL_MIN_ELEMENTS = 16;

/** The most the pool keeps, in bytes; buffers beyond it are left to the garbage collector. */
const POOL_MAX_BYTES = 512 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
let enabled = true;

/**
 * @internal Turns recycling on or off (on by default); off, `releaseFloat32` keeps nothing. The
 * tests train with it off to show that recycling changes no result.
 */
export function setBufferPooling(on: boolean): void {
  enabled = on;
  if (!on) clearBufferPool();
}

/** A zero-filled pooled array of exactly `size` elements, or undefined when none is free. */
export function takePooledFloat32(size: number): Float32Array | undefined {
  if (size < POOL_MIN_ELEMENTS) return undefined;
  const list = free.get(size);
  const array = list?.pop();
  if (!array) return undefined;
  pooledBytes -= array.byteLength;
  array.fill(0);
  return array;
}

/**
 * Gives arrays back for reuse. The caller guarantees that nothing will read or write them again;
 * each must own its whole ArrayBuffer (a view into a larger buffer is skipped) and appear once.
 */
export function releaseFloat32(arrays: Iterable<Float32Array>): void {
  if (!enabled) return;
  for (const array of arrays) {
    if (array.length < POOL_MIN_ELEMENTS || array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) continue;
    if (pooledBytes + array.byteLength > POOL_MAX_BYTES) continue;
    let list = free.get(array.length);
    if (!list) free.set(array.length, (list = []));
    list.push(array);
    pooledBytes += array.byteLength;
  }
}

/** Drops every pooled array (the garbage collector frees them); `fit` calls it when it ends. */
export function clearBufferPool(): void {
  free.clear();
  pooledBytes = 0;
}

/** Bytes the pool holds now (for tests and diagnostics). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}
