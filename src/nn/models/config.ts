import { configError, show } from '../../core/index.js';
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
  const path = parent ? `${parent.path}.config.layers[${index}]` : 'modelConfig';
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
  return {
    name,
    layers: graph.layers.map(serializeLayer),
    // A training flag given when the graph was built (base.apply(x, {training: false})) is kept.
    nodes: graph.nodes.map((n) => ({
      layer: (n.layer ?? inputLayerOf(n)!).name,
      inputs: n.inputs.map((t) => index.get(t)!),
      ...(n.callOptions.training === undefined ? {} : { training: n.callOptions.training }),
    })),
    inputs: graph.inputs.map((t) => index.get(t)!),
    outputs: graph.outputs.map((t) => index.get(t)!),
  };
}

interface GraphConfig {
  name?: string;
  layers: { className: string; config: Record<string, unknown> }[];
  nodes: { layer: string; inputs: number[]; training?: boolean }[];
  inputs: number[];
  outputs: number[];
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
    const apply = layer.apply as (inputs: unknown, options: CallOptions) => SymbolicTensor;
    nodes.push(apply.call(layer, args.length === 1 ? args[0] : args, node.training === undefined ? {} : { training: node.training }));
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
