import { ConfigError, ShapeError, formatShape } from '../core/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import { toTensor, type Operand } from './helpers.js';
import { matmul } from './linalg.js';
import { broadcastTo, pad, reshape, slice } from './shape.js';
import { pairOption, requireImages, type Pair } from './conv.js';

/*
 * Spatial ops on NHWC images, all composed from differentiable ops (pad, slice, broadcastTo, matmul),
 * so they need no gradient of their own.
 */

/**
 * Amounts per side of the height and width axes, as Keras takes them: one number for all four
 * sides, `[height, width]` for symmetric amounts, or `[[top, bottom], [left, right]]`.
 */
export type Sides2D = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

function sides(value: Sides2D, op: string, name: string): [[number, number], [number, number]] {
  let result: number[][] | null = null;
  if (typeof value === 'number') result = [[value, value], [value, value]];
  else if (Array.isArray(value) && value.length === 2) {
    if (typeof value[0] === 'number' && typeof value[1] === 'number') result = [[value[0], value[0]], [value[1], value[1]]];
    else if (value.every((p) => Array.isArray(p) && p.length === 2)) result = (value as readonly (readonly number[])[]).map((p) => [...p]);
  }
  if (!result || result.flat().some((n) => typeof n !== 'number' || !Number.isInteger(n) || n < 0)) {
    throw new ConfigError(
      `${op}: ${name} must be a non-negative integer, [height, width], or [[top, bottom], [left, right]], got ${JSON.stringify(value)}`,
    );
  }
  return result as [[number, number], [number, number]];
}

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
  const [rows, cols] = sides(padding, 'zeroPad2d', 'padding');
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
  const [[top, bottom], [left, right]] = sides(cropping, 'crop2d', 'cropping');
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  if (top + bottom >= height || left + right >= width) {
    throw new ShapeError(
      `crop2d: cropping [[${top}, ${bottom}], [${left}, ${right}]] removes all of the ${height}x${width} input ` +
        `${formatShape(x.shape)}; at least one row and one column must remain`,
    );
  }
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
  const x = toTensor(input);
  requireImages(x, op);
  const [sh, sw] = pairOption(size, 2, op, 'size');
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  if (interpolation === 'nearest') {
    const spread = broadcastTo(reshape(x, [batch, height, 1, width, 1, channels]), [batch, height, sh, width, sw, channels]);
    return reshape(spread, [batch, height * sh, width * sw, channels]);
  }
  if (interpolation !== 'bilinear') {
    throw new ConfigError(`${op}: interpolation must be 'nearest' or 'bilinear', got ${JSON.stringify(interpolation)}`);
  }
  // Interpolation is linear in x: one matrix along the height, then one along the width, and matmul
  // provides the gradient.
  const alongHeight = matmul(interpolationMatrix(height, sh, x.dtype), reshape(x, [batch, height, width * channels]));
  const rows = reshape(alongHeight, [batch * height * sh, width, channels]);
  const alongWidth = matmul(interpolationMatrix(width, sw, x.dtype), rows);
  return reshape(alongWidth, [batch, height * sh, width * sw, channels]);
}
