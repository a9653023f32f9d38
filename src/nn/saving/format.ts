import { FormatError, NeuronaError, configError, formatError, ownEntry, problem } from '../../core/index.js';
import { Tensor, type Variable } from '../../tensor/index.js';
import type { Layer } from '../layer.js';
import { Model } from '../models/model.js';
import { Sequential } from '../models/sequential.js';
import { deserializeLayer, rebuildContextOf } from '../models/config.js';
import * as lossesModule from '../losses.js';
import { Loss, canonicalLossName } from '../losses.js';
import type { CompileOptions, LossIdentifier } from '../training/compile.js';
import { getOptimizer, type Optimizer } from '../optimizers/index.js';
import { encodeSafetensors, decodeSafetensors, typedArrayOf, type SafetensorsTensor } from '../../io/safetensors.js';

/*
 * The saved-model format (docs/architecture.md, "Saving and loading"), without any file system: what goes into model.json
 * and model.safetensors, how it is validated, and how weights are matched and assigned. The Node
 * module (./index.ts) reads and writes the files; this one stays importable from a browser.
 */

import { FORMAT_NAME, FORMAT_VERSION, validateModelJson } from './validate.js';

export { FORMAT_NAME, FORMAT_VERSION, validateModelJson };

export interface LayerSpec {
  className: string;
  config: Record<string, unknown>;
}

export interface ModelJson {
  format: 'neurona';
  formatVersion: 1;
  modelConfig: LayerSpec;
  compileConfig: CompileConfig | null;
  /** The stable names of the weights, in the model's traversal order. */
  weights: string[];
  /** Input shape a Sequential model without a declared input was built for (batch axis first). */
  buildInputShape?: (number | null)[] | null;
  /** Which save wrote this file; its weights file carries the same id (see saving/index.ts). */
  saveId?: string;
}

export interface CompileConfig {
  /** The optimizer, or several by name. */
  optimizer: LayerSpec | Record<string, LayerSpec>;
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
      if (layer instanceof Model) {
        walk(layer, `${prefix}${layer.name}/`);
        continue;
      }
      for (const v of layer.weights) {
        if (seen.has(v)) continue;
        seen.add(v);
        const short = v.name.startsWith(`${layer.name}/`) ? v.name.slice(layer.name.length + 1) : v.name;
        const name = `${prefix}${layer.name}/${short}`;
        if (out.has(name)) {
          throw configError(`Model "${model.name}"`, {
            expected: `two weights would be saved as "${name}"`,
            hint: 'give the layers unique names',
          });
        }
        out.set(name, v);
      }
    }
  };
  walk(model, '');
  const missed = model.weights.filter((v) => !seen.has(v));
  if (missed.length > 0) {
    throw configError(`Model "${model.name}"`, {
      expected: `weights ${missed.map((v) => `"${v.name}"`).join(', ')} belong to no layer and cannot be saved`,
      hint: 'create weights in layers',
    });
  }
  return out;
}

function lossEntry(loss: Loss): string | LayerSpec {
  // The class's export name, not constructor.name, which a minifier may have changed.
  const exported = Object.entries(lossesModule).find(([, value]) => value === loss.constructor)?.[0];
  if (exported !== undefined && loss.constructor.prototype instanceof Loss) return { className: exported, config: loss.getConfig() };
  const canonical = canonicalLossName(loss);
  if (canonical) return canonical;
  throw configError('model.save', {
    expected: `the loss ${JSON.stringify(loss.name)} is not a built-in loss, so it cannot be saved in model.json`,
    hint:
      'compile with a built-in loss name or class, ' +
      'or save the weights alone with model.saveWeights(path) and rebuild and compile the model in code',
  });
}

/** What model.json records of `compile` (null before compile). */
export function compileConfigOf(model: Model): CompileConfig | null {
  const compiled = model.compiled;
  if (!compiled) return null;
  const c = compiled.config as { metrics: string[][]; lossWeights: number[] };
  // Read now, not at compile: a callback may have changed a learning rate since.
  const spec = (o: Optimizer) => ({ className: o.className, config: o.getConfig() });
  const named = Object.entries(compiled.optimizers).map(([k, o]) => [k, spec(o)]);
  const optimizer = compiled.optimizer ? spec(compiled.optimizer) : Object.fromEntries(named);
  return { optimizer, loss: compiled.losses.map(lossEntry), metrics: c.metrics, lossWeights: [...c.lossWeights] };
}

