import { configError, show } from '../core/index.js';
import { convPadBefore, convOutputLength } from '../core/geometry.js';
import { type Tensor, zeros as zerosOf } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { activationName } from '../nn/activations.js';
import { type Layer, SymbolicTensor, type LayerShape } from '../nn/layer.js';
import { Model } from '../nn/models/model.js';
import { Sequential } from '../nn/models/sequential.js';
import { inputLayerOf } from '../nn/models/input.js';
import * as L from '../nn/layers/index.js';
import { RandomAugmentation } from '../nn/layers/preprocessing/augmentation.js';
import { DataType, encodeModel, type AttributeProto, type NodeProto, type TensorProto, type ValueInfo } from './onnx-proto.js';
import { VERSION } from '../version.js';
import { OnnxOp } from './onnx-ops.js';

export interface ToOnnxOptions {
  /** The ONNX opset (default 17, the first with LayerNormalization; 13 to 21). */
  opset?: number;
  /** Image inputs and outputs as the model has them ('NHWC', default) or channels first ('NCHW'). */
  layout?: 'NHWC' | 'NCHW';
}

/** The layer classes toOnnx writes (docs/interop.md lists them). */
export const ONNX_EXPORTED_LAYERS = [
  'Dense',
  'Activation',
  'ReLU',
  'LeakyReLU',
  'Softmax',
  'ZeroPadding2D',
  'Conv2D',
  'DepthwiseConv2D',
  'SeparableConv2D',
  'Conv2DTranspose',
  'MaxPooling2D',
  'AveragePooling2D',
  'GlobalAveragePooling2D',
  'GlobalMaxPooling2D',
  'BatchNormalization',
  'LayerNormalization',
  'Dropout',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'Flatten',
  'Reshape',
  'Add',
  'Subtract',
  'Multiply',
  'Average',
  'Maximum',
  'Concatenate',
  'Embedding',
  'Random* augmentation (identity)',
  'nested Sequential and functional models',
];
const IDENTITY = new Set([
  'Dropout',
  'SpatialDropout1D',
  'SpatialDropout2D',
  'GaussianNoise',
  'GaussianDropout',
  'AlphaDropout',
  'AlphaDropout',
  'ActivityRegularization',
]);

type Attrs = Record<string, number | number[] | string>;

class GraphBuilder {
  nodes: NodeProto[] = [];
  initializers: TensorProto[] = [];
  private count = 0;

  constructor(readonly where: string) {}

  fresh(prefix: string): string {
    return `${prefix}_${this.count++}`;
  }

  constant(prefix: string, values: ArrayLike<number>, dims: readonly number[], dataType: number = DataType.FLOAT): string {
    const name = this.fresh(prefix);
    this.initializers.push({ name, dims: [...dims], dataType, data: Array.from(values) });
    return name;
  }

  weight(prefix: string, t: Tensor): string {
    return this.constant(prefix, t.data() as Float32Array, t.shape);
  }

  ints(prefix: string, values: readonly number[]): string {
    return this.constant(prefix, values, [values.length], DataType.INT64);
  }

  node(opType: string, inputs: string[], attrs: Attrs = {}, prefix = opType.toLowerCase()): string {
    const out = this.fresh(prefix);
    const attributes: AttributeProto[] = Object.entries(attrs).map(([name, v]) =>
      typeof v === 'string'
        ? { name, s: v }
        : Array.isArray(v)
          ? { name, ints: v }
          : Number.isInteger(v) && name !== 'alpha' && name !== 'beta' && name !== 'epsilon'
            ? { name, i: v }
            : { name, f: v },
    );
    this.nodes.push({ name: out, opType, domain: '', inputs, outputs: [out], attributes });
    return out;
  }
}

const unsupported = (layer: Layer): never => {
  throw configError('toOnnx', {
    expected: `layer ${show(layer.name)} of class ${layer.className} has no ONNX form`,
    hint: `supported: ${ONNX_EXPORTED_LAYERS.join(', ')}`,
  });
};

