import type { FloatArray } from '../../core/index.js';
import { tapBuffers, windowTaps } from './window.js';
import type { Conv2DGeometry, LinearActivation } from '../kernels.js';
import { unary } from './elementwise.js';
import { matmul } from './matmul.js';

/*
 * 2-D convolution over NHWC images as matrix products. im2col copies every output pixel's receptive
 * field into one row of a scratch matrix `col` [pixels, fh * fw * inC] (taps in the filter's own
 * (ky, kx, c) order, padding as zeros), so that with the Keras filter [fh, fw, inC, outC] seen as a
 * [fh * fw * inC, outC] matrix:
 *   forward          out  = col @ filter           (rows of out are NHWC pixels already)
 *   backprop filter  dF   = col^T @ dy
 *   backprop input   dcol = dy @ filter^T, then col2im adds every row back onto the pixels it came from.
 * The products run on the packed GEMM of matmul.ts. The work is split into chunks of whole output rows
 * so the scratch matrix stays under SCRATCH_LIMIT elements whatever the batch or image size; a 1x1
 * filter with stride 1 and no padding needs no im2col at all (x already is `col`).
 *
 * Depthwise convolution has too little work per tap for a GEMM to pay off; it runs as direct loops
 * with the channel loop innermost (contiguous in NHWC) and float64 accumulators.
 */

/** Upper bound on the im2col scratch, in elements (16 MB in float32). */
const SCRATCH_LIMIT = 1 << 22;

let scratch32 = new Float32Array(0);
let scratch64 = new Float64Array(0);

/** A reusable scratch array of the same element type as `like`, exactly `size` long. */
function scratchLike(like: FloatArray, size: number): FloatArray {
  if (like instanceof Float64Array) {
    if (scratch64.length < size) scratch64 = new Float64Array(size);
    return scratch64.subarray(0, size);
  }
  if (scratch32.length < size) scratch32 = new Float32Array(size);
  return scratch32.subarray(0, size);
}

function isPointwise(g: Conv2DGeometry): boolean {
  return (
    g.filterHeight === 1 &&
    g.filterWidth === 1 &&
    g.strideHeight === 1 &&
    g.strideWidth === 1 &&
    g.padTop === 0 &&
    g.padLeft === 0 &&
    g.outHeight === g.inHeight &&
    g.outWidth === g.inWidth
  );
}

/** How many output rows (one row = outWidth pixels of one image) go into one im2col chunk. */
function rowsPerChunk(g: Conv2DGeometry): number {
  const perRow = g.outWidth * g.filterHeight * g.filterWidth * g.inChannels;
  return Math.max(1, Math.floor(SCRATCH_LIMIT / Math.max(perRow, 1)));
}

/** Fills `col` with the receptive fields of global output rows [rowStart, rowEnd) (row = batch * outH + oy). */
function im2col(x: FloatArray, g: Conv2DGeometry, rowStart: number, rowEnd: number, col: FloatArray): void {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight, filterWidth } = g;
  const tapRow = filterWidth * c;
  let d = 0;
  for (let row = rowStart; row < rowEnd; row++) {
    const b = Math.floor(row / outHeight);
    const oy = row - b * outHeight;
    const imageBase = b * inHeight;
    for (let ox = 0; ox < outWidth; ox++) {
      const ix0 = ox * g.strideWidth - g.padLeft;
      for (let ky = 0; ky < filterHeight; ky++) {
        const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
        if (iy < 0 || iy >= inHeight) {
          col.fill(0, d, d + tapRow);
          d += tapRow;
          continue;
        }
        const rowBase = (imageBase + iy) * inWidth;
        for (let kx = 0; kx < filterWidth; kx++) {
          const ix = ix0 + kx * g.dilationWidth;
          if (ix < 0 || ix >= inWidth) {
            for (let ch = 0; ch < c; ch++) col[d + ch] = 0;
          } else {
            const s = (rowBase + ix) * c;
            for (let ch = 0; ch < c; ch++) col[d + ch] = x[s + ch]!;
          }
          d += c;
        }
      }
    }
  }
}

