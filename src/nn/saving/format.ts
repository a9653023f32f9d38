import { ConfigError, FormatError, NeuronaError } from '../../core/index.js';
import { Tensor, type Variable } from '../../tensor/index.js';
import { LAYER_CLASSES, Layer } from '../layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { deserializeLayer } from '../models/config.js';
import * as lossesModule from '../losses.js';
import { Loss, canonicalLossName } from '../losses.js';
import type { CompileOptions, LossIdentifier } from '../training/compile.js';
import { getOptimizer } from '../optimizers/index.js';
import { encodeSafetensors, decodeSafetensors, typedArrayOf, type SafetensorsTensor } from '../../io/safetensors.js';

/*
 * The saved-model format (DESIGN.md section 8), without any file system: what goes into model.json
 * and model.safetensors, how it is validated, and how weights are matched and assigned. The Node
 * module (./index.ts) reads and writes the files; this one stays importable from a browser.
 */

export const FORMAT_NAME = 'neurona';
export const FORMAT_VERSION = 1;
/** Model classes rebuilt by config.ts in addition to the registered layers. */
const MODEL_CLASSES = ['Sequential', 'Functional'];
const MAX_JSON_DEPTH = 64;

export interface LayerSpec { className: string; config: Record<string, unknown> }

export interface ModelJson {
  format: 'neurona';
  formatVersion: 1;
  modelConfig: LayerSpec;
  compileConfig: CompileConfig | null;
  /** The stable names of the weights, in the model's traversal order. */
  weights: string[];
  /** Input shape a Sequential model without a declared input was built for (batch axis first). */
  buildInputShape?: (number | null)[] | null;
}

export interface CompileConfig {
  optimizer: LayerSpec;
  /** One per output: a built-in loss name or `{className, config}` of a built-in Loss class. */
  loss: (string | LayerSpec)[];
  /** One list of metric names per output. */
  metrics: string[][];
  lossWeights: number[];
}

const DTYPES: Record<string, string> = { float32: 'F32', float64: 'F64', int32: 'I32' };
const FROM_DTYPES: Record<string, 'float32' | 'float64' | 'int32'> = { F32: 'float32', F64: 'float64', I32: 'int32' };

/** `dense/kernel` for a top-level layer, `inner_model/dense/kernel` inside a nested model. */
export function namedWeights(model: Model): Map<string, Variable> {
  const out = new Map<string, Variable>();
  const seen = new Set<Variable>();
  const walk = (m: Model, prefix: string) => {
    for (const layer of m.layers) {
      if (layer instanceof Model) { walk(layer, `${prefix}${layer.name}/`); continue; }
      for (const v of layer.weights) {
        if (seen.has(v)) continue;
        seen.add(v);
        const short = v.name.startsWith(`${layer.name}/`) ? v.name.slice(layer.name.length + 1) : v.name;
        const name = `${prefix}${layer.name}/${short}`;
        if (out.has(name)) throw new ConfigError(`Model "${model.name}": two weights would be saved as "${name}"; give the layers unique names`);
        out.set(name, v);
      }
    }
  };
  walk(model, '');
  const missed = model.weights.filter((v) => !seen.has(v));
  if (missed.length > 0) {
    throw new ConfigError(`Model "${model.name}": weights ${missed.map((v) => `"${v.name}"`).join(', ')} belong to no layer and cannot be saved; create weights in layers`);
  }
  return out;
}

function lossEntry(loss: Loss): string | LayerSpec {
  const cls = (lossesModule as Record<string, unknown>)[loss.constructor.name];
  if (typeof cls === 'function' && cls.prototype instanceof Loss) return { className: loss.constructor.name, config: loss.getConfig() };
  const canonical = canonicalLossName(loss);
  if (canonical) return canonical;
  throw new ConfigError(`model.save: the loss ${JSON.stringify(loss.name)} is not a built-in loss, so it cannot be saved in model.json; `
    + 'compile with a built-in loss name or class, or save the weights alone with model.saveWeights(path) and rebuild and compile the model in code');
}

