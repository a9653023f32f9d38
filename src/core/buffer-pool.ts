/*
 * Float32 storage handed back by a finished training step, so the next step's activations and
 * gradients land in memory that is already mapped and warm instead of fresh zeroed pages (fresh
 * large typed arrays cost page faults on first touch, and their external memory drives extra
 * garbage collections). The pool has one way in and one way out: `takeFloat32` hands out float32
 * storage (`allocate` in dtype.ts calls it, so every float32 tensor comes through it) and
 * `releaseFloat32` takes storage back. Training gives buffers back (src/nn/training/loop.ts: the
 * built-in step's graph and gradients, see `valueAndGradOfStep` in src/tensor/autograd.ts, a custom
 * trainStep's model activations, see `runRecyclingStep`, and the batch copies it made), and so does
 * inference through a functional model, each only what nothing can reach any more. Buffers come
 * back zero-filled, as a fresh typed array would, unless the caller writes every element itself.
 *
 * NEURONA_DEBUG_POOL=1 (read once, when neurona loads) checks that last promise: every array given
 * back is filled with NaN and never handed out again (a fresh array takes its place in the pool), and
 * an op that receives one throws a NumericsError (see `wasGivenBack`). A custom layer or callback that
 * keeps a tensor computed during one step and reads it in a later one then fails at once, instead of
 * reading whatever a later step wrote into the recycled storage.
 */

import { releaseDeviceArray } from './device-array.js';
import { envFlag } from './notice.js';

/** Arrays smaller than this are left to the garbage collector (pooling them gains nothing). */
export const POOL_MIN_ELEMENTS = 16;

/**
 * The most the pool keeps, in bytes; buffers beyond it are left to the garbage collector. A
 * training step's own storage should fit whole: what does not fit waits for a collection while the
 * next step allocates afresh, so both sit in memory at once. A ResNet50 step at batch 16 gave back
 * about 2.4 GiB (before activations were written in place); with 1 GiB here its peak memory was
 * 3.4 GiB against 3.1 GiB with no limit, and its step 1.7x slower. `trimBufferPool` keeps the pool
 * to the sizes the recent steps asked for.
 */
const POOL_MAX_BYTES = 4 * 1024 * 1024 * 1024;

const free = new Map<number, Float32Array[]>();
let pooledBytes = 0;
/**
 * How many times `trimBufferPool` ran, and per pooled size (only sizes the pool has held, so the map
 * stays as small as the pool's set of sizes) the value it had when that size was last asked for.
 */
let round = 0;
const lastAsked = new Map<number, number>();
/**
 * Rounds (training steps, predict batches) a size may go unasked before trimBufferPool drops it:
 * enough for several models trained in turn (a GAN's two, a CycleGAN's four), each step a round.
 */
const IDLE_ROUNDS = 8;
/** Bytes of the new arrays (of POOL_MIN_ELEMENTS or more) that takeFloat32 made (see `freshBufferBytes`). */
let freshBytes = 0;
/**
 * A request of at least this many elements that finds no free array of its size takes the smallest
 * free one up to FIT_RATIO times larger, as a view of its first elements (see `largerFree`).
 */
const FIT_MIN_ELEMENTS = 16384;
const FIT_RATIO = 4;
/** The pooled array each such view lies in; giving the view back gives back this array. */
const bases = new WeakMap<Float32Array, Float32Array>();

/**
 * The smallest free array longer than `size` and at most FIT_RATIO times as long, taken from the
 * pool, or undefined. A network's activations change size from stage to stage (ResNet50's halve);
 * without this, the arrays of one stage sat in the pool while the next allocated afresh, and a
 * training step's pool held about a quarter more than the step's peak of live arrays.
 */
function largerFree(size: number): Float32Array | undefined {
  let best = 0;
  for (const [length, list] of free) {
    if (length > size && length <= size * FIT_RATIO && list.length > 0 && (best === 0 || length < best)) best = length;
  }
  if (best === 0) return undefined;
  lastAsked.set(best, round);
  return free.get(best)!.pop();
}

