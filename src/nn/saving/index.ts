/**
 * Saving and loading models on disk (Node only; reached from src/index.ts, never from the browser
 * entry). Importing this module registers the file-system side of `model.save`, `model.saveWeights`
 * and `model.loadWeights` (see hooks.ts).
 */
import type { Stats } from 'node:fs';
import { mkdir, readFile, readdir, stat, unlink } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, FormatError, configError, formatError, problem, show } from '../../core/index.js';
import { ATOMIC_TEMP_PATTERN, processRuns, renameDurably, writeFileAtomic, writeNewFileDurably } from '../../io/atomic.js';
import { Model } from '../models/model.js';
import { SAVE_ID_KEY, isOptimizerKey, decodeSafetensors, encodeWeights, matchWeights, parseModelJson, type ModelJson } from './format.js';
import {
  MAX_MODEL_JSON_BYTES,
  MODEL_JSON,
  MODEL_WEIGHTS,
  decodeModel,
  encodeModel,
  modelJsonText,
  type LoadModelOptions,
} from './model-bytes.js';
import { loadFromLocation, saveToLocation } from './locations.js';
import { SAVE_ID_PATTERN } from './validate.js';
import { MODEL_WRITERS, registerPersistence, type SaveOptions } from './hooks.js';
import { isKerasWeightsPath, loadKerasWeights } from './keras-h5.js';
import { kerasWeightsH5 } from './keras-h5-write.js';
import type { SafetensorsTensor } from '../../io/safetensors.js';
import type { CompileConfig } from './format.js';

export type { SaveOptions } from './hooks.js';
export { FORMAT_NAME, FORMAT_VERSION, namedWeights } from './format.js';
export { MODEL_JSON, MODEL_WEIGHTS, modelFromBytes, type LoadModelOptions } from './model-bytes.js';
export { listModels, removeModel } from './locations.js';

/** A decoded .safetensors file: its tensors by name and its string metadata. */
type SafetensorsFile = ReturnType<typeof decodeSafetensors>;

async function readBounded(path: string, what: string, max = Number.MAX_SAFE_INTEGER, missingOk = false): Promise<Uint8Array> {
  let info: Stats;
  try {
    info = await stat(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (missingOk && code === 'ENOENT') throw new MissingFile(problem(what, { expected: `${path} does not exist` }));
    throw formatError(what, { expected: `cannot read ${path}`, rule: code === 'ENOENT' ? 'no such file' : (code ?? String(e)) });
  }
  if (!info.isFile()) throw formatError(what, { expected: `${path} is not a file` });
  if (info.size > max) throw formatError(what, { expected: `${path} is ${info.size} bytes, more than the ${max} allowed` });
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (missingOk && code === 'ENOENT') {
      throw new MissingFile(problem(what, { expected: `${path} does not exist` })); // renamed away after the stat
    }
    throw formatError(what, { expected: `cannot read ${path}`, rule: code ?? String(e) });
  }
}

/*
 * The two files of a model are committed together (docs/architecture.md, "Saving and loading": after a crash at any
 * instant, loadModel gives the old model or the new one, never new weights with an old model.json).
 * Each save has an id, `<pid>-<16 random hex digits>`, written into model.json (`saveId`) and into
 * the weights' metadata. A save
 *   1. writes the weights to a new file named by the id, `model.<id>.safetensors`, and flushes it;
 *   2. commits: model.json (with the id) replaces the old one by an atomic rename;
 *   3. renames `model.<id>.safetensors` over `model.safetensors`.
 * A reader takes model.json's id and reads `model.<id>.safetensors` when it exists (a save that
 * stopped between steps 2 and 3), else `model.safetensors`. Before step 2 model.json and
 * model.safetensors are the old pair; from step 2 on model.json names the new weights, which are in
 * the staged file until step 3 moves them, in one rename, to model.safetensors. A reader that reads
 * model.json, then the weights, while another process saves can still see one of each: the id in
 * the weights' metadata then differs from model.json's and the reader starts again.
 * Why not one rename of a directory: replacing a non-empty directory is not atomic on POSIX (and
 * not possible on Windows), so there would be an instant with no model at all; and why not a
 * content hash: it costs a pass over the weights at every load and says only that they changed.
 * The next save into the directory first finishes a save stopped between steps 2 and 3, then
 * removes what saves killed earlier left behind (staged weights and temporary files of processes
 * that no longer run). Directories written before save ids (no `saveId`) load as before.
 */

/** The staged weights of the save with this id (the id is validated, so this stays a plain name). */
const stagedWeightsName = (saveId: string) => `model.${saveId}.safetensors`;
const STAGED_PATTERN = /^model\.(\d+)-[0-9a-f]{16}\.safetensors$/;

