import { configError, hostArray } from '../core/index.js';
import { poolWindow, type Pair, type Padding, type PoolWindow } from '../core/geometry.js';
import { kernels, type Conv2DGeometry, type PoolOp } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { castTo, empty, toTensor, unfilled, type Operand } from './helpers.js';
import { argmax } from './reduce.js';
import { detach } from './elementwise.js';
import { gather, reshape, scatterAdd } from './shape.js';
import { poolGeometry, requireImages } from './conv.js';

export interface Pool2DOptions {
  /** Window size, per axis (required). */
  poolSize: Pair;
  /** Step between windows, per axis (default: poolSize, so windows do not overlap). */
  strides?: Pair | null;
  /** 'valid' (default) or 'same' (TensorFlow's padding; padded taps are ignored, not counted as 0). */
  padding?: Padding;
  /**
   * PyTorch's ceil_mode, with 'valid' padding: `ceil((size - poolSize) / strides) + 1` windows, the
   * last one partial (it pools, or averages, only the pixels it covers). Default false.
   */
  ceilMode?: boolean;
}

function pool2d(op: PoolOp, name: string, input: Operand, options: Pool2DOptions): Tensor {
  if (options === undefined || options.poolSize === undefined) {
    throw configError(name, { expected: 'poolSize is required', hint: `e.g. ${name}(x, { poolSize: 2 })` });
  }
  return pool2dParsed(op, name, toTensor(input), poolWindow(options, name));
}

/**
 * Pooling with its window already read. Trusted internal path for the pooling layers, which read
 * it once at construction: `window` must come from `poolWindow`. The images are checked here all
 * the same, since they reach the kernels; `where` names the caller in errors.
 */
export function pool2dParsed(op: PoolOp, where: string, x: Tensor, window: PoolWindow): Tensor {
  requireImages(x, where);
  return pooled(op, op === 'max' ? 'maxPool2d' : 'avgPool2d', x, poolGeometry(where, x.shape, window));
}

function pooled(op: PoolOp, name: string, x: Tensor, g: Conv2DGeometry): Tensor {
  // Every backend's kernel writes every output (zeros for a window that holds no pixel).
  const out = unfilled([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels().pool2d(op, x._data as Float32Array, out._data as Float32Array, g);
  return record(
    name,
    out,
    [x],
    (grad, createGraph) => {
      if (createGraph) return [op === 'avg' ? avgPoolGradient(x, grad, g) : maxPoolGradient(x, grad, g)];
      // Every backend's kernel writes every element of dx (zeros where no window's gradient lands).
      const dx = unfilled(x.shape, x.dtype);
      kernels().pool2dBackward(op, x._data as Float32Array, castTo(grad, x.dtype)._data as Float32Array, dx._data as Float32Array, g);
      return [dx];
    },
    true,
  );
}

/*
 * Differentiable forms of the pooling gradients, for higher-order gradients. Average pooling is
 * linear, so its gradient is an op of `grad` alone whose own gradient is the average pooling again.
 * Max pooling routes each output's gradient to its window's (first) maximum: a scatter-add at fixed
 * indices (piecewise constant in x), whose gradient is a gather at the same indices.
 */

function avgPoolGradient(x: Tensor, grad: Tensor, g: Conv2DGeometry): Tensor {
  const dx = empty(x.shape, grad.dtype);
  // The kernel reads x only for 'max'; x is passed for its size.
  kernels().pool2dBackward('avg', x._data as Float32Array, grad._data as Float32Array, dx._data as Float32Array, g);
  return record('avgPool2dGradient', dx, [grad], (gg) => [pooled('avg', 'avgPool2d', gg, g)], true);
}

function maxPoolGradient(x: Tensor, grad: Tensor, g: Conv2DGeometry): Tensor {
  const flat = reshape(grad, [grad.size]);
  return reshape(scatterAdd(flat, maxIndices(x, g), 0, [x.size]), x.shape);
}

/**
 * For each output of max pooling (in output order), the flat index in x of its window's first
 * maximum: the choice the pool kernels make. The taps of every window are gathered, with a padded
 * tap repeating the window's first inside tap (so it never wins a tie), and argmax picks one.
 */
function maxIndices(x: Tensor, g: Conv2DGeometry): Tensor {
  const { batch, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const taps = filterHeight * filterWidth;
  const pixels = batch * outHeight * outWidth;
  const tapIndex = new Int32Array(pixels * taps * channels);
  const pixelOf = new Int32Array(taps);
  for (let b = 0, o = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++, o++) {
        let first = -1;
        for (let ky = 0; ky < filterHeight; ky++) {
          for (let kx = 0; kx < filterWidth; kx++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
            const pixel = inside ? (b * inHeight + iy) * inWidth + ix : -1;
            if (first < 0 && inside) first = pixel;
            pixelOf[ky * filterWidth + kx] = pixel;
          }
        }
        for (let t = 0; t < taps; t++) {
          const pixel = pixelOf[t]! < 0 ? Math.max(first, 0) : pixelOf[t]!;
          for (let c = 0; c < channels; c++) tapIndex[(o * taps + t) * channels + c] = pixel * channels + c;
        }
      }
    }
  }
  const indices = new Tensor(tapIndex, [pixels, taps, channels], 'int32');
  const best = hostArray(argmax(gather(reshape(detach(x), [x.size]), indices), 1)._data as Int32Array);
  const chosen = new Int32Array(pixels * channels);
  for (let o = 0; o < pixels; o++) {
    for (let c = 0; c < channels; c++) chosen[o * channels + c] = tapIndex[(o * taps + best[o * channels + c]!) * channels + c]!;
  }
  return new Tensor(chosen, [pixels * channels], 'int32');
}

/**
 * Max pooling over NHWC images [batch, height, width, channels]: each output is the maximum of its
 * window; the gradient goes to the first maximum of each window. Options: `poolSize` (required),
 * `strides` (default poolSize), `padding` ('valid').
 *
 * ```ts
 * nr.maxPool2d(nr.randn([1, 28, 28, 6]), { poolSize: 2 }).shape; // [1, 14, 14, 6]
 * ```
 */
export function maxPool2d(x: Operand, options: Pool2DOptions): Tensor {
  return pool2d('max', 'maxPool2d', x, options);
}

/**
 * Average pooling over NHWC images; with 'same' padding each window averages only the pixels
 * inside the image (TensorFlow/Keras; PyTorch's `count_include_pad=False`).
 *
 * ```ts
 * nr.avgPool2d(nr.ones([1, 5, 5, 1]), { poolSize: 2, padding: 'same' }).shape; // [1, 3, 3, 1]
 * ```
 */
export function avgPool2d(x: Operand, options: Pool2DOptions): Tensor {
  return pool2d('avg', 'avgPool2d', x, options);
}
