/**
 * Saving and loading models on disk (Node only; reached from src/index.ts, never from the browser
 * entry). Importing this module registers the file-system side of `model.save`, `model.saveWeights`
 * and `model.loadWeights` (see hooks.ts).
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, FormatError } from '../../core/index.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { withWeightBudget } from '../layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import {
  FORMAT_NAME, FORMAT_VERSION, buildModel, compileConfigOf, compileOptionsOf, decodeSafetensors, encodeWeights, matchWeights,
  namedWeights, parseModelJson, prepareOptimizerState, type ModelJson,
} from './format.js';
import { registerPersistence, type SaveOptions } from './hooks.js';
import type { SafetensorsTensor } from '../../io/safetensors.js';

export type { SaveOptions } from './hooks.js';
export { FORMAT_NAME, FORMAT_VERSION, namedWeights } from './format.js';

/** The two files of a saved model: fixed names inside the directory (no path is read from the files). */
export const MODEL_JSON = 'model.json';
export const MODEL_WEIGHTS = 'model.safetensors';
/** model.json larger than this is refused before parsing. */
const MAX_MODEL_JSON_BYTES = 64 * 1024 * 1024;

async function readBounded(path: string, what: string, max = Number.MAX_SAFE_INTEGER): Promise<Uint8Array> {
  let info;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new FormatError(`${what}: cannot read ${path} (${code === 'ENOENT' ? 'no such file' : code ?? String(e)})`);
  }
  if (!info.isFile()) throw new FormatError(`${what}: ${path} is not a file`);
  if (info.size > max) throw new FormatError(`${what}: ${path} is ${info.size} bytes, more than the ${max} allowed`);
  return new Uint8Array(await readFile(path));
}

async function saveModel(model: Model, dir: string, options: SaveOptions = {}): Promise<void> {
  if (!(model instanceof Model)) throw new ConfigError('model.save: expected a Model');
  if (typeof dir !== 'string' || dir.length === 0) throw new ConfigError(`model.save: expected a directory path, got ${JSON.stringify(dir)}`);
  const includeOptimizer = options.includeOptimizer ?? true;
  const className = model.className;
  if (className !== 'Sequential' && className !== 'Functional') {
    throw new ConfigError(`model.save: "${model.name}" is a subclassed model (${className}), whose architecture is code and cannot be saved as a config; `
      + 'save its weights with model.saveWeights(path) and rebuild it in code, or build it as nr.Sequential or a functional nr.Model');
  }
  if (!model.built) {
    throw new ConfigError(`model.save: model "${model.name}" is not built yet, so it has no weights; give the first layer an inputShape, start with nr.Input, or call/fit the model once`);
  }
  const modelConfig = { className, config: model.getConfig() };
  const { names, bytes } = encodeWeights(model, includeOptimizer);
  const json: ModelJson = {
    format: FORMAT_NAME, formatVersion: FORMAT_VERSION, modelConfig,
    compileConfig: compileConfigOf(model),
    weights: names,
    buildInputShape: model instanceof Sequential && model.builtInputShape ? [...model.builtInputShape] : null,
  };
  const text = JSON.stringify(json, null, 2);
  parseModelJson(text); // the file we write must be one we read (e.g. no unregistered layer classes)
  await mkdir(dir, { recursive: true });
  // Weights first, model.json last: a crash between the two leaves an old model.json, whose weight
  // list then fails loudly against the new weights rather than loading a silent mix.
  await writeFileAtomic(join(dir, MODEL_WEIGHTS), bytes);
  await writeFileAtomic(join(dir, MODEL_JSON), `${text}\n`);
}

/** Reads and validates `<dir>/model.json` without building anything. */
export async function readModelJson(dir: string): Promise<ModelJson> {
  const bytes = await readBounded(join(dir, MODEL_JSON), 'loadModel', MAX_MODEL_JSON_BYTES);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new FormatError(`loadModel: ${join(dir, MODEL_JSON)} is not UTF-8 text`);
  }
  return parseModelJson(text);
}

/** Reads and decodes a .safetensors file (FormatError on any inconsistency). */
export async function readSafetensors(path: string): Promise<{ tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }> {
  const bytes = await readBounded(path, 'safetensors');
  return decodeSafetensors(bytes, path);
}

/**
 * Loads a model saved with `model.save(dir)`: validates model.json, rebuilds the architecture, checks
 * every weight (presence, shape, dtype) before assigning any, and, when the model was compiled,
 * compiles it again and restores the optimizer's state so training continues exactly.
 * Only `dir/model.json` and `dir/model.safetensors` are read; nothing in them is evaluated.
 *
 * ```ts
 * import * as nr from 'neurona';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const model = new nr.Sequential([new nr.layers.Dense({ units: 2, inputShape: [3] })]);
 * const dir = join(tmpdir(), `neurona-doc-${process.pid}`);
 * await model.save(dir);
 * const loaded = await nr.loadModel(dir);
 * ```
 */
