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

/** The typed arrays with device storage: float32, int32 and bool (one byte each, four to a GPU word). */
export type DeviceTyped = Float32Array | Int32Array | Uint8Array;
type DeviceTypedConstructor = Float32ArrayConstructor | Int32ArrayConstructor | Uint8ArrayConstructor;

/** What a device array adds to its typed array. */
export interface DeviceMethods extends HostMirror {
  /** The GPU buffer id, 0 for none yet. */
  gpuId: number;
  /** The buffer id with the newest values on the GPU (uploading the mirror when it is newer). */
  deviceId(): number;
  /** The buffer id for a kernel that writes every element (no upload), marked GPU-newer. */
  outputId(): number;
  /** Whether the GPU copy is current (newer than the host mirror, or equal to it). */
  onGpu(): boolean;
}
export type GpuFloat32Array = Float32Array & DeviceMethods;
export type GpuInt32Array = Int32Array & DeviceMethods;
export type GpuUint8Array = Uint8Array & DeviceMethods;
export type DeviceArray = DeviceTyped & DeviceMethods;

let bridge: Bridge | null = null;
/** Every device array holding a buffer, weakly: when another backend takes over, their values move to the host. */
const attached = new Set<WeakRef<DeviceArray>>();
const finalizer = new FinalizationRegistry<{ id: number; ref?: WeakRef<DeviceArray> }>(({ id, ref }) => {
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
/** Test mode: a mirror is filled with garbage (NaN, or 0x5a bytes) while the GPU copy is newer, so a read that skipped the sync shows. */
let poisonStale = envFlag('NEURONA_WEBGPU_CHECK_STALE');

/** @internal Turns the stale-mirror check on or off (NEURONA_WEBGPU_CHECK_STALE=1 at load turns it on). */
export function setStaleCheck(on: boolean): void {
  poisonStale = on;
}

export function setBridge(b: Bridge | null): void {
  bridge = b;
}

/**
 * The device array class over one typed array class: `poison` is what the stale check fills the
 * mirror with. The body touches only what every typed array has, so it is written once against
 * Float32Array and the three classes are cast to their own types below.
 */
function deviceArrayClass(Base: DeviceTypedConstructor, poison: number) {
  const Typed = Base as unknown as Float32ArrayConstructor;
  return class DeviceArrayOf extends Typed implements DeviceMethods {
    // subarray/slice/map of a device array give plain host arrays: only the owner tracks the GPU copy.
    static get [Symbol.species](): DeviceTypedConstructor {
      return Base;
    }

    gpuId = 0;
    state: State = State.Host;
    /** Counts the GPU writes, so an asynchronous read knows whether it is still current. */
    private version = 0;
    private ref: WeakRef<DeviceArray> | undefined;

    constructor(length: number) {
      super(length);
      registerHostMirror(this.buffer, this);
    }

    deviceId(): number {
      if (this.state === State.Host) {
        if (this.gpuId === 0) this.attach();
        if (this.length > 0) bridge!.write(this.gpuId, this);
        this.state = State.Both;
      }
      return this.gpuId;
    }

    outputId(): number {
      if (this.gpuId === 0) this.attach();
      this.state = State.Device;
      this.version++;
      if (poisonStale) this.fill(poison);
      return this.gpuId;
    }

    onGpu(): boolean {
      return this.state !== State.Host;
    }

    syncToHost(): void {
      if (this.state !== State.Device) return;
      this.set(new Typed(bridge!.read(this.gpuId, this.byteLength), 0, this.length));
      this.state = State.Both;
    }

    async syncToHostAsync(): Promise<void> {
      // A kernel queued while the read was on its way makes it stale: read again.
      while (this.state === State.Device) {
        const version = this.version;
        const data = await bridge!.readAsync(this.gpuId, this.byteLength);
        if (this.version === version && this.state === State.Device) {
          this.set(new Typed(data, 0, this.length));
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
      if (poisonStale) this.fill(poison);
    }

    private attach(): void {
      this.gpuId = bridge!.alloc(Math.max(this.byteLength, 4));
      this.ref = new WeakRef(this);
      attached.add(this.ref);
      finalizer.register(this, { id: this.gpuId, ref: this.ref }, this);
    }
  };
}

interface DeviceArrayConstructor<T> {
  new (length: number): T;
  prototype: T;
}
/** Float32 storage on the GPU with a host mirror: what `allocate()` hands out while webgpu is active. */
export const GpuFloat32Array = deviceArrayClass(Float32Array, Number.NaN) as unknown as DeviceArrayConstructor<GpuFloat32Array>;
/** Int32 storage on the GPU (indices, argmax results); the stale check fills it with 0x5a5a5a5a. */
export const GpuInt32Array = deviceArrayClass(Int32Array, 0x5a5a5a5a) as unknown as DeviceArrayConstructor<GpuInt32Array>;
/** Bool storage on the GPU: the mirror's bytes as they are, four to a 32-bit word; the stale check writes 0x5a. */
export const GpuUint8Array = deviceArrayClass(Uint8Array, 0x5a) as unknown as DeviceArrayConstructor<GpuUint8Array>;

/** Whether `a` is a device array (its own storage, not a view). */
export function isDeviceArray(a: unknown): a is DeviceArray {
  return a instanceof GpuFloat32Array || a instanceof GpuInt32Array || a instanceof GpuUint8Array;
}

/** Uploads of plain arrays, kept while the array lives; a js kernel writing one refreshes its copy. */
const uploads = new WeakMap<DeviceTyped, number>();
/** Uploads of views into device arrays, given back after the dispatch that reads them is queued. */
const temporary: number[] = [];

/** Copies made on the GPU into the owners of views a dispatch wrote (see `viewOutputId`). */
const copyBacks: { id: number; owner: DeviceArray; offset: number; bytes: number }[] = [];

/** The device array `a` is a view into (a subarray), with its byte offset there; null for anything else. */
function deviceOwner(a: DeviceTyped): { owner: DeviceArray; offset: number } | null {
  if (isDeviceArray(a)) return null;
  const owner = hostMirrorOf(a);
  return isDeviceArray(owner) ? { owner, offset: a.byteOffset - owner.byteOffset } : null;
}

/**
 * The GPU buffer holding `a`'s values: its own for a device array; for a view into one whose newest
 * values are on the GPU, a temporary copied there on the GPU; else an upload.
 */
export function inputId(a: DeviceTyped): number {
  if (isDeviceArray(a)) return a.deviceId();
  const view = deviceOwner(a);
  // Copies on the GPU move whole 4-byte words: a bool view at an odd byte offset is uploaded instead.
  if (view?.owner.onGpu() && view.offset % 4 === 0) {
    const id = bridge!.alloc(Math.max(a.byteLength, 4));
    bridge!.copy(view.owner.gpuId, view.offset, id, 0, Math.ceil(a.byteLength / 4) * 4);
    temporary.push(id);
    return id;
  }
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

/** Arrays a kernel whose one dispatch writes every element may write on the GPU: device arrays and views into them. */
export function viewWritable(a: unknown): a is Float32Array {
  return a instanceof GpuFloat32Array || (a instanceof Float32Array && deviceOwner(a) !== null);
}

/**
 * The buffer a kernel's single dispatch writes all of `a` into: a device array's own; for a view, a
 * temporary that is copied into the owner's buffer after the dispatch (releaseTemporary). With `read`
 * the kernel also reads the old values (in place).
 */
export function viewOutputId(a: Float32Array, read = false): number {
  if (a instanceof GpuFloat32Array) {
    if (read) a.deviceId();
    return a.outputId();
  }
  const { owner, offset } = deviceOwner(a)!;
  const id = read ? inputId(a) : bridge!.alloc(Math.max(a.byteLength, 4));
  if (!read) temporary.push(id);
  copyBacks.push({ id, owner, offset, bytes: a.byteLength });
  return id;
}

/**
 * `ids` with every buffer bound once: where a buffer appears again later in the list (an op's output
 * is also its input, as in `v.assign(v)`), the earlier binding reads a copy made on the GPU. WebGPU
 * rejects a buffer bound twice when one binding is writable, and kernels bind their outputs last.
 */
export function separateBindings(ids: readonly number[]): number[] {
  return ids.map((id, i) => {
    if (ids.indexOf(id, i + 1) === -1) return id;
    const copy = bridge!.alloc(bridge!.bytesOf(id));
    bridge!.copy(id, 0, copy, 0, bridge!.bytesOf(id));
    temporary.push(copy);
    return copy;
  });
}

/** Forgets what a kernel queued for its dispatch (copies back, temporaries) when the dispatch failed. */
export function dropTemporary(): void {
  copyBacks.length = 0;
  while (temporary.length > 0) bridge!.release(temporary.pop()!);
}

/**
 * After the dispatch just queued: copies what it wrote for views into their owners (each owner's GPU
 * copy made current first, then GPU-newer), then gives back the temporaries (the worker keeps the order).
 */
export function releaseTemporary(): void {
  for (const { id, owner, offset, bytes } of copyBacks.splice(0)) {
    const target = owner.deviceId();
    owner.outputId();
    bridge!.copy(id, 0, target, offset, bytes);
  }
  while (temporary.length > 0) bridge!.release(temporary.pop()!);
}

/** Refreshes the upload of a plain array the CPU just wrote (queued after every earlier read of it). */
export function refreshUpload(a: DeviceTyped): void {
  const id = uploads.get(a);
  if (id !== undefined && a.length > 0) bridge!.write(id, a);
}

/**
 * The buffer of an int32 array a dispatch reads (gather's indices): a device array's own (or a view's
 * copy, as inputId); a host array is uploaded for this dispatch alone and given back after it.
 */
export function indicesId(a: Int32Array): number {
  if (isDeviceArray(a) || deviceOwner(a) !== null) return inputId(a);
  const id = bridge!.alloc(Math.max(a.byteLength, 4));
  if (a.length > 0) bridge!.write(id, a);
  temporary.push(id);
  return id;
}