/** What model.json records of `compile` (null before compile). */
export function compileConfigOf(model: Model): CompileConfig | null {
  const compiled = model.compiled;
  if (!compiled) return null;
  const c = compiled.config as { metrics: string[][]; lossWeights: number[] };
  const optimizer = { className: compiled.optimizer.className, config: compiled.optimizer.getConfig() };
  return { optimizer, loss: compiled.losses.map(lossEntry), metrics: c.metrics, lossWeights: [...c.lossWeights] };
}

/** The CompileOptions that rebuild a CompileConfig. */
export function compileOptionsOf(config: CompileConfig, outputNames: readonly string[]): CompileOptions {
  const loss = config.loss.map((l): LossIdentifier => {
    if (typeof l === 'string') return l;
    const cls = (lossesModule as Record<string, unknown>)[l.className];
    if (typeof cls !== 'function' || !(cls.prototype instanceof Loss)) throw new FormatError(`model.json: compileConfig.loss names an unknown loss class ${JSON.stringify(l.className)}`);
    return new (cls as new (c: unknown) => Loss)(l.config);
  });
  return { optimizer: config.optimizer, loss: loss.length === 1 ? loss[0]! : loss, metrics: config.metrics.length === 1 ? config.metrics[0]! : Object.fromEntries(outputNames.map((n, i) => [n, config.metrics[i] ?? []])), lossWeights: config.lossWeights };
}

/** The tensors of model.safetensors: the weights and, when asked, the optimizer's slots and step. */
export function weightTensors(model: Model, includeOptimizer: boolean): { names: string[]; tensors: Record<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }> } {
  const named = namedWeights(model);
  const tensors: Record<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }> = {};
  const put = (name: string, t: Tensor) => {
    const dtype = DTYPES[t.dtype];
    if (!dtype) throw new ConfigError(`model.save: tensor "${name}" has dtype ${t.dtype}, which cannot be saved`);
    tensors[name] = { dtype, shape: [...t.shape], data: t.data().slice() };
  };
  for (const [name, v] of named) put(name, v);
  const optimizer = model.compiled?.optimizer;
  if (includeOptimizer && optimizer) {
    const byVar = new Map<Variable, string>([...named].map(([n, v]) => [v, n]));
    const state = optimizer.getState();
    state.variables.forEach((v, i) => {
      const name = byVar.get(v);
      if (!name) return; // a variable that is not the model's (the optimizer was shared): not saved
      for (const [slot, t] of Object.entries(state.slots[i]!)) put(`optimizer/${name}/${slot}`, t);
    });
    tensors['optimizer/iterations'] = { dtype: 'I32', shape: [], data: new Int32Array([state.iterations]) };
  }
  return { names: [...named.keys()], tensors };
}

export function encodeWeights(model: Model, includeOptimizer: boolean): { names: string[]; bytes: Uint8Array } {
  const { names, tensors } = weightTensors(model, includeOptimizer);
  return { names, bytes: encodeSafetensors(tensors as never, { format: FORMAT_NAME, formatVersion: String(FORMAT_VERSION) }) };
}

export { decodeSafetensors, typedArrayOf };

// ---------------------------------------------------------------------------------------------
// Validation of model.json (never evaluates anything; every field's type is checked).

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const BAD_KEYS = new Set(['__proto__', 'constructor', 'prototype']);