export async function loadModel(dir: string): Promise<Model> {
  if (typeof dir !== 'string' || dir.length === 0) throw new ConfigError(`loadModel: expected a directory path, got ${JSON.stringify(dir)}`);
  const json = await readModelJson(dir);
  const weightsPath = join(dir, MODEL_WEIGHTS);
  const { tensors } = await readSafetensors(weightsPath);
  // The architecture may not create more weight values than the file holds (checked before allocating).
  let stored = 0;
  for (const [name, t] of Object.entries(tensors)) if (!name.startsWith('optimizer/')) stored += t.shape.reduce((a, b) => a * b, 1);
  const model = withWeightBudget(stored, `loadModel: ${join(dir, MODEL_JSON)}`, () => buildModel(json));
  const listed = new Set(json.weights);
  const named = namedWeights(model);
  const notListed = [...named.keys()].filter((n) => !listed.has(n));
  const extra = json.weights.filter((n) => !named.has(n));
  if (notListed.length > 0 || extra.length > 0) {
    throw new FormatError(`loadModel: model.json's weight list does not match its architecture (${[...notListed.map((n) => `not listed "${n}"`), ...extra.map((n) => `no such weight "${n}"`)].join(', ')})`);
  }
  const match = matchWeights(model, tensors, weightsPath, FormatError, (k) => k.startsWith('optimizer/'));
  let restoreOptimizer: (() => void) | null = null;
  if (json.compileConfig) {
    try {
      model.compile(compileOptionsOf(json.compileConfig, model.outputNames));
    } catch (e) {
      if (e instanceof FormatError) throw e;
      throw new FormatError(`loadModel: compileConfig in model.json does not compile: ${(e as Error).message}`);
    }
    restoreOptimizer = prepareOptimizerState(model, match.named, tensors, weightsPath);
  }
  // Everything is checked: only now is anything assigned.
  match.assign();
  restoreOptimizer?.();
  return model;
}

async function saveWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new ConfigError(`model.saveWeights: expected a file path, got ${JSON.stringify(path)}`);
  const { bytes } = encodeWeights(model, false);
  await writeFileAtomic(path, bytes);
}

async function loadWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) throw new ConfigError(`model.loadWeights: expected a file path, got ${JSON.stringify(path)}`);
  const { tensors } = await readSafetensors(path);
  // A file saved with the optimizer (model.safetensors) loads too: its optimizer entries are ignored.
  matchWeights(model, tensors, path, ConfigError, (k) => k.startsWith('optimizer/')).assign();
}

registerPersistence({ save: saveModel, saveWeights, loadWeights });

/** What `neurona inspect` prints for a model directory or a .safetensors file (nothing is built). */
export async function inspect(path: string): Promise<string[]> {
  const lines: string[] = [];
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new FormatError(`inspect: ${path} does not exist`);
  }
  let weightsPath = path;
  if (info.isDirectory()) {
    const json = await readModelJson(path);
    weightsPath = join(path, MODEL_WEIGHTS);
    lines.push(`format: ${json.format} version ${json.formatVersion}`);
    lines.push(`model: ${json.modelConfig.className} "${String(json.modelConfig.config.name ?? '')}"`);
    lines.push('layers:');
    const walk = (spec: { className: string; config: Record<string, unknown> }, indent: string) => {
      for (const l of (spec.config.layers as { className: string; config: Record<string, unknown> }[])) {
        lines.push(`${indent}${String(l.config.name ?? '?')} (${l.className})`);
        if (Array.isArray(l.config.layers)) walk(l, `${indent}  `);
      }
    };
    walk(json.modelConfig, '  ');
    const cc = json.compileConfig;
    lines.push(cc ? `compiled: optimizer ${cc.optimizer.className}, loss ${cc.loss.map((l) => (typeof l === 'string' ? l : l.className)).join(', ')}` : 'compiled: no');
  }
  const { tensors, metadata } = await readSafetensors(weightsPath);
  if (!info.isDirectory()) lines.push(`format: safetensors${metadata.format ? ` (written by ${metadata.format} format version ${metadata.formatVersion ?? '?'})` : ''}`);
  lines.push(`tensors (${Object.keys(tensors).length}):`);
  let params = 0;
  let optimizerValues = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (name.startsWith('optimizer/')) optimizerValues += size;
    else params += size;
    lines.push(`  ${name}  ${t.dtype}  [${t.shape.join(', ')}]`);
  }
  lines.push(`parameters: ${params.toLocaleString('en-US')}`);
  if (optimizerValues > 0) lines.push(`optimizer values: ${optimizerValues.toLocaleString('en-US')}`);
  return lines;
}
