/**
 * ONNX forms of the sequence layers: recurrent layers (either direction, their states in and out),
 * Bidirectional, TimeDistributed and the three attention layers with their masks.
 */
import { type Tensor, zeros as zerosOf } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { activationName } from '../nn/activations.js';
import type { Layer, LayerShape } from '../nn/layer.js';
import * as L from '../nn/layers/index.js';
import { DataType } from './onnx-proto.js';
import { type GraphBuilder, unsupported } from './onnx-graph.js';

/** One layer call to write: its inputs' names and shapes, tensor keywords by name, other call options. */
export interface LayerCall {
  layer: Layer;
  xs: string[];
  inShapes: LayerShape[];
  outShape: LayerShape | readonly LayerShape[];
  keywords: Record<string, string[]>;
  options: Record<string, unknown>;
  opset: number;
}

export type LayerWriter = (g: GraphBuilder, call: LayerCall) => string | string[];

/** Added to the scores a mask drops, as Keras does: exp() of it is 0, and a row with none kept is uniform. */
const DROPPED = -1e9;

/** Reverses axis 1 (time) of a batch-first tensor. */
function flipTime(g: GraphBuilder, x: string): string {
  return g.node('Slice', [x, g.ints('starts', [-1]), g.ints('ends', [-(2 ** 62)]), g.ints('axes', [1]), g.ints('steps', [-1])]);
}

const unsqueeze = (g: GraphBuilder, x: string, axes: number[]) => g.node('Unsqueeze', [x, g.ints('axes', axes)]);
const squeeze = (g: GraphBuilder, x: string, axes: number[]) => g.node('Squeeze', [x, g.ints('axes', axes)]);

/** Keras gate blocks in ONNX's order: LSTM i, f, c, o -> i, o, f, c; GRU z, r, h and RNN as they are. */
function gateOrder(t: Tensor, gates: number, units: number, order: number[]): Tensor {
  const blocks = order.map((k) => ops.slice(t, [0, k * units], [t.shape[0]!, units]));
  return gates === 1 ? t : ops.concat(blocks, 1);
}

type Recurrent = L.LSTM | L.GRU | L.SimpleRNN;
const RNN_ACTIVATIONS: Record<string, string> = { tanh: 'Tanh', sigmoid: 'Sigmoid', relu: 'Relu' };

/**
 * One ONNX LSTM/GRU/RNN node over a batch-first input. Returns its sequence batch-first with each
 * step at its input position (whatever the direction), and its final states [batch, units].
 */
function rnnNode(
  g: GraphBuilder,
  layer: Layer,
  x: string,
  initial: string[],
  backwards: boolean,
): { y: string; h: string; c: (() => string) | null } {
  if (!(layer instanceof L.LSTM || layer instanceof L.GRU || layer instanceof L.SimpleRNN)) return unsupported(layer);
  const lstm = layer instanceof L.LSTM;
  const gru = layer instanceof L.GRU;
  const act = RNN_ACTIVATIONS[activationName(layer.activation)];
  const gate = lstm || gru ? RNN_ACTIVATIONS[activationName((layer as L.LSTM | L.GRU).recurrentActivation)] : 'Sigmoid';
  if (act === undefined || gate === undefined) unsupported(layer);
  const units = layer.units;
  const gates = lstm ? 4 : gru ? 3 : 1;
  const order = lstm ? [0, 3, 1, 2] : [0, 1, 2].slice(0, gates);
  const onnx = (t: Tensor) => ops.expandDims(ops.transpose(gateOrder(t, gates, units, order)), 0);
  const W = g.weight('W', onnx(layer.kernel!));
  const R = g.weight('R', onnx(layer.recurrentKernel!));
  const zeros = zerosOf([gates * units]);
  let wb = zeros;
  let rb = zeros;
  if (layer.bias) {
    const bias = layer.bias.rank === 2 ? layer.bias : ops.reshape(layer.bias, [1, -1]);
    wb = ops.reshape(gateOrder(ops.slice(bias, [0, 0], [1, -1]), gates, units, order), [-1]);
    if (bias.shape[0] === 2) rb = ops.reshape(gateOrder(ops.slice(bias, [1, 0], [1, -1]), gates, units, order), [-1]);
  }
  const B = g.weight('B', ops.reshape(ops.concat([wb, rb], 0), [1, -1]));
  const inputs = [g.node('Transpose', [x], { perm: [1, 0, 2] }), W, R, B, '', ...initial.map((s) => unsqueeze(g, s, [0]))];
  const op = lstm ? 'LSTM' : gru ? 'GRU' : 'RNN';
  const outputs = [g.fresh(op.toLowerCase()), g.fresh(`${op.toLowerCase()}_h`), ...(lstm ? [g.fresh('lstm_c')] : [])];
  const activations = lstm ? [gate!, act!, act!] : gru ? [gate!, act!] : [act!];
  g.nodes.push({
    name: outputs[0]!,
    opType: op,
    domain: '',
    inputs,
    outputs,
    attributes: [
      { name: 'hidden_size', i: units },
      ...(backwards ? [{ name: 'direction', s: 'reverse' }] : []),
      // Written only when not ONNX's defaults (sigmoid gates, tanh), which every reader knows.
      ...(activations.join() === (lstm ? 'Sigmoid,Tanh,Tanh' : gru ? 'Sigmoid,Tanh' : 'Tanh')
        ? []
        : [{ name: 'activations', strings: activations }]),
      ...(gru ? [{ name: 'linear_before_reset', i: layer.resetAfter ? 1 : 0 }] : []),
    ],
  });
  // Y is [steps, directions, batch, units]; Y_c [directions, batch, units]. The final hidden state is
  // taken from Y (its last step, or its first for a reverse pass) rather than from Y_h, so that readers
  // that take a node's first output only (neurona's fromOnnx) read it too.
  const y = g.node('Transpose', [squeeze(g, outputs[0]!, [1])], { perm: [1, 0, 2] });
  const h = g.node('Gather', [y, g.constant('step', [backwards ? 0 : -1], [], DataType.INT64)], { axis: 1 });
  // Y_c is read only when the layer returns its states.
  return { y, h, c: lstm ? () => squeeze(g, outputs[2]!, [0]) : null };
}

