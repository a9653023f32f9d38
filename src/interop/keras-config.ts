/**
 * neurona models ⇄ Keras layer-config JSON, in two dialects: `tfjs` (what TensorFlow.js 4 and
 * Keras 2 write: `batch_input_shape`, `inbound_nodes: [[["name", 0, 0, {}]]]`) and `keras3`
 * (Keras 3's `config.json`: `module`, `registered_name`, `build_config`, DTypePolicy objects,
 * `inbound_nodes: [{args: [__keras_tensor__...], kwargs}]`). Both go through neurona's own model
 * config (`getConfig` / `deserializeLayer`), whose layer options already carry Keras's names in
 * camelCase: keys are converted generically, and only the handful of options Keras spells
 * differently are listed below. Nothing is dropped silently: an option neurona does not take is a
 * FormatError unless it holds Keras's default (a `data_format` of channels_last, a null constraint).
 */
import { formatError, optionsOf } from '../core/index.js';
import type { Model } from '../nn/models/model.js';
import { LAYER_CLASSES, type Layer, snakeCase } from '../nn/layer.js';
import { deserializeLayer, rebuildContextOf } from '../nn/models/config.js';
import { getInitializer } from '../nn/initializers.js';
import { getRegularizer } from '../nn/regularizers.js';

export type KerasDialect = 'tfjs' | 'keras3';
type Json = Record<string, unknown>;
type NeuronaEntry = { className: string; config: Json };

/** The layer classes both formats carry (Keras's names; neurona's classes have the same). */
export const KERAS_LAYERS: readonly string[] = (
  'InputLayer Dense Activation ReLU LeakyReLU Softmax Conv2D DepthwiseConv2D SeparableConv2D Conv2DTranspose MaxPooling2D ' +
  'AveragePooling2D GlobalAveragePooling2D GlobalMaxPooling2D BatchNormalization LayerNormalization Dropout Flatten Reshape ' +
  'ZeroPadding2D Add Concatenate Multiply Average Subtract Maximum Embedding LSTM GRU SimpleRNN Rescaling RandomFlip ' +
  'RandomRotation RandomZoom RandomTranslation RandomContrast Sequential Functional'
).split(' ');
const SUPPORTED = new Set<string>(KERAS_LAYERS);

/** Options Keras names differently from neurona, per dialect: neurona's camelCase key → Keras's key. */
const RENAMED: Record<KerasDialect, Record<string, Record<string, string>>> = {
  tfjs: { LeakyReLU: { negativeSlope: 'alpha' } },
  keras3: {},
};

/** Keras options neurona has no option for, accepted only when they hold the value that means neurona's behaviour. */
const INERT: Record<string, (value: unknown) => boolean> = {
  data_format: (v) => v === 'channels_last' || v === null,
  activity_regularizer: (v) => v === null,
  groups: (v) => v === 1,
  sparse: (v) => v === false || v === null,
  ragged: (v) => v === false || v === null,
  optional: (v) => v === false,
  synchronized: (v) => v === false,
  renorm: (v) => v === false,
  renorm_clipping: (v) => v === null,
  renorm_momentum: () => true,
  lora_rank: (v) => v === null,
  lora_alpha: (v) => v === null,
  quantization_config: (v) => v === null,
  input_length: () => true,
  // Keras 3's recurrent layers: the dropout masks' seed and the choice of cuDNN kernel change no values.
  seed: () => true,
  use_cudnn: () => true,
  // tfjs writes these for layers whose cell it names; they describe nothing neurona needs.
  implementation: () => true,
  time_major: (v) => v === false,
  unit_forget_bias: () => true,
};

/** Options neurona writes that a dialect's reader does not know, dropped on export while they hold neurona's default. */
const NEURONA_ONLY: Record<KerasDialect, Record<string, (v: unknown) => boolean>> = {
  tfjs: {
    outputPadding: (v) => v === null,
    keepdims: (v) => v === false,
    rmsScaling: (v) => v === false,
    zeroOutputForMask: (v) => v === false,
    threshold: (v) => v === 0,
  },
  keras3: {},
};

const camelCase = (key: string) => key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);
const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());

/** Keras's class names of neurona's initializer names (the rest are the name in PascalCase). */
const INITIALIZER_CLASSES: Record<string, string> = { uniform: 'RandomUniform', normal: 'RandomNormal' };

