import { shapeError, show } from './errors.js';

export type Shape = readonly number[];

/** `[2, 3]` -> `"[2, 3]"`, the way every error message prints a shape. */
export function formatShape(shape: Shape): string {
  return `[${shape.join(', ')}]`;
}

/** Number of elements of a shape (1 for a scalar). */
export function sizeOf(shape: Shape): number {
  let size = 1;
  for (const d of shape) size *= d;
  return size;
}

/** Row-major strides in elements. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let stride = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = stride;
    stride *= shape[i]!;
  }
  return strides;
}

export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Checks that every entry is a non-negative integer; `where` names the caller for the message. */
export function checkShape(shape: Shape, where: string): void {
  if (!Array.isArray(shape)) {
    throw shapeError(where, { expected: 'shape must be an array of non-negative integers (e.g. [2, 3])', got: show(shape) });
  }
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw shapeError(where, { expected: `shape ${formatShape(shape)} must hold non-negative integers` });
    }
  }
}

/**
 * NumPy broadcasting: shapes are aligned at their last dimension, and each pair of dimensions must
 * be equal or contain a 1.
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out = new Array<number>(rank);
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)]!;
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)]!;
    if (da !== db && da !== 1 && db !== 1) {
      throw shapeError(op, {
        expected: `shapes ${formatShape(a)} and ${formatShape(b)} cannot be broadcast together`,
        rule: `dimension ${i - rank} is ${da} vs ${db}; each pair must be equal or one of them 1`,
        hint: 'reshape or expand one operand so the trailing dimensions match',
      });
    }
    out[i] = da === 1 ? db : da;
  }
  return out;
}

/** Turns a possibly negative axis into an index in `[0, rank)`, or throws naming the op. */
export function normalizeAxis(axis: number, rank: number, op: string): number {
  if (!Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw shapeError(op, {
      expected: `axis ${show(axis)} is out of range for a tensor of rank ${rank}`,
      rule: `valid: ${-rank}..${rank - 1}`,
    });
  }
  return axis < 0 ? axis + rank : axis;
}

/** Normalises, sorts and de-duplicates a list of axes; `undefined` means all axes. */
export function normalizeAxes(axes: number | readonly number[] | undefined, rank: number, op: string): number[] {
  if (axes === undefined) return Array.from({ length: rank }, (_, i) => i);
  const list = typeof axes === 'number' ? [axes] : axes;
  const out = [...new Set(list.map((a) => normalizeAxis(a, rank, op)))].sort((x, y) => x - y);
  if (out.length !== list.length) {
    throw shapeError(op, { expected: 'each axis may appear once', got: `a repeated axis in [${list.join(', ')}]` });
  }
  return out;
}