/** The CompileOptions that rebuild a CompileConfig. */
export function compileOptionsOf(config: CompileConfig, outputNames: readonly string[]): CompileOptions {
  const loss = config.loss.map((l): LossIdentifier => {
    if (typeof l === 'string') return l as LossIdentifier; // checked by getLoss when compile resolves it
    const cls = ownEntry(lossesModule as Record<string, unknown>, l.className);
    if (typeof cls !== 'function' || !(cls.prototype instanceof Loss)) {
      throw formatError('model.json', { expected: `compileConfig.loss names an unknown loss class ${JSON.stringify(l.className)}` });
    }
    return new (cls as new (c: unknown) => Loss)(l.config);
  });
  return {
    optimizer: config.optimizer as CompileOptions['optimizer'],
    loss: loss.length === 0 ? undefined : loss.length === 1 ? loss[0]! : loss,
    metrics: (config.metrics.length === 1
      ? config.metrics[0]!
      : Object.fromEntries(outputNames.map((n, i) => [n, config.metrics[i] ?? []]))) as CompileOptions['metrics'],
    lossWeights: config.lossWeights,
  };
}

/** The tensors of model.safetensors: the weights and, when asked, the optimizer's slots and step. */
export function weightTensors(
  model: Model,
  includeOptimizer: boolean,
): { names: string[]; tensors: Record<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }> } {
  const named = namedWeights(model);
  const tensors: Record<string, { dtype: string; shape: readonly number[]; data: ArrayBufferView }> = {};
  const put = (name: string, t: Tensor) => {
    const dtype = DTYPES[t.dtype];
    if (!dtype) throw configError('model.save', { expected: `tensor "${name}" has dtype ${t.dtype}, which cannot be saved` });
    tensors[name] = { dtype, shape: [...t.shape], data: t.data().slice() };
  };
  for (const [name, v] of named) put(name, v);
  const byVar = new Map<Variable, string>([...named].map(([n, v]) => [v, n]));
  for (const [prefix, optimizer] of includeOptimizer ? optimizersOf(model) : []) {
    const state = optimizer.getState();
    state.variables.forEach((v, i) => {
      const name = byVar.get(v);
      if (!name) return; // a variable that is not the model's (the optimizer was shared): not saved
      for (const [slot, t] of Object.entries(state.slots[i]!)) put(`${prefix}${name}/${slot}`, t);
    });
    tensors[`${prefix}iterations`] = { dtype: 'I32', shape: [], data: new Int32Array([state.iterations]) };
  }
  return { names: [...named.keys()], tensors };
}

/** The metadata key of model.safetensors that holds its save id (the `saveId` of its model.json). */
export const SAVE_ID_KEY = 'neurona_save_id';

export function encodeWeights(model: Model, includeOptimizer: boolean, saveId?: string): { names: string[]; bytes: Uint8Array } {
  const { names, tensors } = weightTensors(model, includeOptimizer);
  const metadata: Record<string, string> = { format: FORMAT_NAME, formatVersion: String(FORMAT_VERSION) };
  if (saveId !== undefined) metadata[SAVE_ID_KEY] = saveId;
  return { names, bytes: encodeSafetensors(tensors as never, metadata) };
}

export { decodeSafetensors, typedArrayOf };

/** Parses model.json text (FormatError on bad JSON). */
export function parseModelJson(text: string): ModelJson {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw formatError('model.json', { expected: 'not valid JSON', rule: (e as Error).message });
  }
  return validateModelJson(raw);
}

/**
 * Rebuilds the (unweighted) model from validated model.json. What a constructor throws while a layer
 * is rebuilt (a bad option, a shape that does not fit) becomes a FormatError that names `source`
 * (the file), the layer's name, class and place in the file, and the field the message is about,
 * with the constructor's message kept whole.
 */
