import { hostArray, hostMirrorOf, setDeviceFactory } from '../../core/index.js';
import { jsKernels } from '../js/index.js';
import type { Backend, KernelName, Kernels } from '../kernels.js';
import { GpuFloat32Array, GpuInt32Array, GpuUint8Array, moveAllToHost, refreshUpload, setBridge } from './array.js';
export { setStaleCheck } from './array.js';
import { ADAPTER_HINT, Bridge, type AdapterInfo } from './bridge.js';
import { webgpuKernels } from './kernels.js';

/*
 * The webgpu backend: kernels in WGSL on a GPUDevice owned by a worker thread (bridge.ts), float32,
 * int32 and bool storage that stays on the GPU between kernels (array.ts), and every other kernel run
 * by js on host copies. Only ever active when asked for (setBackend('webgpu') or NEURONA_BACKEND=webgpu).
 */

export type { AdapterInfo };

/** The device array class of each dtype the GPU holds (float64 stays on the host). */
const DEVICE_ARRAYS = { float32: GpuFloat32Array, int32: GpuInt32Array, bool: GpuUint8Array } as const;

/**
 * Which arguments each kernel writes (positions; an array argument such as applyUpdate's slots
 * counts for each array in it). The js fallback marks them host-newer after it ran; typed as a full
 * record, so a kernel added to KERNEL_NAMES without its line here fails the typecheck.
 */
const WRITES: Record<KernelName, readonly number[]> = {
  unary: [2],
  unaryGrad: [4],
  binary: [5],
  where: [6],
  cast: [1],
  reduce: [3],
  argReduce: [3],
  matmul: [2],
  matmulBiasActivation: [3],
  gelu: [1],
  geluBackward: [2],
  softmax: [2],
  attentionSoftmax: [2],
  attentionSoftmaxBackward: [2],
  logSoftmax: [2],
  softmaxCrossentropyBackward: [6],
  transpose: [3],
  slice: [4],
  concat: [3],
  pad: [4],
  gather: [3],
  scatterAdd: [3],
  sparseMatmul: [5],
  oneHot: [4],
  conv2d: [2],
  conv2dBiasActivation: [3],
  conv2dBackpropInput: [2],
  conv2dBackpropFilter: [2],
  depthwiseConv2d: [2],
  depthwiseConv2dBackpropInput: [2],
  depthwiseConv2dBackpropFilter: [2],
  pool2d: [2],
  pool2dBackward: [3],
  batchNormTraining: [5, 6, 7],
  batchNormBackward: [6, 7, 8],
  layerNorm: [7, 8, 9],
  layerNormBackward: [8, 9, 10],
  groupNorm: [8, 9, 10],
  groupNormBackward: [9, 10, 11],
  applyUpdate: [1, 3],
  lstmCell: [6, 7, 8],
  lstmCellBackward: [6, 7, 8],
  gruCell: [6, 7],
  gruCellBackward: [5, 6, 7],
  simpleRnnCell: [5],
  simpleRnnCellBackward: [4, 5],
  fillUniform: [0],
  fillNormal: [0],
};

const isView = (v: unknown): v is ArrayBufferView => ArrayBuffer.isView(v);

function eachArray(value: unknown, fn: (a: ArrayBufferView) => void): void {
  if (isView(value)) fn(value);
  else if (Array.isArray(value)) for (const item of value) if (isView(item)) fn(item);
}

function afterHostWrite(a: ArrayBufferView): void {
  const owner = hostMirrorOf(a);
  if (owner) owner.markHostNewer();
  else if (a instanceof Float32Array || a instanceof Int32Array || a instanceof Uint8Array) refreshUpload(a);
}

/** Calls of each kernel that ran on the CPU (the js fallback) while webgpu was active. */
const fallbacks = new Map<KernelName, number>();

/** The js kernels behind a sync: GPU-newer inputs are read back first, and written arrays marked host-newer after. */
function syncedJsKernels(): Kernels {
  const table = {} as Record<KernelName, unknown>;
  for (const name of Object.keys(WRITES) as KernelName[]) {
    const kernel = jsKernels[name] as (...args: unknown[]) => void;
    const writes = WRITES[name];
    table[name] = (...args: unknown[]) => {
      fallbacks.set(name, (fallbacks.get(name) ?? 0) + 1);
      for (const arg of args) eachArray(arg, hostArray);
      kernel(...args);
      for (const position of writes) eachArray(args[position], afterHostWrite);
    };
  }
  return table as unknown as Kernels;
}

let bridge: Bridge | null = null;
let failure = '';

/** Starts the device worker (once) and returns the backend; throws a ConfigError saying why there is none. */
export function loadWebgpuBackend(): Backend {
  if (!bridge) {
    bridge = Bridge.open();
    setBridge(bridge);
  }
  return backend();
}

/** The same, awaiting the device worker's start instead of blocking (a browser's Web Worker must). */
export async function loadWebgpuBackendAsync(): Promise<Backend> {
  if (!bridge) {
    bridge = await Bridge.openAsync();
    setBridge(bridge);
  }
  return backend();
}

function backend(): Backend {
  const fallback = syncedJsKernels();
  return {
    name: 'webgpu',
    kernels: { ...fallback, ...webgpuKernels(bridge!, fallback) },
    activate: (on: boolean) => {
      setDeviceFactory(on ? (dtype, size) => new DEVICE_ARRAYS[dtype](size) : null);
      if (!on) moveAllToHost();
    },
  } as Backend;
}

/** The adapter of the started backend, or null (with `webgpuFailure()` saying why) when none started. */
export function webgpuAdapter(): AdapterInfo | null {
  return bridge?.info ?? null;
}

/** GPU bytes in buffers that arrays hold, and in the pool of freed buffers (null before the backend started). */
export function webgpuMemory(): { bytesInUse: number; bytesPooled: number } | null {
  return bridge?.memory() ?? null;
}

/**
 * @internal What ran where since the backend started: GPU dispatches per shader key (`conv:fwd:relu:true`,
 * `pool:max`, ...), js fallback calls per kernel name and readbacks. Tests and the benchmark read it.
 */
export function webgpuActivity(): { gpu: Map<string, number>; fallback: Map<KernelName, number>; reads: number } {
  return { gpu: bridge?.dispatches ?? new Map(), fallback: fallbacks, reads: bridge?.reads ?? 0 };
}

/** Probes for an adapter without activating the backend: its info, or the reason there is none. */
export function probeWebgpu(): { ok: true; info: AdapterInfo } | { ok: false; reason: string } {
  if (bridge) return { ok: true, info: bridge.info };
  if (failure) return { ok: false, reason: failure };
  try {
    loadWebgpuBackend();
    return { ok: true, info: bridge!.info };
  } catch (e) {
    failure = e instanceof Error ? e.message : String(e);
    return { ok: false, reason: failure };
  }
}

export { ADAPTER_HINT };
