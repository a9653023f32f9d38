/**
 * Saving and loading in the browser entry: `model.save('indexeddb://name' | 'downloads://name')`,
 * `nr.loadModel('indexeddb://name' | 'http(s)://...' | relative URL | bytes)`. Importing this module
 * registers the browser's side of model.save; saveWeights and loadWeights, which name files, say what
 * to use instead.
 */
import { configError } from '../../core/index.js';
import type { Model } from '../models/model.js';
import { registerPersistence } from './hooks.js';
import { loadFromLocation, saveToLocation } from './locations.js';
import type { LoadModelOptions } from './model-bytes.js';

export { listModels, removeModel } from './locations.js';
export type { LoadModelOptions } from './model-bytes.js';
export type { SaveOptions } from './hooks.js';

const weightFiles = (method: string) => async (): Promise<void> => {
  throw configError(`model.${method}`, {
    expected: 'writes and reads .safetensors files, which a browser page has not',
    hint: "save the whole model with model.save('indexeddb://name') or model.toBytes(), and load it with nr.loadModel",
  });
};

registerPersistence({
  save: async (model, path, options) => {
    if (typeof path !== 'string' || !(await saveToLocation(model, path, options))) {
      throw configError('model.save', {
        expected: `cannot save to ${JSON.stringify(path)} in a browser`,
        hint: "give 'indexeddb://name' or 'downloads://name', or keep the bytes of model.toBytes()",
      });
    }
  },
  saveWeights: weightFiles('saveWeights'),
  loadWeights: weightFiles('loadWeights'),
});

/**
 * Loads a model saved by `model.save` or `model.toBytes()`: from `'indexeddb://name'`, from an
 * `http(s)://` URL or a URL relative to the page (a model directory, its model.json, or a .neurona
 * file), or from the bytes themselves; with the checks of the Node entry's loadModel.
 */
export async function loadModel(source: string | Uint8Array, options: LoadModelOptions = {}): Promise<Model> {
  const location = (globalThis as { location?: { href: string } }).location;
  // A plain path in a page is a URL relative to it (Node reads it as a directory instead).
  const resolved =
    typeof source === 'string' && location && !/^[a-z][a-z0-9+.-]*:\/\//i.test(source) ? new URL(source, location.href).href : source;
  const model = await loadFromLocation(resolved, options);
  if (!model) throw configError('loadModel', { expected: `cannot load ${JSON.stringify(source)}: no page to resolve it against` });
  return model;
}