/** The ONNX nodes of an activation by Keras name; the input name when it is linear. */
function activation(g: GraphBuilder, x: string, identifier: unknown, layer: Layer): string {
  const name = activationName(identifier as never);
  switch (name) {
    case 'linear':
      return x;
    case 'relu':
      return g.node('Relu', [x]);
    case 'sigmoid':
      return g.node('Sigmoid', [x]);
    case 'tanh':
      return g.node('Tanh', [x]);
    case 'softmax':
      return g.node('Softmax', [x], { axis: -1 });
    case 'log_softmax':
      return g.node('LogSoftmax', [x], { axis: -1 });
    case 'elu':
      return g.node('Elu', [x], { alpha: 1 });
    case 'selu':
      return g.node('Selu', [x]);
    case 'softplus':
      return g.node('Softplus', [x]);
    case 'softsign':
      return g.node('Softsign', [x]);
    case 'exponential':
      return g.node('Exp', [x]);
    case 'leaky_relu':
      return g.node('LeakyRelu', [x], { alpha: 0.2 });
    case 'relu6':
      return g.node('Clip', [x, g.constant('zero', [0], []), g.constant('six', [6], [])]);
    case 'swish':
    case 'silu':
      return g.node('Mul', [x, g.node('Sigmoid', [x])]);
    case 'hard_sigmoid':
      return g.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 });
    case 'hard_swish':
    case 'hard_silu':
      return g.node('Mul', [x, g.node('HardSigmoid', [x], { alpha: 1 / 6, beta: 0.5 })]);
    case 'gelu': {
      const erf = g.node('Erf', [g.node('Mul', [x, g.constant('rsqrt2', [Math.SQRT1_2], [])])]);
      return g.node('Mul', [g.node('Mul', [x, g.constant('half', [0.5], [])]), g.node('Add', [erf, g.constant('one', [1], [])])]);
    }
    default:
      throw configError('toOnnx', { expected: `layer ${show(layer.name)}: activation ${show(name)} has no ONNX form here` });
  }
}

/** NHWC -> NCHW around an op that ONNX defines channels-first. */
function channelsFirst(g: GraphBuilder, x: string, body: (nchw: string) => string): string {
  return g.node('Transpose', [body(g.node('Transpose', [x], { perm: [0, 3, 1, 2] }))], { perm: [0, 2, 3, 1] });
}

/** ONNX `pads` for TensorFlow's 'same' split (more after than before), or zeros for 'valid'. */
function padsFor(
  shape: LayerShape,
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
  padding: string,
): number[] {
  if (padding !== 'same') return [0, 0, 0, 0];
  const begin: number[] = [];
  const end: number[] = [];
  for (let a = 0; a < 2; a++) {
    const size = shape[a + 1]!;
    const out = convOutputLength(size, kernel[a]!, strides[a]!, dilation[a]!, 'same');
    const span = (kernel[a]! - 1) * dilation[a]! + 1;
    const total = Math.max((out - 1) * strides[a]! + span - size, 0);
    begin.push(convPadBefore(size, out, kernel[a]!, strides[a]!, dilation[a]!, 'same'));
    end.push(total - begin[a]!);
  }
  return [...begin, ...end];
}

function convTransposeAttrs(layer: L.Conv2DTranspose, inShape: LayerShape, outShape: LayerShape): Attrs {
  const [kh, kw] = layer.kernelSize;
  const pads = [0, 0, 0, 0];
  const outputPadding = [0, 0];
  for (let a = 0; a < 2; a++) {
    const k = a === 0 ? kh : kw;
    const s = layer.strides[a]!;
    const d = layer.dilationRate[a]!;
    const inSize = inShape[a + 1]!;
    const outSize = outShape[a + 1]!;
    const diff = s * (inSize - 1) + (k - 1) * d + 1 - outSize;
    if (diff < 0) outputPadding[a] = -diff;
    else {
      pads[a] = convPadBefore(outSize, inSize, k, s, d, layer.padding);
      pads[a + 2] = diff - pads[a]!;
    }
  }
  return { kernel_shape: [kh, kw], strides: [...layer.strides], dilations: [...layer.dilationRate], pads, output_padding: outputPadding };
}