/**
 * SimpleRNN, LSTM and GRU, and RNN over one of their cells: neurona returns a backwards layer's
 * sequence in its processing order.
 */
export function recurrent(g: GraphBuilder, call: LayerCall): string | string[] {
  const layer = call.layer as Recurrent | L.RNN;
  // A cell runs one step through a layer of its kind, which holds its weights.
  const inner = layer instanceof L.RNN ? (layer.cell as unknown as { step?: Layer }).step : layer;
  if (!inner) return unsupported(layer);
  const r = rnnNode(g, inner, call.xs[0]!, call.keywords.initialState ?? [], layer.goBackwards);
  const out = layer.returnSequences ? (layer.goBackwards ? flipTime(g, r.y) : r.y) : r.h;
  return layer.returnState ? [out, r.h, ...(r.c ? [r.c()] : [])] : out;
}

/** Two recurrent nodes; the backward layer's sequence is put back in input order before the merge. */
export function bidirectional(g: GraphBuilder, call: LayerCall): string | string[] {
  const layer = call.layer as L.Bidirectional;
  const { forwardLayer: forward, backwardLayer: backward } = layer;
  const initial = call.keywords.initialState ?? [];
  const half = forward.stateCount;
  const f = rnnNode(g, forward, call.xs[0]!, initial.slice(0, half), forward.goBackwards);
  const b = rnnNode(g, backward, call.xs[0]!, initial.slice(half), backward.goBackwards);
  const sequences = layer.returnSequences;
  const a = sequences ? (forward.goBackwards ? flipTime(g, f.y) : f.y) : f.h;
  const z = sequences ? (backward.goBackwards ? b.y : flipTime(g, b.y)) : b.h;
  const merged: Record<string, () => string[]> = {
    concat: () => [g.node('Concat', [a, z], { axis: -1 })],
    sum: () => [g.node('Add', [a, z])],
    mul: () => [g.node('Mul', [a, z])],
    ave: () => [g.node('Mul', [g.node('Add', [a, z]), g.constant('half', [0.5], [])])],
  };
  const outputs = layer.mergeMode === null ? [a, z] : merged[layer.mergeMode]!();
  const states = (r: typeof f) => [r.h, ...(r.c ? [r.c()] : [])];
  if (layer.returnState) outputs.push(...states(f), ...states(b));
  return outputs.length === 1 ? outputs[0]! : outputs;
}

/** The inner layer on [batch * steps, ...], then back to [batch, steps, ...]. */
export function timeDistributed(g: GraphBuilder, call: LayerCall, write: LayerWriter): string {
  const layer = call.layer as L.TimeDistributed;
  const inShape = call.inShapes[0]!;
  const stepIn: LayerShape = [null, ...inShape.slice(2)];
  const stepOut = layer.layer.computeOutputShape(stepIn) as LayerShape;
  if (stepIn.slice(1).includes(null) || stepOut.slice(1).includes(null)) unsupported(layer);
  const x = call.xs[0]!;
  const folded = g.node('Reshape', [x, g.ints('shape', [-1, ...(stepIn.slice(1) as number[])])]);
  const y = write(g, { ...call, layer: layer.layer, xs: [folded], inShapes: [stepIn], outShape: stepOut, keywords: {}, options: {} });
  if (Array.isArray(y)) return unsupported(layer);
  const lead = g.node('Slice', [g.node('Shape', [x]), g.ints('starts', [0]), g.ints('ends', [2]), g.ints('axes', [0])]);
  const shape = g.node('Concat', [lead, g.ints('rest', stepOut.slice(1) as number[])], { axis: 0 });
  return g.node('Reshape', [y, shape]);
}

/**
 * Masked softmax over the last axis: the entries the attention mask (nonzero = attend) and the causal
 * rule both keep. The rest get DROPPED, so a row with none kept is uniform, as neurona's kernel and Keras give.
 */