function exportInitializer(value: unknown, dialect: KerasDialect, where: string): Json {
  let className: string;
  let config: Json;
  if (typeof value === 'string') {
    const name = snakeCase(value);
    className = INITIALIZER_CLASSES[name] ?? pascal(name);
    config = ['zeros', 'ones', 'constant'].includes(name) ? {} : { seed: null };
  } else if (isObject(value) && typeof value.className === 'string') {
    className = value.className;
    config = { ...((value.config as Json) ?? {}) };
  } else throw formatError(where, { expected: 'an initializer given by name or {className, config} (a function cannot be saved)' });
  if (dialect === 'tfjs') return { class_name: className.replace(/^Lecun/, 'LeCun'), config };
  return { module: 'keras.initializers', class_name: className, config, registered_name: null };
}

function exportRegularizer(value: unknown, dialect: KerasDialect, where: string): Json | null {
  if (value === null || value === undefined) return null;
  if (!isObject(value) || typeof value.className !== 'string') {
    throw formatError(where, { expected: 'a regularizer given as l1, l2 or l1_l2 (a function cannot be saved)' });
  }
  const config = value.config as Record<string, number>;
  if (dialect === 'tfjs') return { class_name: 'L1L2', config: { l1: config.l1 ?? 0, l2: config.l2 ?? 0 } };
  return { module: 'keras.regularizers', class_name: value.className, config, registered_name: null };
}

const dtypePolicy = (name: string) => ({ module: 'keras', class_name: 'DTypePolicy', config: { name }, registered_name: null });

/** One layer's Keras config from neurona's `{className, config}`. */
function exportLayerConfig(entry: NeuronaEntry, dialect: KerasDialect): Json {
  const { className, config } = entry;
  const where = `export to ${dialect === 'tfjs' ? 'TF.js' : 'Keras'}: layer "${String(config.name)}" (${className})`;
  // TF.js 4.22 has none of the Random* augmentation layers, and the weight manifest here is flat.
  const tfjsLacks = className === 'Subtract' || /^Random|^Sequential$|^Functional$/.test(className);
  if (dialect === 'tfjs' && tfjsLacks && SUPPORTED.has(className)) {
    throw formatError(where, {
      expected: /^Sequential$|^Functional$/.test(className)
        ? 'a nested model, which the TF.js export does not carry'
        : `TF.js 4.22 has no ${className} layer`,
      hint: 'export to .keras or ONNX; for TF.js, export a model of the layers after the augmentation (it is identity at inference)',
    });
  }
  if (!SUPPORTED.has(className)) {
    throw formatError(where, {
      expected: `the layer class has no ${dialect === 'tfjs' ? 'TF.js' : 'Keras'} counterpart here`,
      hint: `the formats carry ${KERAS_LAYERS.join(', ')}; save the model in neurona's own format instead`,
    });
  }
  if (dialect === 'tfjs' && className === 'GRU' && config.resetAfter) {
    throw formatError(where, {
      expected: "TF.js's GRU has no reset_after: true",
      hint: 'build the GRU with resetAfter: false, or export to .keras or ONNX',
    });
  }
  const out: Json = {};
  for (const [key, value] of Object.entries(config)) {
    if (NEURONA_ONLY[dialect][key]?.(value)) continue;
    if (key === 'dtype') {
      out.dtype = dialect === 'keras3' && className !== 'InputLayer' ? dtypePolicy(String(value)) : value;
    } else if (key === 'batchInputShape') {
      out[className === 'InputLayer' && dialect === 'keras3' ? 'batch_shape' : 'batch_input_shape'] = value;
    } else if (/Initializer$/.test(key)) out[snake(key)] = exportInitializer(value, dialect, `${where}: ${key}`);
    else if (/Regularizer$/.test(key)) out[snake(key)] = exportRegularizer(value, dialect, `${where}: ${key}`);
    else out[RENAMED[dialect][className]?.[key] ?? snake(key)] = value;
  }
  if (className === 'InputLayer') out.sparse = false;
  if (/Conv|Pooling2D|Flatten|ZeroPadding/.test(className)) out.data_format = 'channels_last';
  if (dialect === 'keras3') {
    for (const key of ['kernel', 'bias', 'depthwise', 'pointwise', 'recurrent', 'beta', 'gamma', 'embeddings']) {
      if (out[`${key}_initializer`] !== undefined) out[`${key}_constraint`] = null;
    }
  }
  return out;
}