function checkPlainJson(x: unknown, path: string, depth: number): void {
  if (depth > MAX_JSON_DEPTH) throw new FormatError(`model.json: ${path} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  if (Array.isArray(x)) { x.forEach((v, i) => checkPlainJson(v, `${path}[${i}]`, depth + 1)); return; }
  if (isObject(x)) {
    for (const [k, v] of Object.entries(x)) {
      if (BAD_KEYS.has(k)) throw new FormatError(`model.json: ${path} has the forbidden key ${JSON.stringify(k)}`);
      checkPlainJson(v, `${path}.${k}`, depth + 1);
    }
  }
}

function checkLayerSpec(spec: unknown, path: string, unknownClasses: Set<string>, depth = 0): void {
  if (depth > MAX_JSON_DEPTH) throw new FormatError(`model.json: ${path} nests models more than ${MAX_JSON_DEPTH} deep`);
  if (!isObject(spec) || typeof spec.className !== 'string' || !isObject(spec.config)) {
    throw new FormatError(`model.json: ${path} must be {className: string, config: object}`);
  }
  const { className, config } = spec as { className: string; config: Record<string, unknown> };
  if (config.name !== undefined && typeof config.name !== 'string') throw new FormatError(`model.json: ${path}.config.name must be a string`);
  if (config.trainable !== undefined && typeof config.trainable !== 'boolean') throw new FormatError(`model.json: ${path}.config.trainable must be a boolean`);
  // Fuzzing found these unchecked: layerFromConfig takes batchInputShape[0] as the batch size
  // as is, so `"batchInputShape": ["relu", 4]` loaded into a model whose input shape held a string.
  const dim = (d: unknown) => d === null || isDimension(d);
  if (config.batchInputShape !== undefined && config.batchInputShape !== null
    && !(Array.isArray(config.batchInputShape) && config.batchInputShape.length > 0 && config.batchInputShape.every(dim)
      && (config.batchInputShape[0] === null || (config.batchInputShape[0] as number) > 0))) {
    throw new FormatError(`model.json: ${path}.config.batchInputShape must be an array of non-negative integers and nulls, the first (the batch size) null or positive`);
  }
  if (config.inputShape !== undefined && config.inputShape !== null && !(Array.isArray(config.inputShape) && config.inputShape.every(dim))) {
    throw new FormatError(`model.json: ${path}.config.inputShape must be an array of non-negative integers and nulls`);
  }
  if (config.batchSize !== undefined && config.batchSize !== null && !(isDimension(config.batchSize) && (config.batchSize as number) > 0)) {
    throw new FormatError(`model.json: ${path}.config.batchSize must be a positive integer or null`);
  }
  if (MODEL_CLASSES.includes(className)) {
    if (!Array.isArray(config.layers)) throw new FormatError(`model.json: ${path}.config.layers must be an array of layer entries`);
    config.layers.forEach((l, i) => checkLayerSpec(l, `${path}.config.layers[${i}]`, unknownClasses, depth + 1));
    if (className === 'Functional') {
      const ints = (v: unknown) => Array.isArray(v) && v.every(isDimension);
      if (!Array.isArray(config.nodes) || !config.nodes.every((n) => isObject(n) && typeof n.layer === 'string' && ints(n.inputs))
        || !ints(config.inputs) || !ints(config.outputs)) {
        throw new FormatError(`model.json: ${path}.config must have nodes [{layer: string, inputs: [int]}], inputs [int] and outputs [int]`);
      }
    }
    return;
  }
  if (!LAYER_CLASSES.has(className)) unknownClasses.add(className);
}

/**
 * A size a tensor axis can have: a safe integer that a typed array can hold. Fuzzing found
 * 2^53 + 2 (an integer, not a safe one) accepted as a batch size and failing only at predict.
 */
const MAX_DIMENSION = 2 ** 31 - 1;
function isDimension(d: unknown): boolean {
  return Number.isSafeInteger(d) && (d as number) >= 0 && (d as number) <= MAX_DIMENSION;
}
const isShape = (v: unknown) => Array.isArray(v) && v.every((d) => d === null || isDimension(d));

/** Checks a parsed model.json against the schema; returns it typed. */
export function validateModelJson(raw: unknown): ModelJson {
  if (!isObject(raw)) throw new FormatError('model.json: expected a JSON object');
  checkPlainJson(raw, 'model.json', 0);
  if (raw.format !== FORMAT_NAME) throw new FormatError(`model.json: "format" must be "${FORMAT_NAME}", got ${JSON.stringify(raw.format)}; this is not a neurona model`);
  if (raw.formatVersion !== FORMAT_VERSION) {
    throw new FormatError(`model.json: formatVersion ${JSON.stringify(raw.formatVersion)} is not supported; this neurona reads version ${FORMAT_VERSION}${typeof raw.formatVersion === 'number' && raw.formatVersion > FORMAT_VERSION ? ' (the file is from a newer neurona: upgrade)' : ''}`);
  }
  const unknownClasses = new Set<string>();
  checkLayerSpec(raw.modelConfig, 'modelConfig', unknownClasses);
  if (unknownClasses.size > 0) {
    const names = [...unknownClasses].map((n) => `"${n}"`).join(', ');
    throw new FormatError(`model.json: unknown layer class${unknownClasses.size > 1 ? 'es' : ''} ${names}. If ${unknownClasses.size > 1 ? 'they are' : 'it is a'} custom layer${unknownClasses.size > 1 ? 's' : ''}, `
      + `register ${unknownClasses.size > 1 ? 'them' : 'it'} before loading: nr.layers.registerLayer(MyLayer) (the class name must match and its constructor must accept its getConfig()). `
      + `Known classes: ${[...MODEL_CLASSES, ...LAYER_CLASSES.keys()].sort().join(', ')}`);
  }
  if (!Array.isArray(raw.weights) || !raw.weights.every((w) => typeof w === 'string')) throw new FormatError('model.json: "weights" must be an array of weight names (strings)');
  if (new Set(raw.weights).size !== raw.weights.length) throw new FormatError('model.json: "weights" lists a name twice');
  if (raw.buildInputShape !== undefined && raw.buildInputShape !== null && !isShape(raw.buildInputShape)) throw new FormatError('model.json: "buildInputShape" must be null or an array of integers and nulls');
  const cc = raw.compileConfig;
  if (cc !== null) {
    if (!isObject(cc)) throw new FormatError('model.json: "compileConfig" must be an object or null');
    const opt = cc.optimizer;
    if (!isObject(opt) || typeof opt.className !== 'string' || !isObject(opt.config)) throw new FormatError('model.json: compileConfig.optimizer must be {className: string, config: object}');
    if (!Array.isArray(cc.loss) || cc.loss.length === 0 || !cc.loss.every((l) => typeof l === 'string' || (isObject(l) && typeof l.className === 'string' && isObject(l.config)))) {
      throw new FormatError('model.json: compileConfig.loss must be a non-empty array of loss names or {className, config}');
    }
    if (!Array.isArray(cc.metrics) || !cc.metrics.every((m) => Array.isArray(m) && m.every((s) => typeof s === 'string'))) throw new FormatError('model.json: compileConfig.metrics must be an array of arrays of metric names');
    if (!Array.isArray(cc.lossWeights) || !cc.lossWeights.every((w) => typeof w === 'number' && Number.isFinite(w))) throw new FormatError('model.json: compileConfig.lossWeights must be an array of finite numbers');
  }
  return raw as unknown as ModelJson;
}

/** Parses model.json text (FormatError on bad JSON). */
export function parseModelJson(text: string): ModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new FormatError(`model.json: not valid JSON (${(e as Error).message})`);
  }
  return validateModelJson(raw);
}

/** Rebuilds the (unweighted) model from validated model.json; configuration errors become FormatErrors. */
export function buildModel(json: ModelJson): Model {
  let layer: Layer;
  try {
    layer = deserializeLayer(json.modelConfig);
    if (!(layer instanceof Model)) throw new ConfigError(`modelConfig describes a ${json.modelConfig.className} layer, not a model`);
    if (json.buildInputShape && layer instanceof Sequential && !layer.built) layer.build(json.buildInputShape);
  } catch (e) {
    if (e instanceof FormatError) throw e;
    if (e instanceof NeuronaError) throw new FormatError(`model.json: the model config does not rebuild a model: ${e.message}`);
    throw new FormatError(`model.json: the model config does not rebuild a model: ${e instanceof Error ? e.message : String(e)}`);
  }
  return layer;
}

// ---------------------------------------------------------------------------------------------
// Matching tensors to weights (everything is checked before anything is assigned).

export interface WeightMatch { assign: () => void }

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Matches the weights of `model` with `tensors` by name and returns a function that assigns them.
 * Throws (ErrorClass) listing every missing, unexpected and mis-shaped or mis-typed entry.
 * `ignore(name)` marks file entries that are not weights (optimizer state).
 */
export function matchWeights(model: Model, tensors: Record<string, SafetensorsTensor>, source: string,
  ErrorClass: new (m: string) => Error, ignore: (name: string) => boolean = () => false): { named: Map<string, Variable>; assign: () => void } {
  const named = namedWeights(model);
  const missing: string[] = [];
  const wrong: string[] = [];
  const values: [Variable, Tensor][] = [];
  for (const [name, v] of named) {
    const t = tensors[name];
    if (!t) { missing.push(name); continue; }
    const problem = tensorProblem(t, v);
    if (problem) { wrong.push(`"${name}": ${problem}`); continue; }
    values.push([v, toTensor(t, v.dtype)]);
  }
  const unexpected = Object.keys(tensors).filter((k) => !named.has(k) && !ignore(k));
  if (missing.length + wrong.length + unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length}: ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.length}: ${unexpected.map((n) => `"${n}"`).join(', ')}`);
    if (wrong.length) parts.push(`mis-shaped ${wrong.length}: ${wrong.join('; ')}`);
    throw new ErrorClass(`${source} does not match model "${model.name}" (nothing was loaded): ${parts.join('; ')}. `
      + `The model's weights are ${[...named.keys()].map((n) => `"${n}"`).join(', ') || '(none)'}`);
  }
  return { named, assign: () => values.forEach(([v, t]) => v.assign(t)) };
}