function maskedSoftmax(
  g: GraphBuilder,
  call: LayerCall,
  scores: string,
  mask: string | undefined,
  steps: [LayerShape, LayerShape],
): string {
  let keep = mask === undefined ? undefined : g.node('Cast', [mask], { to: DataType.BOOL });
  if (call.options.useCausalMask === true) {
    const rows = steps[0][1];
    const cols = steps[1][1];
    if (typeof rows !== 'number' || typeof cols !== 'number') unsupported(call.layer);
    const lower = Array.from({ length: rows! * cols! }, (_, k) => (k % cols! <= Math.floor(k / cols!) ? 1 : 0));
    const causal = g.constant('causal', lower, [rows!, cols!], DataType.BOOL);
    keep = keep === undefined ? causal : g.node('And', [keep, causal]);
  }
  const kept = keep === undefined ? scores : g.node('Where', [keep, scores, g.constant('dropped', [DROPPED], [])]);
  return g.node('Softmax', [kept], { axis: -1 });
}

const withScores = (call: LayerCall, out: string, weights: string) => (call.options.returnAttentionScores === true ? [out, weights] : out);

/** Attention (dot or concat scores) and AdditiveAttention in inference form. */
export function luongAttention(g: GraphBuilder, call: LayerCall): string | string[] {
  const layer = call.layer as L.Attention;
  const [query, value, key = value] = call.xs as [string, string, string?];
  const own = layer as unknown as { scale: Tensor | null; concatScoreWeight: Tensor | null };
  let scores: string;
  if (layer instanceof L.AdditiveAttention || layer.scoreMode === 'concat') {
    let sum = g.node('Add', [unsqueeze(g, query, [2]), unsqueeze(g, key, [1])]);
    const additive = layer instanceof L.AdditiveAttention;
    if (own.scale && !additive) sum = g.node('Mul', [sum, g.weight('scale', own.scale)]);
    let tanh = g.node('Tanh', [sum]);
    if (own.scale && additive) tanh = g.node('Mul', [tanh, g.weight('scale', own.scale)]);
    scores = g.node('ReduceSum', [tanh, g.ints('axes', [-1])], { keepdims: 0 });
    if (!additive) scores = g.node('Mul', [scores, g.weight('concat_score_weight', own.concatScoreWeight!)]);
  } else {
    scores = g.node('MatMul', [query, g.node('Transpose', [key], { perm: [0, 2, 1] })]);
    if (own.scale) scores = g.node('Mul', [scores, g.weight('scale', own.scale)]);
  }
  const weights = maskedSoftmax(g, call, scores, undefined, [call.inShapes[0]!, call.inShapes[1]!]);
  return withScores(call, g.node('MatMul', [weights, value]), weights);
}

/** MultiHeadAttention in inference form: projections, masked softmax(q k^T / sqrt(keyDim)) v, output projection. */
export function multiHeadAttention(g: GraphBuilder, call: LayerCall): string | string[] {
  const layer = call.layer as L.MultiHeadAttention;
  const [query, value, key = value] = call.xs as [string, string, string?];
  const projections = (layer as unknown as { projections: [Tensor, Tensor | null][] }).projections;
  if (layer.outputShape && layer.outputShape.length !== 1) unsupported(layer);
  const project = (x: string, index: number, perm: number[]) => {
    const [kernel, bias] = projections[index]!;
    const [dim, heads, width] = kernel.shape as [number, number, number];
    let y = g.node('MatMul', [x, g.weight('kernel', ops.reshape(kernel, [dim, heads * width]))]);
    if (bias) y = g.node('Add', [y, g.weight('bias', ops.reshape(bias, [heads * width]))]);
    return g.node('Transpose', [g.node('Reshape', [y, g.ints('shape', [0, 0, heads, width])])], { perm });
  };
  const q = project(query, 0, [0, 2, 1, 3]);
  const k = project(key, 1, [0, 2, 3, 1]);
  const v = project(value, 2, [0, 2, 1, 3]);
  const scores = g.node('Mul', [g.node('MatMul', [q, k]), g.constant('scale', [1 / Math.sqrt(layer.keyDim)], [])]);
  // attentionMask [batch, Tq, Tv] is the same for every head.
  const given = call.keywords.attentionMask?.[0];
  const mask = given === undefined ? undefined : unsqueeze(g, given, [1]);
  const weights = maskedSoftmax(g, call, scores, mask, [call.inShapes[0]!, call.inShapes[1]!]);
  const heads = g.node('MatMul', [weights, v]);
  const merged = g.node('Reshape', [
    g.node('Transpose', [heads], { perm: [0, 2, 1, 3] }),
    g.ints('shape', [0, 0, layer.numHeads * layer.valueDim]),
  ]);
  const [outKernel, outBias] = projections[3]!;
  const units = outKernel.shape.slice(2).reduce((p, d) => p * d, 1);
  const y = g.node('MatMul', [merged, g.weight('kernel', ops.reshape(outKernel, [layer.numHeads * layer.valueDim, units]))]);
  return withScores(call, outBias ? g.node('Add', [y, g.weight('bias', ops.reshape(outBias, [units]))]) : y, weights);
}
