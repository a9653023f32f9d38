import type { TypedArray } from '../../core/index.js';
import { stridesOf } from '../../core/index.js';
import type { AxisView } from '../kernels.js';

/*
 * Kernels that move data without arithmetic. Each walks its output in order and copies the longest
 * contiguous run it can at a time (TypedArray.set / copyWithin-like loops).
 */

export function transpose(x: TypedArray, shape: readonly number[], perm: readonly number[], out: TypedArray): void {
  const rank = shape.length;
  const inStrides = stridesOf(shape);
  const outShape = perm.map((p) => shape[p]!);
  const strides = perm.map((p) => inStrides[p]!);
  if (rank === 2 && perm[0] === 1) {
    transpose2d(x, shape[0]!, shape[1]!, out);
    return;
  }
  const innerLen = rank === 0 ? 1 : outShape[rank - 1]!;
  const innerStride = rank === 0 ? 0 : strides[rank - 1]!;
  const rows = innerLen === 0 ? 0 : out.length / innerLen;
  const index = new Array<number>(Math.max(rank - 1, 0)).fill(0);
  let src = 0;
  for (let r = 0; r < rows; r++) {
    const o = r * innerLen;
    for (let i = 0, s = src; i < innerLen; i++, s += innerStride) out[o + i] = x[s]!;
    for (let axis = rank - 2; axis >= 0; axis--) {
      index[axis]!++;
      src += strides[axis]!;
      if (index[axis]! < outShape[axis]!) break;
      src -= strides[axis]! * outShape[axis]!;
      index[axis] = 0;
    }
  }
}

/** Blocked 2-D transpose so both the reads and the writes stay within cache lines. */
function transpose2d(x: TypedArray, rows: number, cols: number, out: TypedArray): void {
  const B = 32;
  for (let i0 = 0; i0 < rows; i0 += B) {
    const iEnd = Math.min(i0 + B, rows);
    for (let j0 = 0; j0 < cols; j0 += B) {
      const jEnd = Math.min(j0 + B, cols);
      for (let i = i0; i < iEnd; i++) {
        for (let j = j0; j < jEnd; j++) out[j * rows + i] = x[i * cols + j]!;
      }
    }
  }
}

export function slice(x: TypedArray, shape: readonly number[], begin: readonly number[], size: readonly number[], out: TypedArray): void {
  const rank = shape.length;
  if (out.length === 0) return;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  // Trailing axes taken whole join the last partial axis into one contiguous run per outer index, so
  // a slice along the leading axis only (a batch of images) is a single copy, not one per row.
  let last = rank - 1;
  while (last > 0 && size[last] === shape[last]) last--;
  const strides = stridesOf(shape);
  const run = size[last]! * strides[last]!;
  let src = 0;
  for (let i = 0; i <= last; i++) src += begin[i]! * strides[i]!;
  if (last === 0) {
    out.set(x.subarray(src, src + run));
    return;
  }
  const rows = out.length / run;
  const index = new Array<number>(last).fill(0);
  for (let r = 0, dst = 0; r < rows; r++, dst += run) {
    // Short runs element by element: below about 16 elements a subarray + set costs more than the loop.
    if (run < 16) {
      for (let j = 0; j < run; j++) out[dst + j] = x[src + j]!;
    } else {
      out.set(x.subarray(src, src + run), dst);
    }
    for (let axis = last - 1; axis >= 0; axis--) {
      index[axis]!++;
      src += strides[axis]!;
      if (index[axis]! < size[axis]!) break;
      src -= strides[axis]! * size[axis]!;
      index[axis] = 0;
    }
  }
}

export function concat(inputs: readonly TypedArray[], outer: number, chunks: readonly number[], out: TypedArray): void {
  let rowLength = 0;
  for (const c of chunks) rowLength += c;
  for (let o = 0; o < outer; o++) {
    let dst = o * rowLength;
    for (let k = 0; k < inputs.length; k++) {
      const c = chunks[k]!;
      out.set(inputs[k]!.subarray(o * c, o * c + c), dst);
      dst += c;
    }
  }
}

export function pad(
  x: TypedArray,
  shape: readonly number[],
  padding: readonly (readonly [number, number])[],
  value: number,
  out: TypedArray,
): void {
  const rank = shape.length;
  out.fill(value);
  if (x.length === 0) return;
  if (rank === 0) {
    out[0] = x[0]!;
    return;
  }
  const outShape = shape.map((d, i) => d + padding[i]![0] + padding[i]![1]);
  const outStrides = stridesOf(outShape);
  // Trailing axes without padding travel with the last padded axis as one contiguous run, so an
  // NHWC image with one channel copies whole rows instead of one pixel at a time.
  let last = rank - 1;
  while (last > 0 && padding[last]![0] === 0 && padding[last]![1] === 0) last--;
  let innerLen = 1;
  for (let i = last; i < rank; i++) innerLen *= shape[i]!;
  const rows = x.length / innerLen;
  const index = new Array<number>(Math.max(last, 0)).fill(0);
  let dst = 0;
  for (let i = 0; i < rank; i++) dst += padding[i]![0] * outStrides[i]!;
  for (let r = 0; r < rows; r++) {
    const src = r * innerLen;
    if (innerLen < 16) {
      for (let k = 0; k < innerLen; k++) out[dst + k] = x[src + k]!;
    } else {
      out.set(x.subarray(src, src + innerLen), dst);
    }
    for (let axis = last - 1; axis >= 0; axis--) {
      index[axis]!++;
      dst += outStrides[axis]!;
      if (index[axis]! < shape[axis]!) break;
      dst -= outStrides[axis]! * shape[axis]!;
      index[axis] = 0;
    }
  }
}

export function gather(x: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void {
  const { outer, length, inner } = view;
  const count = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const src = (o * length + indices[j]!) * inner;
      const dst = (o * count + j) * inner;
      // A subarray per short row costs more than copying it element by element.
      if (inner < 16) for (let k = 0; k < inner; k++) out[dst + k] = x[src + k]!;
      else out.set(x.subarray(src, src + inner), dst);
    }
  }
}

export function scatterAdd(dy: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray): void {
  const { outer, length, inner } = view;
  const count = indices.length;
  for (let o = 0; o < outer; o++) {
    for (let j = 0; j < count; j++) {
      const dst = (o * length + indices[j]!) * inner;
      const src = (o * count + j) * inner;
      for (let i = 0; i < inner; i++) out[dst + i] += dy[src + i]!;
    }
  }
}

export function oneHot(indices: Int32Array, depth: number, onValue: number, offValue: number, out: TypedArray): void {
  out.fill(offValue);
  for (let i = 0; i < indices.length; i++) {
    const k = indices[i]!;
    if (k >= 0 && k < depth) out[i * depth + k] = onValue;
  }
}
