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
} from './registry.js';
export { nativeInfo, type NativeInfo } from './native/index.js';
export { wasmInfo, type WasmInfo } from './wasm/index.js';
