import type { Backend } from '../kernels.js';

/**
 * The typed binding to the C++ addon. The addon is not part of this release yet (it is planned: see
 * docs/backends.md), so loading reports why it is missing and neurona runs on `js`.
 */
export type NativeLoad = { ok: true; backend: Backend } | { ok: false; reason: string };

export function loadNativeBackend(): NativeLoad {
  return { ok: false, reason: 'the native addon is not included in this version of neurona' };
}