/**
 * From this many elements, a new array whose every element the caller writes (`zeroed` false) comes
 * from Node's Buffer.allocUnsafeSlow: memory the allocator hands out as it is, instead of a zero-filled
 * block (a memset of the whole array, or fresh pages to fault in). A 1024 x 1024 product's 4 MB output
 * cost ~0.3 ms of memset on each nr.matmul call, about 4 % of the product on 2 threads. Browsers, which
 * have no Buffer, get a plain zero-filled array.
 */
const UNZEROED_MIN_ELEMENTS = 65536;
/** Node 20's Buffers stop at 4 GiB (buffer.constants.MAX_LENGTH); larger arrays are plain ones. */
const UNZEROED_MAX_ELEMENTS = 2 ** 30;
const allocUnsafe = (globalThis as { Buffer?: { allocUnsafeSlow?(size: number): Uint8Array } }).Buffer?.allocUnsafeSlow;

/** See `watchTakes`. */
let watched: Set<ArrayBufferLike> | null = null;
let enabled = true;

/** @internal Whether NEURONA_DEBUG_POOL=1 was set when neurona loaded; it is read only then. */
export const POOL_DEBUG: boolean = envFlag('NEURONA_DEBUG_POOL');

/** Under POOL_DEBUG, the arrays given back (and poisoned); null otherwise, so nothing is kept. */
const givenBack: WeakSet<Float32Array> | null = POOL_DEBUG ? new WeakSet() : null;

/**
 * @internal Turns recycling on or off (on by default); off, `releaseFloat32` keeps nothing. The
 * tests train with it off to show that recycling changes no result.
 */
export function setBufferPooling(on: boolean): void {
  enabled = on;
  if (!on) clearBufferPool();
}

/** The storage handed out while a custom training step runs (see `trackFreshFloat32`), or null. */
let fresh: WeakSet<ArrayBufferLike> | null = null;

/**
 * @internal Until called again with null, every float32 array that `takeFloat32` hands out (of at
 * least POOL_MIN_ELEMENTS elements) has its buffer added to `into`, and every array given back has
 * its buffer removed: a custom training step gives back only storage made during the step (see
 * `runRecyclingStep` in src/tensor/autograd.ts).
 */
export function trackFreshFloat32(into: WeakSet<ArrayBufferLike> | null): void {
  fresh = into;
}

/**
 * A float32 array of `size` elements: a pooled one when one of that size is free, else a new one.
 * Zero-filled unless `zeroed` is false, which a caller that writes every element asks for: a pooled
 * array then keeps whatever it held (a new one is zeros). Under NEURONA_DEBUG_POOL=1 such an array
 * is filled with NaN instead, so that an element the caller fails to write shows in its result.
 */
export function takeFloat32(size: number, zeroed = true): Float32Array {
  if (size >= POOL_MIN_ELEMENTS && free.has(size)) lastAsked.set(size, round);
  let array = size >= POOL_MIN_ELEMENTS ? free.get(size)?.pop() : undefined;
  if (!array && size >= FIT_MIN_ELEMENTS) array = largerFree(size);
  if (!array) {
    if (size >= POOL_MIN_ELEMENTS) freshBytes += size * 4;
    const made =
      !zeroed && size >= UNZEROED_MIN_ELEMENTS && size <= UNZEROED_MAX_ELEMENTS && allocUnsafe
        ? new Float32Array(allocUnsafe(size * 4).buffer, 0, size)
        : new Float32Array(size);
    if (fresh !== null && size >= POOL_MIN_ELEMENTS) fresh.add(made.buffer);
    if (!zeroed && POOL_DEBUG) made.fill(Number.NaN);
    return made;
  }
  pooledBytes -= array.byteLength;
  watched?.delete(array.buffer);
  if (array.length !== size) {
    // The first `size` elements of a larger pooled array; giving the view back returns the whole array.
    const view = array.subarray(0, size);
    bases.set(view, array);
    array = view;
  }
  if (zeroed) array.fill(0);
  else if (POOL_DEBUG) array.fill(Number.NaN);
  fresh?.add(array.buffer);
  return array;
}

