import { ConfigError, ShapeError, formatShape } from '../../core/index.js';
import type { Tensor } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { formatLayerShape, type InputSpec, type LayerShape } from '../layer.js';

/*
 * Option parsing and checks shared by the image layers (conv, pooling, padding, augmentation), so
 * that every one of them accepts the same forms and words its errors the same way.
 */

export type Padding = 'valid' | 'same';
/** An int for both spatial axes, or `[height, width]`. */
export type IntPair = number | readonly [number, number];
/** ZeroPadding2D / Cropping2D: an int, `[height, width]` (symmetric), or `[[top, bottom], [left, right]]`. */
export type PairOfPairs = number | readonly [number, number] | readonly [readonly [number, number], readonly [number, number]];

/** `3` -> `[3, 3]`; checks integers >= `min`. */
export function intPair(value: unknown, option: string, where: string, min = 1): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || pair.some((v) => !Number.isInteger(v) || v < min)) {
    throw new ConfigError(`${where}: ${option} must be an integer >= ${min} or a pair [height, width] of them, got ${JSON.stringify(value)}`);
  }
  return [pair[0], pair[1]];
}

/** `1` -> `[[1, 1], [1, 1]]`; `[1, 2]` -> `[[1, 1], [2, 2]]`; `[[t, b], [l, r]]` as is. Integers >= 0. */
export function pairOfPairs(value: unknown, option: string, where: string): [[number, number], [number, number]] {
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(value)) return [[value, value], [value, value]];
  if (Array.isArray(value) && value.length === 2) {
    if (value.every(ok)) return [[value[0], value[0]], [value[1], value[1]]];
    if (value.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) return [[value[0][0], value[0][1]], [value[1][0], value[1][1]]];
  }
  throw new ConfigError(`${where}: ${option} must be an integer >= 0, a pair [height, width], or [[top, bottom], [left, right]], got ${JSON.stringify(value)}`);
}

/** 'valid' or 'same' in any case (Keras lowercases it, so `'SAME'` from TensorFlow code works); default 'valid'. */
export function checkPadding(value: unknown, where: string): Padding {
  const padding = typeof value === 'string' ? value.toLowerCase() : value ?? 'valid';
  if (padding !== 'valid' && padding !== 'same') throw new ConfigError(`${where}: padding must be 'valid' or 'same', got ${JSON.stringify(value)}`);
  return padding;
}

/** Rejects `dataFormat: 'channels_first'` clearly (images are NHWC throughout). */
export function checkDataFormat(value: unknown, where: string): void {
  if (value !== undefined && value !== null && value !== 'channels_last') {
    throw new ConfigError(`${where}: only dataFormat 'channels_last' (NHWC) is supported, got ${JSON.stringify(value)}; transpose the images to [batch, height, width, channels]`);
  }
}

/** The input spec of the image layers: NHWC batches. */
export const IMAGE_INPUT_SPEC: InputSpec = {
  rank: 4,
  axes: 'batch, height, width, channels',
  hint: (rank) => (rank === 2 ? '; reshape flat images first, e.g. nr.layers.Reshape({targetShape: [28, 28, 1]})' : rank === 3 ? '; add the channels axis (or the batch axis)' : ''),
};

/** Checks that a shape (or a tensor's shape) is a batch of images `[batch, height, width, channels]`. */
export function requireImages(shape: LayerShape | Tensor, where: string): LayerShape {
  const dims: LayerShape = Array.isArray(shape) ? shape : (shape as Tensor).shape;
  if (dims.length !== 4) {
    const shown = Array.isArray(shape) ? formatLayerShape(dims) : formatShape(dims as number[]);
    throw new ShapeError(`${where}: expected input of rank 4 [${IMAGE_INPUT_SPEC.axes}], got ${shown}${IMAGE_INPUT_SPEC.hint!(dims.length)}`);
  }
  return dims;
}

/**
 * Output length of a convolution or pooling window along one axis (TensorFlow's rule): 'valid'
 * keeps the windows that fit, `floor((size - dilatedKernel) / stride) + 1`; 'same' pads so that it
 * is `ceil(size / stride)`. Null (unknown) stays null; 0 or less means the window does not fit.
 */
export function convOutputLength(size: number | null, kernel: number, stride: number, dilation: number, padding: Padding): number | null {
  if (size === null) return null;
  const span = (kernel - 1) * dilation + 1;
  return padding === 'same' ? Math.ceil(size / stride) : Math.floor((size - span) / stride) + 1;
}

/** The spatial output size, or a ShapeError naming the layer when the window is larger than the input. */
export function windowOutputShape(inputShape: LayerShape, kernel: readonly [number, number], strides: readonly [number, number],
  dilation: readonly [number, number], padding: Padding, where: string, windowName: string): [number | null, number | null] {
  const out: [number | null, number | null] = [0, 1].map((k) => convOutputLength(inputShape[1 + k] ?? null, kernel[k]!, strides[k]!, dilation[k]!, padding)) as [number | null, number | null];
  if (out.some((d) => d !== null && d < 1)) {
    const span = kernel.map((k, i) => (k - 1) * dilation[i]! + 1);
    // Layer.apply prefixes the input shape; the message says which dimensions failed.
    throw new ShapeError(`${where}: the ${windowName} ${span[0]}x${span[1]} is larger than the input ${inputShape[1]}x${inputShape[2]} `
      + "with padding 'valid'; use padding 'same', a smaller window, or a larger input");
  }
  return out;
}

/** Integer or bool images (raw pixels) as the layer's float dtype, as Keras casts inputs to the compute dtype. */
export function floatInput(inputs: Tensor, dtype: 'float32' | 'float64'): Tensor {
  return inputs.dtype === 'float32' || inputs.dtype === 'float64' ? inputs : ops.cast(inputs, dtype);
}
