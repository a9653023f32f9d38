import { configError, dtypeError, formatShape, shapeError, show } from '../core/index.js';
import {
  checkImageRank,
  checkTransposeOutput,
  checkWindowFits,
  convOutputLength,
  convPadBefore,
  convWindow,
  outputPaddingOption,
  poolOutputLength,
  transposeOutputLength,
  type ConvWindow,
  type PoolWindow,
  type Padding,
  type Pair,
} from '../core/geometry.js';
import { LINEAR_ACTIVATIONS, kernelProvider, kernels, type Conv2DGeometry, type LinearActivation } from '../backend/index.js';
import { type Tensor, record } from '../tensor/index.js';
import { unaryGradient } from './elementwise.js';
import { castTo, empty, requireFloat, toTensor, unfilled, unfilledScratch, type Operand } from './helpers.js';
import { sum } from './reduce.js';

/*
 * 2-D convolutions over NHWC images with Keras's weight layouts. Each op reads its options with
 * src/core/geometry.ts (the rules the conv layers use too), checks its tensors, turns 'valid'/'same'
 * into explicit padding with TensorFlow's rule and calls the conv kernels; the gradient of one conv
 * is another conv kernel (conv2dTranspose is conv2d run backwards, so the two share their three
 * kernels with the roles swapped). The layers, whose options were read once at construction, call
 * the `...Parsed` forms, which check only the tensors.
 */

export { convPadding, type ConvPadding, type Padding, type Pair } from '../core/geometry.js';

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

/** Throws unless `x` is a float rank-4 NHWC tensor; `where` names the op (or the layer) in the message. */
export function requireImages(x: Tensor, where: string): void {
  checkImageRank(x.shape, where, 'op');
  requireFloat(x, where);
}

const NO_DILATION = [1, 1] as const;

/**
 * The kernel geometry of a `what` ('kernel' or 'pool') of kh x kw taps sliding over the images
 * `shape`, after checking that a 'valid' window fits (a window that does not would give an empty
 * output, which no framework returns silently).
 */
function windowGeometry(
  where: string,
  what: string,
  shape: readonly number[],
  kh: number,
  kw: number,
  strides: readonly [number, number],
  dilation: readonly [number, number],
  padding: Padding,
  outChannels: number,
): Conv2DGeometry {
  checkWindowFits(shape, kh, kw, dilation, padding, where, what);
  const [batch, inHeight, inWidth, inChannels] = shape as [number, number, number, number];
  const outHeight = convOutputLength(inHeight, kh, strides[0], dilation[0], padding);
  const outWidth = convOutputLength(inWidth, kw, strides[1], dilation[1], padding);
  return kernelGeometry([batch, inHeight, inWidth, inChannels], [outHeight, outWidth, outChannels], kh, kw, strides, dilation, padding);
}

/**
 * The record the conv and pool kernels take, for a window of kh x kw taps mapping images `input`
 * ([batch, height, width, channels]) to `output` ([height, width, channels]); the padding before the
 * first row and column follows from the two sizes (TensorFlow's 'same' split).
 */
function kernelGeometry(
  input: readonly [number, number, number, number],
  output: readonly [number, number, number],
  kh: number,
  kw: number,
  strides: readonly [number, number],
  dilation: readonly [number, number],
  padding: Padding,
): Conv2DGeometry {
  const [batch, inHeight, inWidth, inChannels] = input;
  const [outHeight, outWidth, outChannels] = output;
  return {
    batch,
    inHeight,
    inWidth,
    inChannels,
    outHeight,
    outWidth,
    outChannels,
    filterHeight: kh,
    filterWidth: kw,
    strideHeight: strides[0],
    strideWidth: strides[1],
    dilationHeight: dilation[0],
    dilationWidth: dilation[1],
    padTop: convPadBefore(inHeight, outHeight, kh, strides[0], dilation[0], padding),
    padLeft: convPadBefore(inWidth, outWidth, kw, strides[1], dilation[1], padding),
  };
}