/** A Keras 3 tensor reference (`shape` and `dtype` are informative; Keras rebuilds from `keras_history`). */
const kerasTensor = (history: [string, number, number], shape?: readonly (number | null)[]) => ({
  class_name: '__keras_tensor__',
  config: { shape: shape ? [...shape] : null, dtype: 'float32', keras_history: history },
});

/**
 * The model as Keras JSON: TF.js's `modelTopology` (dialect 'tfjs') or the object of Keras 3's
 * `config.json` (dialect 'keras3'). Sequential and functional models; every layer must be one of
 * KERAS_LAYERS.
 */
export function modelToKerasConfig(model: Model, dialect: KerasDialect): Json {
  const own = model.getConfig() as Json;
  const layers = own.layers as NeuronaEntry[] | undefined;
  const where = `export to ${dialect === 'tfjs' ? 'TF.js' : 'Keras'}: model "${model.name}"`;
  if (!Array.isArray(layers) || !['Sequential', 'Functional'].includes(model.className)) {
    throw formatError(where, {
      expected: 'a Sequential or functional model',
      got: `a ${model.className}`,
      hint: 'subclassed models have no layer graph to save',
    });
  }
  const wrap = (entry: NeuronaEntry, extra: Json = {}): Json => {
    // A nested model (deck 004's augmentation Sequential) is written as Keras writes one: its own model config.
    const nested = model.layers.find(
      (l) => l.name === entry.config.name && (entry.className === 'Sequential' || entry.className === 'Functional'),
    );
    if (nested && dialect === 'keras3') return { ...modelToKerasConfig(nested as Model, dialect), ...extra };
    const config = exportLayerConfig(entry, dialect);
    if (dialect === 'tfjs') return { class_name: entry.className, config, ...extra };
    return { module: 'keras.layers', class_name: entry.className, config, registered_name: null, ...extra };
  };
  let body: Json;
  if (model.className === 'Sequential') {
    let list = layers.map((e) => wrap(e));
    const input = layers[0]?.className === 'InputLayer' ? layers[0] : null;
    // TF.js's Sequential takes its input shape from the first layer, as tfjs itself writes it.
    if (dialect === 'tfjs' && input && list.length > 1) {
      list = list.slice(1);
      (list[0]!.config as Json).batch_input_shape = input.config.batchInputShape;
    }
    body = { name: model.name, layers: list };
    if (dialect === 'keras3') {
      Object.assign(body, { trainable: model.trainable, dtype: dtypePolicy('float32') });
      const built = (model as unknown as { builtInputShape?: readonly (number | null)[] | null }).builtInputShape;
      if (input || built) body.build_input_shape = input ? input.config.batchInputShape : [...built!];
    }
  } else {
    const nodes = own.nodes as { layer: string; inputs: number[]; training?: boolean; call?: number; keywords?: unknown }[];
    const shapes = (model as unknown as { graph: { nodes: { shape: (number | null)[] }[] } }).graph.nodes.map((n) => n.shape);
    const history: [string, number, number][] = [];
    const perLayer = new Map<string, number>();
    const inbound = new Map<string, unknown[]>();
    nodes.forEach((node) => {
      if (node.call !== undefined || node.keywords !== undefined) {
        throw formatError(where, {
          expected: `layer "${node.layer}" is called with several outputs or keyword inputs, which the export does not carry`,
        });
      }
      const k = perLayer.get(node.layer) ?? 0;
      perLayer.set(node.layer, k + 1);
      history.push([node.layer, k, 0]);
      if (node.inputs.length === 0) return;
      const kwargs = node.training !== undefined ? { training: node.training } : {};
      let entry: unknown;
      if (dialect === 'tfjs') entry = node.inputs.map((j) => [...history[j]!, kwargs]);
      else {
        const args = node.inputs.map((j) => kerasTensor(history[j]!, shapes[j]));
        entry = { args: [args.length === 1 ? args[0] : args], kwargs };
      }
      inbound.set(node.layer, [...(inbound.get(node.layer) ?? []), entry]);
    });
    const refs = (list: number[]) => list.map((i) => history[i]!);
    body = {
      name: model.name,
      layers: layers.map((e) => {
        const name = String(e.config.name);
        return wrap(e, { name, inbound_nodes: inbound.get(name) ?? [] });
      }),
      input_layers: refs(own.inputs as number[]),
      output_layers: refs(own.outputs as number[]),
    };
    if (dialect === 'keras3') body.trainable = model.trainable;
  }
  if (dialect === 'tfjs') {
    return {
      class_name: model.className === 'Sequential' ? 'Sequential' : 'Model',
      config: body,
      keras_version: 'tfjs-layers 4.22.0',
      backend: 'tensor_flow.js',
    };
  }
  return model.className === 'Sequential'
    ? { module: 'keras', class_name: 'Sequential', config: body, registered_name: null }
    : { module: 'keras.src.models.functional', class_name: 'Functional', config: body, registered_name: 'Functional' };
}