/** Makes `dir` a directory to save into: created when missing, a clear error when it is a file. */
async function prepareDirectory(dir: string): Promise<void> {
  const advice =
    'a saved model is a directory holding model.json and model.safetensors: choose another path, ' +
    'or use model.saveWeights(path) to write the weights alone to one .safetensors file';
  const info = await stat(dir).catch(() => null);
  if (info && !info.isDirectory()) {
    throw configError('model.save', { expected: `${dir} exists and is a file, not a directory`, hint: advice });
  }
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EEXIST' || code === 'ENOTDIR') {
      throw configError('model.save', {
        expected: `cannot create the directory ${dir}: part of the path is a file`,
        rule: code,
        hint: advice,
      });
    }
    throw e;
  }
}

/** Finishes a save stopped between its steps 2 and 3, then removes what killed saves left behind. */
async function recoverDirectory(dir: string): Promise<void> {
  let current: ModelJson | null = null;
  try {
    current = await readModelJson(dir);
  } catch {
    // no model (or a broken one) to finish: it is about to be replaced
  }
  if (current?.saveId) {
    const staged = join(dir, stagedWeightsName(current.saveId));
    if (
      await stat(staged).then(
        (i) => i.isFile(),
        () => false,
      )
    )
      await renameDurably(staged, join(dir, MODEL_WEIGHTS));
  }
  for (const name of await readdir(dir)) {
    const temp = ATOMIC_TEMP_PATTERN.exec(name);
    const ours = temp && (temp[1] === MODEL_JSON || temp[1] === MODEL_WEIGHTS) ? temp[2] : STAGED_PATTERN.exec(name)?.[1];
    if (ours === undefined) continue;
    const pid = Number(ours);
    if (pid === process.pid || processRuns(pid)) continue; // a save in flight, maybe: leave it
    await unlink(join(dir, name)).catch(() => undefined);
  }
}

async function saveModel(model: Model, dir: string, options: SaveOptions = {}): Promise<void> {
  if (!(model instanceof Model)) throw configError('model.save', { expected: 'expected a Model', got: show(model) });
  if (typeof dir !== 'string' || dir.length === 0) {
    throw configError('model.save', { expected: 'expected a directory path', got: show(dir) });
  }
  if (await saveToLocation(model, dir, options)) return; // indexeddb://, downloads:// (locations.ts)
  // The format follows the extension: a registered one (.onnx) is one file, anything else a model directory.
  const writer = MODEL_WRITERS.get(extname(dir).toLowerCase());
  if (writer) return writeFileAtomic(dir, writer(model));
  const saveId = `${process.pid}-${randomBytes(8).toString('hex')}`;
  const { text, weights: bytes } = encodeModel(model, options, saveId);
  await prepareDirectory(dir);
  await recoverDirectory(dir);
  // The three steps of the commit protocol described above.
  const staged = join(dir, stagedWeightsName(saveId));
  await writeNewFileDurably(staged, bytes);
  try {
    await writeFileAtomic(join(dir, MODEL_JSON), text);
  } catch (e) {
    await unlink(staged).catch(() => undefined);
    throw e;
  }
  await renameDurably(staged, join(dir, MODEL_WEIGHTS));
}

/** Reads and validates `<dir>/model.json` without building anything. */
export async function readModelJson(dir: string): Promise<ModelJson> {
  const bytes = await readBounded(join(dir, MODEL_JSON), 'loadModel', MAX_MODEL_JSON_BYTES);
  return parseModelJson(modelJsonText(bytes, join(dir, MODEL_JSON)));
}

/**
 * Reads model.json and the weights that belong to it (see the commit protocol above): the staged
 * weights of its save when a save stopped before moving them, else model.safetensors. Reads again
 * when the two come from different saves (another process saved in between).
 */
async function readModelFiles(
  dir: string,
): Promise<{ json: ModelJson; weightsPath: string; tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }> {
  for (let attempt = 1; ; attempt++) {
    const json = await readModelJson(dir);
    let weightsPath = join(dir, MODEL_WEIGHTS);
    let file: SafetensorsFile | undefined;
    if (json.saveId !== undefined && SAVE_ID_PATTERN.test(json.saveId)) {
      const staged = join(dir, stagedWeightsName(json.saveId));
      try {
        file = await readSafetensors(staged, true);
        weightsPath = staged;
      } catch (e) {
        if (!(e instanceof MissingFile)) throw e;
      }
    }
    file ??= await readSafetensors(weightsPath);
    const id = file.metadata[SAVE_ID_KEY];
    // No id in the weights: written before save ids, or by model.saveWeights; they load as before.
    if (json.saveId === undefined || id === undefined || id === json.saveId) return { json, weightsPath, ...file };
    if (attempt === 3) {
      throw formatError('loadModel', {
        expected: `${weightsPath} was written by another save than ${join(dir, MODEL_JSON)}`,
        rule: `save ids ${JSON.stringify(id)} and ${JSON.stringify(json.saveId)}`,
        hint: 'save the model again, or load these weights into a model with model.loadWeights(path)',
      });
    }
  }
}