/** The adjoint of im2col: adds each row of `col` back onto the input pixels it was copied from. */
function col2im(col: FloatArray, g: Conv2DGeometry, rowStart: number, rowEnd: number, dx: FloatArray): void {
  const { inHeight, inWidth, inChannels: c, outHeight, outWidth, filterHeight, filterWidth } = g;
  const tapRow = filterWidth * c;
  let d = 0;
  for (let row = rowStart; row < rowEnd; row++) {
    const b = Math.floor(row / outHeight);
    const oy = row - b * outHeight;
    const imageBase = b * inHeight;
    for (let ox = 0; ox < outWidth; ox++) {
      const ix0 = ox * g.strideWidth - g.padLeft;
      for (let ky = 0; ky < filterHeight; ky++) {
        const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
        if (iy < 0 || iy >= inHeight) {
          d += tapRow;
          continue;
        }
        const rowBase = (imageBase + iy) * inWidth;
        for (let kx = 0; kx < filterWidth; kx++) {
          const ix = ix0 + kx * g.dilationWidth;
          if (ix >= 0 && ix < inWidth) {
            const s = (rowBase + ix) * c;
            for (let ch = 0; ch < c; ch++) dx[s + ch] += col[d + ch]!;
          }
          d += c;
        }
      }
    }
  }
}

/** Plain (non-batched) matrix product `out = op(a) @ op(b)` with op(a) [m, k], op(b) [k, n]. */
function gemm(a: FloatArray, b: FloatArray, out: FloatArray, m: number, n: number, k: number, transA: boolean, transB: boolean): void {
  matmul(a, b, out, { batch: 1, m, n, k, transA, transB, aBatchStride: 0, bBatchStride: 0 });
}

export function conv2d(x: FloatArray, filter: FloatArray, out: FloatArray, g: Conv2DGeometry): void {
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const pixelsPerRow = g.outWidth;
  const totalRows = g.batch * g.outHeight;
  if (isPointwise(g)) {
    gemm(x, filter, out, totalRows * pixelsPerRow, g.outChannels, taps, false, false);
    return;
  }
  const chunk = rowsPerChunk(g);
  for (let row = 0; row < totalRows; row += chunk) {
    const rowEnd = Math.min(row + chunk, totalRows);
    const pixels = (rowEnd - row) * pixelsPerRow;
    const col = scratchLike(x, pixels * taps);
    im2col(x, g, row, rowEnd, col);
    const start = row * pixelsPerRow * g.outChannels;
    gemm(col, filter, out.subarray(start, start + pixels * g.outChannels), pixels, g.outChannels, taps, false, false);
  }
}

/**
 * conv2d, then the bias and the activation in place over its result (the js kernels read element i
 * before writing it, so running them in place rounds exactly as separate calls do).
 */
export function conv2dBiasActivation(
  x: FloatArray,
  filter: FloatArray,
  bias: FloatArray | null,
  out: FloatArray,
  g: Conv2DGeometry,
  activation: LinearActivation,
): void {
  conv2d(x, filter, out, g);
  const n = g.outChannels;
  if (bias) {
    for (let row = 0; row < out.length; row += n) {
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + bias[j]!;
    }
  }
  if (activation !== 'linear') unary(activation, out, out, 0);
}

export function conv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, g: Conv2DGeometry): void {
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const pixelsPerRow = g.outWidth;
  const totalRows = g.batch * g.outHeight;
  if (isPointwise(g)) {
    gemm(dy, filter, dx, totalRows * pixelsPerRow, taps, g.outChannels, false, true);
    return;
  }
  dx.fill(0);
  const chunk = rowsPerChunk(g);
  for (let row = 0; row < totalRows; row += chunk) {
    const rowEnd = Math.min(row + chunk, totalRows);
    const pixels = (rowEnd - row) * pixelsPerRow;
    const start = row * pixelsPerRow * g.outChannels;
    const dcol = scratchLike(dx, pixels * taps);
    gemm(dy.subarray(start, start + pixels * g.outChannels), filter, dcol, pixels, taps, g.outChannels, false, true);
    col2im(dcol, g, row, rowEnd, dx);
  }
}

