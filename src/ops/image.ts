import { configError, show } from '../core/index.js';
import { checkCropping, pairOfPairsOption, pairOption, type Pair, type PairOfPairs } from '../core/geometry.js';
import { type Tensor, tensor } from '../tensor/index.js';
import { toTensor, type Operand } from './helpers.js';
import { matmul } from './linalg.js';
import { broadcastTo, pad, reshape, slice } from './shape.js';
import { requireImages } from './conv.js';

/*
 * Spatial ops on NHWC images, all composed from differentiable ops (pad, slice, broadcastTo, matmul),
 * so they need no gradient of their own.
 */

/**
 * Amounts per side of the height and width axes, as Keras takes them: one number for all four
 * sides, `[height, width]` for symmetric amounts, or `[[top, bottom], [left, right]]`.
 */
export type Sides2D = PairOfPairs;

/**
 * Pads the height and width of NHWC images with zeros (Keras ZeroPadding2D).
 *
 * ```ts
 * nr.zeroPad2d(nr.ones([1, 28, 28, 1]), [[2, 2], [2, 2]]).shape; // [1, 32, 32, 1]
 * ```
 */
export function zeroPad2d(input: Operand, padding: Sides2D): Tensor {
  const x = toTensor(input);
  requireImages(x, 'zeroPad2d');
  const [rows, cols] = pairOfPairsOption(padding, 'zeroPad2d', 'padding');
  return pad(x, [[0, 0], rows, cols, [0, 0]]);
}

/**
 * Removes rows and columns from the sides of NHWC images (Keras Cropping2D).
 *
 * ```ts
 * nr.crop2d(nr.ones([1, 32, 32, 3]), [[2, 2], [4, 0]]).shape; // [1, 28, 28, 3]
 * ```
 */
export function crop2d(input: Operand, cropping: Sides2D): Tensor {
  const x = toTensor(input);
  requireImages(x, 'crop2d');
  return crop2dParsed('crop2d', x, pairOfPairsOption(cropping, 'crop2d', 'cropping'));
}

/**
 * crop2d with its amounts already read: the trusted internal path for Cropping2D, with `cropping`
 * from `pairOfPairsOption`; images of another rank fail in slice, which checks its own arguments.
 */
export function crop2dParsed(where: string, x: Tensor, cropping: readonly [readonly [number, number], readonly [number, number]]): Tensor {
  checkCropping(x.shape, cropping, where);
  const [[top, bottom], [left, right]] = cropping;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  return slice(x, [0, top, left, 0], [batch, height - top - bottom, width - left - right, channels]);
}

export type Interpolation = 'nearest' | 'bilinear';

/**
 * The [inSize * scale, inSize] matrix of linear interpolation with half-pixel centers (TensorFlow's
 * resize and Keras's UpSampling2D, PyTorch's align_corners=False): output o samples the input at
 * `(o + 0.5) / scale - 0.5`, clamped to the first and last pixels.
 */
function interpolationMatrix(inSize: number, scale: number, dtype: Tensor['dtype']): Tensor {
  const outSize = inSize * scale;
  const values = new Float64Array(outSize * inSize);
  for (let o = 0; o < outSize; o++) {
    const source = Math.max((o + 0.5) / scale - 0.5, 0);
    const low = Math.min(Math.floor(source), inSize - 1);
    const high = Math.min(low + 1, inSize - 1);
    const fraction = source - low;
    values[o * inSize + low] += 1 - fraction;
    values[o * inSize + high] += fraction;
  }
  return tensor(values, [outSize, inSize], dtype);
}

/**
 * Enlarges NHWC images by integer factors `size` ([height, width] or one number): 'nearest' repeats
 * each pixel, 'bilinear' interpolates with half-pixel centers like Keras's UpSampling2D
 * (PyTorch's `interpolate(..., mode='bilinear', align_corners=False)`).
 *
 * ```ts
 * const x = nr.tensor([[1, 2], [3, 4]]).reshape([1, 2, 2, 1]);
 * nr.upSample2d(x, 2).shape;                     // [1, 4, 4, 1]
 * nr.upSample2d(x, [2, 2], 'bilinear').shape;    // [1, 4, 4, 1]
 * ```
 */
export function upSample2d(input: Operand, size: Pair, interpolation: Interpolation = 'nearest'): Tensor {
  const op = 'upSample2d';
  const [sh, sw] = pairOption(size ?? 2, op, 'size');
  if (interpolation !== 'nearest' && interpolation !== 'bilinear') {
    throw configError(op, { expected: "interpolation must be 'nearest' or 'bilinear'", got: show(interpolation) });
  }
  return upSample2dParsed(op, toTensor(input), sh, sw, interpolation);
}

/**
 * upSample2d with its options already read. Trusted internal path for UpSampling2D, which reads
 * them once at construction: factors integers >= 1, interpolation 'nearest' or 'bilinear'.
 */
export function upSample2dParsed(where: string, x: Tensor, sh: number, sw: number, interpolation: Interpolation): Tensor {
  requireImages(x, where);
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  if (interpolation === 'nearest') {
    // Spread along the width, then the height: the gradient is then two sums over one axis each (native
    // reduce views), where spreading both at once would sum two separate axes (a transpose first).
    const wide = broadcastTo(reshape(x, [batch, height, 1, width, 1, channels]), [batch, height, 1, width, sw, channels]);
    const spread = broadcastTo(wide, [batch, height, sh, width, sw, channels]);
    return reshape(spread, [batch, height * sh, width * sw, channels]);
  }
  // Interpolation is linear in x: one matrix along the height, then one along the width, and matmul
  // provides the gradient.
  const alongHeight = matmul(interpolationMatrix(height, sh, x.dtype), reshape(x, [batch, height, width * channels]));
  const rows = reshape(alongHeight, [batch * height * sh, width, channels]);
  const alongWidth = matmul(interpolationMatrix(width, sw, x.dtype), rows);
  return reshape(alongWidth, [batch, height * sh, width * sw, channels]);
}