/** Writes one layer call; returns its output's name. */
function writeLayer(g: GraphBuilder, layer: Layer, xs: string[], inShapes: LayerShape[], outShape: LayerShape, opset: number): string {
  const x = xs[0]!;
  const inShape = inShapes[0]!;
  const cls = layer.className;
  if (layer instanceof Model) return writeModel(g, layer, xs, opset)[0]!;
  if (layer instanceof OnnxOp) return writeOnnxOp(g, layer, xs, inShapes, opset);
  if (IDENTITY.has(cls) || layer instanceof RandomAugmentation) return g.node('Identity', [x]);
  if (layer instanceof L.Dense) {
    const y = g.node('MatMul', [x, g.weight('kernel', layer.kernel!)]);
    return activation(g, layer.bias ? g.node('Add', [y, g.weight('bias', layer.bias)]) : y, layer.activation, layer);
  }
  if (layer instanceof L.Activation) return activation(g, x, layer.activation, layer);
  if (layer instanceof L.ReLU) {
    if (layer.threshold !== 0 || (layer.negativeSlope !== 0 && layer.maxValue !== null)) unsupported(layer);
    if (layer.negativeSlope !== 0) return g.node('LeakyRelu', [x], { alpha: layer.negativeSlope });
    const y = g.node('Relu', [x]);
    return layer.maxValue === null ? y : g.node('Clip', [y, g.constant('min', [0], []), g.constant('max', [layer.maxValue], [])]);
  }
  if (layer instanceof L.LeakyReLU) return g.node('LeakyRelu', [x], { alpha: layer.negativeSlope });
  if (layer instanceof L.Softmax) return g.node('Softmax', [x], { axis: layer.axis });
  if (
    layer instanceof L.Conv2D ||
    layer instanceof L.DepthwiseConv2D ||
    layer instanceof L.SeparableConv2D ||
    layer instanceof L.Conv2DTranspose
  ) {
    const [kh, kw] = layer.kernelSize;
    const pads = padsFor(inShape, [kh, kw], layer.strides, layer.dilationRate, layer.padding);
    const attrs: Attrs = { kernel_shape: [kh, kw], strides: [...layer.strides], dilations: [...layer.dilationRate], pads };
    const inChannels = inShape[3]!;
    const y = channelsFirst(g, x, (nchw) => {
      if (layer instanceof L.Conv2D) {
        const w = g.weight('kernel', ops.transpose(layer.kernel!, [3, 2, 0, 1]));
        return g.node('Conv', layer.bias ? [nchw, w, g.weight('bias', layer.bias)] : [nchw, w], attrs);
      }
      if (layer instanceof L.Conv2DTranspose) {
        const w = g.weight('kernel', ops.transpose(layer.kernel!, [3, 2, 0, 1]));
        const t = convTransposeAttrs(layer, inShape, outShape);
        return g.node('ConvTranspose', layer.bias ? [nchw, w, g.weight('bias', layer.bias)] : [nchw, w], t);
      }
      const depthwise = layer instanceof L.DepthwiseConv2D ? layer.kernel! : layer.depthwiseKernel!;
      const mult = depthwise.shape[3]!;
      const dw = g.weight('depthwise', ops.reshape(ops.transpose(depthwise, [2, 3, 0, 1]), [inChannels * mult, 1, kh, kw]));
      const dwAttrs = { ...attrs, group: inChannels };
      if (layer instanceof L.DepthwiseConv2D)
        return g.node('Conv', layer.bias ? [nchw, dw, g.weight('bias', layer.bias)] : [nchw, dw], dwAttrs);
      const mid = g.node('Conv', [nchw, dw], dwAttrs);
      const pw = g.weight('pointwise', ops.transpose(layer.pointwiseKernel!, [3, 2, 0, 1]));
      return g.node('Conv', layer.bias ? [mid, pw, g.weight('bias', layer.bias)] : [mid, pw], { kernel_shape: [1, 1] });
    });
    return activation(g, y, layer.activation, layer);
  }
  if (layer instanceof L.MaxPooling2D || layer instanceof L.AveragePooling2D) {
    const pads = padsFor(inShape, layer.poolSize, layer.strides, [1, 1], layer.padding);
    const max = layer instanceof L.MaxPooling2D;
    const attrs: Attrs = { kernel_shape: [...layer.poolSize], strides: [...layer.strides], pads, ceil_mode: layer.ceilMode ? 1 : 0 };
    return channelsFirst(g, x, (nchw) => g.node(max ? 'MaxPool' : 'AveragePool', [nchw], max ? attrs : { ...attrs, count_include_pad: 0 }));
  }
  if (layer instanceof L.GlobalAveragePooling2D || layer instanceof L.GlobalMaxPooling2D) {
    const op = layer instanceof L.GlobalAveragePooling2D ? 'ReduceMean' : 'ReduceMax';
    // ReduceMean takes its axes as an input from opset 18 on.
    if (opset >= 18) return g.node(op, [x, g.ints('axes', [1, 2])], { keepdims: layer.keepdims ? 1 : 0 });
    return g.node(op, [x], { axes: [1, 2], keepdims: layer.keepdims ? 1 : 0 });
  }
  if (layer instanceof L.BatchNormalization) {
    // Inference form: one scale and shift per channel on the layer's axis.
    const rank = inShape.length;
    const axis = layer.axis < 0 ? layer.axis + rank : layer.axis;
    const channels = inShape[axis]!;
    const mean = layer.movingMean!.data() as Float32Array;
    const variance = layer.movingVariance!.data() as Float32Array;
    const gamma = layer.gamma ? (layer.gamma.data() as Float32Array) : null;
    const beta = layer.beta ? (layer.beta.data() as Float32Array) : null;
    const scale = new Float32Array(channels);
    const shift = new Float32Array(channels);
    for (let c = 0; c < channels; c++) {
      scale[c] = (gamma ? gamma[c]! : 1) / Math.sqrt(variance[c]! + layer.epsilon);
      shift[c] = (beta ? beta[c]! : 0) - mean[c]! * scale[c]!;
    }
    const dims = inShape.map((d, i) => (i === axis ? d! : 1)).slice(1);
    return g.node('Add', [g.node('Mul', [x, g.constant('bn_scale', scale, dims)]), g.constant('bn_shift', shift, dims)]);
  }
  if (layer instanceof L.LayerNormalization) {
    const axes = (Array.isArray(layer.axis) ? layer.axis : [layer.axis]).map((a) => (a < 0 ? a + inShape.length : a));
    if (opset < 17 || layer.rmsScaling || axes.length !== 1 || axes[0] !== inShape.length - 1) unsupported(layer);
    const n = inShape.at(-1)!;
    const gamma = layer.gamma ? g.weight('gamma', layer.gamma) : g.constant('gamma', new Float32Array(n).fill(1), [n]);
    const inputs = [x, gamma, ...(layer.beta ? [g.weight('beta', layer.beta)] : [])];
    return g.node('LayerNormalization', inputs, { axis: -1, epsilon: layer.epsilon });
  }
  if (layer instanceof L.ZeroPadding2D) {
    const [[top, bottom], [left, right]] = layer.padding;
    return g.node('Pad', [x, g.ints('pads', [0, top, left, 0, 0, bottom, right, 0])], { mode: 'constant' });
  }
  if (layer instanceof L.Flatten) return g.node('Flatten', [x], { axis: 1 });
  if (layer instanceof L.Reshape) return g.node('Reshape', [x, g.ints('shape', [0, ...layer.targetShape])]);
  if (layer instanceof L.Concatenate) return g.node('Concat', xs, { axis: layer.axis < 0 ? layer.axis + inShape.length : layer.axis });
  const merge: Record<string, string> = { Add: 'Sum', Maximum: 'Max', Minimum: 'Min', Average: 'Mean', Subtract: 'Sub' };
  if (cls in merge && inShapes.length >= 2) return g.node(merge[cls]!, xs);
  if (layer instanceof L.MultiHeadAttention) return attention(g, layer, xs);
  if (layer instanceof L.LSTM || layer instanceof L.GRU || layer instanceof L.SimpleRNN) return recurrent(g, layer, x);
  if (cls === 'Multiply') return xs.slice(1).reduce((acc, y) => g.node('Mul', [acc, y]), x);
  if (layer instanceof L.Embedding) {
    const idx = g.node('Cast', [x], { to: DataType.INT64 });
    return g.node('Gather', [g.weight('embeddings', layer.embeddings!), idx], { axis: 0 });
  }
  return unsupported(layer);
}

