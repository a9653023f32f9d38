import { ConfigError } from '../core/index.js';
import { kernels, type PoolOp } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { castTo, empty, toTensor, type Operand } from './helpers.js';
import { pairOption, paddingOption, requireImages, windowGeometry, type Pair, type Padding } from './conv.js';

export interface Pool2DOptions {
  /** Window size, per axis (required). */
  poolSize: Pair;
  /** Step between windows, per axis (default: poolSize, so windows do not overlap). */
  strides?: Pair | null;
  /** 'valid' (default) or 'same' (TensorFlow's padding; padded taps are ignored, not counted as 0). */
  padding?: Padding;
}

function pool2d(op: PoolOp, name: string, input: Operand, options: Pool2DOptions): Tensor {
  const x = toTensor(input);
  requireImages(x, name);
  if (options === undefined || options.poolSize === undefined) {
    throw new ConfigError(`${name}: poolSize is required, e.g. ${name}(x, { poolSize: 2 })`);
  }
  const poolSize = pairOption(options.poolSize, 2, name, 'poolSize');
  const strides = pairOption(options.strides ?? undefined, poolSize, name, 'strides');
  const padding = paddingOption(options.padding, name);
  const g = windowGeometry(name, 'pool', x.shape, poolSize, strides, [1, 1], padding, x.shape[3]!);
  const out = empty([g.batch, g.outHeight, g.outWidth, g.outChannels], x.dtype);
  kernels().pool2d(op, x._data as Float32Array, out._data as Float32Array, g);
  return record(name, out, [x], (grad) => {
    const dx = empty(x.shape, x.dtype);
    kernels().pool2dBackward(op, x._data as Float32Array, castTo(grad, x.dtype)._data as Float32Array, dx._data as Float32Array, g);
    return [dx];
  });
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
