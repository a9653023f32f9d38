import { configError, show } from '../core/index.js';
import { convPadBefore, convOutputLength } from '../core/geometry.js';
import type { Tensor } from '../tensor/index.js';
import * as ops from '../ops/index.js';
import { type Layer, SymbolicTensor, type LayerShape } from '../nn/layer.js';
import { Model } from '../nn/models/model.js';
import { Sequential } from '../nn/models/sequential.js';
import { inputLayerOf } from '../nn/models/input.js';
import * as L from '../nn/layers/index.js';
import { RandomAugmentation } from '../nn/layers/preprocessing/augmentation.js';
import { DataType, encodeModel, type AttributeProto, type ValueInfo } from './onnx-proto.js';
import { VERSION } from '../version.js';
import { OnnxOp } from './onnx-ops.js';
import { NORMALIZATION_EPSILON } from '../nn/layers/preprocessing/normalization.js';
import { type AxisTaps, packTaps, resizeAxisTaps } from '../nn/layers/preprocessing/resizing.js';
import { type Attrs, GraphBuilder, activation, unsupported } from './onnx-graph.js';
import { type LayerCall, bidirectional, luongAttention, multiHeadAttention, recurrent, timeDistributed } from './onnx-export-sequence.js';

export interface ToOnnxOptions {
  /** The ONNX opset (default 17, the first with LayerNormalization; 13 to 21). */
  opset?: number;
  /** Image inputs and outputs as the model has them ('NHWC', default) or channels first ('NCHW'). */
  layout?: 'NHWC' | 'NCHW';
}

export { ONNX_EXPORTED_LAYERS } from './onnx-graph.js';

const IDENTITY = new Set(['Dropout', 'SpatialDropout2D', 'GaussianNoise', 'GaussianDropout']);

/** NHWC -> NCHW around an op that ONNX defines channels-first. */
function channelsFirst(g: GraphBuilder, x: string, body: (nchw: string) => string): string {
  return g.node('Transpose', [body(g.node('Transpose', [x], { perm: [0, 3, 1, 2] }))], { perm: [0, 2, 3, 1] });
}

/**
 * ONNX `pads` (all befores, then all afters) for TensorFlow's 'same' split (more after than before),
 * zeros for 'valid'; null when a 'same' axis has no static size (then the node takes auto_pad).
 */
function padsFor(
  sizes: readonly (number | null)[],
  kernel: readonly number[],
  strides: readonly number[],
  dilation: readonly number[],
  padding: string,
): number[] | null {
  if (padding !== 'same') return kernel.flatMap(() => [0, 0]);
  const begin: number[] = [];
  const end: number[] = [];
  for (let a = 0; a < kernel.length; a++) {
    const size = sizes[a];
    if (size === null || size === undefined) return null;
    const out = convOutputLength(size, kernel[a]!, strides[a]!, dilation[a]!, 'same');
    const span = (kernel[a]! - 1) * dilation[a]! + 1;
    const total = Math.max((out - 1) * strides[a]! + span - size, 0);
    begin.push(convPadBefore(size, out, kernel[a]!, strides[a]!, dilation[a]!, 'same'));
    end.push(total - begin[a]!);
  }
  return [...begin, ...end];
}

/** `pads`, or TensorFlow's 'same' as auto_pad SAME_UPPER where the size is known only at run time. */
const padAttrs = (pads: number[] | null): Attrs => (pads ? { pads } : { auto_pad: 'SAME_UPPER' });

/** [batch, steps, channels] -> [batch, channels, steps] around an op that ONNX defines channels-first. */
function stepsLast(g: GraphBuilder, x: string, body: (ncl: string) => string): string {
  return g.node('Transpose', [body(g.node('Transpose', [x], { perm: [0, 2, 1] }))], { perm: [0, 2, 1] });
}

