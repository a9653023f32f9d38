import { configError } from '../../core/index.js';
import type { Model } from '../models/model.js';

/*
 * model.save / saveWeights / loadWeights need a file system, which only the Node entry has. The
 * methods on Model call the implementation registered here; the Node entry (src/index.ts, through
 * src/nn/saving/index.ts) registers it, so the browser entry never reaches a `node:` import.
 */

export interface SaveOptions {
  /** Save the optimizer's slots and step with the weights (default true). */
  includeOptimizer?: boolean;
}

export interface ModelPersistence {
  save(model: Model, dir: string, options: SaveOptions): Promise<void>;
  saveWeights(model: Model, path: string): Promise<void>;
  loadWeights(model: Model, path: string): Promise<void>;
}

let impl: ModelPersistence | null = null;

export function registerPersistence(p: ModelPersistence): void {
  impl = p;
}

export function persistence(method: string): ModelPersistence {
  if (!impl) {
    throw configError(`model.${method}`, {
      expected: 'needs a file system',
      hint: "import it from the Node entry ('neurona'), not the browser entry",
    });
  }
  return impl;
}

/**
 * Writers of other file formats for `model.save(path)`, chosen by the path's extension (src/interop
 * registers '.onnx'; it sits above src/nn, so it registers itself here rather than being imported).
 */
export const MODEL_WRITERS = new Map<string, (model: Model) => Uint8Array>();
