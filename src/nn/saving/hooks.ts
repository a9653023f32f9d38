import { configError } from '../../core/index.js';
import type { Model } from '../models/model.js';

/*
 * model.save / saveWeights / loadWeights differ by platform. The methods on Model call the
 * implementation registered here: the Node entry's (src/nn/saving/index.ts: directories and files)
 * or the browser entry's (src/nn/saving/browser.ts: IndexedDB, downloads), so the browser entry never
 * reaches a `node:` import.
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

/*
 * model.toBytes: the encoder lives in model-bytes.ts, which imports Model, so Model reaches it through
 * this registration (both entries import model-bytes.ts) instead of an import that would close a cycle.
 */
let encoder: ((model: Model, options: SaveOptions) => Uint8Array) | null = null;

export function registerModelEncoder(encode: (model: Model, options: SaveOptions) => Uint8Array): void {
  encoder = encode;
}

export function modelEncoder(): (model: Model, options: SaveOptions) => Uint8Array {
  if (!encoder)
    throw configError('model.toBytes', { expected: 'no model encoder is registered', hint: "import neurona's entry, not a file of it" });
  return encoder;
}