/** The FormatError for a Keras config that does not have the structure its dialects give it. */
const bad = (where: string, expected: string, got?: unknown) =>
  formatError(where, { expected, ...(got !== undefined ? { got: JSON.stringify(got)?.slice(0, 120) ?? String(got) } : {}) });

function importObject(value: unknown, kind: 'initializer' | 'regularizer', where: string): unknown {
  if (value === null || typeof value === 'string') return value;
  if (!isObject(value) || typeof value.class_name !== 'string')
    throw bad(where, `must be an ${kind} {class_name, config} or a name`, value);
  const config = isObject(value.config) ? { ...value.config } : {};
  delete config.seed;
  const spec = { className: value.class_name.replace(/^LeCun/, 'Lecun'), config };
  try {
    if (kind === 'initializer') getInitializer(spec as never, where);
    else getRegularizer(spec as never);
  } catch (e) {
    throw formatError(where, { expected: `a ${kind} neurona has`, got: JSON.stringify(value).slice(0, 120), cause: e });
  }
  return spec;
}

/** One Keras layer entry → neurona's `{className, config}`, every option checked against the class's declared options. */
function importLayerConfig(entry: Json, where: string): NeuronaEntry {
  const className = entry.class_name;
  if (typeof className !== 'string' || !isObject(entry.config)) throw bad(where, 'each layer must be {class_name, config}', entry);
  if (['Sequential', 'Functional', 'Model'].includes(className)) return importModelEntry(entry, where);
  const name = typeof entry.config.name === 'string' ? entry.config.name : typeof entry.name === 'string' ? entry.name : undefined;
  const at = `${where}: layer "${name ?? '?'}" (${className})`;
  const cls = SUPPORTED.has(className) ? LAYER_CLASSES.get(className) : undefined;
  if (!cls) {
    throw formatError(at, { expected: 'an unsupported layer class', hint: `the formats carry ${KERAS_LAYERS.join(', ')}` });
  }
  const spec = optionsOf(cls)!;
  const known = new Set([...Object.keys(spec.keys ?? {}), ...Object.keys(spec.aliases ?? {})]);
  const renamed = Object.fromEntries(Object.entries({ ...RENAMED.tfjs[className], ...RENAMED.keras3[className] }).map(([k, v]) => [v, k]));
  const config: Json = {};
  for (const [key, value] of Object.entries(entry.config)) {
    const option = renamed[key] ?? camelCase(key);
    if (key === 'dtype') {
      const dtype = isObject(value) ? (value.config as Json | undefined)?.name : value;
      const allowed = className === 'InputLayer' ? ['float32', 'int32', null, undefined] : ['float32', null, undefined];
      if (!allowed.includes(dtype as string)) {
        throw formatError(at, {
          expected: `dtype must be ${className === 'InputLayer' ? 'float32 or int32' : 'float32'}`,
          got: JSON.stringify(dtype),
        });
      }
      if (className === 'InputLayer' && dtype) config.dtype = dtype;
    } else if (key === 'batch_input_shape' || key === 'batch_shape') {
      if (value !== null) config.batchInputShape = value;
    } else if (/_constraint$/.test(key)) {
      if (value !== null)
        throw formatError(at, { expected: `option ${key}: neurona has no constraints`, got: JSON.stringify(value).slice(0, 120) });
    } else if (/_(initializer|regularizer)$/.test(key) && key !== 'activity_regularizer') {
      if (known.has(option))
        config[option] = importObject(value, key.endsWith('initializer') ? 'initializer' : 'regularizer', `${at}: ${key}`);
      else if (value !== null)
        throw formatError(at, {
          expected: `option ${key} is not one neurona's ${className} takes`,
          got: JSON.stringify(value).slice(0, 80),
        });
    } else if (known.has(option)) {
      // tfjs writes null for an option it was not given; where neurona's option has no null, that is its default.
      if (value !== null || acceptsNull(spec.keys?.[option])) config[option] = value;
    } else if (known.has(key)) config[key] = value;
    else if (!INERT[key]?.(value)) {
      throw formatError(at, {
        expected: `option ${key} is not one neurona's ${className} takes`,
        got: JSON.stringify(value)?.slice(0, 80),
        hint: INERT[key] ? 'neurona supports only its default value' : 'remove it from the config, or rebuild the model in neurona',
      });
    }
  }
  if (name !== undefined) config.name = name;
  return { className, config };
}

