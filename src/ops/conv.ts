import { ConfigError, DTypeError, ShapeError, formatShape } from '../core/index.js';
import { LINEAR_ACTIVATIONS, kernelProvider, kernels, type Conv2DGeometry, type LinearActivation } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { unaryGradient } from './elementwise.js';
import { castTo, empty, requireFloat, scratch, toTensor, type Operand } from './helpers.js';
import { sum } from './reduce.js';

/*
 * 2-D convolutions over NHWC images with Keras's weight layouts. Each op checks its arguments, turns
 * 'valid'/'same' into explicit padding with TensorFlow's rule (convPadding) and calls the conv
 * kernels; the gradient of one conv is another conv kernel (conv2dTranspose is conv2d run backwards,
 * so the two share their three kernels with the roles swapped).
 */

export type Padding = 'valid' | 'same';

/** A number for both spatial axes, or `[height, width]`. */
export type Pair = number | readonly [number, number];

export interface Conv2DOptions {
  /** Step between windows, per axis (default 1). */
  strides?: Pair;
  /** 'valid' (no padding, default) or 'same' (output size ceil(input / stride), TensorFlow's padding). */
  padding?: Padding;
  /** Gap between filter taps, per axis (default 1; > 1 needs strides 1, as in TensorFlow). */
  dilationRate?: Pair;
}

/** conv2d's options: the window's, plus a bias and an activation it applies in the same op. */
export interface Conv2DBiasActivationOptions extends Conv2DOptions {
  /** Added to every output pixel: `[filters]`, of the input's dtype (default none). */
  bias?: Operand | null;
  /** Applied after the bias: 'linear' (default), 'relu', 'sigmoid' or 'tanh'. */
  activation?: LinearActivation;
}

export interface Conv2DTransposeOptions extends Conv2DOptions {
  /** Extra rows/columns added at the bottom/right of the output, each less than its stride (Keras). */
  outputPadding?: Pair | null;
}

export interface ConvPadding {
  outSize: number;
  padBefore: number;
  padAfter: number;
}

/**
 * The output size and padding of one spatial axis under TensorFlow's rule (also Keras's).
 * 'valid': no padding, `outSize = floor((inSize - effectiveKernel) / stride) + 1` (0 when the window
 * does not fit). 'same': `outSize = ceil(inSize / stride)`, total padding
 * `max((outSize - 1) * stride + effectiveKernel - inSize, 0)` split with the odd row/column after,
 * so even kernels and strides > 1 pad asymmetrically. `effectiveKernel = (kernel - 1) * dilation + 1`.
 *
 * ```ts
 * nr.convPadding(28, 4, 2, 1, 'same'); // { outSize: 14, padBefore: 1, padAfter: 1 }
 * nr.convPadding(5, 2, 2, 1, 'same');  // { outSize: 3, padBefore: 0, padAfter: 1 }
 * ```
 */
export function convPadding(inSize: number, kernel: number, stride: number, dilation: number, padding: Padding): ConvPadding {
  const effective = (kernel - 1) * dilation + 1;
  if (padding === 'valid') {
    const outSize = inSize >= effective ? Math.floor((inSize - effective) / stride) + 1 : 0;
    return { outSize, padBefore: 0, padAfter: 0 };
  }
  const outSize = Math.ceil(inSize / stride);
  const total = Math.max((outSize - 1) * stride + effective - inSize, 0);
  const padBefore = Math.floor(total / 2);
  return { outSize, padBefore, padAfter: total - padBefore };
}

/** Reads a number-or-pair option as two positive integers. */
export function pairOption(value: Pair | undefined, fallback: Pair, op: string, name: string): [number, number] {
  const v = value ?? fallback;
  const pair = typeof v === 'number' ? [v, v] : Array.isArray(v) && v.length === 2 ? [v[0], v[1]] : null;
  if (!pair || pair.some((n) => typeof n !== 'number' || !Number.isInteger(n) || n <= 0)) {
    throw new ConfigError(`${op}: ${name} must be a positive integer or a pair [height, width] of them, got ${JSON.stringify(v)}`);
  }
  return pair as [number, number];
}

