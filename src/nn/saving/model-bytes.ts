/**
 * A saved model as bytes, without any file system (the browser entry and the Node entry both use it):
 * model.json text and model.safetensors bytes built from a model and checked back into one, and the
 * one-file container of `model.toBytes()` / `nr.loadModel(bytes)`.
 */
import { unzipSync, zipSync, type Zippable } from 'fflate';
import { FormatError, NeuronaError, configError, formatError, show } from '../../core/index.js';
import type { SafetensorsTensor } from '../../io/safetensors.js';
import { withWeightBudget } from '../layer.js';
import { withCustomObjects } from '../layers/core/lambda.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import {
  FORMAT_NAME,
  FORMAT_VERSION,
  buildModel,
  compileConfigOf,
  compileOptionsOf,
  decodeSafetensors,
  encodeWeights,
  isOptimizerKey,
  matchWeights,
  namedWeights,
  parseModelJson,
  prepareOptimizerState,
  type ModelJson,
} from './format.js';
import { registerModelEncoder, type SaveOptions } from './hooks.js';

/** The two files of a saved model: fixed names inside the directory (no path is read from the files). */
export const MODEL_JSON = 'model.json';
export const MODEL_WEIGHTS = 'model.safetensors';
/** model.json larger than this is refused before parsing. */
export const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

export interface LoadModelOptions {
  /** Functions by the names a Lambda layer's config stores (besides those given to `nr.registerLambda`). */
  customObjects?: Record<string, (...args: never[]) => unknown>;
}

/** model.json's text and model.safetensors' bytes for `model` (ConfigError when it cannot be saved). */
export function encodeModel(model: Model, options: SaveOptions = {}, saveId?: string): { text: string; weights: Uint8Array } {
  if (!(model instanceof Model)) throw configError('model.save', { expected: 'expected a Model', got: show(model) });
  const className = model.className;
  if (className !== 'Sequential' && className !== 'Functional') {
    throw configError('model.save', {
      expected: `"${model.name}" is a subclassed model (${className}), whose architecture is code and cannot be saved as a config`,
      hint: 'save its weights with model.saveWeights(path) and rebuild it in code, or build it as nr.Sequential or a functional nr.Model',
    });
  }
  if (!model.built) {
    throw configError('model.save', {
      expected: `model "${model.name}" is not built yet, so it has no weights`,
      hint: 'give the first layer an inputShape, start with nr.Input, or call/fit the model once',
    });
  }
  const { names, bytes } = encodeWeights(model, options.includeOptimizer ?? true, saveId);
  const json: ModelJson = {
    format: FORMAT_NAME,
    formatVersion: FORMAT_VERSION,
    modelConfig: { className, config: model.getConfig() },
    compileConfig: compileConfigOf(model),
    weights: names,
    buildInputShape: model instanceof Sequential && model.builtInputShape ? [...model.builtInputShape] : null,
    ...(saveId === undefined ? {} : { saveId }),
  };
  const text = JSON.stringify(json, null, 2);
  parseModelJson(text); // the file we write must be one we read (e.g. no unregistered layer classes)
  return { text: `${text}\n`, weights: bytes };
}

/** model.json's bytes as text (FormatError naming `source` when they are too long or not UTF-8). */
export function modelJsonText(bytes: Uint8Array, source: string): string {
  if (bytes.length > MAX_MODEL_JSON_BYTES) {
    throw formatError('loadModel', { expected: `${source} is ${bytes.length} bytes, more than the ${MAX_MODEL_JSON_BYTES} allowed` });
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw formatError('loadModel', { expected: `${source} is not UTF-8 text` });
  }
}

/**
 * Builds the model that validated model.json describes and gives it the weights of `tensors` (the
 * decoded model.safetensors): every weight is checked (presence, shape, dtype) before any is assigned,
 * and a compiled model is compiled again with its optimizer's state restored. `jsonSource` and
 * `weightsSource` name the two files in errors.
 */
export function decodeModel(
  json: ModelJson,
  tensors: Record<string, SafetensorsTensor>,
  jsonSource: string,
  weightsSource: string,
  options: LoadModelOptions = {},
): Model {
  // The architecture may not create more weight values than the file holds (checked before allocating).
  let stored = 0;
  for (const [name, t] of Object.entries(tensors)) if (!isOptimizerKey(name)) stored += t.shape.reduce((a, b) => a * b, 1);
  const source = `loadModel: ${jsonSource}`;
  const model = withCustomObjects(options.customObjects, () => withWeightBudget(stored, source, () => buildModel(json, source)));
  const listed = new Set(json.weights);
  const named = namedWeights(model);
  const notListed = [...named.keys()].filter((n) => !listed.has(n));
  const extra = json.weights.filter((n) => !named.has(n));
  if (notListed.length > 0 || extra.length > 0) {
    throw formatError('loadModel', {
      expected: "model.json's weight list does not match its architecture",
      rule: [...notListed.map((n) => `not listed "${n}"`), ...extra.map((n) => `no such weight "${n}"`)].join(', '),
    });
  }
  const match = matchWeights(model, tensors, weightsSource, FormatError, isOptimizerKey);
  let restoreOptimizer: (() => void) | null = null;
  if (json.compileConfig) {
    try {
      model.compile(compileOptionsOf(json.compileConfig, model.outputNames));
    } catch (e) {
      // A NeuronaError is the file's fault; anything else is a bug here, and must not be disguised.
      if (e instanceof FormatError || !(e instanceof NeuronaError)) throw e;
      throw formatError('loadModel', { expected: `compileConfig in ${jsonSource} does not compile: ${e.message}` });
    }
    restoreOptimizer = prepareOptimizerState(model, match.named, tensors, weightsSource);
  }
  // Everything is checked: only now is anything assigned.
  match.assign();
  restoreOptimizer?.();
  return model;
}