function acceptsNull(check: ((value: unknown, where: string) => void) | undefined): boolean {
  try {
    check?.(null, '');
    return true;
  } catch {
    return false;
  }
}

type History = [string, number, number];

function historyOf(value: unknown, where: string): History {
  const h = isObject(value) && value.class_name === '__keras_tensor__' ? (value.config as Json | undefined)?.keras_history : value;
  if (!Array.isArray(h) || typeof h[0] !== 'string' || !Number.isInteger(h[1]) || !Number.isInteger(h[2])) {
    throw bad(where, 'a tensor reference must be [layer, node, tensor] or a __keras_tensor__ with keras_history', value);
  }
  return [h[0], h[1], h[2]];
}

/** The inputs and call keywords of one inbound node, in either dialect. */
function parseNode(node: unknown, where: string): { inputs: History[]; training?: boolean } {
  let inputs: History[];
  let kwargs: unknown = {};
  if (Array.isArray(node)) {
    inputs = node.map((t) => historyOf(t, where));
    kwargs = Array.isArray(node[0]) ? (node[0][3] ?? {}) : {};
  } else if (isObject(node) && Array.isArray(node.args) && node.args.length >= 1) {
    const first = node.args[0];
    inputs = (Array.isArray(first) ? first : [first]).map((t) => historyOf(t, where));
    if (node.args.length > 1) throw bad(where, 'a layer called with more than one positional argument is not supported', node.args.length);
    kwargs = node.kwargs ?? {};
  } else throw bad(where, 'an inbound node must be a list of tensor references or {args, kwargs}', node);
  if (!isObject(kwargs)) throw bad(where, 'call keywords must be an object', kwargs);
  const out: { inputs: History[]; training?: boolean } = { inputs };
  for (const [key, value] of Object.entries(kwargs)) {
    if (key === 'training' && typeof value === 'boolean') out.training = value;
    else if (value !== null && !(key === 'mask' && value === null)) throw bad(where, `call keyword ${key} is not supported`, value);
  }
  if (inputs.length === 0) throw bad(where, 'an inbound node needs at least one input');
  return out;
}

