import { configError, shapeError, show } from './errors.js';
import { formatShape } from './shape.js';

/*
 * The geometry of 2-D windows over NHWC images, written once for the ops (src/ops/conv.ts,
 * pool.ts, image.ts) and the layers (src/nn/layers/conv, pooling, reshaping): how the options
 * read, how long an output axis is, where padding goes, and the errors for each rule. Layers parse
 * their options here once, at construction; ops parse what a user hands them on each call.
 * The functions that run on every convolution are scalar and allocate nothing.
 */

/** 'valid': only windows that fit; 'same': TensorFlow's padding, output `ceil(size / stride)`. */
export type Padding = 'valid' | 'same';

/** A number for both spatial axes, or `[height, width]`. */
export type Pair = number | readonly [number, number];

/** A value per spatial axis, `[height, width]`, once read. */
export type Two = readonly [number, number];

/** An int for all four sides, `[height, width]` (symmetric), or `[[top, bottom], [left, right]]`. */
export type PairOfPairs = number | Two | readonly [Two, Two];

/** An image shape whose dimensions may be unknown (null), as layers see them. */
export type Dims = readonly (number | null)[];

/** A shape as messages print it: `[1, 28, 28, 1]`, or Keras's `(None, 28, 28, 1)` when a size is unknown. */
function formatDims(dims: Dims): string {
  if (dims.every((d) => d !== null)) return formatShape(dims as number[]);
  return `(${dims.map((d) => (d === null ? 'None' : String(d))).join(', ')}${dims.length === 1 ? ',' : ''})`;
}

const formatPair = (pair: Two) => `[${pair[0]}, ${pair[1]}]`;

/** The height and width of `dims` as messages print them: `28x28`, `Nonex28`. */
const formatSize = (dims: Dims) => `${dims[1] ?? 'None'}x${dims[2] ?? 'None'}`;

/* ---- Options ---- */

/** `3` -> `[3, 3]`; `[3, 5]` as is. Both must be integers >= `min`. */
export function pairOption(value: unknown, where: string, option: string, min = 1): [number, number] {
  if (Number.isInteger(value) && (value as number) >= min) return [value as number, value as number];
  if (Array.isArray(value) && value.length === 2 && value.every((v) => Number.isInteger(v) && v >= min)) {
    return [value[0], value[1]];
  }
  throw configError(where, {
    expected: `${option} must be an integer >= ${min} or a pair [height, width] of them`,
    got: show(value),
  });
}

/** `1` -> `[[1, 1], [1, 1]]`; `[1, 2]` -> `[[1, 1], [2, 2]]`; `[[t, b], [l, r]]` as is. Integers >= 0. */
export function pairOfPairsOption(value: unknown, where: string, option: string): [[number, number], [number, number]] {
  const ok = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
  if (ok(value))
    return [
      [value, value],
      [value, value],
    ];
  if (Array.isArray(value) && value.length === 2) {
    if (value.every(ok))
      return [
        [value[0], value[0]],
        [value[1], value[1]],
      ];
    if (value.every((p) => Array.isArray(p) && p.length === 2 && p.every(ok))) {
      return [
        [value[0][0], value[0][1]],
        [value[1][0], value[1][1]],
      ];
    }
  }
  throw configError(where, {
    expected: `${option} must be an integer >= 0, a pair [height, width], or [[top, bottom], [left, right]]`,
    got: show(value),
  });
}

/** 'valid' or 'same' in any case (Keras lowercases it, so TensorFlow's `'SAME'` works); default 'valid'. */
export function paddingOption(value: unknown, where: string): Padding {
  const padding = typeof value === 'string' ? value.toLowerCase() : (value ?? 'valid');
  if (padding !== 'valid' && padding !== 'same') {
    throw configError(where, { expected: "padding must be 'valid' or 'same'", got: show(value) });
  }
  return padding;
}

/** Dilation > 1 and strides > 1 together are refused, as TensorFlow and Keras refuse them. */
function checkDilationWithStrides(strides: Two, dilation: Two, where: string): void {
  if ((strides[0] > 1 || strides[1] > 1) && (dilation[0] > 1 || dilation[1] > 1)) {
    throw configError(where, {
      expected: `strides ${formatPair(strides)} cannot be combined with dilationRate ${formatPair(dilation)}`,
      rule: 'strides > 1 with dilationRate > 1 is refused, as in TensorFlow and Keras',
      hint: 'use strides 1 with a dilation, or dilationRate 1 with strides',
    });
  }
}