/** Reads the padding option ('valid' or 'same', any case). */
export function paddingOption(value: string | undefined, op: string): Padding {
  const p = (value ?? 'valid').toLowerCase();
  if (p !== 'valid' && p !== 'same') {
    throw new ConfigError(`${op}: padding must be 'valid' or 'same', got ${JSON.stringify(value)}`);
  }
  return p;
}

/** Throws unless `x` is a float rank-4 NHWC tensor. */
export function requireImages(x: Tensor, op: string): void {
  if (x.rank !== 4) {
    throw new ShapeError(
      `${op}: expected a rank-4 input [batch, height, width, channels], got ${formatShape(x.shape)}` +
        (x.rank === 3 ? '; add a batch axis with expandDims(x, 0)' : x.rank === 2 ? '; reshape flat images, e.g. x.reshape([-1, 28, 28, 1])' : ''),
    );
  }
  requireFloat(x, op);
}

/** Throws unless dilation > 1 and stride > 1 are not used together (TensorFlow refuses them too). */
export function checkDilationWithStrides(strides: [number, number], dilation: [number, number], op: string): void {
  if (dilation.some((d) => d > 1) && strides.some((s) => s > 1)) {
    throw new ConfigError(
      `${op}: dilationRate [${dilation.join(', ')}] cannot be combined with strides [${strides.join(', ')}]; ` +
        'use strides 1 with a dilation, or dilation 1 with strides (TensorFlow has the same rule)',
    );
  }
}

/**
 * The kernel geometry of a window (`what` = 'kernel' or 'pool') of `window` taps sliding over the
 * images `shape`, checking that a 'valid' window fits.
 */
export function windowGeometry(op: string, what: string, shape: readonly number[], window: [number, number],
  strides: [number, number], dilation: [number, number], padding: Padding, outChannels: number): Conv2DGeometry {
  const [batch, inHeight, inWidth, inChannels] = shape as [number, number, number, number];
  const effective = window.map((k, i) => (k - 1) * dilation[i]! + 1);
  if (padding === 'valid' && (effective[0]! > inHeight || effective[1]! > inWidth)) {
    const dilated = dilation.some((d) => d > 1) ? ` (${effective[0]}x${effective[1]} with dilation)` : '';
    throw new ShapeError(
      `${op}: ${what} ${window[0]}x${window[1]}${dilated} with 'valid' padding does not fit the ${inHeight}x${inWidth} ` +
        `input ${formatShape(shape)}; use padding 'same', a smaller ${what}, or a larger input`,
    );
  }
  const rows = convPadding(inHeight, window[0], strides[0], dilation[0], padding);
  const cols = convPadding(inWidth, window[1], strides[1], dilation[1], padding);
  return {
    batch, inHeight, inWidth, inChannels, outHeight: rows.outSize, outWidth: cols.outSize, outChannels,
    filterHeight: window[0], filterWidth: window[1], strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilation[0], dilationWidth: dilation[1], padTop: rows.padBefore, padLeft: cols.padBefore,
  };
}

/** Throws unless the filter is a float rank-4 tensor of x's dtype with no dimension of size 0. */
function checkFilter(x: Tensor, filter: Tensor, op: string, layout: string): void {
  requireFloat(filter, op, 'filter');
  if (filter.dtype !== x.dtype) {
    throw new DTypeError(`${op}: the input is ${x.dtype} ${formatShape(x.shape)} but the filter is ${filter.dtype} ${formatShape(filter.shape)}; cast one to match`);
  }
  if (filter.rank !== 4) {
    throw new ShapeError(`${op}: expected a rank-4 filter ${layout}, got ${formatShape(filter.shape)}`);
  }
  if (filter.shape.some((d) => d <= 0)) {
    throw new ShapeError(`${op}: the filter ${formatShape(filter.shape)} has a dimension of size 0; kernel sizes and filter counts must be positive`);
  }
}

function convOptions(options: Conv2DOptions, op: string) {
  const strides = pairOption(options.strides, 1, op, 'strides');
  const dilation = pairOption(options.dilationRate, 1, op, 'dilationRate');
  const padding = paddingOption(options.padding, op);
  checkDilationWithStrides(strides, dilation, op);
  return { strides, dilation, padding };
}

const data = (t: Tensor, dtype: Tensor['dtype']) => castTo(t, dtype)._data as Float32Array;

