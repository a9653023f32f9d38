/**
 * TensorFlow.js's layers format: `model.json` (`modelTopology` in Keras JSON, `weightsManifest`
 * naming the shards and each weight's name, shape and dtype, `format: "layers-model"`) and binary
 * shards of little-endian values in the manifest's order. What `tf.loadLayersModel` reads and
 * `model.save` writes.
 */
import { formatError } from '../core/index.js';
import { Tensor, type Variable } from '../tensor/index.js';
import { withWeightBudget } from '../nn/layer.js';
import type { Model } from '../nn/models/model.js';
import { layersWithWeights, modelFromKerasConfig, modelToKerasConfig } from './keras-config.js';

export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
}

/** TF.js's `model.json`. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

/** A model in TF.js's layers format: `model.json` and the bytes of its one weight shard. */
export interface TfjsArtifacts {
  modelJson: TfjsModelJson;
  weightData: Uint8Array;
}

/** The shard's file name, as tfjs names a single shard. */
export const TFJS_SHARD = 'group1-shard1of1.bin';

/** Every weight with the name tfjs gives it (`<layer>/<weight>`), in tfjs's order: trainable ones first. */
function namedWeights(model: Model): { name: string; variable: Variable }[] {
  const owner = new Map<Variable, string>();
  for (const { layer, weights } of layersWithWeights(model)) {
    for (const v of weights) {
      const own = v.name.split('/').at(-1)!;
      // neurona's DepthwiseConv2D calls its one kernel `kernel`; Keras and tfjs call it `depthwise_kernel`.
      owner.set(v, `${layer.name}/${layer.className === 'DepthwiseConv2D' && own === 'kernel' ? 'depthwise_kernel' : own}`);
    }
  }
  const all = [...new Set(model.weights)];
  return [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)].map((variable) => ({
    name: owner.get(variable) ?? variable.name,
    variable,
  }));
}

/** The model as TF.js layers-format artifacts (every weight float32, one shard). */
export function modelToTfjs(model: Model): TfjsArtifacts {
  const weights = namedWeights(model);
  const total = weights.reduce((n, w) => n + w.variable.size, 0);
  const data = new Float32Array(total);
  let offset = 0;
  for (const { variable } of weights) {
    const values = variable.data();
    data.set(values, offset);
    offset += values.length;
  }
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'neurona',
    convertedBy: null,
    modelTopology: modelToKerasConfig(model, 'tfjs'),
    weightsManifest: [
      { paths: [TFJS_SHARD], weights: weights.map((w) => ({ name: w.name, shape: [...w.variable.shape], dtype: 'float32' })) },
    ],
  };
  return { modelJson, weightData: new Uint8Array(data.buffer) };
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The manifest's weight specs, checked (names, shapes, dtypes; no quantization). */
export function tfjsWeightSpecs(manifest: unknown, where: string): { paths: string[]; specs: TfjsWeightSpec[] } {
  if (!Array.isArray(manifest)) throw formatError(where, { expected: 'weightsManifest must be a list of {paths, weights}' });
  const paths: string[] = [];
  const specs: TfjsWeightSpec[] = [];
  for (const group of manifest) {
    if (!isObject(group) || !Array.isArray(group.paths) || !Array.isArray(group.weights)) {
      throw formatError(where, { expected: 'each weightsManifest entry must be {paths, weights}' });
    }
    for (const p of group.paths) {
      // A shard lives beside model.json: a path leaving that folder is refused, not followed.
      if (typeof p !== 'string' || p === '' || /[/\\]|^\.\.?$/.test(p)) {
        throw formatError(where, {
          expected: 'a shard path must be a file name in the folder of model.json',
          got: JSON.stringify(p)?.slice(0, 80),
        });
      }
      paths.push(p);
    }
    for (const w of group.weights) {
      const ok =
        isObject(w) &&
        typeof w.name === 'string' &&
        Array.isArray(w.shape) &&
        w.shape.every((d) => Number.isSafeInteger(d) && d >= 0) &&
        (w.dtype === 'float32' || w.dtype === 'int32');
      if (!ok) {
        throw formatError(where, {
          expected: 'each weight must be {name, shape, dtype} with dtype float32 or int32',
          got: JSON.stringify(w)?.slice(0, 120),
          hint: isObject(w) && w.quantization ? 'quantized weights are not supported: convert without quantization' : undefined,
        });
      }
      specs.push({ name: w.name as string, shape: w.shape as number[], dtype: w.dtype as 'float32' | 'int32' });
    }
  }
  return { paths, specs };
}

/** Builds the model and assigns its weights (all checked before any is assigned). */
export function tfjsToModel(modelJson: unknown, weightData: Uint8Array, where: string): Model {
  if (!isObject(modelJson) || !isObject(modelJson.modelTopology)) {
    throw formatError(where, { expected: 'model.json must have a modelTopology object (a TF.js layers model)' });
  }
  if (modelJson.format !== undefined && modelJson.format !== 'layers-model') {
    throw formatError(where, {
      expected: 'format must be "layers-model"',
      got: JSON.stringify(modelJson.format)?.slice(0, 80),
      hint: 'graph models are not supported',
    });
  }
  const { specs } = tfjsWeightSpecs(modelJson.weightsManifest ?? [], where);
  let size = 0;
  for (const s of specs) size += s.shape.reduce((n, d) => n * d, 1);
  if (!Number.isSafeInteger(size) || size * 4 !== weightData.byteLength) {
    throw formatError(where, { expected: `the manifest describes ${size * 4} bytes of weights, the shards hold ${weightData.byteLength}` });
  }
  const model = withWeightBudget(size, where, () => modelFromKerasConfig(modelJson.modelTopology, where));
  const wanted = namedWeights(model);
  const byName = new Map(specs.map((s, i) => [s.name, i]));
  const named = wanted.every((w) => byName.has(w.name));
  if (wanted.length !== specs.length) {
    const missing = wanted.filter((w) => !byName.has(w.name)).map((w) => w.name);
    throw formatError(where, {
      expected: `the model has ${wanted.length} weights, the manifest ${specs.length}`,
      rule: missing.length ? `not in the manifest: ${missing.slice(0, 5).join(', ')}` : undefined,
    });
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const s of specs) {
    offsets.push(offset);
    offset += s.shape.reduce((n, d) => n * d, 1);
  }
  // tfjs matches by name; a file whose names differ (renamed layers) is matched by order, as tfjs's weightSpecs list them.
  const pairs = wanted.map((w, i) => ({ ...w, index: named ? byName.get(w.name)! : i }));
  for (const { name, variable, index } of pairs) {
    const spec = specs[index]!;
    if (spec.shape.length !== variable.shape.length || spec.shape.some((d, k) => d !== variable.shape[k])) {
      throw formatError(where, {
        expected: `weight ${name}: the manifest's ${spec.name} has shape [${spec.shape}], the model's [${variable.shape}]`,
      });
    }
  }
  const view = new DataView(weightData.buffer, weightData.byteOffset, weightData.byteLength);
  for (const { variable, index } of pairs) {
    const spec = specs[index]!;
    const values = new Float32Array(variable.size);
    const start = offsets[index]! * 4;
    for (let k = 0; k < values.length; k++) {
      values[k] = spec.dtype === 'int32' ? view.getInt32(start + 4 * k, true) : view.getFloat32(start + 4 * k, true);
    }
    variable.assign(new Tensor(values, [...variable.shape], 'float32'));
  }
  return model;
}
