import { configError, show } from '../../core/index.js';
import { describeValue } from '../describe.js';
import { type Layer, type SymbolicTensor, layerFromConfig, type CallOptions } from '../layer.js';
import type { Graph } from './functional.js';
import { InputLayer, inputLayerOf, symbolicInput } from './input.js';

/*
 * Model configs (Keras-like, JSON-safe). A functional model lists its distinct layers once (shared
 * layers keep one entry) and its nodes in topological order, each naming its layer and the indices
 * of the nodes it consumes; `inputs` and `outputs` are node indices.
 */

/** Rebuilders of model classes by className ('Sequential', 'Functional'), filled by their modules. */
const MODEL_BUILDERS = new Map<string, (config: Record<string, unknown>) => Layer>();

export function registerModelBuilder(className: string, build: (config: Record<string, unknown>) => Layer): void {
  MODEL_BUILDERS.set(className, build);
}

/** `{className, config}` of a layer or a nested model. */
export function serializeLayer(layer: Layer): { className: string; config: Record<string, unknown> } {
  return { className: layer.className, config: layer.getConfig() };
}

/** Where an error was thrown while a config was being rebuilt (see `rebuildContextOf`). */
export interface RebuildContext {
  kind: 'layer' | 'model';
  name: string;
  className: string;
  /** The entry's place in the config: `modelConfig.config.layers[2]`. */
  path: string;
  config: Record<string, unknown>;
}

/** The entries being rebuilt, outermost first (deserializeLayer nests through the model builders). */
const rebuilding: { spec: { className: string; config: Record<string, unknown> }; path: string }[] = [];
const contexts = new WeakMap<object, RebuildContext>();

/**
 * The innermost layer or model entry whose rebuild threw `error`, so that a loader can say which
 * entry of a file was wrong (the constructor's own message does not know where its options came from).
 */
export function rebuildContextOf(error: unknown): RebuildContext | undefined {
  return typeof error === 'object' && error !== null ? contexts.get(error) : undefined;
}

/** Rebuilds a layer or a nested model from `{className, config}`. */
export function deserializeLayer(spec: { className: string; config: Record<string, unknown> }): Layer {
  if (!spec || typeof spec !== 'object' || typeof spec.className !== 'string' || typeof spec.config !== 'object' || spec.config === null) {
    throw configError('model config', { expected: 'expected a layer entry {className, config}', got: show(spec) });
  }
  const parent = rebuilding.at(-1);
  const index = parent && Array.isArray(parent.spec.config.layers) ? parent.spec.config.layers.indexOf(spec) : -1;
  // A wrapper's inner layer (TimeDistributed's `layer`) sits under a key of its config, not in a list.
  const key = parent && index < 0 ? Object.keys(parent.spec.config).find((k) => parent.spec.config[k] === spec) : undefined;
  const path = parent ? `${parent.path}.config.${key ?? `layers[${index}]`}` : 'modelConfig';
  const build = MODEL_BUILDERS.get(spec.className);
  rebuilding.push({ spec, path });
  try {
    return build ? build(spec.config) : layerFromConfig(spec);
  } catch (e) {
    if (typeof e === 'object' && e !== null && !contexts.has(e)) {
      const name = typeof spec.config.name === 'string' ? spec.config.name : '(unnamed)';
      contexts.set(e, { kind: build ? 'model' : 'layer', name, className: spec.className, path, config: spec.config });
    }
    throw e;
  } finally {
    rebuilding.pop();
  }
}

export function graphConfig(name: string, graph: Graph): Record<string, unknown> {
  const index = new Map<SymbolicTensor, number>(graph.nodes.map((n, i) => [n, i]));
  const firstOfCall = new Map<object, number>();
  return {
    name,
    layers: graph.layers.map(serializeLayer),
    // A training flag given when the graph was built (base.apply(x, {training: false})) is kept, and
    // so are the other call options: constants as values, SymbolicTensor keywords as node inputs.
    nodes: graph.nodes.map((n, i) => {
      const node: GraphConfig['nodes'][number] = { layer: (n.layer ?? inputLayerOf(n)!).name, inputs: n.inputs.map((t) => index.get(t)!) };
      const { training, ...rest } = n.callOptions;
      if (training !== undefined) node.training = training;
      for (const [key, value] of Object.entries(rest)) {
        if (value !== null && !['boolean', 'number', 'string'].includes(typeof value)) {
          throw configError(`Model "${name}"`, {
            expected: `the call option ${show(key)} of layer ${show(node.layer)} must be a boolean, number, string or SymbolicTensor`,
            got: describeValue(value),
            hint: 'make the tensor an input of the model (nr.Input) and pass that',
          });
        }
      }
      if (Object.keys(rest).length > 0) node.options = rest as Record<string, boolean | number | string | null>;
      if (Object.keys(n.keywordInputs).length > 0) node.keywords = n.keywordInputs;
      if (n.positionalCount !== n.inputs.length) node.positional = n.positionalCount;
      if (n.callKey) {
        if (!firstOfCall.has(n.callKey)) firstOfCall.set(n.callKey, i);
        node.call = firstOfCall.get(n.callKey)!;
        node.output = n.outputIndex;
      }
      return node;
    }),
    inputs: graph.inputs.map((t) => index.get(t)!),
    outputs: graph.outputs.map((t) => index.get(t)!),
  };
}