/** A Keras functional config → neurona's graph config: nodes in an order where each follows its inputs. */
function importFunctional(config: Json, where: string): Json {
  const entries = config.layers as unknown[];
  const layers: NeuronaEntry[] = [];
  const pending: { layer: string; k: number; node: ReturnType<typeof parseNode> }[] = [];
  const nodes: Json[] = [];
  const index = new Map<string, number>();
  entries.forEach((raw, i) => {
    if (!isObject(raw)) throw bad(where, `layers[${i}] must be an object`, raw);
    const entry = importLayerConfig(raw, where);
    layers.push(entry);
    const name = String(entry.config.name);
    const inbound = raw.inbound_nodes ?? [];
    if (!Array.isArray(inbound)) throw bad(where, `layer "${name}": inbound_nodes must be a list`, inbound);
    if (entry.className === 'InputLayer') {
      index.set(`${name}/0/0`, nodes.push({ layer: name, inputs: [] }) - 1);
    } else
      inbound.forEach((node, k) => pending.push({ layer: name, k, node: parseNode(node, `${where}: layer "${name}" inbound node ${k}`) }));
  });
  // Keras lists layers, not nodes: a shared layer's later call may consume layers listed after it.
  while (pending.length > 0) {
    const ready = pending.findIndex((p) => p.node.inputs.every((h) => index.has(h.join('/'))));
    if (ready < 0) {
      const p = pending[0]!;
      const missing = p.node.inputs.find((h) => !index.has(h.join('/')))!;
      throw bad(
        where,
        `layer "${p.layer}" consumes ${JSON.stringify(missing)}, which no layer of the model produces (or the graph has a cycle)`,
      );
    }
    const [{ layer, k, node }] = pending.splice(ready, 1) as [(typeof pending)[number]];
    const out: Json = { layer, inputs: node.inputs.map((h) => index.get(h.join('/'))!) };
    if (node.training !== undefined) out.training = node.training;
    index.set(`${layer}/${k}/0`, nodes.push(out) - 1);
  }
  const refs = (list: unknown, role: string) => {
    const items = Array.isArray(list) && typeof list[0] === 'string' ? [list] : list;
    if (!Array.isArray(items) || items.length === 0) throw bad(where, `${role} must be a non-empty list of [layer, node, tensor]`, list);
    return items.map((h) => {
      const n = index.get(historyOf(h, where).join('/'));
      if (n === undefined) throw bad(where, `${role} names a tensor no layer produces`, h);
      return n;
    });
  };
  return {
    name: config.name,
    layers,
    nodes,
    inputs: refs(config.input_layers, 'input_layers'),
    outputs: refs(config.output_layers, 'output_layers'),
  };
}

/** A Keras Sequential or Functional config (a whole model, or a model used as a layer) → neurona's entry. */
function importModelEntry(root: Json, where: string): NeuronaEntry {
  const config = root.config as Json;
  if (!Array.isArray(config.layers)) throw bad(where, 'the model config must list its layers', Object.keys(config));
  const name = typeof config.name === 'string' ? config.name : undefined;
  let entry: NeuronaEntry;
  if (root.class_name === 'Sequential') {
    const layers = config.layers.map((l, i) => {
      if (!isObject(l)) throw bad(where, `layers[${i}] must be an object`, l);
      return importLayerConfig(l, where);
    });
    const shape = config.build_input_shape;
    if (layers[0]?.className !== 'InputLayer' && layers[0]?.config.batchInputShape === undefined && Array.isArray(shape)) {
      layers.unshift({ className: 'InputLayer', config: { batchInputShape: shape } });
    }
    entry = { className: 'Sequential', config: { name, layers } };
  } else if (['Functional', 'Model'].includes(String(root.class_name))) {
    entry = { className: 'Functional', config: importFunctional(config, where) };
  } else throw formatError(where, { expected: 'a Sequential or Functional model', got: JSON.stringify(root.class_name) });
  return entry;
}

/**
 * Builds a neurona model from Keras JSON in either dialect (a TF.js `modelTopology`, the object of a
 * `.keras` archive's `config.json`, or Keras 2's `model_config`). `where` names the file in errors.
 */
export function modelFromKerasConfig(topology: unknown, where: string): Model {
  let root = topology;
  if (isObject(root) && isObject(root.model_config)) root = root.model_config;
  if (!isObject(root) || typeof root.class_name !== 'string' || !isObject(root.config)) {
    throw bad(where, 'the model config must be {class_name, config}', root);
  }
  const entry = importModelEntry(root, where);
  let model: Model;
  try {
    model = deserializeLayer(entry) as Model;
  } catch (e) {
    const context = rebuildContextOf(e);
    const what = context ? `layer "${context.name}" (${context.className})` : 'the model';
    throw formatError(where, { expected: `${what} cannot be rebuilt: ${(e as Error).message}`, cause: e });
  }
  if (!model.built) {
    throw formatError(where, {
      expected:
        `model "${model.name}" has no input shape (no InputLayer, batch_input_shape or build_input_shape), ` +
        'so its weights cannot be placed',
    });
  }
  return model;
}

/** Every layer of `model` with weights, and its weights in Keras's order (trainable first). */
export function layersWithWeights(model: Model): { layer: Layer; weights: Layer['weights'] }[] {
  return model.layers
    .map((layer) => {
      const all = [...new Set(layer.weights)];
      return { layer, weights: [...all.filter((v) => v.trainable), ...all.filter((v) => !v.trainable)] };
    })
    .filter((l) => l.weights.length > 0);
}