function tensorProblem(t: SafetensorsTensor, v: { shape: readonly number[]; dtype: string }): string | null {
  if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i])) return `expected shape ${shapeText(v.shape)}, got ${shapeText(t.shape)}`;
  if (FROM_DTYPES[t.dtype] !== v.dtype) return `expected dtype ${DTYPES[v.dtype] ?? v.dtype}, got ${t.dtype}`;
  return null;
}

function toTensor(t: SafetensorsTensor, dtype: 'float32' | 'float64' | 'int32' | string): Tensor {
  const data = typedArrayOf(t);
  return new Tensor(data.slice() as never, [...t.shape], dtype as never);
}

/**
 * Prepares the optimizer state of `model` (already compiled) from the file's `optimizer/...`
 * entries; returns the function that applies it. Throws FormatError on any inconsistency.
 */
export function prepareOptimizerState(model: Model, named: Map<string, Variable>, tensors: Record<string, SafetensorsTensor>, source: string): (() => void) | null {
  const optimizer = model.compiled?.optimizer;
  const keys = Object.keys(tensors).filter((k) => k.startsWith('optimizer/'));
  if (!optimizer || keys.length === 0) return null;
  const it = tensors['optimizer/iterations'];
  if (!it || it.dtype !== 'I32' || it.shape.length !== 0) throw new FormatError(`${source}: "optimizer/iterations" must be an I32 scalar`);
  const iterations = Number(typedArrayOf(it)[0]);
  if (!Number.isInteger(iterations) || iterations < 0) throw new FormatError(`${source}: "optimizer/iterations" must be >= 0, got ${iterations}`);
  const slots = new Map<string, Record<string, Tensor>>();
  for (const key of keys) {
    if (key === 'optimizer/iterations') continue;
    const rest = key.slice('optimizer/'.length);
    const cut = rest.lastIndexOf('/');
    const weight = rest.slice(0, cut);
    const slot = rest.slice(cut + 1);
    const v = named.get(weight);
    if (cut <= 0 || !v) throw new FormatError(`${source}: optimizer entry "${key}" names no weight of the model`);
    const problem = tensorProblem(tensors[key]!, v);
    if (problem) throw new FormatError(`${source}: optimizer entry "${key}": ${problem}`);
    const record = slots.get(weight) ?? {};
    record[slot] = toTensor(tensors[key]!, v.dtype);
    slots.set(weight, record);
  }
  // Staged on a scratch optimizer first: a bad state (wrong slot names) is found before anything changes.
  const variables = [...slots.keys()].map((n) => named.get(n)!);
  const state = { iterations, slots: [...slots.values()] };
  try {
    getOptimizer({ className: optimizer.className, config: optimizer.getConfig() }).setState(state, variables);
  } catch (e) {
    throw new FormatError(`${source}: the optimizer state does not fit ${optimizer.className}: ${(e as Error).message}`);
  }
  return () => {
    try {
      optimizer.setState(state, variables);
    } catch (e) {
      throw new FormatError(`${source}: the optimizer state does not fit ${optimizer.className}: ${(e as Error).message}`);
    }
  };
}