export function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, g: Conv2DGeometry): void {
  const taps = g.filterHeight * g.filterWidth * g.inChannels;
  const pixelsPerRow = g.outWidth;
  const totalRows = g.batch * g.outHeight;
  if (isPointwise(g)) {
    gemm(x, dy, dFilter, taps, g.outChannels, totalRows * pixelsPerRow, true, false);
    return;
  }
  const chunk = rowsPerChunk(g);
  // Chunks' partial products are summed in float64 so the result does not depend on the chunking
  // beyond float64 rounding.
  const total = new Float64Array(taps * g.outChannels);
  const partial = chunk >= totalRows ? total : new Float64Array(taps * g.outChannels);
  for (let row = 0; row < totalRows; row += chunk) {
    const rowEnd = Math.min(row + chunk, totalRows);
    const pixels = (rowEnd - row) * pixelsPerRow;
    const start = row * pixelsPerRow * g.outChannels;
    const col = scratchLike(x, pixels * taps);
    im2col(x, g, row, rowEnd, col);
    gemm(col, dy.subarray(start, start + pixels * g.outChannels), partial, taps, g.outChannels, pixels, true, false);
    if (partial !== total) for (let i = 0; i < total.length; i++) total[i] += partial[i]!;
  }
  for (let i = 0; i < total.length; i++) dFilter[i] = total[i]!;
}

/*
 * Depthwise: output channel c * multiplier + m reads input channel c only, through filter
 * [fh, fw, inC, multiplier]. The loops visit each output pixel once and its valid taps; the
 * `multiplier` products of one input value are adjacent in both the filter and the output.
 */

export function depthwiseConv2d(x: FloatArray, filter: FloatArray, out: FloatArray, g: Conv2DGeometry): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = g;
  const multiplier = outChannels / inChannels;
  const acc = new Float64Array(outChannels);
  const { offsets, taps } = tapBuffers(g);
  for (let b = 0; b < batch; b++) {
    const imageStart = b * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        acc.fill(0);
        const n = windowTaps(g, oy, ox, offsets, taps);
        for (let t = 0; t < n; t++) {
          const xBase = imageStart + offsets[t]!;
          const fBase = taps[t]! * outChannels;
          if (multiplier === 1) {
            for (let c = 0; c < inChannels; c++) acc[c] += x[xBase + c]! * filter[fBase + c]!;
          } else {
            for (let c = 0, o = 0; c < inChannels; c++) {
              const v = x[xBase + c]!;
              for (let m = 0; m < multiplier; m++, o++) acc[o] += v * filter[fBase + o]!;
            }
          }
        }
        const outBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        for (let o = 0; o < outChannels; o++) out[outBase + o] = acc[o]!;
      }
    }
  }
}

export function depthwiseConv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, g: Conv2DGeometry): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = g;
  const multiplier = outChannels / inChannels;
  // One image's gradient is accumulated in float64, then rounded once into dx.
  const image = new Float64Array(inHeight * inWidth * inChannels);
  const { offsets, taps } = tapBuffers(g);
  for (let b = 0; b < batch; b++) {
    image.fill(0);
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        const n = windowTaps(g, oy, ox, offsets, taps);
        for (let t = 0; t < n; t++) {
          const xBase = offsets[t]!;
          const fBase = taps[t]! * outChannels;
          for (let c = 0, o = 0; c < inChannels; c++) {
            let s = 0;
            for (let m = 0; m < multiplier; m++, o++) s += dy[dyBase + o]! * filter[fBase + o]!;
            image[xBase + c] += s;
          }
        }
      }
    }
    const start = b * image.length;
    for (let i = 0; i < image.length; i++) dx[start + i] = image[i]!;
  }
}

export function depthwiseConv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, g: Conv2DGeometry): void {
  const { batch, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels } = g;
  const multiplier = outChannels / inChannels;
  const acc = new Float64Array(dFilter.length);
  const { offsets, taps } = tapBuffers(g);
  for (let b = 0; b < batch; b++) {
    const imageStart = b * inHeight * inWidth * inChannels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * outChannels;
        const n = windowTaps(g, oy, ox, offsets, taps);
        for (let t = 0; t < n; t++) {
          const xBase = imageStart + offsets[t]!;
          const fBase = taps[t]! * outChannels;
          for (let c = 0, o = 0; c < inChannels; c++) {
            const v = x[xBase + c]!;
            for (let m = 0; m < multiplier; m++, o++) acc[fBase + o] += v * dy[dyBase + o]!;
          }
        }
      }
    }
  }
  for (let i = 0; i < acc.length; i++) dFilter[i] = acc[i]!;
}
