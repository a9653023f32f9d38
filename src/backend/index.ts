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
} from './registry.js';
export { nativeInfo, type NativeInfo } from './native/index.js';
