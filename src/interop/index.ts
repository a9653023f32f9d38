/**
 * Other frameworks' model formats: ONNX (`toOnnx`, `fromOnnx`), TensorFlow.js's layers format
 * (`toTfjs`, `saveTfjs`, `fromTfjs`) and Keras 3's `.keras` archive (`toKeras`, `fromKeras`). See docs/interop.md.
 */
import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { configError, formatError, show } from '../core/index.js';
import type { Model } from '../nn/models/model.js';
import { onnxToModel, type FromOnnxOptions } from './onnx-import.js';
import { modelToOnnx, type ToOnnxOptions } from './onnx-export.js';
import { MODEL_WRITERS } from '../nn/saving/hooks.js';
import { writeFileAtomic } from '../io/atomic.js';
import { kerasArchiveToModel, modelToKerasArchive } from './keras-archive.js';
import { modelToTfjs, TFJS_SHARD, tfjsToModel, tfjsWeightSpecs, type TfjsArtifacts, type TfjsWeightSpec } from './tfjs.js';

export { OnnxOp } from './onnx-ops.js';
export { ONNX_OPERATORS, type FromOnnxOptions } from './onnx-import.js';
export { ONNX_EXPORTED_LAYERS, type ToOnnxOptions } from './onnx-export.js';
export { KERAS_LAYERS } from './keras-config.js';
export type { TfjsArtifacts, TfjsModelJson, TfjsWeightSpec } from './tfjs.js';

/**
 * The model as an ONNX file's bytes (`model.save('model.onnx')` writes the same). Inputs keep the
 * model's layout (NHWC images) unless `layout: 'NCHW'`; the batch dimension is dynamic.
 *
 * ```ts
 * const model = new nr.Sequential([nr.Input({ shape: [4] }), new nr.layers.Dense(2, 'softmax')]);
 * const bytes = await nr.interop.toOnnx(model, { opset: 17 });
 * ```
 */
export async function toOnnx(model: Model, options: ToOnnxOptions = {}): Promise<Uint8Array> {
  return modelToOnnx(model, options);
}

MODEL_WRITERS.set('.onnx', (model) => modelToOnnx(model));

/** Largest .onnx file read (weights are held in memory twice while a model is built). */
const MAX_ONNX_BYTES = 2 ** 31 - 1;

/**
 * Builds a trainable functional model from an ONNX file (a path or its bytes). Nothing in the file
 * is executed: its graph is read into layers, and an unsupported operator is a FormatError naming it.
 *
 * ```ts
 * const model = await nr.interop.fromOnnx('model.onnx'); // PyTorch's NCHW input; {layout: 'NHWC'} for Keras's
 * ```
 */
export async function fromOnnx(source: string | Uint8Array, options: FromOnnxOptions = {}): Promise<Model> {
  let bytes: Uint8Array;
  if (typeof source === 'string') {
    try {
      bytes = await readFile(source);
    } catch (e) {
      throw formatError('fromOnnx', { expected: `cannot read ${source}`, rule: (e as NodeJS.ErrnoException).code ?? String(e) });
    }
    if (bytes.length > MAX_ONNX_BYTES) throw formatError('fromOnnx', { expected: `${source} is larger than 2 GiB` });
  } else if (source instanceof Uint8Array) bytes = source;
  else throw configError('fromOnnx', { expected: 'a path or a Uint8Array', got: show(source) });
  return onnxToModel(bytes, options);
}

/**
 * The model in TensorFlow.js's layers format: `modelJson` (TF.js's `model.json`, weights in one
 * shard named `group1-shard1of1.bin`) and `weightData` (that shard's bytes). `tf.loadLayersModel`
 * reads them through `tf.io.fromMemory` or from files written by `saveTfjs`.
 *
 * ```ts
 * const model = new nr.Sequential([nr.Input({ shape: [4] }), new nr.layers.Dense(2, 'softmax')]);
 * const { modelJson, weightData } = await nr.interop.toTfjs(model);
 * ```
 */
export async function toTfjs(model: Model): Promise<TfjsArtifacts> {
  return modelToTfjs(model);
}

/**
 * Writes the model in TF.js's layers format: `model.json` and `group1-shard1of1.bin` in the folder
 * `path`, or, when `path` ends in `.json`, that file with the shard beside it. `tf.loadLayersModel`
 * reads them (over http, or `file://` in tfjs-node).
 */
export async function saveTfjs(model: Model, path: string): Promise<void> {
  const { modelJson, weightData } = modelToTfjs(model);
  const file = /\.json$/i.test(path) ? path : join(path, 'model.json');
  await mkdir(dirname(file), { recursive: true });
  await writeFileAtomic(join(dirname(file), TFJS_SHARD), weightData);
  await writeFileAtomic(file, JSON.stringify(modelJson));
}

