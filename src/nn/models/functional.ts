import { configError, formatShape, releaseFloat32, shapeError, show } from '../../core/index.js';
import { isGradEnabled, modelRunStart, noteModelRun } from '../../tensor/autograd.js';
import { withOverwritable } from '../../tensor/overwrite.js';
import type { Tensor } from '../../tensor/index.js';
import { type Layer, SymbolicTensor, formatLayerShape, type CallOptions } from '../layer.js';
import { describeValue } from '../describe.js';
import { inputLayerOf } from './input.js';

/*
 * The graph of a functional model: the SymbolicTensors between the inputs and the outputs, in
 * topological order. A layer applied twice appears in two nodes but once in `layers` (its weights
 * are shared).
 */

export interface Graph {
  inputs: SymbolicTensor[];
  outputs: SymbolicTensor[];
  /** Every node (inputs included) in an order where each comes after its inputs. */
  nodes: SymbolicTensor[];
  /** The distinct layers, InputLayers included, in Keras's `model.layers` order (see kerasLayerOrder). */
  layers: Layer[];
  /** Per node i, the values inference may recycle once node i has run (filled on first use, see recyclePlan). */
  recyclePlan?: SymbolicTensor[][];
  /** The nodes whose values code outside the layers may hold (filled on first use, see unsafeNodes). */
  unsafe?: ReadonlySet<SymbolicTensor>;
  /** Per node i, the input its layer may write over, or null, in training and in inference (see overwritePlan). */
  overwrite?: (SymbolicTensor | null)[];
  overwriteInference?: (SymbolicTensor | null)[];
}

function asList(x: SymbolicTensor | readonly SymbolicTensor[] | undefined, role: string, model: string): SymbolicTensor[] {
  const list = x instanceof SymbolicTensor ? [x] : Array.isArray(x) ? [...x] : [];
  if (list.length === 0 || list.some((t) => !(t instanceof SymbolicTensor))) {
    throw configError(`Model "${model}"`, {
      expected: `${role} must be a SymbolicTensor (from nr.Input or a layer applied to one) or a non-empty array of them`,
      got: Array.isArray(x) && x.length === 0 ? 'an empty array' : describeValue(x),
    });
  }
  return list;
}

/**
 * Keras's `model.layers` order, which `base.layers.slice(0, fineTuneAt)` depends on: a node's depth is
 * its longest path to an output (a layer takes the largest depth of its calls), layers go from the
 * deepest to depth 0, and layers of equal depth in the order the walk from the outputs first met
 * them. Inside a ResNet block this puts the shortcut's conv after the main path's first convs, as
 * Keras lists them. An input that no output needs sits at depth 0, first among its depth.
 */
function kerasLayerOrder(nodes: readonly SymbolicTensor[], inputs: readonly SymbolicTensor[], firstSeen: Map<Layer, number>): Layer[] {
  const nodeDepth = new Map<SymbolicTensor, number>();
  const layerDepth = new Map<Layer, number>();
  for (let i = nodes.length - 1; i >= 0; i--) {
    const node = nodes[i]!;
    const layer = node.layer ?? inputLayerOf(node)!;
    const depth = Math.max(nodeDepth.get(node) ?? 0, layerDepth.get(layer) ?? 0);
    layerDepth.set(layer, depth);
    nodeDepth.set(node, depth);
    for (const parent of node.inputs) nodeDepth.set(parent, Math.max(depth + 1, nodeDepth.get(parent) ?? 0));
  }
  for (const input of inputs) {
    const layer = inputLayerOf(input)!;
    if (!firstSeen.has(layer)) firstSeen.set(layer, -1);
  }
  return [...layerDepth.keys()].sort((a, b) => layerDepth.get(b)! - layerDepth.get(a)! || firstSeen.get(a)! - firstSeen.get(b)!);
}