/** An imported node written back as it came: its weights and constants as initializers. */
function writeOnnxOp(g: GraphBuilder, layer: OnnxOp, xs: string[], inShapes: LayerShape[], opset: number): string {
  const inputs = layer.slots.map((slot): string => {
    if ('none' in slot) return '';
    if ('x' in slot) return xs[slot.x]!;
    if ('w' in slot) return g.weight('w', layer.params[slot.w]!);
    let values = slot.c;
    if (values.includes(null)) {
      // A run-time dimension: reshape infers a single one (-1), or copies the batch (0) at axis 0.
      const single = values.filter((v) => v === null).length === 1 && !values.includes(-1);
      if (layer.opType !== 'Reshape' || !(single || (values[0] === null && inShapes[0]![0] === null && values.indexOf(null, 1) < 0))) {
        unsupported(layer);
      }
      values = values.map((v, i) => (v !== null ? v : single ? -1 : i === 0 ? 0 : v));
    }
    return g.constant('c', values as number[], slot.shape, slot.float ? DataType.FLOAT : DataType.INT64);
  });
  const out = g.fresh(layer.opType.toLowerCase());
  // `axes` moved from an attribute to an input: Squeeze and Unsqueeze at opset 13, the reductions at 18.
  const axesInput = layer.opType.endsWith('queeze') ? 13 : layer.opType.startsWith('Reduce') ? 18 : Number.POSITIVE_INFINITY;
  const axes = layer.attributes.axes;
  if (Array.isArray(axes) && opset >= axesInput) inputs.splice(1, inputs.length - 1, g.ints('axes', axes));
  const attrs = Object.entries(layer.attributes).filter(([name]) => !(name === 'axes' && opset >= axesInput));
  const attributes: AttributeProto[] = attrs.map(([name, v]) => {
    if (typeof v === 'string') return { name, s: v };
    const float = layer.floatAttributes.includes(name);
    if (Array.isArray(v)) return float ? { name, floats: v } : { name, ints: v };
    return float ? { name, f: v } : { name, i: v };
  });
  while (inputs.at(-1) === '') inputs.pop();
  g.nodes.push({ name: out, opType: layer.opType, domain: '', inputs, outputs: [out], attributes });
  return out;
}