/**
 * Builds a model from TF.js's layers format: a folder holding `model.json`, the path of a
 * `model.json` (its shards beside it), or in-memory artifacts (`{modelJson, weightData}` as `toTfjs`
 * gives them, or tfjs's `{modelTopology, weightSpecs, weightData}`). Every weight's shape is checked.
 */
export async function fromTfjs(source: string | TfjsArtifacts | TfjsMemoryArtifacts): Promise<Model> {
  if (typeof source === 'string') {
    const file = /\.json$/i.test(source) ? source : join(source, 'model.json');
    const text = await readOrFail(file, 'fromTfjs', 64 * 2 ** 20);
    let modelJson: unknown;
    try {
      modelJson = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(text));
    } catch (e) {
      throw formatError(`fromTfjs: ${file}`, { expected: 'is not valid UTF-8 JSON', rule: (e as Error).message, cause: e });
    }
    const manifest = (modelJson as { weightsManifest?: unknown } | null)?.weightsManifest ?? [];
    const { paths } = tfjsWeightSpecs(manifest, `fromTfjs: ${file}`);
    const shards = await Promise.all(paths.map((p) => readOrFail(join(dirname(file), p), 'fromTfjs', MAX_ONNX_BYTES)));
    return tfjsToModel(modelJson, concatBytes(shards), `fromTfjs: ${file}`);
  }
  if (typeof source !== 'object' || source === null)
    throw configError('fromTfjs', { expected: 'a path or TF.js artifacts', got: show(source) });
  if ('modelJson' in source) return tfjsToModel(source.modelJson, bytesOf(source.weightData), 'fromTfjs');
  const { modelTopology, weightSpecs, weightData } = source;
  return tfjsToModel({ modelTopology, weightsManifest: [{ paths: [], weights: weightSpecs ?? [] }] }, bytesOf(weightData), 'fromTfjs');
}

/** tfjs's in-memory artifacts (`tf.io.withSaveHandler` gives them). */
export interface TfjsMemoryArtifacts {
  modelTopology: Record<string, unknown>;
  weightSpecs?: TfjsWeightSpec[];
  weightData?: ArrayBuffer | Uint8Array | ArrayBuffer[];
}

function bytesOf(data: ArrayBuffer | Uint8Array | ArrayBuffer[] | undefined): Uint8Array {
  if (data === undefined) return new Uint8Array(0);
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (Array.isArray(data) && data.every((b) => b instanceof ArrayBuffer)) return concatBytes(data.map((b) => new Uint8Array(b)));
  throw configError('fromTfjs', { expected: 'weightData must be an ArrayBuffer, a list of them or a Uint8Array', got: show(data) });
}

function concatBytes(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, b) => n + b.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

async function readOrFail(path: string, where: string, limit: number): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw formatError(`${where}: ${path}`, {
      expected: 'cannot read the file',
      rule: (e as NodeJS.ErrnoException).code ?? String(e),
      cause: e,
    });
  }
  if (bytes.length > limit) throw formatError(`${where}: ${path}`, { expected: `the file is larger than ${limit} bytes` });
  return bytes;
}

/**
 * The model as a Keras 3 `.keras` archive's bytes (`config.json`, `metadata.json`,
 * `model.weights.h5`), which Keras's `keras.saving.load_model` reads; `model.save('model.keras')`
 * writes the same. Sequential and functional models of the layers in `nr.interop.KERAS_LAYERS`.
 *
 * ```ts
 * const model = new nr.Sequential([nr.Input({ shape: [4] }), new nr.layers.Dense(2, 'softmax')]);
 * const bytes = await nr.interop.toKeras(model);
 * ```
 */
export async function toKeras(model: Model): Promise<Uint8Array> {
  return modelToKerasArchive(model);
}

MODEL_WRITERS.set('.keras', (model) => modelToKerasArchive(model));

/**
 * Builds a model from a Keras 3 `.keras` archive (a path or its bytes): the architecture from
 * `config.json`, the weights from `model.weights.h5`. Layers: `nr.interop.KERAS_LAYERS`.
 *
 * ```ts
 * const model = await nr.interop.fromKeras('model.keras');
 * ```
 */
export async function fromKeras(source: string | Uint8Array): Promise<Model> {
  if (typeof source === 'string') return kerasArchiveToModel(await readOrFail(source, 'fromKeras', MAX_ONNX_BYTES), `fromKeras: ${source}`);
  if (source instanceof Uint8Array) return kerasArchiveToModel(source, 'fromKeras');
  throw configError('fromKeras', { expected: 'a path or a Uint8Array', got: show(source) });
}