class MissingFile extends FormatError {}

/** Reads and decodes a .safetensors file (FormatError on any inconsistency). */
export async function readSafetensors(
  path: string,
  missingOk = false,
): Promise<{ tensors: Record<string, SafetensorsTensor>; metadata: Record<string, string> }> {
  const bytes = await readBounded(path, 'safetensors', Number.MAX_SAFE_INTEGER, missingOk);
  return decodeSafetensors(bytes, path);
}

/**
 * Loads a model saved with `model.save(dir)`: validates model.json, rebuilds the architecture, checks
 * every weight (presence, shape, dtype) before assigning any, and, when the model was compiled,
 * compiles it again and restores the optimizer's state so training continues exactly.
 * Only `dir/model.json` and `dir/model.safetensors` are read; nothing in them is evaluated.
 * `source` may also be the bytes of `model.toBytes()`, or an `http(s)://` URL of a model directory,
 * its model.json or a .neurona file (docs/saving.md).
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
export async function loadModel(source: string | Uint8Array, options: LoadModelOptions = {}): Promise<Model> {
  const located = await loadFromLocation(source, options);
  if (located) return located;
  const dir = source as string;
  const { json, weightsPath, tensors } = await readModelFiles(dir);
  return decodeModel(json, tensors, join(dir, MODEL_JSON), weightsPath, options);
}

async function saveWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw configError('model.saveWeights', { expected: 'expected a file path', got: show(path) });
  }
  // .h5 / .weights.h5: Keras 3's layout, which Keras's model.load_weights reads.
  if (isKerasWeightsPath(path)) return writeFileAtomic(path, kerasWeightsH5(model));
  const { bytes } = encodeWeights(model, false);
  await writeFileAtomic(path, bytes);
}

async function loadWeights(model: Model, path: string): Promise<void> {
  if (typeof path !== 'string' || path.length === 0) {
    throw configError('model.loadWeights', { expected: 'expected a file path', got: show(path) });
  }
  if (isKerasWeightsPath(path)) return loadKerasWeights(model, path);
  const { tensors } = await readSafetensors(path);
  // A file saved with the optimizer (model.safetensors) loads too: its optimizer entries are ignored.
  matchWeights(model, tensors, path, ConfigError, isOptimizerKey).assign();
}

registerPersistence({ save: saveModel, saveWeights, loadWeights });

/** What `neurona inspect` prints for a model directory or a .safetensors file (nothing is built). */
export async function inspect(path: string): Promise<string[]> {
  const lines: string[] = [];
  let info: Stats;
  try {
    info = await stat(path);
  } catch {
    throw formatError('inspect', { expected: `${path} does not exist` });
  }
  let file: SafetensorsFile | undefined;
  if (info.isDirectory()) {
    const { json, ...weights } = await readModelFiles(path);
    file = weights;
    lines.push(`format: ${json.format} version ${json.formatVersion}`);
    lines.push(`model: ${json.modelConfig.className} "${String(json.modelConfig.config.name ?? '')}"`);
    lines.push('layers:');
    const walk = (spec: { className: string; config: Record<string, unknown> }, indent: string) => {
      for (const l of spec.config.layers as { className: string; config: Record<string, unknown> }[]) {
        lines.push(`${indent}${String(l.config.name ?? '?')} (${l.className})`);
        if (Array.isArray(l.config.layers)) walk(l, `${indent}  `);
      }
    };
    walk(json.modelConfig, '  ');
    const cc = json.compileConfig;
    const losses = cc?.loss.map((l) => (typeof l === 'string' ? l : l.className)).join(', ');
    lines.push(cc ? `compiled: optimizer ${describeOptimizers(cc.optimizer)}, loss ${losses || 'none (added losses)'}` : 'compiled: no');
  }
  const { tensors, metadata } = file ?? (await readSafetensors(path));
  if (!info.isDirectory())
    lines.push(
      `format: safetensors${metadata.format ? ` (written by ${metadata.format} format version ${metadata.formatVersion ?? '?'})` : ''}`,
    );
  lines.push(`tensors (${Object.keys(tensors).length}):`);
  let params = 0;
  let optimizerValues = 0;
  for (const [name, t] of Object.entries(tensors)) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (isOptimizerKey(name)) optimizerValues += size;
    else params += size;
    lines.push(`  ${name}  ${t.dtype}  [${t.shape.join(', ')}]`);
  }
  lines.push(`parameters: ${params.toLocaleString('en-US')}`);
  if (optimizerValues > 0) lines.push(`optimizer values: ${optimizerValues.toLocaleString('en-US')}`);
  return lines;
}

/** The optimizer(s) of a compile config, for the description line. */
function describeOptimizers(spec: CompileConfig['optimizer']): string {
  if (typeof spec.className === 'string') return spec.className;
  return Object.entries(spec as Record<string, { className: string }>)
    .map(([k, o]) => `${k} ${o.className}`)
    .join(', ');
}