/** Decodes model.json and model.safetensors given as bytes into a model (see decodeModel). */
export function decodeModelFiles(
  jsonBytes: Uint8Array,
  weightBytes: Uint8Array,
  jsonSource: string,
  weightsSource: string,
  options: LoadModelOptions = {},
): Model {
  const json = parseModelJson(modelJsonText(jsonBytes, jsonSource));
  const { tensors } = decodeSafetensors(weightBytes, weightsSource);
  return decodeModel(json, tensors, jsonSource, weightsSource, options);
}

/*
 * The one-file form is a zip holding model.json and model.safetensors, because a zip is what every
 * system opens: unzipped, it is a model directory that nr.loadModel(dir) and `neurona inspect` read,
 * and a directory zipped by hand loads as bytes. The weights are stored uncompressed (float weights
 * barely compress, and storing keeps toBytes a copy), model.json deflated.
 */

/**
 * The model as one Uint8Array (a zip of model.json and model.safetensors; the optimizer's state is
 * kept unless `includeOptimizer: false`), for IndexedDB, a download, a fetch body or a worker.
 */
export function modelToBytes(model: Model, options: SaveOptions = {}): Uint8Array {
  const { text, weights } = encodeModel(model, options);
  const files: Zippable = { [MODEL_JSON]: [new TextEncoder().encode(text), { level: 6 }], [MODEL_WEIGHTS]: [weights, { level: 0 }] };
  return zipSync(files, { mtime: new Date(2000, 0, 1) });
}

registerModelEncoder(modelToBytes);

/** The largest model.safetensors a container may declare (the most one ArrayBuffer holds in browsers). */
const MAX_WEIGHT_BYTES = 2 ** 32;

/**
 * Reads the container of `model.toBytes()` back into a model, with the checks of loading a model
 * directory; anything malformed is a FormatError naming `source`.
 */
export function modelFromBytes(bytes: Uint8Array, options: LoadModelOptions = {}, source = 'model bytes'): Model {
  if (!(bytes instanceof Uint8Array)) throw configError('loadModel', { expected: 'expected a Uint8Array', got: show(bytes) });
  // A zip starts with a local file header; anything else (a model.json, an HTML error page) is named plainly.
  if (bytes.length < 4 || bytes[0] !== 0x50 || bytes[1] !== 0x4b || bytes[2] !== 3 || bytes[3] !== 4) {
    throw formatError(source, {
      expected: 'is not a neurona model container (a zip holding model.json and model.safetensors)',
      hint: 'pass the bytes of model.toBytes() or of a .neurona file; load a model directory with nr.loadModel(dir)',
    });
  }
  const entries: string[] = [];
  const declared = new Map<string, number>();
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (file) => {
        entries.push(file.name);
        // Past two entries the container is wrong already; stopping here also bounds a forged entry count.
        if (entries.length > 2) throw formatError(source, { expected: `must hold exactly ${MODEL_JSON} and ${MODEL_WEIGHTS}` });
        declared.set(file.name, file.originalSize);
        const max = file.name === MODEL_JSON ? MAX_MODEL_JSON_BYTES : MAX_WEIGHT_BYTES;
        if ((file.name === MODEL_JSON || file.name === MODEL_WEIGHTS) && file.originalSize > max) {
          throw formatError(source, { expected: `${file.name} declares ${file.originalSize} bytes, more than the ${max} allowed` });
        }
        return file.name === MODEL_JSON || file.name === MODEL_WEIGHTS;
      },
    });
  } catch (e) {
    if (e instanceof FormatError) throw e;
    throw formatError(source, { expected: 'is not a readable zip', rule: e instanceof Error ? e.message : String(e) });
  }
  const others = entries.filter((n) => n !== MODEL_JSON && n !== MODEL_WEIGHTS);
  const missing = [MODEL_JSON, MODEL_WEIGHTS].filter((n) => !files[n]);
  if (missing.length > 0 || others.length > 0 || entries.length !== 2) {
    throw formatError(source, {
      expected: `must hold exactly ${MODEL_JSON} and ${MODEL_WEIGHTS}`,
      got: `entries ${entries.map((n) => JSON.stringify(n.slice(0, 100))).join(', ') || '(none)'}`,
    });
  }
  for (const [name, data] of Object.entries(files)) {
    if (data.length !== declared.get(name)) {
      throw formatError(source, { expected: `${name} declares ${declared.get(name)} bytes but holds ${data.length}` });
    }
  }
  return decodeModelFiles(files[MODEL_JSON]!, files[MODEL_WEIGHTS]!, `${source}: ${MODEL_JSON}`, `${source}: ${MODEL_WEIGHTS}`, options);
}