/**
 * Gives arrays back for reuse. The caller guarantees that nothing will read or write them again;
 * each must own its whole ArrayBuffer (a view into a larger buffer is skipped, unless the pool
 * handed it out, see `largerFree`) and appear once.
 * Under NEURONA_DEBUG_POOL=1 each array is filled with NaN and kept out of circulation instead.
 */
export function releaseFloat32(arrays: Iterable<Float32Array>): void {
  if (!enabled) return;
  for (const given of arrays) {
    const array = bases.get(given) ?? given;
    if (array !== given) givenBack?.add(given);
    fresh?.delete(array.buffer);
    // A device array's memory goes back to its backend's own pool at once; its host mirror is never reused.
    if (releaseDeviceArray(array)) {
      givenBack?.add(array);
      continue;
    }
    if (array.length < POOL_MIN_ELEMENTS || array.byteOffset !== 0 || array.byteLength !== array.buffer.byteLength) continue;
    const kept = givenBack === null ? array : poisoned(array, givenBack);
    if (pooledBytes + kept.byteLength > POOL_MAX_BYTES) continue;
    let list = free.get(kept.length);
    if (!list) {
      list = [];
      free.set(kept.length, list);
      if (!lastAsked.has(kept.length)) lastAsked.set(kept.length, round);
    }
    list.push(kept);
    pooledBytes += kept.byteLength;
  }
}

/**
 * NEURONA_DEBUG_POOL's release: fills `array` with NaN, remembers it, and returns a fresh array of
 * its size to pool in its place, so the pool's sizes and counts stay as they are without the mode.
 */
function poisoned(array: Float32Array, into: WeakSet<Float32Array>): Float32Array {
  array.fill(NaN);
  into.add(array);
  return new Float32Array(array.length);
}

/**
 * @internal Under NEURONA_DEBUG_POOL=1: whether `array` is storage a training step gave back (it
 * then holds NaN). Always false without the debug mode. Ops check their inputs with it.
 */
export function wasGivenBack(array: ArrayBufferView): boolean {
  return givenBack?.has(array as Float32Array) ?? false;
}

/**
 * @internal Until called again with null (or another set), every pooled array handed out has its
 * buffer deleted from `given`. A backward pass that gives storage back early lists it in `given`
 * so that the step's end does not give it back twice; what the pass itself takes again (a later
 * gradient, a kernel's working array) leaves the list, so that the step's end gives it back once
 * more instead of leaving it to the garbage collector. Returns the set watched before.
 */
export function watchTakes(given: Set<ArrayBufferLike> | null): Set<ArrayBufferLike> | null {
  const before = watched;
  watched = given;
  return before;
}

/**
 * Ends a round: drops the pooled arrays of every size that nobody asked for in the last
 * IDLE_ROUNDS rounds, so that a pool fed by steps whose shapes change (a last, smaller batch;
 * sequences of varying length) keeps only what recent steps use. Training calls it after each
 * step, predict and evaluate after each batch.
 */
export function trimBufferPool(): void {
  round++;
  for (const [size, list] of free) {
    if (round - (lastAsked.get(size) ?? 0) <= IDLE_ROUNDS) continue;
    for (const array of list) pooledBytes -= array.byteLength;
    free.delete(size);
  }
  for (const [size, at] of lastAsked) if (round - at > IDLE_ROUNDS && !free.has(size)) lastAsked.delete(size);
}

/** Drops every pooled array (the garbage collector frees them); `fit` calls it when it ends. */
export function clearBufferPool(): void {
  free.clear();
  pooledBytes = 0;
  lastAsked.clear();
}

/** @internal Bytes of new float32 arrays of at least POOL_MIN_ELEMENTS made so far (for tests and diagnostics). */
export function freshBufferBytes(): number {
  return freshBytes;
}

/** Bytes the pool holds now (for tests and diagnostics). */
export function pooledBufferBytes(): number {
  return pooledBytes;
}