/** Pooling windows have no dilation; with ceilMode ('valid' only) a last partial window is kept, its outside taps skipped. */
export function poolGeometry(where: string, shape: readonly number[], window: PoolWindow): Conv2DGeometry {
  const { size, strides, padding, ceilMode } = window;
  if (!ceilMode) return windowGeometry(where, 'pool', shape, size[0], size[1], strides, NO_DILATION, padding, shape[3]!);
  checkWindowFits(shape, size[0], size[1], NO_DILATION, padding, where, 'pool');
  const [batch, inHeight, inWidth, channels] = shape as [number, number, number, number];
  const outHeight = poolOutputLength(inHeight, size[0], strides[0], padding, true);
  const outWidth = poolOutputLength(inWidth, size[1], strides[1], padding, true);
  return kernelGeometry(
    [batch, inHeight, inWidth, channels],
    [outHeight, outWidth, channels],
    size[0],
    size[1],
    strides,
    NO_DILATION,
    'valid',
  );
}

const ORDINAL = ['first', 'second', 'third', 'fourth'];

/**
 * Checks the two operands every conv kernel reads: float NHWC images x, and a float rank-4 filter
 * w (its axes named by `layout`) of x's dtype, with no dimension of size 0, whose `channelAxis`
 * is x's channels. These guard the kernels' memory accesses, so no caller skips them.
 */
function checkOperands(where: string, x: Tensor, w: Tensor, layout: string, channelAxis: 2 | 3): void {
  requireImages(x, where);
  requireFloat(w, where, 'filter');
  if (w.dtype !== x.dtype) {
    throw dtypeError(where, {
      expected: `the input is ${x.dtype} ${formatShape(x.shape)} but the filter is ${w.dtype} ${formatShape(w.shape)}`,
      hint: 'cast one to match',
    });
  }
  if (w.rank !== 4) throw shapeError(where, { expected: `expected a rank-4 filter ${layout}`, got: formatShape(w.shape) });
  if (w.size === 0) {
    throw shapeError(where, {
      expected: `the filter ${formatShape(w.shape)} has a dimension of size 0`,
      hint: 'kernel sizes and filter counts must be positive',
    });
  }
  const channels = w.shape[channelAxis]!;
  if (channels !== x.shape[3]) {
    throw shapeError(where, {
      expected: `expected input with ${channels} channels (last axis)`,
      got: formatShape(x.shape),
      rule: `the filter ${formatShape(w.shape)} expects ${channels} input channels, its ${ORDINAL[channelAxis]} dimension in ${layout}`,
      hint: "give the input the filter's channels, or build the filter for the input's",
    });
  }
}

const data = (t: Tensor, dtype: Tensor['dtype']) => castTo(t, dtype)._data as Float32Array;

/**
 * The gradients of the two operands of a convolution-like op, each allocated and computed by its
 * kernel call only when that operand needs one.
 */