/** Orders the graph from `inputs` to `outputs` (iterative depth-first post-order). */
export function buildGraph(
  inputsArg: SymbolicTensor | readonly SymbolicTensor[],
  outputsArg: SymbolicTensor | readonly SymbolicTensor[],
  model: string,
): Graph {
  const inputs = asList(inputsArg, 'inputs', model);
  const outputs = asList(outputsArg, 'outputs', model);
  for (const t of inputs) {
    if (!inputLayerOf(t)) {
      throw configError(`Model "${model}"`, {
        expected: 'every input must come from nr.Input(...)',
        got: `${show(t.name)}, the output of a layer`,
      });
    }
  }
  const inputSet = new Set(inputs);
  const order: SymbolicTensor[] = [];
  const firstSeen = new Map<Layer, number>();
  const done = new Set<SymbolicTensor>();
  const onStack = new Set<SymbolicTensor>();
  for (const output of outputs) {
    const stack: [SymbolicTensor, number][] = [[output, 0]];
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      const [node, next] = top;
      if (done.has(node)) {
        stack.pop();
        continue;
      }
      if (next === 0) {
        if (node.inputs.length === 0 && !inputSet.has(node)) {
          throw configError(`Model "${model}"`, {
            expected: "the outputs must depend only on the model's inputs",
            got: `the input ${show(node.name)} ${formatLayerShape(node.shape)}, which is not among them`,
            hint: 'add it to inputs',
          });
        }
        onStack.add(node);
        const layer = node.layer ?? inputLayerOf(node)!;
        if (!firstSeen.has(layer)) firstSeen.set(layer, firstSeen.size);
      }
      if (next < node.inputs.length) {
        top[1] = next + 1;
        const child = node.inputs[next]!;
        if (onStack.has(child)) {
          throw configError(`Model "${model}"`, { expected: 'the graph must have no cycle', got: `a cycle through ${show(child.name)}` });
        }
        if (!done.has(child)) stack.push([child, 0]);
      } else {
        stack.pop();
        onStack.delete(node);
        done.add(node);
        order.push(node);
      }
    }
  }
  // Inputs first, in the order given; every node after its inputs (the order calls run in).
  const nodes = [...inputs, ...order.filter((n) => !inputSet.has(n))];
  const layers = kerasLayerOrder(nodes, inputs, firstSeen);
  const names = new Map<string, Layer>();
  for (const layer of layers) {
    const other = names.get(layer.name);
    if (other && other !== layer) {
      throw configError(`Model "${model}"`, {
        expected: 'layer names in a model must be unique',
        got: `two different layers named ${show(layer.name)}`,
        hint: 'give one of them another name',
      });
    }
    names.set(layer.name, layer);
  }
  return { inputs, outputs, nodes, layers };
}

/** Checks a concrete input against the shape its Input declared. */
export function checkInputShape(input: SymbolicTensor, x: Tensor, model: string): void {
  const expected = input.shape;
  if (x.rank !== expected.length || expected.some((d, i) => d !== null && d !== x.shape[i])) {
    throw shapeError(`Model "${model}"`, {
      expected: `input ${show(input.name)} expects shape ${formatLayerShape(expected)}`,
      got: formatShape(x.shape),
      hint: 'the batch axis comes first, then the shape given to nr.Input',
    });
  }
}

/** Runs the graph on concrete inputs; returns one tensor per output. */
export function runGraph(graph: Graph, xs: readonly Tensor[], options: CallOptions, model: string): Tensor[] {
  if (xs.length !== graph.inputs.length) {
    const tensors = (n: number) => `${n} tensor${n === 1 ? '' : 's'}`;
    throw configError(`Model "${model}"`, {
      expected: `takes ${tensors(graph.inputs.length)}, one per input (${graph.inputs.map((i) => i.name).join(', ')})`,
      got: tensors(xs.length),
      hint: 'pass one tensor per input, in that order',
    });
  }
  const values = new Map<SymbolicTensor, Tensor>();
  graph.inputs.forEach((input, i) => {
    checkInputShape(input, xs[i]!, model);
    values.set(input, xs[i]!);
  });
  const recycling = !options.training && !isGradEnabled() ? new Recycler(graph, xs) : null;
  const firstSerial = recycling === null ? modelRunStart() : 0;
  // The outputs of one call of a multi-output layer, computed once for all its nodes.
  const lists = new Map<object, Tensor[]>();
  const plan = overwritePlan(graph, recycling !== null);
  graph.nodes.forEach((node, i) => {
    if (values.has(node)) return;
    let value = node.callKey ? lists.get(node.callKey)?.[node.outputIndex] : undefined;
    if (!value) {
      const args = node.inputs.slice(0, node.positionalCount).map((t) => values.get(t)!);
      // Multi-input layers (Add, Concatenate, nested models) take an array.
      const apply = node.layer!.apply as (inputs: unknown, options: CallOptions) => Tensor | Tensor[];
      const training = node.callOptions.training;
      let nodeOptions = training === undefined || training === options.training ? options : { ...options, training };
      const keywords = Object.entries(node.keywordInputs);
      if (keywords.length > 0 || Object.keys(node.callOptions).some((k) => k !== 'training')) {
        nodeOptions = { ...node.callOptions, ...nodeOptions };
        for (const [key, at] of keywords) {
          nodeOptions[key] = typeof at === 'number' ? values.get(node.inputs[at]!)! : at.map((j) => values.get(node.inputs[j]!)!);
        }
      }
      const run = () => apply.call(node.layer, args.length === 1 ? args[0] : args, nodeOptions);
      const spare = plan[i];
      const out = spare ? withOverwritable(values.get(spare)!, run) : run();
      if (node.callKey) {
        lists.set(node.callKey, out as Tensor[]);
        value = (out as Tensor[])[node.outputIndex]!;
      } else {
        value = out as Tensor;
      }
    }
    values.set(node, value);
    recycling?.ran(i, value, values);
  });
  if (firstSerial > 0) noteRun(graph, values, firstSerial);
  return graph.outputs.map((o) => values.get(o)!);
}

/**
 * Inside a custom training step run by `fit`: tells the step which values of this run it may give
 * back to the buffer pool when it ends (those of nodes that no code outside the layers can hold).
 */