/** A reduction over `axes`: ReduceSum takes its axes as an input from opset 13 on, the others from 18. */
function reduce(g: GraphBuilder, op: string, x: string, axes: number[], keepdims: boolean, opset: number): string {
  if (op === 'ReduceSum' || opset >= 18) return g.node(op, [x, g.ints('axes', axes)], { keepdims: keepdims ? 1 : 0 });
  return g.node(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
}

/** Keeps `[start, end)` of each axis in `axes`. */
const sliceAxes = (g: GraphBuilder, x: string, axes: number[], starts: number[], ends: number[]) =>
  g.node('Slice', [x, g.ints('starts', starts), g.ints('ends', ends), g.ints('axes', axes)]);

/** Whether a layer makes a mask that later layers read: ONNX has no masks, so these cannot be exported. */
function makesMask(layer: Layer): boolean {
  return layer instanceof L.Masking || ((layer instanceof L.Embedding || layer instanceof L.TokenAndPositionEmbedding) && layer.maskZero);
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

/** Conv2D and its kin: NHWC around ONNX's channels-first Conv / ConvTranspose. */
function conv2d(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer as L.Conv2D | L.DepthwiseConv2D | L.SeparableConv2D | L.Conv2DTranspose;
  const x = call.xs[0]!;
  const inShape = call.inShapes[0]!;
  const [kh, kw] = layer.kernelSize;
  const pads = padsFor(inShape.slice(1, 3), [kh, kw], layer.strides, layer.dilationRate, layer.padding);
  const attrs: Attrs = { kernel_shape: [kh, kw], strides: [...layer.strides], dilations: [...layer.dilationRate], ...padAttrs(pads) };
  const inChannels = inShape[3]!;
  const bias = (inputs: string[]) => (layer.bias ? [...inputs, g.weight('bias', layer.bias)] : inputs);
  const y = channelsFirst(g, x, (nchw) => {
    if (layer instanceof L.Conv2D) {
      // MaskedConv2D convolves with its kernel times its mask; the stored kernel is unmasked.
      const masked = (layer as unknown as { maskedKernel?: () => Tensor }).maskedKernel?.call(layer);
      const w = g.weight('kernel', ops.transpose(masked ?? layer.kernel!, [3, 2, 0, 1]));
      return g.node('Conv', bias([nchw, w]), attrs);
    }
    if (layer instanceof L.Conv2DTranspose) {
      const w = g.weight('kernel', ops.transpose(layer.kernel!, [3, 2, 0, 1]));
      if (inShape[1] === null || inShape[2] === null) unsupported(layer);
      return g.node('ConvTranspose', bias([nchw, w]), convTransposeAttrs(layer, inShape, call.outShape as LayerShape));
    }
    const depthwise = layer instanceof L.DepthwiseConv2D ? layer.kernel! : layer.depthwiseKernel!;
    const mult = depthwise.shape[3]!;
    const dw = g.weight('depthwise', ops.reshape(ops.transpose(depthwise, [2, 3, 0, 1]), [inChannels * mult, 1, kh, kw]));
    const dwAttrs = { ...attrs, group: inChannels };
    if (layer instanceof L.DepthwiseConv2D) return g.node('Conv', bias([nchw, dw]), dwAttrs);
    const mid = g.node('Conv', [nchw, dw], dwAttrs);
    const pw = g.weight('pointwise', ops.transpose(layer.pointwiseKernel!, [3, 2, 0, 1]));
    return g.node('Conv', bias([mid, pw]), { kernel_shape: [1, 1] });
  });
  return activation(g, y, layer.activation, layer);
}

/** Conv1D ('causal' pads the front only) and the 1-D poolings, through ONNX's [batch, channels, steps]. */
function sequence1d(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer;
  const x = call.xs[0]!;
  const steps = call.inShapes[0]![1]!;
  if (layer instanceof L.Conv1D) {
    const { kernelSize: k, strides: s, dilationRate: d } = layer;
    const pads = layer.padding === 'causal' ? [(k - 1) * d, 0] : padsFor([steps], [k], [s], [d], layer.padding);
    const inputs = [g.weight('kernel', ops.transpose(layer.kernel!, [2, 1, 0]))];
    if (layer.bias) inputs.push(g.weight('bias', layer.bias));
    const attrs = { kernel_shape: [k], strides: [s], dilations: [d], group: layer.groups, ...padAttrs(pads) };
    return activation(
      g,
      stepsLast(g, x, (ncl) => g.node('Conv', [ncl, ...inputs], attrs)),
      layer.activation,
      layer,
    );
  }
  const pool = layer as L.MaxPooling1D | L.AveragePooling1D;
  const max = pool instanceof L.MaxPooling1D;
  const pads = padsFor([steps], [pool.poolSize], [pool.strides], [1], pool.padding);
  const attrs: Attrs = {
    kernel_shape: [pool.poolSize],
    strides: [pool.strides],
    ...padAttrs(pads),
    ...(max ? {} : { count_include_pad: 0 }),
  };
  return stepsLast(g, x, (ncl) => g.node(max ? 'MaxPool' : 'AveragePool', [ncl], attrs));
}

/** Padding, cropping and nearest/bilinear upsampling of sequences and images. */
function spatial(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer;
  const x = call.xs[0]!;
  const shape = call.inShapes[0]!;
  const ends = (layer as unknown as { ends: [number, number] }).ends;
  if (layer instanceof L.ZeroPadding1D) return g.node('Pad', [x, g.ints('pads', [0, ends[0], 0, 0, ends[1], 0])], { mode: 'constant' });
  if (layer instanceof L.Cropping1D) return sliceAxes(g, x, [1], [ends[0]], [-ends[1] || 2 ** 62]);
  if (layer instanceof L.ZeroPadding2D) {
    const [[top, bottom], [left, right]] = layer.padding;
    return g.node('Pad', [x, g.ints('pads', [0, top, left, 0, 0, bottom, right, 0])], { mode: 'constant' });
  }
  if (layer instanceof L.Cropping2D) {
    const [[top, bottom], [left, right]] = layer.cropping;
    return sliceAxes(g, x, [1, 2], [top, left], [-bottom || 2 ** 62, -right || 2 ** 62]);
  }
  if (layer instanceof L.UpSampling1D) {
    const spread = g.node('Tile', [g.node('Unsqueeze', [x, g.ints('axes', [2])]), g.ints('repeats', [1, 1, layer.size, 1])]);
    return g.node('Reshape', [spread, g.ints('shape', [0, -1, shape[2]!])]);
  }
  const up = layer as L.UpSampling2D;
  const [sh, sw] = up.size;
  const scales = g.constant('scales', [1, 1, sh, sw], [4]);
  // Half-pixel centres, as Keras's and PyTorch's bilinear (align_corners=False); nearest copies pixels.
  const attrs: Attrs =
    up.interpolation === 'bilinear'
      ? { mode: 'linear', coordinate_transformation_mode: 'half_pixel' }
      : { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' };
  return channelsFirst(g, x, (nchw) => g.node('Resize', [nchw, '', scales], attrs));
}

/** Normalizations other than BatchNormalization and LayerNormalization, and Rescaling. */
function normalization(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer;
  const x = call.xs[0]!;
  const shape = call.inShapes[0]!;
  const rank = shape.length;
  if (layer instanceof L.Rescaling) {
    const operand = (v: number | readonly number[], name: string) =>
      typeof v === 'number' ? g.constant(name, [v], []) : g.constant(name, [...v], [v.length]);
    const scaled = g.node('Mul', [x, operand(layer.scale, 'scale')]);
    return layer.offset === 0 ? scaled : g.node('Add', [scaled, operand(layer.offset, 'offset')]);
  }
  if (layer instanceof L.Normalization) {
    const own = layer as unknown as { fixed: { mean: Tensor; variance: Tensor } | null; broadcastShape: number[] };
    const weights = layer as unknown as { meanWeight: Tensor; varianceWeight: Tensor };
    const mean = own.fixed?.mean ?? ops.reshape(weights.meanWeight, own.broadcastShape);
    const variance = own.fixed?.variance ?? ops.reshape(weights.varianceWeight, own.broadcastShape);
    const std = g.weight('std', ops.maximum(ops.sqrt(variance), NORMALIZATION_EPSILON));
    const m = g.weight('mean', mean);
    return layer.invert ? g.node('Add', [m, g.node('Mul', [x, std])]) : g.node('Div', [g.node('Sub', [x, m]), std]);
  }
  if (layer instanceof L.UnitNormalization) {
    const axes = (Array.isArray(layer.axis) ? layer.axis : [layer.axis]).map((a: number) => (a < 0 ? a + rank : a));
    const sum = reduce(g, 'ReduceSum', g.node('Mul', [x, x]), axes, true, call.opset);
    const norm = g.node('Sqrt', [g.node('Max', [sum, g.constant('eps', [1e-12], [])])]);
    return g.node('Div', [x, norm]);
  }
  const gn = layer as L.GroupNormalization;
  const axis = gn.axis < 0 ? gn.axis + rank : gn.axis;
  if (axis !== rank - 1 || shape.slice(1).includes(null)) unsupported(layer);
  const channels = shape[axis]!;
  // [batch, ..., channels] -> [batch, positions, groups, channels per group]; statistics over axes 1 and 3.
  const grouped = g.node('Reshape', [x, g.ints('shape', [0, -1, gn.groups, channels / gn.groups])]);
  const mean = reduce(g, 'ReduceMean', grouped, [1, 3], true, call.opset);
  const centred = g.node('Sub', [grouped, mean]);
  const variance = reduce(g, 'ReduceMean', g.node('Mul', [centred, centred]), [1, 3], true, call.opset);
  const std = g.node('Sqrt', [g.node('Add', [variance, g.constant('eps', [gn.epsilon], [])])]);
  let y = g.node('Reshape', [g.node('Div', [centred, std]), g.ints('shape', [0, ...(shape.slice(1) as number[])])]);
  if (gn.gamma) y = g.node('Mul', [y, g.weight('gamma', gn.gamma)]);
  return gn.beta ? g.node('Add', [y, g.weight('beta', gn.beta)]) : y;
}

/**
 * A linear map along axis 1 or 2 of NHWC images (resizing taps, adaptive pooling bins) as one MatMul
 * with the constant [in, out] matrix of those taps, the axis moved last and back.
 */
function axisMap(g: GraphBuilder, x: string, axis: 1 | 2, inSize: number, taps: AxisTaps, unitWeights: boolean): string {
  const outSize = taps.indices[0]!.length;
  const matrix = new Float32Array(inSize * outSize);
  taps.indices.forEach((indices, k) => {
    for (let o = 0; o < outSize; o++) matrix[indices[o]! * outSize + o]! += unitWeights ? (k === 0 ? 1 : 0) : taps.weights[k]![o]!;
  });
  const [to, back] =
    axis === 1
      ? [
          [0, 2, 3, 1],
          [0, 3, 1, 2],
        ]
      : [
          [0, 1, 3, 2],
          [0, 1, 3, 2],
        ];
  const moved = g.node('Transpose', [x], { perm: to! });
  return g.node('Transpose', [g.node('MatMul', [moved, g.constant('taps', matrix, [inSize, outSize])])], { perm: back! });
}

/** Resizing (plain, bilinear or nearest: neurona's own taps), CenterCrop of a larger image, AdaptiveAveragePooling2D. */
function resampling(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer;
  const [, h, w] = call.inShapes[0]! as (number | null)[];
  if (h === null || w === null || h === undefined || w === undefined) return unsupported(layer);
  let x = call.xs[0]!;
  if (layer instanceof L.CenterCrop) {
    if (h < layer.height || w < layer.width) return unsupported(layer);
    const [top, left] = [Math.floor((h - layer.height) / 2), Math.floor((w - layer.width) / 2)];
    return sliceAxes(g, x, [1, 2], [top, left], [top + layer.height, left + layer.width]);
  }
  if (layer instanceof L.AdaptiveAveragePooling2D) {
    // PyTorch's bins: output o averages inputs floor(o * in / out) to ceil((o + 1) * in / out) - 1.
    const bins = (inSize: number, outSize: number) =>
      packTaps(
        Array.from({ length: outSize }, (_, o) => {
          const [start, end] = [Math.floor((o * inSize) / outSize), Math.ceil(((o + 1) * inSize) / outSize)];
          const indices = Array.from({ length: end - start }, (_, k) => start + k);
          return [indices, indices.map(() => 1 / (end - start))] as const;
        }),
        outSize,
      );
    const [outH, outW] = layer.outputSize;
    if (outH !== h) x = axisMap(g, x, 1, h, bins(h, outH), false);
    return outW === w ? x : axisMap(g, x, 2, w, bins(w, outW), false);
  }
  const resize = layer as L.Resizing;
  if (resize.cropToAspectRatio || resize.padToAspectRatio || !['bilinear', 'nearest'].includes(resize.interpolation)) unsupported(layer);
  const nearest = resize.interpolation === 'nearest';
  if (resize.height !== h) x = axisMap(g, x, 1, h, resizeAxisTaps(h, resize.height, resize.interpolation), nearest);
  return resize.width === w ? x : axisMap(g, x, 2, w, resizeAxisTaps(w, resize.width, resize.interpolation), nearest);
}

/** The first T rows of a position table, T from the input's axis -2 at run time. */
function positionRows(g: GraphBuilder, table: Tensor, x: string, call: LayerCall): string {
  if ((call.options.startIndex ?? 0) !== 0) unsupported(call.layer);
  const steps = g.node('Slice', [g.node('Shape', [x]), g.ints('starts', [-2]), g.ints('ends', [-1]), g.ints('axes', [0])]);
  return g.node('Slice', [g.weight('positions', table), g.ints('starts', [0]), steps, g.ints('axes', [0])]);
}

/** Embeddings, the pair distances and Maxout. */
function other(g: GraphBuilder, call: LayerCall): string {
  const layer = call.layer;
  const [x, y] = call.xs as [string, string?];
  const indices = () => g.node('Cast', [x], { to: DataType.INT64 });
  if (layer instanceof L.Embedding) return g.node('Gather', [g.weight('embeddings', layer.embeddings!), indices()], { axis: 0 });
  if (layer instanceof L.PositionEmbedding) return g.node('Expand', [positionRows(g, layer.embeddings!, x, call), g.node('Shape', [x])]);
  if (layer instanceof L.TokenAndPositionEmbedding) {
    const own = layer as unknown as { tokenEmbeddings: Tensor; positionEmbeddings: Tensor };
    const tokens = g.node('Gather', [g.weight('embeddings', own.tokenEmbeddings), indices()], { axis: 0 });
    return g.node('Add', [tokens, positionRows(g, own.positionEmbeddings, tokens, call)]);
  }
  if (layer instanceof L.Maxout) {
    let z = g.node('MatMul', [x, g.weight('kernel', layer.kernel!)]);
    if (layer.bias) z = g.node('Add', [z, g.weight('bias', layer.bias)]);
    const pieces = g.node('Reshape', [z, g.ints('shape', [...call.inShapes[0]!.slice(0, -1).map(() => 0), layer.units, layer.pieces])]);
    return reduce(g, 'ReduceMax', pieces, [-1], false, call.opset);
  }
  const distance = layer as L.L1Distance | L.L2Distance | L.CosineSimilarity;
  const axis = [distance.axis];
  if (layer instanceof L.CosineSimilarity) {
    const unit = (v: string) =>
      g.node('Div', [
        v,
        g.node('Sqrt', [
          g.node('Max', [reduce(g, 'ReduceSum', g.node('Mul', [v, v]), axis, true, call.opset), g.constant('eps', [1e-12], [])]),
        ]),
      ]);
    return reduce(g, 'ReduceSum', g.node('Mul', [unit(x), unit(y!)]), axis, true, call.opset);
  }
  const diff = g.node('Sub', [x, y!]);
  if (layer instanceof L.L1Distance) return reduce(g, 'ReduceSum', g.node('Abs', [diff]), axis, true, call.opset);
  const sum = reduce(g, 'ReduceSum', g.node('Mul', [diff, diff]), axis, true, call.opset);
  return g.node('Sqrt', [g.node('Add', [sum, g.constant('eps', [(layer as L.L2Distance).epsilon], [])])]);
}

/** Writes one layer call; returns its output's name (names, for a layer with several outputs). */
function writeLayer(g: GraphBuilder, call: LayerCall): string | string[] {
  const { layer, xs, inShapes, opset } = call;
  const x = xs[0]!;
  const inShape = inShapes[0]!;
  const cls = layer.className;
  if (makesMask(layer)) {
    throw configError('toOnnx', {
      expected: `layer ${show(layer.name)} (${cls}) makes a mask for later layers, and ONNX has no masks`,
      hint: 'export a model without Masking or maskZero (pad sequences, or cut them to one length)',
    });
  }
  if (layer instanceof Model) {
    const outs = writeModel(g, layer, xs, opset);
    return outs.length === 1 ? outs[0]! : outs;
  }
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
  if ([L.Conv2D, L.DepthwiseConv2D, L.SeparableConv2D, L.Conv2DTranspose].some((c) => layer instanceof c)) return conv2d(g, call);
  if ([L.Conv1D, L.MaxPooling1D, L.AveragePooling1D].some((c) => layer instanceof c)) return sequence1d(g, call);
  const spatialLayers = [L.ZeroPadding1D, L.Cropping1D, L.UpSampling1D, L.ZeroPadding2D, L.Cropping2D, L.UpSampling2D];
  if (spatialLayers.some((c) => layer instanceof c)) return spatial(g, call);
  if ([L.Rescaling, L.Normalization, L.UnitNormalization, L.GroupNormalization].some((c) => layer instanceof c)) {
    return normalization(g, call);
  }
  if (layer instanceof L.MaxPooling2D || layer instanceof L.AveragePooling2D) {
    const pads = padsFor(inShape.slice(1, 3), layer.poolSize, layer.strides, [1, 1], layer.padding);
    const max = layer instanceof L.MaxPooling2D;
    const attrs: Attrs = {
      kernel_shape: [...layer.poolSize],
      strides: [...layer.strides],
      ...padAttrs(pads),
      ceil_mode: layer.ceilMode ? 1 : 0,
    };
    return channelsFirst(g, x, (nchw) => g.node(max ? 'MaxPool' : 'AveragePool', [nchw], max ? attrs : { ...attrs, count_include_pad: 0 }));
  }
  if (layer instanceof L.GlobalAveragePooling2D || layer instanceof L.GlobalAveragePooling1D) {
    return reduce(g, 'ReduceMean', x, inShape.length === 4 ? [1, 2] : [1], layer.keepdims, opset);
  }
  if (layer instanceof L.GlobalMaxPooling2D || layer instanceof L.GlobalMaxPooling1D) {
    return reduce(g, 'ReduceMax', x, inShape.length === 4 ? [1, 2] : [1], layer.keepdims, opset);
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
  if (layer instanceof L.Flatten) return g.node('Flatten', [x], { axis: 1 });
  if (layer instanceof L.Reshape) return g.node('Reshape', [x, g.ints('shape', [0, ...layer.targetShape])]);
  if (layer instanceof L.Concatenate) return g.node('Concat', xs, { axis: layer.axis < 0 ? layer.axis + inShape.length : layer.axis });
  const merge: Record<string, string> = { Add: 'Sum', Maximum: 'Max', Minimum: 'Min', Average: 'Mean', Subtract: 'Sub' };
  if (cls in merge && inShapes.length >= 2) return g.node(merge[cls]!, xs);
  if (cls === 'Multiply') return xs.slice(1).reduce((acc, y) => g.node('Mul', [acc, y]), x);
  if (layer instanceof L.MultiHeadAttention) return multiHeadAttention(g, call);
  if (layer instanceof L.Attention) return luongAttention(g, call);
  if (layer instanceof L.LSTM || layer instanceof L.GRU || layer instanceof L.SimpleRNN || layer instanceof L.RNN)
    return recurrent(g, call);
  if (layer instanceof L.Resizing || layer instanceof L.CenterCrop || layer instanceof L.AdaptiveAveragePooling2D)
    return resampling(g, call);
  if (layer instanceof L.Bidirectional) return bidirectional(g, call);
  if (layer instanceof L.TimeDistributed) return timeDistributed(g, call, writeLayer);
  const others = [L.Embedding, L.PositionEmbedding, L.TokenAndPositionEmbedding, L.Maxout, L.L1Distance, L.L2Distance, L.CosineSimilarity];
  if (others.some((c) => layer instanceof c)) return other(g, call);
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

/** The call options and tensor keywords an ONNX form is written for; anything else has none. */
const CALL_OPTIONS = new Set(['training', 'useCausalMask', 'returnAttentionScores', 'startIndex']);
const TENSOR_KEYWORDS = new Set(['initialState', 'attentionMask']);

/** Writes a model's graph over the given input names; returns its outputs' names. */
function writeModel(g: GraphBuilder, model: Model, inputNames: string[], opset: number): string[] {
  const { inputs, nodes, outputs } = graphOf(model);
  const names = new Map<SymbolicTensor, string>();
  // The outputs of one call of a multi-output layer (returnState, returnAttentionScores), written once.
  const calls = new Map<object, string[]>();
  inputs.forEach((t, i) => names.set(t, inputNames[i]!));
  for (const node of nodes) {
    if (names.has(node) || !node.layer) continue;
    const written = node.callKey ? calls.get(node.callKey) : undefined;
    if (written) {
      names.set(node, written[node.outputIndex]!);
      continue;
    }
    const options = node.callOptions as Record<string, unknown>;
    const extra = Object.keys(options).filter((k) => options[k] !== undefined && !CALL_OPTIONS.has(k));
    if (extra.length > 0 || Object.keys(node.keywordInputs).some((k) => !TENSOR_KEYWORDS.has(k))) unsupported(node.layer);
    const named = (i: number) => names.get(node.inputs[i]!)!;
    const keywords = Object.fromEntries(
      Object.entries(node.keywordInputs).map(([k, at]) => [k, (typeof at === 'number' ? [at] : [...at]).map(named)]),
    );
    const positional = node.inputs.slice(0, node.positionalCount);
    const out = writeLayer(g, {
      layer: node.layer,
      xs: positional.map((t) => names.get(t)!),
      inShapes: positional.map((t) => t.shape),
      outShape: node.shape,
      keywords,
      options,
      opset,
    });
    if (Array.isArray(out)) {
      if (node.outputIndex < 0) unsupported(node.layer);
      if (node.callKey) calls.set(node.callKey, out);
      names.set(node, out[node.outputIndex]!);
    } else names.set(node, out);
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