/** The window options of a convolution, parsed and checked (see `convWindow`). */
export interface ConvWindow {
  readonly strides: Two;
  readonly dilation: Two;
  readonly padding: Padding;
}

/** Reads `strides` (default 1), `dilationRate` (default 1) and `padding` (default 'valid') and checks them together. */
export function convWindow(options: { strides?: unknown; dilationRate?: unknown; padding?: unknown }, where: string): ConvWindow {
  const strides = pairOption(options.strides ?? 1, where, 'strides');
  const dilation = pairOption(options.dilationRate ?? 1, where, 'dilationRate');
  checkDilationWithStrides(strides, dilation, where);
  // Frozen: the ops trust a parsed window without checking it again, so it must stay as checked.
  const padding = paddingOption(options.padding, where);
  return Object.freeze({ strides: Object.freeze(strides), dilation: Object.freeze(dilation), padding });
}

/** The window options of a pooling, parsed and checked (see `poolWindow`). */
export interface PoolWindow {
  readonly size: Two;
  readonly strides: Two;
  readonly padding: Padding;
  /** PyTorch's ceil_mode with 'valid' padding: a last, partial window is kept (see `poolOutputLength`). */
  readonly ceilMode: boolean;
}

/** Reads `poolSize` (default `defaultSize`), `strides` (default poolSize, so windows do not overlap), `padding` and `ceilMode`. */
export function poolWindow(
  options: { poolSize?: unknown; strides?: unknown; padding?: unknown; ceilMode?: unknown },
  where: string,
  defaultSize: Pair = 2,
): PoolWindow {
  const size = pairOption(options.poolSize ?? defaultSize, where, 'poolSize');
  const strides = pairOption(options.strides ?? size, where, 'strides');
  const padding = paddingOption(options.padding, where);
  const ceilMode = options.ceilMode ?? false;
  if (typeof ceilMode !== 'boolean') throw configError(where, { expected: 'ceilMode must be true or false', got: show(ceilMode) });
  if (ceilMode && padding === 'same') {
    throw configError(where, {
      expected: "ceilMode applies to padding 'valid' ('same' already keeps ceil(size / strides) windows)",
      hint: "use padding 'valid' with ceilMode, or 'same' alone",
    });
  }
  return Object.freeze({ size: Object.freeze(size), strides: Object.freeze(strides), padding, ceilMode });
}

/**
 * Output length of a pooling along one axis: `convOutputLength`, or with `ceilMode` (PyTorch's
 * ceil_mode, padding 'valid') `ceil((size - kernel) / stride) + 1`, less one when that last window
 * would start past the input; a partial window pools the pixels it covers.
 */
export function poolOutputLength(size: number, kernel: number, stride: number, padding: Padding, ceilMode: boolean): number {
  if (!ceilMode || size < kernel) return convOutputLength(size, kernel, stride, 1, padding);
  const out = Math.ceil((size - kernel) / stride) + 1;
  return (out - 1) * stride >= size ? out - 1 : out;
}

/**
 * A transposed convolution's `outputPadding` (null: Keras's default size): integers >= 0, each
 * smaller than its stride, since a larger one would pick an output that strides to another size.
 */
export function outputPaddingOption(value: unknown, strides: Two, where: string): [number, number] | null {
  if (value === undefined || value === null) return null;
  const pair = pairOption(value, where, 'outputPadding', 0);
  if (pair[0] >= strides[0] || pair[1] >= strides[1]) {
    throw configError(where, {
      expected: `outputPadding ${formatPair(pair)} must be smaller than strides ${formatPair(strides)} on each axis`,
      hint: 'it picks one of the output sizes that stride back to the input size; leave it out for the default',
    });
  }
  return pair;
}

/* ---- Output lengths (one spatial axis each) ---- */

/** The span of a kernel of `kernel` taps `dilation` apart. */
function dilatedKernel(kernel: number, dilation: number): number {
  return (kernel - 1) * dilation + 1;
}

/**
 * Output length of a convolution or pooling along one axis (TensorFlow's rule, also Keras's):
 * 'valid' keeps the windows that fit, `floor((size - span) / stride) + 1` (0 when none fits);
 * 'same' pads so that it is `ceil(size / stride)`.
 */
export function convOutputLength(size: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  if (padding === 'same') return Math.ceil(size / stride);
  const span = dilatedKernel(kernel, dilation);
  return size >= span ? Math.floor((size - span) / stride) + 1 : 0;
}

/** The rows (or columns) of padding in all for an output of `outSize`: none for 'valid'. */
function totalPadding(size: number, outSize: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  return padding === 'valid' ? 0 : Math.max((outSize - 1) * stride + dilatedKernel(kernel, dilation) - size, 0);
}