function noteRun(graph: Graph, values: ReadonlyMap<SymbolicTensor, Tensor>, first: number): void {
  const unsafe = unsafeNodes(graph);
  const internal: Tensor[] = [];
  const boundary: Tensor[] = [];
  for (const [node, value] of values) (unsafe.has(node) ? boundary : internal).push(value);
  noteModelRun(internal, boundary, first);
}

/**
 * The nodes whose values code outside the built-in layers may hold: the graph's inputs and outputs,
 * values made by a layer that may keep tensors, and values read by one.
 */
function unsafeNodes(graph: Graph): ReadonlySet<SymbolicTensor> {
  if (graph.unsafe) return graph.unsafe;
  const unsafe = new Set<SymbolicTensor>([...graph.outputs, ...graph.inputs]);
  for (const node of graph.nodes) {
    if (node.layer?.keepsNoTensors) continue;
    unsafe.add(node);
    for (const input of node.inputs) unsafe.add(input);
  }
  graph.unsafe = unsafe;
  return unsafe;
}

/**
 * Per node, the input value its layer may write its result over (see src/tensor/overwrite.ts), or
 * null: one that the layer alone reads, once, that no code outside the layers can hold, and whose
 * own layer made fresh storage that no gradient rule reads (a BatchNormalization before a ReLU, an
 * Add after one, as in ResNet and MobileNet blocks). Computed once per graph.
 */
function overwritePlan(graph: Graph, inference: boolean): (SymbolicTensor | null)[] {
  const cached = inference ? graph.overwriteInference : graph.overwrite;
  if (cached) return cached;
  const reads = new Map<SymbolicTensor, number>();
  for (const node of graph.nodes) for (const input of node.inputs) reads.set(input, (reads.get(input) ?? 0) + 1);
  const unsafe = unsafeNodes(graph);
  // Without gradients a value only has to be storage of its own (Layer.outputFresh).
  const made = (layer: Layer | null) => (inference ? layer?.outputFresh : layer?.outputOverwritable) === true;
  const spare = (t: SymbolicTensor) => !unsafe.has(t) && reads.get(t) === 1 && t.callKey === null && made(t.layer);
  const plan = graph.nodes.map((node) => {
    if (node.layer === null || !node.layer.overwritesInput || node.callKey !== null) return null;
    return node.inputs.slice(0, node.positionalCount).find(spare) ?? null;
  });
  if (inference) graph.overwriteInference = plan;
  else graph.overwrite = plan;
  return plan;
}

/** The nodes whose value may be recycled once node i has run (its last reader), computed once per graph. */
function recyclePlan(graph: Graph): SymbolicTensor[][] {
  if (graph.recyclePlan) return graph.recyclePlan;
  const lastReader = new Map<SymbolicTensor, number>();
  const unsafe = unsafeNodes(graph);
  graph.nodes.forEach((node, i) => {
    for (const input of node.inputs) lastReader.set(input, i);
  });
  const plan: SymbolicTensor[][] = graph.nodes.map(() => []);
  for (const [node, i] of lastReader) if (!unsafe.has(node)) plan[i]!.push(node);
  graph.recyclePlan = plan;
  return plan;
}

/**
 * Inference without a gradient tape keeps every activation of a functional model alive until the
 * pass ends (ResNet50 at batch 32: about 4 GB, where one activation at a time is about 100 MB);
 * this gives the storage of an activation back to the buffer pool as soon as its last reader has
 * run, so the next layers' outputs reuse memory that is already mapped. Storage shared with a value
 * still alive (a Flatten's view, a Dropout's pass-through) or with an input of the graph is kept.
 */
class Recycler {
  private readonly plan: SymbolicTensor[][];
  /** Live values per storage buffer; the inputs' buffers are never given back. */
  private readonly live = new Map<ArrayBufferLike, number>();

  constructor(graph: Graph, xs: readonly Tensor[]) {
    this.plan = recyclePlan(graph);
    for (const x of xs) this.live.set(x._data.buffer, Number.POSITIVE_INFINITY);
  }

  ran(i: number, value: Tensor, values: Map<SymbolicTensor, Tensor>): void {
    const buffer = value._data.buffer;
    this.live.set(buffer, (this.live.get(buffer) ?? 0) + 1);
    for (const node of this.plan[i]!) {
      const data = values.get(node)!._data;
      const left = this.live.get(data.buffer)! - 1;
      this.live.set(data.buffer, left);
      values.delete(node);
      if (left === 0 && data instanceof Float32Array) releaseFloat32([data]);
    }
  }
}

/** Names of the outputs (their layers' names; repeated names get `_1`, `_2`). */
export function outputNames(graph: Graph): string[] {
  const counts = new Map<string, number>();
  return graph.outputs.map((o) => {
    const base = o.layer?.name ?? o.name;
    const n = counts.get(base) ?? 0;
    counts.set(base, n + 1);
    return n === 0 ? base : `${base}_${n}`;
  });
}