/**
 * The gradients of the two operands of a convolution-like op, each allocated and computed by its
 * kernel call only when that operand needs one.
 */
function inputAndFilterGradients(x: Tensor, w: Tensor, dy: Float32Array,
  inputGradient: (dy: Float32Array, dx: Float32Array) => void,
  filterGradient: (dy: Float32Array, dw: Float32Array) => void): [Tensor | null, Tensor | null] {
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  if (x.requiresGrad) {
    dx = empty(x.shape, x.dtype);
    inputGradient(dy, dx._data as Float32Array);
  }
  if (w.requiresGrad) {
    dw = empty(w.shape, w.dtype);
    filterGradient(dy, dw._data as Float32Array);
  }
  return [dx, dw];
}

/**
 * 2-D convolution (cross-correlation, as in every framework) of NHWC images `x` [batch, height,
 * width, inChannels] with a Keras filter [kernelHeight, kernelWidth, inChannels, filters]; returns
 * [batch, outHeight, outWidth, filters]. Options: `strides` (1), `padding` ('valid'), `dilationRate`
 * (1), and what a Conv2D layer does next: `bias` ([filters], added to every pixel) and `activation`
 * ('linear', 'relu', 'sigmoid' or 'tanh'). With those the op computes `activation(conv2d(x, filter)
 * + bias)` in one pass where the backend can (the `conv2dBiasActivation` kernel) and records a single
 * node whose gradient gives dx, dFilter and dBias, where conv2d, add and the activation would record
 * three nodes and keep two more image-sized temporaries.
 *
 * ```ts
 * const x = nr.randn([2, 28, 28, 1]);
 * const w = nr.randn([5, 5, 1, 16]);
 * nr.conv2d(x, w).shape;                                  // [2, 24, 24, 16]
 * nr.conv2d(x, w, { padding: 'same', strides: 2 }).shape; // [2, 14, 14, 16]
 * nr.conv2d(x, w, { bias: nr.zeros([16]), activation: 'relu' }).min().item(); // 0
 * ```
 */
export function conv2d(input: Operand, filter: Operand, options: Conv2DBiasActivationOptions = {}): Tensor {
  const op = 'conv2d';
  const x = toTensor(input);
  const w = toTensor(filter);
  requireImages(x, op);
  checkFilter(x, w, op, '[kernelHeight, kernelWidth, inChannels, filters]');
  const [kh, kw, inChannels, filters] = w.shape as [number, number, number, number];
  if (inChannels !== x.shape[3]) {
    throw new ShapeError(
      `${op}: the filter ${formatShape(w.shape)} expects ${inChannels} input channels but the input ${formatShape(x.shape)} ` +
        `has ${x.shape[3]}; the filter's third dimension must equal the input's last`,
    );
  }
  const { strides, dilation, padding } = convOptions(options, op);
  const b = options.bias === undefined || options.bias === null ? null : toTensor(options.bias);
  const activation = options.activation ?? 'linear';
  if (!LINEAR_ACTIVATIONS.includes(activation)) {
    throw new ConfigError(
      `${op}: activation must be one of ${LINEAR_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}, got ${JSON.stringify(activation)}; apply other activations to the result`,
    );
  }
  if (b !== null) {
    if (b.rank !== 1 || b.shape[0] !== filters) {
      throw new ShapeError(`${op}: the bias must be [${filters}] for the filter ${formatShape(w.shape)}, got ${formatShape(b.shape)}`);
    }
    if (b.dtype !== x.dtype) {
      throw new DTypeError(`${op}: the bias must have the input's dtype ${x.dtype}, got ${b.dtype} ${formatShape(b.shape)}; cast one of them`);
    }
  }
  const g = windowGeometry(op, 'kernel', x.shape, [kh, kw], strides, dilation, padding, filters);
  const shape = [g.batch, g.outHeight, g.outWidth, filters];
  const table = kernels();
  const xData = x._data as Float32Array;
  const wData = w._data as Float32Array;
  const bData = b === null ? null : b._data as Float32Array;
  let out = empty(shape, x.dtype);
  if (bData === null && activation === 'linear') {
    table.conv2d(xData, wData, out._data as Float32Array, g);
  } else if (kernelProvider('conv2dBiasActivation') === kernelProvider('conv2d')) {
    // The backend that convolves also finishes the result in the same pass.
    table.conv2dBiasActivation(xData, wData, bData, out._data as Float32Array, g, activation);
  } else {
    // Its conv2d, then its elementwise kernels (separate outputs: kernels are not promised to run in place).
    table.conv2d(xData, wData, out._data as Float32Array, g);
    if (bData !== null) {
      const biased = empty(shape, x.dtype);
      table.binary('add', out._data, shape, bData, [filters], biased._data, shape);
      out = biased;
    }
    if (activation !== 'linear') {
      const activated = empty(shape, x.dtype);
      table.unary(activation, out._data, activated._data, 0);
      out = activated;
    }
  }
  const y = out;
  return record(op, y, b === null ? [x, w] : [x, w, b], (grad, createGraph) => {
    if (createGraph) {
      const dz = activation === 'linear' ? grad : unaryGradient(activation, y, y, grad);
      const [dx, dw] = convolutionGradients(CONV2D, x, w, dz, g);
      return b === null ? [dx, dw] : [dx, dw, b.requiresGrad ? sum(dz, [0, 1, 2]) : null];
    }
    // dz = grad * activation'(z), from the output alone (relu's test z > 0 is y > 0).
    let dy = data(grad, x.dtype);
    if (activation !== 'linear') {
      const dz = scratch(shape, x.dtype);
      kernels().unaryGrad(activation, y._data as Float32Array, y._data as Float32Array, dy, dz._data as Float32Array, 0);
      dy = dz._data as Float32Array;
    }
    const [dx, dw] = inputAndFilterGradients(x, w, dy,
      (d, out) => kernels().conv2dBackpropInput(d, wData, out, g),
      (d, out) => kernels().conv2dBackpropFilter(xData, d, out, g));
    let db: Tensor | null = null;
    if (b !== null && b.requiresGrad) {
      db = empty(b.shape, b.dtype);
      const pixels = g.batch * g.outHeight * g.outWidth;
      if (pixels > 0) kernels().reduce('sum', dy, { outer: 1, length: pixels, inner: filters }, db._data);
    }
    return b === null ? [dx, dw] : [dx, dw, db];
  }, true);
}