/**
 * The padding before the first row (or column) for an output of `outSize`: 'same' pads
 * `max((outSize - 1) * stride + span - size, 0)` in all, the odd row or column after, so even
 * kernels and strides > 1 pad asymmetrically (TensorFlow's rule); 'valid' pads nothing.
 */
export function convPadBefore(size: number, outSize: number, kernel: number, stride: number, dilation: number, padding: Padding): number {
  return Math.floor(totalPadding(size, outSize, kernel, stride, dilation, padding) / 2);
}

export interface ConvPadding {
  outSize: number;
  padBefore: number;
  padAfter: number;
}

/**
 * The output size and padding of one spatial axis under TensorFlow's rule (also Keras's):
 * `convOutputLength` and `convPadBefore` together, with the padding after.
 *
 * ```ts
 * nr.convPadding(28, 4, 2, 1, 'same'); // { outSize: 14, padBefore: 1, padAfter: 1 }
 * nr.convPadding(5, 2, 2, 1, 'same');  // { outSize: 3, padBefore: 0, padAfter: 1 }
 * ```
 */
export function convPadding(inSize: number, kernel: number, stride: number, dilation: number, padding: Padding): ConvPadding {
  const outSize = convOutputLength(inSize, kernel, stride, dilation, padding);
  const total = totalPadding(inSize, outSize, kernel, stride, dilation, padding);
  const padBefore = Math.floor(total / 2);
  return { outSize, padBefore, padAfter: total - padBefore };
}

/**
 * Keras's output length of a transposed convolution along one axis (`deconv_output_length`).
 * Without outputPadding: 'valid' gives `size * stride + max(span - stride, 0)`, 'same' gives
 * `size * stride`; with it, `(size - 1) * stride + span - 2 * pad + outputPadding` where pad is
 * `floor(span / 2)` for 'same' and 0 for 'valid'.
 */
export function transposeOutputLength(
  size: number,
  kernel: number,
  stride: number,
  dilation: number,
  padding: Padding,
  outputPadding: number | null,
): number {
  const span = dilatedKernel(kernel, dilation);
  if (outputPadding === null) return padding === 'valid' ? size * stride + Math.max(span - stride, 0) : size * stride;
  const pad = padding === 'same' ? Math.floor(span / 2) : 0;
  return (size - 1) * stride + span - 2 * pad + outputPadding;
}

/* ---- Shape checks ---- */

/** The axes of an image batch, as messages name them. */
export const IMAGE_AXES = 'batch, height, width, channels';

/**
 * The advice for images of the wrong rank: flat images to reshape (rank 2) or a missing axis
 * (rank 3). An op's caller holds tensors, a layer's builds models, so each gets its own remedy.
 */
export function imageRankHint(rank: number, caller: 'op' | 'layer'): string | undefined {
  if (rank === 2) {
    return caller === 'op'
      ? 'reshape flat images, e.g. x.reshape([-1, 28, 28, 1])'
      : 'reshape flat images first, e.g. nr.layers.Reshape({targetShape: [28, 28, 1]})';
  }
  if (rank === 3) return caller === 'op' ? 'add a batch axis with expandDims(x, 0)' : 'add the channels axis (or the batch axis)';
  return undefined;
}

/** Throws unless `dims` is a batch of images `[batch, height, width, channels]` (rank 4). */
export function checkImageRank(dims: Dims, where: string, caller: 'op' | 'layer'): void {
  if (dims.length !== 4) {
    throw shapeError(where, {
      expected: `expected input of rank 4 [${IMAGE_AXES}]`,
      got: formatDims(dims),
      hint: imageRankHint(dims.length, caller),
    });
  }
}

/** Throws when a 'valid' `what` ('kernel', 'pool') of kh x kw taps does not fit the known height or width of `dims`. */
export function checkWindowFits(dims: Dims, kh: number, kw: number, dilation: Two, padding: Padding, where: string, what: string): void {
  if (padding !== 'valid') return;
  const height = dims[1] ?? null;
  const width = dims[2] ?? null;
  const spanH = dilatedKernel(kh, dilation[0]);
  const spanW = dilatedKernel(kw, dilation[1]);
  if ((height === null || spanH <= height) && (width === null || spanW <= width)) return;
  const dilated = dilation[0] > 1 || dilation[1] > 1 ? ` (${spanH}x${spanW} with dilation)` : '';
  throw shapeError(where, {
    expected: `${what} ${kh}x${kw}${dilated} with 'valid' padding does not fit the ${formatSize(dims)} input ${formatDims(dims)}`,
    hint: `use padding 'same', a smaller ${what}, or a larger input`,
  });
}