function inputAndFilterGradients(
  x: Tensor,
  w: Tensor,
  dy: Float32Array,
  inputGradient: (dy: Float32Array, dx: Float32Array) => void,
  filterGradient: (dy: Float32Array, dw: Float32Array) => void,
): [Tensor | null, Tensor | null] {
  let dx: Tensor | null = null;
  let dw: Tensor | null = null;
  if (x.requiresGrad) {
    dx = unfilled(x.shape, x.dtype);
    inputGradient(dy, dx._data as Float32Array);
  }
  if (w.requiresGrad) {
    dw = unfilled(w.shape, w.dtype);
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
  const activation = options.activation ?? 'linear';
  if (!LINEAR_ACTIVATIONS.includes(activation)) {
    throw configError(op, {
      expected: `activation must be one of ${LINEAR_ACTIVATIONS.map((a) => `'${a}'`).join(', ')}`,
      got: show(activation),
      hint: 'apply other activations to the result',
    });
  }
  const bias = options.bias === undefined || options.bias === null ? null : toTensor(options.bias);
  return conv2dParsed(op, toTensor(input), toTensor(filter), convWindow(options, op), bias, activation);
}

/**
 * conv2d with its options already read. Trusted internal path for the conv layers, which read
 * them once at construction: `window` must come from `convWindow` and `activation` be one of
 * LINEAR_ACTIVATIONS. The tensors are checked here all the same, since they reach the kernels.
 * `where` names the caller (the op, or the layer) in errors.
 */
export function conv2dParsed(
  where: string,
  x: Tensor,
  w: Tensor,
  window: ConvWindow,
  b: Tensor | null,
  activation: LinearActivation,
): Tensor {
  const op = 'conv2d';
  checkOperands(where, x, w, '[kernelHeight, kernelWidth, inChannels, filters]', 2);
  const filters = w.shape[3]!;
  if (b !== null) {
    if (b.rank !== 1 || b.shape[0] !== filters) {
      throw shapeError(where, {
        expected: `the bias must be [${filters}] for the filter ${formatShape(w.shape)}`,
        got: formatShape(b.shape),
      });
    }
    if (b.dtype !== x.dtype) {
      throw dtypeError(where, {
        expected: `the bias must have the input's dtype ${x.dtype}`,
        got: `${b.dtype} ${formatShape(b.shape)}`,
        hint: 'cast one of them',
      });
    }
  }
  const g = windowGeometry(where, 'kernel', x.shape, w.shape[0]!, w.shape[1]!, window.strides, window.dilation, window.padding, filters);
  const shape = [g.batch, g.outHeight, g.outWidth, filters];
  const table = kernels();
  const xData = x._data as Float32Array;
  const wData = w._data as Float32Array;
  const bData = b === null ? null : (b._data as Float32Array);
  let out = unfilled(shape, x.dtype);
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
  return record(
    op,
    y,
    b === null ? [x, w] : [x, w, b],
    (grad, createGraph) => {
      if (createGraph) {
        const dz = activation === 'linear' ? grad : unaryGradient(activation, y, y, grad);
        const [dx, dw] = convolutionGradients(CONV2D, x, w, dz, g);
        return b === null ? [dx, dw] : [dx, dw, b.requiresGrad ? sum(dz, [0, 1, 2]) : null];
      }
      // dz = grad * activation'(z), from the output alone (relu's test z > 0 is y > 0).
      let dy = data(grad, x.dtype);
      if (activation !== 'linear') {
        const dz = unfilledScratch(shape, x.dtype);
        kernels().unaryGrad(activation, y._data as Float32Array, y._data as Float32Array, dy, dz._data as Float32Array, 0);
        dy = dz._data as Float32Array;
      }
      const [dx, dw] = inputAndFilterGradients(
        x,
        w,
        dy,
        (d, out) => kernels().conv2dBackpropInput(d, wData, out, g),
        (d, out) => kernels().conv2dBackpropFilter(xData, d, out, g),
      );
      let db: Tensor | null = null;
      if (b?.requiresGrad) {
        db = empty(b.shape, b.dtype);
        const pixels = g.batch * g.outHeight * g.outWidth;
        if (pixels > 0) kernels().reduce('sum', dy, { outer: 1, length: pixels, inner: filters }, db._data);
      }
      return b === null ? [dx, dw] : [dx, dw, db];
    },
    true,
  );
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
  return depthwiseConv2dParsed(op, toTensor(input), toTensor(filter), convWindow(options, op));
}

/** depthwiseConv2d with its window already read: the trusted internal path of `conv2dParsed`, for the depthwise layers. */
export function depthwiseConv2dParsed(where: string, x: Tensor, w: Tensor, window: ConvWindow): Tensor {
  const op = 'depthwiseConv2d';
  checkOperands(where, x, w, '[kernelHeight, kernelWidth, inChannels, depthMultiplier]', 2);
  const [kh, kw, inChannels, multiplier] = w.shape as [number, number, number, number];
  const g = windowGeometry(where, 'kernel', x.shape, kh, kw, window.strides, window.dilation, window.padding, inChannels * multiplier);
  const out = empty([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels().depthwiseConv2d(x._data as Float32Array, w._data as Float32Array, out._data as Float32Array, g);
  return record(
    op,
    out,
    [x, w],
    (grad, createGraph) =>
      createGraph
        ? convolutionGradients(DEPTHWISE, x, w, grad, g)
        : inputAndFilterGradients(
            x,
            w,
            data(grad, x.dtype),
            (dy, dx) => kernels().depthwiseConv2dBackpropInput(dy, w._data as Float32Array, dx, g),
            (dy, dw) => kernels().depthwiseConv2dBackpropFilter(x._data as Float32Array, dy, dw, g),
          ),
    true,
  );
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
  const window = convWindow(options, op);
  const outputPadding = outputPaddingOption(options.outputPadding, window.strides, op);
  return conv2dTransposeParsed(op, toTensor(input), toTensor(filter), window, outputPadding);
}

/**
 * conv2dTranspose with its options already read: the trusted internal path of `conv2dParsed`, for
 * Conv2DTranspose; `outputPadding` must come from `outputPaddingOption`.
 */
export function conv2dTransposeParsed(
  where: string,
  x: Tensor,
  w: Tensor,
  window: ConvWindow,
  outputPadding: readonly [number, number] | null,
): Tensor {
  const op = 'conv2dTranspose';
  checkOperands(where, x, w, '[kernelHeight, kernelWidth, filters, inChannels]', 3);
  const [kh, kw, filters, inChannels] = w.shape as [number, number, number, number];
  const [batch, height, width] = x.shape as [number, number, number, number];
  const { strides, dilation, padding } = window;
  const outHeight = transposeOutputLength(height, kh, strides[0], dilation[0], padding, outputPadding === null ? null : outputPadding[0]);
  const outWidth = transposeOutputLength(width, kw, strides[1], dilation[1], padding, outputPadding === null ? null : outputPadding[1]);
  // The transposed conv runs as the input gradient of the conv that maps its output back onto x.
  checkTransposeOutput(x.shape, outHeight, outWidth, kh, kw, window, outputPadding, where);
  const g = kernelGeometry([batch, outHeight, outWidth, filters], [height, width, inChannels], kh, kw, strides, dilation, padding);
  const out = empty([batch, g.inHeight, g.inWidth, filters], x.dtype);
  kernels().conv2dBackpropInput(x._data as Float32Array, w._data as Float32Array, out._data as Float32Array, g);
  // The transpose's input gradient is the forward convolution; its filter gradient swaps the roles.
  return record(
    op,
    out,
    [x, w],
    (grad, createGraph) =>
      createGraph
        ? [x.requiresGrad ? convolve(CONV2D, grad, w, g) : null, w.requiresGrad ? filterGradient(CONV2D, grad, x, g, w.shape) : null]
        : inputAndFilterGradients(
            x,
            w,
            data(grad, x.dtype),
            (dy, dx) => kernels().conv2d(dy, w._data as Float32Array, dx, g),
            (dy, dw) => kernels().conv2dBackpropFilter(dy, x._data as Float32Array, dw, g),
          ),
    true,
  );
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
const DEPTHWISE: ConvFamily = {
  forward: 'depthwiseConv2d',
  input: 'depthwiseConv2dBackpropInput',
  filter: 'depthwiseConv2dBackpropFilter',
};

/** [dx, dw] of `forward(x, w)` for the output gradient dy, as ops (null where not needed). */
function convolutionGradients(family: ConvFamily, x: Tensor, w: Tensor, dy: Tensor, g: Conv2DGeometry): [Tensor | null, Tensor | null] {
  return [
    x.requiresGrad ? inputGradient(family, dy, w, g, x.shape) : null,
    w.requiresGrad ? filterGradient(family, x, dy, g, w.shape) : null,
  ];
}

function convolve(family: ConvFamily, x: Tensor, w: Tensor, g: Conv2DGeometry): Tensor {
  const y = empty([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels()[family.forward](x._data as Float32Array, w._data as Float32Array, y._data as Float32Array, g);
  return record(family.forward, y, [x, w], (gy) => convolutionGradients(family, x, w, gy, g), true);
}

function inputGradient(family: ConvFamily, dy: Tensor, w: Tensor, g: Conv2DGeometry, shape: readonly number[]): Tensor {
  const dx = empty(shape, dy.dtype);
  kernels()[family.input](dy._data as Float32Array, w._data as Float32Array, dx._data as Float32Array, g);
  return record(
    family.input,
    dx,
    [dy, w],
    (gx) => [dy.requiresGrad ? convolve(family, gx, w, g) : null, w.requiresGrad ? filterGradient(family, gx, dy, g, w.shape) : null],
    true,
  );
}

function filterGradient(family: ConvFamily, x: Tensor, dy: Tensor, g: Conv2DGeometry, shape: readonly number[]): Tensor {
  const dw = empty(shape, x.dtype);
  kernels()[family.filter](x._data as Float32Array, dy._data as Float32Array, dw._data as Float32Array, g);
  return record(
    family.filter,
    dw,
    [x, dy],
    (gw) => [x.requiresGrad ? inputGradient(family, dy, gw, g, x.shape) : null, dy.requiresGrad ? convolve(family, x, gw, g) : null],
    true,
  );
}
