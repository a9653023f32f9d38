/**
 * Keras 3's `.keras` archive: a zip holding `metadata.json` (`keras_version`, `date_saved`),
 * `config.json` (the model as Keras serializes it, see keras-config.ts) and `model.weights.h5`
 * (every layer's variables as `layers/<layer>/vars/<i>`, read by src/nn/saving/keras-h5.ts).
 */
import { unzipSync, zipSync } from 'fflate';
import { formatError } from '../core/index.js';
import { openHdf5 } from '../io/hdf5.js';
import { withWeightBudget } from '../nn/layer.js';
import type { Model } from '../nn/models/model.js';
import { assignKerasWeights } from '../nn/saving/keras-h5.js';
import { kerasWeightsH5 } from '../nn/saving/keras-h5-write.js';
import { modelFromKerasConfig, modelToKerasConfig } from './keras-config.js';

/** The Keras release whose format the archive follows (Keras reads archives of its own major version). */
export const KERAS_VERSION = '3.6.0';
const MAX_JSON_BYTES = 64 * 2 ** 20;
const MAX_WEIGHTS_BYTES = 2 ** 31 - 1;

/** Builds the model of a `.keras` archive's bytes; `source` names it in errors. */
export function kerasArchiveToModel(bytes: Uint8Array, source: string): Model {
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      // Only the three files are inflated, and only when the zip's directory declares a sane size.
      filter: (f) =>
        (f.name === 'model.weights.h5' && f.originalSize <= MAX_WEIGHTS_BYTES) ||
        ((f.name === 'config.json' || f.name === 'metadata.json') && f.originalSize <= MAX_JSON_BYTES),
    });
  } catch (e) {
    throw formatError(source, { expected: 'is not a readable zip archive (a .keras file is a zip)', rule: (e as Error).message, cause: e });
  }
  for (const name of ['config.json', 'model.weights.h5']) {
    if (!files[name]) {
      throw formatError(source, {
        expected: `the archive has no ${name}`,
        hint: 'save the model in Keras 3 with model.save("name.keras")',
      });
    }
  }
  const json = (name: string): unknown => {
    try {
      return JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(files[name]));
    } catch (e) {
      throw formatError(`${source}: ${name}`, { expected: 'is not valid UTF-8 JSON', rule: (e as Error).message, cause: e });
    }
  };
  if (files['metadata.json']) {
    const meta = json('metadata.json') as Record<string, unknown> | null;
    const version = typeof meta?.keras_version === 'string' ? meta.keras_version : '';
    if (version && !/^3\./.test(version)) {
      throw formatError(`${source}: metadata.json`, { expected: 'a Keras 3 archive', got: JSON.stringify(version).slice(0, 40) });
    }
  }
  const weights = files['model.weights.h5']!;
  const root = openHdf5(weights, `${source}: model.weights.h5`);
  // Rebuilding may create weights; a config asking for more values than the weight file could hold is refused first.
  const model = withWeightBudget(Math.floor(weights.length / 2), source, () =>
    modelFromKerasConfig(json('config.json'), `${source}: config.json`),
  );
  assignKerasWeights(model, root, `${source}: model.weights.h5`);
  return model;
}

/** The model as a `.keras` archive's bytes (the zip is stored uncompressed, as Keras writes it). */
export function modelToKerasArchive(model: Model): Uint8Array {
  const config = modelToKerasConfig(model, 'keras3');
  const now = new Date().toISOString();
  const metadata = { keras_version: KERAS_VERSION, date_saved: `${now.slice(0, 10)}@${now.slice(11, 19)}` };
  const text = (v: unknown) => new TextEncoder().encode(JSON.stringify(v));
  return zipSync({ 'metadata.json': text(metadata), 'config.json': text(config), 'model.weights.h5': kerasWeightsH5(model) }, { level: 0 });
}