/** MultiHeadAttention in inference form, no mask: projections, softmax(q k^T / sqrt(keyDim)) v, output projection. */
function attention(g: GraphBuilder, layer: L.MultiHeadAttention, xs: string[]): string {
  const [query, value, key = value] = xs as [string, string, string?];
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
  const heads = g.node('MatMul', [g.node('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.node('Reshape', [
    g.node('Transpose', [heads], { perm: [0, 2, 1, 3] }),
    g.ints('shape', [0, 0, layer.numHeads * layer.valueDim]),
  ]);
  const [outKernel, outBias] = projections[3]!;
  const units = outKernel.shape.slice(2).reduce((p, d) => p * d, 1);
  const y = g.node('MatMul', [merged, g.weight('kernel', ops.reshape(outKernel, [layer.numHeads * layer.valueDim, units]))]);
  return outBias ? g.node('Add', [y, g.weight('bias', ops.reshape(outBias, [units]))]) : y;
}

/** Keras gate blocks in ONNX's order: LSTM i, f, c, o -> i, o, f, c; GRU z, r, h and RNN as they are. */
function gateOrder(t: Tensor, gates: number, units: number, order: number[]): Tensor {
  const blocks = order.map((k) => ops.slice(t, [0, k * units], [t.shape[0]!, units]));
  return gates === 1 ? t : ops.concat(blocks, 1);
}

function recurrent(g: GraphBuilder, layer: L.LSTM | L.GRU | L.SimpleRNN, x: string): string {
  const lstm = layer instanceof L.LSTM;
  const gru = layer instanceof L.GRU;
  const defaults =
    activationName(layer.activation) === 'tanh' && (!(lstm || gru) || activationName((layer as L.LSTM).recurrentActivation) === 'sigmoid');
  if (!defaults || layer.returnState || layer.goBackwards) unsupported(layer);
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
  const seqFirst = g.node('Transpose', [x], { perm: [1, 0, 2] });
  const op = lstm ? 'LSTM' : gru ? 'GRU' : 'RNN';
  const y = g.fresh(op.toLowerCase());
  const yh = g.fresh(`${op.toLowerCase()}_h`);
  g.nodes.push({
    name: y,
    opType: op,
    domain: '',
    inputs: [seqFirst, W, R, B],
    outputs: [y, yh],
    attributes: [{ name: 'hidden_size', i: units }, ...(gru ? [{ name: 'linear_before_reset', i: layer.resetAfter ? 1 : 0 }] : [])],
  });
  if (!layer.returnSequences) return g.node('Squeeze', [yh, g.ints('axes', [0])]);
  return g.node('Transpose', [g.node('Squeeze', [y, g.ints('axes', [1])])], { perm: [1, 0, 2] });
}

function graphOf(model: Model): { inputs: SymbolicTensor[]; nodes: SymbolicTensor[]; outputs: SymbolicTensor[] } {
  const graph = (model as unknown as { graph: { inputs: SymbolicTensor[]; nodes: SymbolicTensor[]; outputs: SymbolicTensor[] } | null })
    .graph;
  if (graph) return graph;
  if (!(model instanceof Sequential) || !model.builtInputShape) {
    throw configError('toOnnx', { expected: `model ${show(model.name)} must be built`, hint: 'give it an input shape or call it once' });
  }
  let x = new SymbolicTensor(model.builtInputShape, 'float32', null, [], 'input');
  const inputs = [x];
  const nodes = [x];
  for (const layer of model.layers) {
    const shape = layer.computeOutputShape(x.shape) as LayerShape;
    x = new SymbolicTensor(shape, 'float32', layer, [x], layer.name);
    nodes.push(x);
  }
  return { inputs, nodes, outputs: [x] };
}

/** Writes a model's graph over the given input names; returns its outputs' names. */
function writeModel(g: GraphBuilder, model: Model, inputNames: string[], opset: number): string[] {
  const { inputs, nodes, outputs } = graphOf(model);
  const names = new Map<SymbolicTensor, string>();
  inputs.forEach((t, i) => names.set(t, inputNames[i]!));
  for (const node of nodes) {
    if (names.has(node) || !node.layer) continue;
    const options = node.callOptions as Record<string, unknown>;
    const keywords = ['useCausalMask', 'returnAttentionScores', 'attentionMask'].some(
      (k) => options[k] !== undefined && options[k] !== false,
    );
    if (node.outputIndex >= 0 || Object.keys(node.keywordInputs).length > 0 || keywords) unsupported(node.layer);
    const xs = node.inputs.map((t) => names.get(t)!);
    names.set(
      node,
      writeLayer(
        g,
        node.layer,
        xs,
        node.inputs.map((t) => t.shape),
        node.shape,
        opset,
      ),
    );
  }
  return outputs.map((o) => names.get(o)!);
}

const IR_FOR_OPSET: Record<number, number> = { 13: 7, 14: 7, 15: 8, 16: 8, 17: 8, 18: 8, 19: 9, 20: 9, 21: 10 };

/**
 * The model as an ONNX file: weights as initializers, a dynamic batch dimension, every layer as
 * standard ONNX operators (layers in inference form: Dropout is Identity, BatchNormalization a
 * scale and shift). A layer with no ONNX form is a ConfigError naming it.
 */
export function modelToOnnx(model: Model, options: ToOnnxOptions = {}): Uint8Array {
  if (!(model instanceof Model)) throw configError('toOnnx', { expected: 'a neurona Model', got: show(model) });
  const opset = options.opset ?? 17;
  const layout = options.layout ?? 'NHWC';
  if (!Number.isInteger(opset) || IR_FOR_OPSET[opset] === undefined) {
    throw configError('toOnnx', { expected: 'opset must be an integer from 13 to 21', got: show(opset) });
  }
  if (layout !== 'NHWC' && layout !== 'NCHW')
    throw configError('toOnnx', { expected: "layout must be 'NHWC' or 'NCHW'", got: show(layout) });
  const { inputs, outputs } = graphOf(model);
  const g = new GraphBuilder('toOnnx');
  const nchw = (shape: LayerShape) => layout === 'NCHW' && shape.length === 4;
  const graphInputs: ValueInfo[] = inputs.map((t, i) => {
    const shape = [null, ...(nchw(t.shape) ? [t.shape[3]!, t.shape[1]!, t.shape[2]!] : t.shape.slice(1))];
    const name = inputLayerOf(t)?.name ?? `input_${i}`;
    return { name, elemType: t.dtype === 'int32' ? DataType.INT32 : DataType.FLOAT, shape };
  });
  const entry = inputs.map((t, i) =>
    nchw(t.shape) ? g.node('Transpose', [graphInputs[i]!.name], { perm: [0, 2, 3, 1] }) : graphInputs[i]!.name,
  );
  const outNames = writeModel(g, model, entry, opset);
  const graphOutputs: ValueInfo[] = outputs.map((t, i) => {
    let name = outNames[i]!;
    if (nchw(t.shape)) name = g.node('Transpose', [name], { perm: [0, 3, 1, 2] });
    const final = `output_${i}`;
    g.nodes.push({ name: final, opType: 'Identity', domain: '', inputs: [name], outputs: [final], attributes: [] });
    const shape = nchw(t.shape) ? [null, t.shape[3]!, t.shape[1]!, t.shape[2]!] : [null, ...t.shape.slice(1)];
    return { name: final, elemType: DataType.FLOAT, shape };
  });
  return encodeModel({
    irVersion: IR_FOR_OPSET[opset]!,
    opset,
    producer: `neurona ${VERSION}`,
    graph: { name: model.name, nodes: g.nodes, initializers: g.initializers, inputs: graphInputs, outputs: graphOutputs },
  });
}
