/*
 * Broadcast iteration shared by the elementwise kernels. Each operand is given strides over the
 * output's shape (0 along broadcast dimensions); adjacent dimensions that are contiguous for every
 * operand are merged, so the common cases (same shape, scalar, a row vector added to a matrix)
 * become one or two long rows and the per-row call overhead vanishes.
 */

export interface RowPlan {
  /** Outer dimensions (after merging), iterated by an odometer; the last merged dimension is the row. */
  outerShape: number[];
  /** Per operand: strides over `outerShape`. */
  outerStrides: number[][];
  rowLength: number;
  /** Per operand: stride along the row (0 or 1 after merging, or larger for odd layouts). */
  rowStrides: number[];
}

/** Strides of an operand of `shape` read as if broadcast to `outShape`. */
export function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    const axis = rank - shape.length + i;
    strides[axis] = shape[i] === 1 && outShape[axis] !== 1 ? 0 : stride;
    stride *= shape[i]!;
  }
  return strides;
}

export function planRows(outShape: readonly number[], operandShapes: readonly (readonly number[])[]): RowPlan {
  const strides = operandShapes.map((s) => broadcastStrides(s, outShape));
  // Drop size-1 output dimensions; they never move the index.
  const dims: number[] = [];
  const keep: number[][] = strides.map(() => []);
  for (let i = 0; i < outShape.length; i++) {
    if (outShape[i] === 1) continue;
    dims.push(outShape[i]!);
    strides.forEach((s, k) => keep[k]!.push(s[i]!));
  }
  if (dims.length === 0) {
    return { outerShape: [], outerStrides: strides.map(() => []), rowLength: 1, rowStrides: strides.map(() => 0) };
  }
  // Merge dimension i into i+1 when every operand steps through them as one longer dimension.
  const mergedDims: number[] = [dims[dims.length - 1]!];
  const mergedStrides: number[][] = keep.map((s) => [s[s.length - 1]!]);
  for (let i = dims.length - 2; i >= 0; i--) {
    const innerSize = mergedDims[0]!;
    const mergeable = keep.every((s, k) => s[i] === mergedStrides[k]![0]! * innerSize);
    if (mergeable) {
      mergedDims[0] = dims[i]! * innerSize;
    } else {
      mergedDims.unshift(dims[i]!);
      keep.forEach((s, k) => mergedStrides[k]!.unshift(s[i]!));
    }
  }
  const rowLength = mergedDims.pop()!;
  const rowStrides = mergedStrides.map((s) => s.pop()!);
  return { outerShape: mergedDims, outerStrides: mergedStrides, rowLength, rowStrides };
}

/**
 * Calls `row(offsets, outOffset)` once per row of the plan, in row-major order; `offsets[k]` is the
 * start of operand k's row. The output is contiguous.
 */
export function forEachRow(plan: RowPlan, row: (offsets: number[], outOffset: number) => void): void {
  const { outerShape, outerStrides, rowLength } = plan;
  const operands = outerStrides.length;
  const offsets = new Array<number>(operands).fill(0);
  const rank = outerShape.length;
  let rows = 1;
  for (const d of outerShape) rows *= d;
  const index = new Array<number>(rank).fill(0);
  for (let r = 0; r < rows; r++) {
    row(offsets, r * rowLength);
    // Advance the odometer.
    for (let axis = rank - 1; axis >= 0; axis--) {
      index[axis]!++;
      for (let k = 0; k < operands; k++) offsets[k]! += outerStrides[k]![axis]!;
      if (index[axis]! < outerShape[axis]!) break;
      for (let k = 0; k < operands; k++) offsets[k]! -= outerStrides[k]![axis]! * outerShape[axis]!;
      index[axis] = 0;
    }
  }
}
