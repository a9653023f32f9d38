/*
 * The protocol between CPU code and arrays whose newest values may live on a device (the webgpu
 * backend's GpuFloat32Array). core cannot import a backend, so the backend registers the owner of each
 * such array's ArrayBuffer here; code that reads elements on the CPU goes through `hostArray`, which
 * brings the host copy up to date first, and code that writes elements outside a kernel calls
 * `hostWritten` so the device copy is known to be stale. Without a device backend both are one
 * boolean check.
 */

/** What a device array does for the host: copy its newest values down, or learn that the host wrote. */
export interface HostMirror {
  syncToHost(): void;
  /** The same without blocking the thread (a browser's main thread may not block). */
  syncToHostAsync(): Promise<void>;
  markHostNewer(): void;
  /** Frees device memory now (the training loop gives the array back); the array is not used again. */
  releaseDevice(): void;
}

const owners = new WeakMap<ArrayBufferLike, HostMirror>();
let anyOwner = false;
let deviceFactory: ((dtype: DeviceDType, size: number) => Float32Array | Int32Array | Uint8Array) | null = null;

/** @internal Registers the device array that owns `buffer` (its whole ArrayBuffer, views included). */
export function registerHostMirror(buffer: ArrayBufferLike, owner: HostMirror): void {
  anyOwner = true;
  owners.set(buffer, owner);
}

/** @internal The device array owning the storage of `array`, or undefined for plain host memory. */
export function hostMirrorOf(array: ArrayBufferView): HostMirror | undefined {
  return anyOwner ? owners.get(array.buffer) : undefined;
}

/** `array` with its host elements up to date: read elements on the CPU only through this (or `t.data()`). */
export function hostArray<T extends ArrayBufferView>(array: T): T {
  if (anyOwner) owners.get(array.buffer)?.syncToHost();
  return array;
}

/** `hostArray` without blocking: the device copy is read back asynchronously when it is newer. */
export async function hostArrayAsync<T extends ArrayBufferView>(array: T): Promise<T> {
  if (anyOwner) await owners.get(array.buffer)?.syncToHostAsync();
  return array;
}

/** Tells the device that CPU code wrote into `array` (after syncing it with `hostArray`). */
export function hostWritten(array: ArrayBufferView): void {
  if (anyOwner) owners.get(array.buffer)?.markHostNewer();
}

/** @internal Gives device memory back early; true when `array` was a device array (then not pooled). */
export function releaseDeviceArray(array: ArrayBufferView): boolean {
  const owner = anyOwner ? owners.get(array.buffer) : undefined;
  owner?.releaseDevice();
  return owner !== undefined;
}

/** The dtypes whose storage a device backend may hold. */
export type DeviceDType = 'float32' | 'int32' | 'bool';

/** @internal Where `allocate` gets float32, int32 and bool storage while a device backend is active (null: host memory). */
export function setDeviceFactory(factory: ((dtype: DeviceDType, size: number) => Float32Array | Int32Array | Uint8Array) | null): void {
  deviceFactory = factory;
}

/** @internal The active device backend's storage of `size` elements of `dtype`, or null for host memory. */
export function deviceStorage(dtype: 'float32', size: number): Float32Array | null;
export function deviceStorage(dtype: 'int32', size: number): Int32Array | null;
export function deviceStorage(dtype: 'bool', size: number): Uint8Array | null;
export function deviceStorage(dtype: DeviceDType, size: number): Float32Array | Int32Array | Uint8Array | null {
  return deviceFactory === null ? null : deviceFactory(dtype, size);
}