interface GraphConfig {
  name?: string;
  layers: { className: string; config: Record<string, unknown> }[];
  nodes: {
    layer: string;
    inputs: number[];
    training?: boolean;
    /** Constant call options (`useCausalMask: true`). */
    options?: Record<string, boolean | number | string | null>;
    /** Call keywords given node inputs: positions in `inputs`. */
    keywords?: Readonly<Record<string, number | readonly number[]>>;
    /** How many of `inputs` are positional (default all). */
    positional?: number;
    /** A multi-output layer's call: the node where the call first appears, and which output this node is. */
    call?: number;
    output?: number;
  }[];
  inputs: number[];
  outputs: number[];
}

/** The outputs of a multi-output call, by the node first rebuilt from it. */
const callOutputs = new WeakMap<SymbolicTensor, SymbolicTensor[]>();

/** Applies a node's layer again, with its call options and keyword inputs checked (the file is untrusted). */
function nodeFromConfig(
  layer: Layer,
  node: GraphConfig['nodes'][number],
  i: number,
  args: SymbolicTensor[],
  nodes: readonly SymbolicTensor[],
): SymbolicTensor {
  const bad = (what: string, value: unknown) =>
    configError('Model.fromConfig', { expected: `node ${i} (${show(node.layer)}): ${what}`, got: show(value) });
  if (node.call !== undefined) {
    if (!Number.isInteger(node.call) || node.call < 0 || node.call > i) throw bad('call must index an earlier node', node.call);
    if (node.call < i) {
      const first = nodes[node.call]!;
      const sibling = callOutputs.get(first)?.[node.output ?? -1];
      if (!sibling || first.layer !== layer) throw bad('output must name an output of the call it refers to', node.output);
      return sibling;
    }
  }
  const positional = node.positional ?? args.length;
  if (!Number.isInteger(positional) || positional < 1 || positional > args.length) throw bad('positional out of range', positional);
  const options: CallOptions = {};
  for (const [key, value] of Object.entries(node.options ?? {})) {
    if (key === 'training' || (value !== null && !['boolean', 'number', 'string'].includes(typeof value))) throw bad('a bad option', key);
    options[key] = value;
  }
  if (node.training !== undefined) options.training = node.training;
  const at = (k: unknown) => {
    if (!Number.isInteger(k) || (k as number) < positional || (k as number) >= args.length) throw bad('keyword input out of range', k);
    return args[k as number]!;
  };
  for (const [key, value] of Object.entries(node.keywords ?? {})) options[key] = Array.isArray(value) ? value.map(at) : at(value);
  const list = args.slice(0, positional);
  const apply = layer.apply as (inputs: unknown, options: CallOptions) => SymbolicTensor | SymbolicTensor[];
  const out = apply.call(layer, list.length === 1 ? list[0] : list, options);
  if (!Array.isArray(out)) {
    if (node.output !== undefined) throw bad('output given for a layer with one output', node.output);
    return out;
  }
  const picked = out[node.output ?? -1];
  if (!picked) throw bad(`output must be 0..${out.length - 1} for this layer`, node.output);
  callOutputs.set(picked, out);
  return picked;
}

export function graphFromConfig(raw: Record<string, unknown>): { name?: string; inputs: SymbolicTensor[]; outputs: SymbolicTensor[] } {
  const config = raw as unknown as GraphConfig;
  if (!Array.isArray(config.layers) || !Array.isArray(config.nodes) || !Array.isArray(config.inputs) || !Array.isArray(config.outputs)) {
    throw configError('Model.fromConfig', {
      expected: 'expected {name, layers, nodes, inputs, outputs} as produced by getConfig()',
      got: typeof raw === 'object' && raw !== null ? `an object with keys ${show(Object.keys(raw))}` : show(raw),
    });
  }
  const layers = new Map<string, Layer>();
  for (const spec of config.layers) {
    const layer = deserializeLayer(spec);
    if (layers.has(layer.name)) {
      throw configError('Model.fromConfig', {
        expected: 'layer names in a model must be unique',
        got: `two layers named ${show(layer.name)}`,
      });
    }
    layers.set(layer.name, layer);
  }
  const nodes: SymbolicTensor[] = [];
  config.nodes.forEach((node, i) => {
    const layer = typeof node?.layer === 'string' ? layers.get(node.layer) : undefined;
    if (!layer) throw configError('Model.fromConfig', { expected: `node ${i} must use a layer listed in layers`, got: show(node?.layer) });
    if (layer instanceof InputLayer) {
      nodes.push(symbolicInput(layer));
      return;
    }
    const args = node.inputs.map((k) => {
      const t = Number.isInteger(k) && k >= 0 && k < i ? nodes[k] : undefined;
      if (!t) {
        throw configError('Model.fromConfig', {
          expected: `node ${i} (${show(node.layer)}) may only consume nodes that come before it`,
          got: `node ${show(k)}`,
        });
      }
      return t;
    });
    if (node.training !== undefined && typeof node.training !== 'boolean') {
      throw configError('Model.fromConfig', {
        expected: `node ${i} (${show(node.layer)}) must have training true or false when given`,
        got: show(node.training),
      });
    }
    nodes.push(nodeFromConfig(layer, node, i, args, nodes));
  });
  const pick = (k: number) => {
    const t = nodes[k];
    if (!t) {
      throw configError('Model.fromConfig', { expected: `inputs and outputs must be indices of the ${nodes.length} nodes`, got: show(k) });
    }
    return t;
  };
  return { name: config.name, inputs: config.inputs.map(pick), outputs: config.outputs.map(pick) };
}
