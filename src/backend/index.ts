export * from './kernels.js';
export {
  kernels,
  setBackend,
  getBackend,
  registerBackend,
  kernelProvider,
  availableBackends,
  setNumThreads,
  getNumThreads,
  ready,
  backendReason,
  memory,
  type MemoryInfo,
} from './registry.js';
export { probeWebgpu, setStaleCheck, webgpuActivity, webgpuAdapter, type AdapterInfo } from './webgpu/index.js';
export { nativeInfo, type NativeInfo } from './native/index.js';
export { wasmInfo, type WasmInfo } from './wasm/index.js';