/**
 * The output height and width of a `what` of kh x kw taps over the images `dims` (null where the
 * input's is unknown), after `checkWindowFits`: a layer's computeOutputShape.
 */
export function windowOutputSize(
  dims: Dims,
  kh: number,
  kw: number,
  strides: Two,
  dilation: Two,
  padding: Padding,
  where: string,
  what: string,
): [number | null, number | null] {
  checkWindowFits(dims, kh, kw, dilation, padding, where, what);
  const height = dims[1] ?? null;
  const width = dims[2] ?? null;
  return [
    height === null ? null : convOutputLength(height, kh, strides[0], dilation[0], padding),
    width === null ? null : convOutputLength(width, kw, strides[1], dilation[1], padding),
  ];
}

/** The output height and width of a pooling `window` over the images `dims` (null where unknown), checked as `windowOutputSize`. */
export function poolOutputSize(dims: Dims, window: PoolWindow, where: string): [number | null, number | null] {
  const { size, strides, padding, ceilMode } = window;
  checkWindowFits(dims, size[0], size[1], [1, 1], padding, where, 'pool');
  const length = (d: number | null | undefined, axis: 0 | 1) =>
    d === null || d === undefined ? null : poolOutputLength(d, size[axis], strides[axis], padding, ceilMode);
  return [length(dims[1], 0), length(dims[2], 1)];
}

/** The output height and width of a transposed convolution over `dims` (null where unknown), checked by `checkTransposeOutput`. */
export function transposeOutputSize(
  dims: Dims,
  kh: number,
  kw: number,
  window: ConvWindow,
  outputPadding: Two | null,
  where: string,
): [number | null, number | null] {
  const { strides, dilation, padding } = window;
  const length = (size: number | null, k: number, axis: 0 | 1) =>
    size === null
      ? null
      : transposeOutputLength(size, k, strides[axis], dilation[axis], padding, outputPadding === null ? null : outputPadding[axis]);
  const out: [number | null, number | null] = [length(dims[1] ?? null, kh, 0), length(dims[2] ?? null, kw, 1)];
  checkTransposeOutput(dims, out[0], out[1], kh, kw, window, outputPadding, where);
  return out;
}

/**
 * Throws unless a transposed convolution's output length `outSize` along each known axis is the
 * one a convolution with the same window maps back onto the input's: the op runs as that
 * convolution's input gradient. Keras's lengths always do, except for an even kernel with 'same'
 * padding and outputPadding 0.
 */
export function checkTransposeOutput(
  dims: Dims,
  outHeight: number | null,
  outWidth: number | null,
  kh: number,
  kw: number,
  window: ConvWindow,
  outputPadding: Two | null,
  where: string,
): void {
  const { strides, dilation, padding } = window;
  const height = dims[1] ?? null;
  const width = dims[2] ?? null;
  const maps = (size: number | null, out: number | null, k: number, axis: 0 | 1) =>
    size === null || out === null || (out >= 1 && convOutputLength(out, k, strides[axis], dilation[axis], padding) === size);
  if (maps(height, outHeight, kh, 0) && maps(width, outWidth, kw, 1)) return;
  throw configError(where, {
    expected:
      `kernel ${kh}x${kw} with strides ${formatPair(strides)}, padding '${padding}' and outputPadding ` +
      `${outputPadding === null ? 'null' : formatPair(outputPadding)} gives a ${outHeight ?? 'None'}x${outWidth ?? 'None'} output ` +
      `that does not map back onto the ${formatSize(dims)} input ${formatDims(dims)}`,
    rule:
      "a convolution of the output with the same window must give the input's size; " +
      "an even kernel with 'same' needs outputPadding >= 1",
    hint: "change outputPadding (or leave it out), or use padding 'valid'",
  });
}

/** Throws when `cropping` ([[top, bottom], [left, right]]) leaves no row or no column of a known height or width. */
export function checkCropping(dims: Dims, cropping: readonly [Two, Two], where: string): void {
  const fits = (size: number | null, [before, after]: Two) => size === null || size - before - after >= 1;
  if (fits(dims[1] ?? null, cropping[0]) && fits(dims[2] ?? null, cropping[1])) return;
  throw shapeError(where, {
    expected: `cropping ${show(cropping)} removes all of the ${formatSize(dims)} input ${formatDims(dims)}`,
    hint: 'crop less than the height and width: at least one row and one column must remain',
  });
}