/**
 * Depthwise 2-D convolution: each input channel c is convolved with its own `depthMultiplier`
 * filters `filter[:, :, c, m]` (Keras layout [kernelHeight, kernelWidth, inChannels, depthMultiplier]);
 * output channel `c * depthMultiplier + m`, so the result is [batch, outH, outW, inChannels * depthMultiplier].
 *
 * ```ts
 * nr.depthwiseConv2d(nr.randn([1, 8, 8, 3]), nr.randn([3, 3, 3, 2]), { padding: 'same' }).shape; // [1, 8, 8, 6]
 * ```
 */
export function depthwiseConv2d(input: Operand, filter: Operand, options: Conv2DOptions = {}): Tensor {
  const op = 'depthwiseConv2d';
  const x = toTensor(input);
  const w = toTensor(filter);
  requireImages(x, op);
  checkFilter(x, w, op, '[kernelHeight, kernelWidth, inChannels, depthMultiplier]');
  const [kh, kw, inChannels, multiplier] = w.shape as [number, number, number, number];
  if (inChannels !== x.shape[3]) {
    throw new ShapeError(
      `${op}: the filter ${formatShape(w.shape)} is for ${inChannels} input channels but the input ${formatShape(x.shape)} ` +
        `has ${x.shape[3]}; the filter's third dimension must equal the input's last`,
    );
  }
  const { strides, dilation, padding } = convOptions(options, op);
  const g = windowGeometry(op, 'kernel', x.shape, [kh, kw], strides, dilation, padding, inChannels * multiplier);
  const out = empty([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels().depthwiseConv2d(x._data as Float32Array, w._data as Float32Array, out._data as Float32Array, g);
  return record(op, out, [x, w], (grad, createGraph) => (createGraph
    ? convolutionGradients(DEPTHWISE, x, w, grad, g)
    : inputAndFilterGradients(x, w, data(grad, x.dtype),
      (dy, dx) => kernels().depthwiseConv2dBackpropInput(dy, w._data as Float32Array, dx, g),
      (dy, dw) => kernels().depthwiseConv2dBackpropFilter(x._data as Float32Array, dy, dw, g))), true);
}

/**
 * Keras's output length of a transposed convolution along one axis (`deconv_output_length`).
 * Without outputPadding: 'valid' gives `in * stride + max(effectiveKernel - stride, 0)`, 'same'
 * gives `in * stride`; with it, `(in - 1) * stride + effectiveKernel - 2 * pad + outputPadding`
 * where pad is `floor(effectiveKernel / 2)` for 'same' and 0 for 'valid'.
 */
function transposeOutputLength(inSize: number, kernel: number, stride: number, dilation: number, padding: Padding,
  outputPadding: number | null): number {
  const effective = (kernel - 1) * dilation + 1;
  if (outputPadding === null) {
    return padding === 'valid' ? inSize * stride + Math.max(effective - stride, 0) : inSize * stride;
  }
  const pad = padding === 'same' ? Math.floor(effective / 2) : 0;
  return (inSize - 1) * stride + effective - 2 * pad + outputPadding;
}

/**
 * Transposed 2-D convolution (the gradient of conv2d with respect to its input, sometimes called
 * deconvolution): x [batch, height, width, inChannels], filter in Keras's Conv2DTranspose layout
 * [kernelHeight, kernelWidth, filters, inChannels]; returns [batch, outHeight, outWidth, filters]
 * with Keras's output size (`height * stride` for 'same' without outputPadding). Options as conv2d,
 * plus `outputPadding` (each less than its stride).
 *
 * ```ts
 * const y = nr.conv2dTranspose(nr.randn([1, 7, 7, 8]), nr.randn([3, 3, 4, 8]), { strides: 2, padding: 'same' });
 * y.shape; // [1, 14, 14, 4]
 * ```
 */
export function conv2dTranspose(input: Operand, filter: Operand, options: Conv2DTransposeOptions = {}): Tensor {
  const op = 'conv2dTranspose';
  const x = toTensor(input);
  const w = toTensor(filter);
  requireImages(x, op);
  checkFilter(x, w, op, '[kernelHeight, kernelWidth, filters, inChannels]');
  const [kh, kw, filters, inChannels] = w.shape as [number, number, number, number];
  if (inChannels !== x.shape[3]) {
    throw new ShapeError(
      `${op}: the filter ${formatShape(w.shape)} expects ${inChannels} input channels (its last dimension) but the input ` +
        `${formatShape(x.shape)} has ${x.shape[3]}; Conv2DTranspose filters are [kernelHeight, kernelWidth, filters, inChannels]`,
    );
  }
  const { strides, dilation, padding } = convOptions(options, op);
  let outputPadding: [number, number] | null = null;
  if (options.outputPadding !== undefined && options.outputPadding !== null) {
    const raw = options.outputPadding;
    const pair = typeof raw === 'number' ? [raw, raw] : Array.isArray(raw) && raw.length === 2 ? [raw[0], raw[1]] : null;
    if (!pair || pair.some((p, i) => typeof p !== 'number' || !Number.isInteger(p) || p < 0 || p >= strides[i]!)) {
      throw new ConfigError(
        `${op}: outputPadding must be integers >= 0 and less than the strides [${strides.join(', ')}], got ${JSON.stringify(raw)}`,
      );
    }
    outputPadding = pair as [number, number];
  }
  const [batch, height, width] = x.shape as [number, number, number, number];
  const window: [number, number] = [kh, kw];
  const outSize = [height, width].map((n, i) =>
    transposeOutputLength(n, window[i]!, strides[i]!, dilation[i]!, padding, outputPadding?.[i] ?? null));
  // The transposed conv is the input-gradient of the conv that maps the output back onto x; that
  // conv's own padding rule must give x's size back, which Keras's formula guarantees except for an
  // even kernel with 'same' and outputPadding 0.
  const rows = convPadding(outSize[0]!, kh, strides[0], dilation[0], padding);
  const cols = convPadding(outSize[1]!, kw, strides[1], dilation[1], padding);
  if (outSize.some((n) => n <= 0) || rows.outSize !== height || cols.outSize !== width) {
    throw new ConfigError(
      `${op}: kernel ${kh}x${kw} with strides [${strides.join(', ')}], padding '${padding}' and outputPadding ` +
        `${JSON.stringify(outputPadding)} gives a ${outSize[0]}x${outSize[1]} output that does not map back onto the ` +
        `${height}x${width} input ${formatShape(x.shape)}; change outputPadding (or leave it out)`,
    );
  }
  const g: Conv2DGeometry = {
    batch, inHeight: outSize[0]!, inWidth: outSize[1]!, inChannels: filters, outHeight: height, outWidth: width,
    outChannels: inChannels, filterHeight: kh, filterWidth: kw, strideHeight: strides[0], strideWidth: strides[1],
    dilationHeight: dilation[0], dilationWidth: dilation[1], padTop: rows.padBefore, padLeft: cols.padBefore,
  };
  const out = empty([batch, g.inHeight, g.inWidth, filters], x.dtype);
  kernels().conv2dBackpropInput(x._data as Float32Array, w._data as Float32Array, out._data as Float32Array, g);
  // The transpose's input gradient is the forward convolution; its filter gradient swaps the roles.
  return record(op, out, [x, w], (grad, createGraph) => (createGraph
    ? [x.requiresGrad ? convolve(CONV2D, grad, w, g) : null, w.requiresGrad ? filterGradient(CONV2D, grad, x, g, w.shape) : null]
    : inputAndFilterGradients(x, w, data(grad, x.dtype),
      (dy, dx) => kernels().conv2d(dy, w._data as Float32Array, dx, g),
      (dy, dw) => kernels().conv2dBackpropFilter(dy, x._data as Float32Array, dw, g))), true);
}

/*
 * Differentiable forms of the convolution gradients, for higher-order gradients. A convolution
 * family has three kernels (forward, input gradient, filter gradient), each bilinear in its two
 * operands, and the gradient of each one is made of the other two: recorded as ops with one
 * geometry, they differentiate each other to any order.
 */

interface ConvFamily {
  forward: 'conv2d' | 'depthwiseConv2d';
  input: 'conv2dBackpropInput' | 'depthwiseConv2dBackpropInput';
  filter: 'conv2dBackpropFilter' | 'depthwiseConv2dBackpropFilter';
}

const CONV2D: ConvFamily = { forward: 'conv2d', input: 'conv2dBackpropInput', filter: 'conv2dBackpropFilter' };
const DEPTHWISE: ConvFamily = { forward: 'depthwiseConv2d', input: 'depthwiseConv2dBackpropInput', filter: 'depthwiseConv2dBackpropFilter' };

/** [dx, dw] of `forward(x, w)` for the output gradient dy, as ops (null where not needed). */
function convolutionGradients(family: ConvFamily, x: Tensor, w: Tensor, dy: Tensor, g: Conv2DGeometry): [Tensor | null, Tensor | null] {
  return [x.requiresGrad ? inputGradient(family, dy, w, g, x.shape) : null, w.requiresGrad ? filterGradient(family, x, dy, g, w.shape) : null];
}

function convolve(family: ConvFamily, x: Tensor, w: Tensor, g: Conv2DGeometry): Tensor {
  const y = empty([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels()[family.forward](x._data as Float32Array, w._data as Float32Array, y._data as Float32Array, g);
  return record(family.forward, y, [x, w], (gy) => convolutionGradients(family, x, w, gy, g), true);
}

function inputGradient(family: ConvFamily, dy: Tensor, w: Tensor, g: Conv2DGeometry, shape: readonly number[]): Tensor {
  const dx = empty(shape, dy.dtype);
  kernels()[family.input](dy._data as Float32Array, w._data as Float32Array, dx._data as Float32Array, g);
  return record(family.input, dx, [dy, w], (gx) => [
    dy.requiresGrad ? convolve(family, gx, w, g) : null,
    w.requiresGrad ? filterGradient(family, gx, dy, g, w.shape) : null,
  ], true);
}

function filterGradient(family: ConvFamily, x: Tensor, dy: Tensor, g: Conv2DGeometry, shape: readonly number[]): Tensor {
  const dw = empty(shape, x.dtype);
  kernels()[family.filter](x._data as Float32Array, dy._data as Float32Array, dw._data as Float32Array, g);
  return record(family.filter, dw, [x, dy], (gw) => [
    x.requiresGrad ? inputGradient(family, dy, gw, g, x.shape) : null,
    dy.requiresGrad ? convolve(family, x, gw, g) : null,
  ], true);
}
