import { envFlag, hostMirrorOf, registerHostMirror, type HostMirror } from '../../core/index.js';
import type { Bridge } from './bridge.js';

/*
 * Float32 storage that lives on the GPU. `allocate()` hands these out while webgpu is active, so the
 * ops above stay as they are: the Float32Array elements are a host mirror, and `state` says which
 * copy is newest. A fresh array costs no resident host memory until it is touched (the pages are
 * only reserved), and a kernel output written on the GPU never touches its mirror.
 *
 * GPU memory follows the JavaScript object: a FinalizationRegistry holds the buffer id (never the
 * array) and gives it back to the bridge's pool when the array is collected; the training loop's
 * `releaseFloat32` gives it back earlier (see core/device-array.ts).
 */

/** CPU newer (or no GPU copy), both equal, or GPU newer. */
const State = { Host: 0, Both: 1, Device: 2 } as const;
type State = (typeof State)[keyof typeof State];

let bridge: Bridge | null = null;
/** Every device array holding a buffer, weakly: when another backend takes over, their values move to the host. */
const attached = new Set<WeakRef<GpuFloat32Array>>();
const finalizer = new FinalizationRegistry<{ id: number; ref?: WeakRef<GpuFloat32Array> }>(({ id, ref }) => {
  if (ref) attached.delete(ref);
  bridge?.release(id);
});

/**
 * Called when webgpu stops being the active backend: the other backend's kernels read mirrors without
 * syncing, so every GPU-newer array is read back, and all are marked host-newer (uploaded again if
 * webgpu returns, since plain kernels may write them in place).
 */
export function moveAllToHost(): void {
  for (const ref of attached) {
    const array = ref.deref();
    array?.syncToHost();
    array?.markHostNewer();
  }
}
/** Test mode: a mirror is filled with NaN while the GPU copy is newer, so a read that skipped the sync shows. */
let poisonStale = envFlag('NEURONA_WEBGPU_CHECK_STALE');

/** @internal Turns the stale-mirror check on or off (NEURONA_WEBGPU_CHECK_STALE=1 at load turns it on). */
export function setStaleCheck(on: boolean): void {
  poisonStale = on;
}

export function setBridge(b: Bridge | null): void {
  bridge = b;
}

export class GpuFloat32Array extends Float32Array implements HostMirror {
  // subarray/slice/map of a device array give plain host arrays: only the owner tracks the GPU copy.
  static get [Symbol.species](): Float32ArrayConstructor {
    return Float32Array;
  }

  /** The GPU buffer id, 0 for none yet. */
  gpuId = 0;
  state: State = State.Host;
  /** Counts the GPU writes, so an asynchronous read knows whether it is still current. */
  private version = 0;
  private ref: WeakRef<GpuFloat32Array> | undefined;

  constructor(length: number) {
    super(length);
    registerHostMirror(this.buffer, this);
  }

  /** The buffer id with the newest values on the GPU (uploading the mirror when it is newer). */
  deviceId(): number {
    if (this.state === State.Host) {
      if (this.gpuId === 0) this.attach();
      if (this.length > 0) bridge!.write(this.gpuId, this);
      this.state = State.Both;
    }
    return this.gpuId;
  }

  /** The buffer id for a kernel that writes every element (no upload), marked GPU-newer. */
  outputId(): number {
    if (this.gpuId === 0) this.attach();
    this.state = State.Device;
    this.version++;
    if (poisonStale) this.fill(Number.NaN);
    return this.gpuId;
  }

  syncToHost(): void {
    if (this.state !== State.Device) return;
    this.set(new Float32Array(bridge!.read(this.gpuId, this.byteLength), 0, this.length));
    this.state = State.Both;
  }

  async syncToHostAsync(): Promise<void> {
    // A kernel queued while the read was on its way makes it stale: read again.
    while (this.state === State.Device) {
      const version = this.version;
      const data = await bridge!.readAsync(this.gpuId, this.byteLength);
      if (this.version === version && this.state === State.Device) {
        this.set(new Float32Array(data, 0, this.length));
        this.state = State.Both;
      }
    }
  }

  markHostNewer(): void {
    this.state = State.Host;
  }

  releaseDevice(): void {
    if (this.gpuId === 0) return;
    finalizer.unregister(this);
    if (this.ref) attached.delete(this.ref);
    bridge?.release(this.gpuId);
    this.gpuId = 0;
    this.state = State.Host;
    if (poisonStale) this.fill(Number.NaN);
  }

  private attach(): void {
    this.gpuId = bridge!.alloc(this.byteLength);
    this.ref = new WeakRef(this);
    attached.add(this.ref);
    finalizer.register(this, { id: this.gpuId, ref: this.ref }, this);
  }
}

/** Uploads of plain arrays, kept while the array lives; a js kernel writing one refreshes its copy. */
const uploads = new WeakMap<Float32Array, number>();
/** Uploads of views into device arrays, given back after the dispatch that reads them is queued. */
const temporary: number[] = [];

/** The GPU buffer holding `a`'s values: its own for a device array, else an upload. */
export function inputId(a: Float32Array): number {
  if (a instanceof GpuFloat32Array) return a.deviceId();
  const owner = hostMirrorOf(a);
  let id = owner === undefined ? uploads.get(a) : undefined;
  if (id === undefined) {
    // A view into a device array reads the mirror, which must be current first; such views are short-lived.
    owner?.syncToHost();
    id = bridge!.alloc(Math.max(a.byteLength, 4));
    if (a.length > 0) bridge!.write(id, a);
    if (owner === undefined) {
      uploads.set(a, id);
      finalizer.register(a, { id });
    } else temporary.push(id);
  }
  return id;
}

/** Gives back the uploads of views made for the dispatch just queued (the worker keeps the order). */
export function releaseTemporary(): void {
  while (temporary.length > 0) bridge!.release(temporary.pop()!);
}

/** Refreshes the upload of a plain array the CPU just wrote (queued after every earlier read of it). */
export function refreshUpload(a: Float32Array): void {
  const id = uploads.get(a);
  if (id !== undefined && a.length > 0) bridge!.write(id, a);
}

/** An upload of an int32 array (gather's indices) for the dispatch about to be queued, given back after it. */
export function uploadTemporary(a: Int32Array): number {
  const id = bridge!.alloc(Math.max(a.byteLength, 4));
  // The bits travel as they are: a Float32Array view only carries them.
  if (a.length > 0) bridge!.write(id, new Float32Array(a.buffer, a.byteOffset, a.length));
  temporary.push(id);
  return id;
}