export function buildModel(json: ModelJson, source = 'model.json'): Model {
  let layer: Layer;
  try {
    layer = deserializeLayer(json.modelConfig);
    if (!(layer instanceof Model)) {
      throw configError('', { expected: `modelConfig describes a ${json.modelConfig.className} layer, not a model` });
    }
    if (json.buildInputShape && layer instanceof Sequential && !layer.built) layer.build(json.buildInputShape);
  } catch (e) {
    // A NeuronaError is the file's fault; anything else is a bug here, and must not be disguised.
    if (e instanceof FormatError || !(e instanceof NeuronaError)) throw e;
    const message = e.message;
    const context = rebuildContextOf(e);
    // The constructor's message is kept whole after the place in the file it came from.
    if (!context) throw formatError(source, { expected: `the model config does not rebuild a model: ${message}` });
    const field = fieldNamed(message, context.config);
    const place =
      `${context.kind} ${JSON.stringify(context.name)} (${context.className}) at ${context.path}` +
      (field ? `, field ${JSON.stringify(field)}` : '');
    throw formatError(source, { expected: `${place}: ${message}` });
  }
  return layer;
}

/**
 * The config field an error message is about: the option it quotes, else the first field it names, else the field
 * holding a value it quotes.
 */
function fieldNamed(message: string, config: Record<string, unknown>): string | null {
  const quoted = /option ['"]([^'"]+)['"]/.exec(message)?.[1];
  if (quoted) return quoted;
  let best: { key: string; at: number } | null = null;
  for (const key of Object.keys(config)) {
    if (key === 'name') continue;
    const at = new RegExp(`\\b${key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\b`).exec(message)?.index;
    if (at !== undefined && (best === null || at < best.at)) best = { key, at };
  }
  if (best) return best.key;
  // Else the field whose value the message quotes (`unknown regularizer "l3"` for kernelRegularizer: {className: "l3"}).
  for (const quotedValue of message.match(/"(?:[^"\\]|\\.)*"/g) ?? []) {
    const key = Object.keys(config).find((k) => k !== 'name' && (JSON.stringify(config[k]) ?? '').includes(quotedValue));
    if (key) return key;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Matching tensors to weights (everything is checked before anything is assigned).

export interface WeightMatch {
  assign: () => void;
}

const shapeText = (s: readonly number[]) => `[${s.join(', ')}]`;

/**
 * Matches the weights of `model` with `tensors` by name and returns a function that assigns them.
 * Throws (ErrorClass) listing every missing, unexpected and mis-shaped or mis-typed entry.
 * `ignore(name)` marks file entries that are not weights (optimizer state).
 */
export function matchWeights(
  model: Model,
  tensors: Record<string, SafetensorsTensor>,
  source: string,
  ErrorClass: new (m: string) => Error,
  ignore: (name: string) => boolean = () => false,
): { named: Map<string, Variable>; assign: () => void } {
  const named = namedWeights(model);
  const missing: string[] = [];
  const wrong: string[] = [];
  const values: [Variable, Tensor][] = [];
  for (const [name, v] of named) {
    const t = tensors[name];
    if (!t) {
      missing.push(name);
      continue;
    }
    const mismatch = tensorProblem(t, v);
    if (mismatch) {
      wrong.push(`"${name}": ${mismatch}`);
      continue;
    }
    values.push([v, toTensor(t, v.dtype)]);
  }
  const unexpected = Object.keys(tensors).filter((k) => !named.has(k) && !ignore(k));
  if (missing.length + wrong.length + unexpected.length > 0) {
    const parts: string[] = [];
    if (missing.length) parts.push(`missing ${missing.length}: ${missing.map((n) => `"${n}"`).join(', ')}`);
    if (unexpected.length) parts.push(`unexpected ${unexpected.length}: ${unexpected.map((n) => `"${n}"`).join(', ')}`);
    if (wrong.length) parts.push(`mis-shaped ${wrong.length}: ${wrong.join('; ')}`);
    throw new ErrorClass(
      problem(source, {
        expected: `does not match model "${model.name}" (nothing was loaded): ${parts.join('; ')}`,
        hint: `the model's weights are ${[...named.keys()].map((n) => `"${n}"`).join(', ') || '(none)'}`,
      }),
    );
  }
  return { named, assign: () => values.forEach(([v, t]) => v.assign(t)) };
}

function tensorProblem(t: SafetensorsTensor, v: { shape: readonly number[]; dtype: string }): string | null {
  if (t.shape.length !== v.shape.length || t.shape.some((d, i) => d !== v.shape[i]))
    return `expected shape ${shapeText(v.shape)}, got ${shapeText(t.shape)}`;
  if (ownEntry(FROM_DTYPES, t.dtype) !== v.dtype) return `expected dtype ${ownEntry(DTYPES, v.dtype) ?? v.dtype}, got ${t.dtype}`;
  return null;
}

function toTensor(t: SafetensorsTensor, dtype: 'float32' | 'float64' | 'int32' | string): Tensor {
  const data = typedArrayOf(t);
  return new Tensor(data.slice() as never, [...t.shape], dtype as never);
}

/** Whether a safetensors key holds optimizer state (`optimizer/...` or a named one's `optimizers/<name>/...`). */
export function isOptimizerKey(key: string): boolean {
  return key.startsWith('optimizer/') || key.startsWith('optimizers/');
}

/**
 * Every optimizer whose state goes with the model, by key prefix: the compiled one (`optimizer/`),
 * and the named ones (`optimizers/<name>/`): those compile was given by name and those held in the
 * model's fields (Keras's tracked optimizers of a GAN).
 */
export function optimizersOf(model: Model): [prefix: string, optimizer: Optimizer][] {
  const out: [string, Optimizer][] = [];
  if (model.compiled?.optimizer) out.push(['optimizer/', model.compiled.optimizer]);
  for (const [name, o] of Object.entries(model.optimizers)) if (!out.some(([, p]) => p === o)) out.push([`optimizers/${name}/`, o]);
  return out;
}

/**
 * Prepares the optimizer states of `model` (already compiled) from the file's `optimizer/...` and
 * `optimizers/<name>/...` entries; returns the function that applies them. Throws FormatError on any
 * inconsistency (a named optimizer the model does not have included), before anything changes.
 */
export function prepareOptimizerState(
  model: Model,
  named: Map<string, Variable>,
  tensors: Record<string, SafetensorsTensor>,
  source: string,
): (() => void) | null {
  const optimizers = optimizersOf(model);
  const keys = Object.keys(tensors).filter(isOptimizerKey);
  if (optimizers.length === 0 || keys.length === 0) return null;
  const stray = keys.find((k) => !optimizers.some(([prefix]) => k.startsWith(prefix)));
  if (stray && optimizers.some(([prefix]) => prefix !== 'optimizer/')) {
    throw formatError(source, {
      expected: `optimizer entry "${stray}" belongs to no optimizer of the model`,
      hint: `the model's optimizers are ${optimizers.map(([p]) => p.slice(0, -1)).join(', ')}`,
    });
  }
  const appliers = optimizers.flatMap(([prefix, optimizer]) => {
    const own = keys.filter((k) => k.startsWith(prefix));
    return own.length === 0 ? [] : [prepareOneOptimizer(optimizer, prefix, own, named, tensors, source)];
  });
  return () => appliers.forEach((apply) => apply());
}

function prepareOneOptimizer(
  optimizer: Optimizer,
  prefix: string,
  keys: readonly string[],
  named: Map<string, Variable>,
  tensors: Record<string, SafetensorsTensor>,
  source: string,
): () => void {
  const itKey = `${prefix}iterations`;
  const it = tensors[itKey];
  if (it?.dtype !== 'I32' || it.shape.length !== 0) {
    throw formatError(source, {
      expected: `"${itKey}" must be an I32 scalar`,
      got: it ? `${it.dtype} of shape [${it.shape.join(', ')}]` : 'none',
    });
  }
  const iterations = Number(typedArrayOf(it)[0]);
  if (!Number.isInteger(iterations) || iterations < 0) {
    throw formatError(source, { expected: `"${itKey}" must be >= 0`, got: String(iterations) });
  }
  const slots = new Map<string, Record<string, Tensor>>();
  for (const key of keys) {
    if (key === itKey) continue;
    const rest = key.slice(prefix.length);
    const cut = rest.lastIndexOf('/');
    const weight = rest.slice(0, cut);
    const slot = rest.slice(cut + 1);
    const v = named.get(weight);
    if (cut <= 0 || !v) throw formatError(source, { expected: `optimizer entry "${key}" names no weight of the model` });
    const mismatch = tensorProblem(tensors[key]!, v);
    if (mismatch) throw formatError(source, { expected: `optimizer entry "${key}": ${mismatch}` });
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
    throw formatError(source, { expected: `the optimizer state does not fit ${optimizer.className}: ${(e as Error).message}` });
  }
  return () => {
    try {
      optimizer.setState(state, variables);
    } catch (e) {
      throw formatError(source, { expected: `the optimizer state does not fit ${optimizer.className}: ${(e as Error).message}` });
    }
  };
}
