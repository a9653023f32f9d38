import {
  allocate,
  broadcastShapes,
  checkShape,
  configError,
  dtypeError,
  formatShape,
  hostArray,
  normalizeAxis,
  shapeError,
  shapesEqual,
  show,
  sizeOf,
  type DType,
} from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, record, tensor } from '../tensor/index.js';
import { empty, expand, requireInt, toTensor, unfilled, type Operand } from './helpers.js';

/*
 * Ops that change shape or move data. `reshape` and its relatives share storage with their input;
 * `transpose`, `slice`, `concat`, `pad` and `gather` copy.
 */

/** Same values, new shape (shares storage). One entry may be -1 to be inferred. */
export function reshape(input: Operand, shape: readonly number[]): Tensor {
  const x = toTensor(input);
  const resolved = resolveShape(shape, x.size, x.shape);
  if (shapesEqual(resolved, x.shape)) return x;
  const out = new Tensor(x._data, resolved, x.dtype);
  return record('reshape', out, [x], (g) => [reshape(g, x.shape)], true);
}

function resolveShape(shape: readonly number[], size: number, from: readonly number[]): number[] {
  const unknown = shape.indexOf(-1);
  if (unknown !== shape.lastIndexOf(-1)) throw shapeError('reshape', { expected: 'only one dimension can be -1', got: formatShape(shape) });
  const known = shape.filter((_, i) => i !== unknown);
  checkShape(known, 'reshape');
  const product = sizeOf(known);
  const out = [...shape];
  if (unknown >= 0) {
    if (product === 0 || size % product !== 0) {
      throw shapeError('reshape', {
        expected: `the new shape must hold the ${size} elements of ${formatShape(from)}`,
        got: formatShape(shape),
        rule: `no size for -1 makes ${product} x ? = ${size}`,
      });
    }
    out[unknown] = size / product;
  } else if (product !== size) {
    throw shapeError('reshape', {
      expected: `the new shape must hold the ${size} elements of ${formatShape(from)}`,
      got: `${formatShape(shape)} (${product} elements)`,
      hint: 'give one dimension as -1 to have it inferred',
    });
  }
  return out;
}

/** Merges axes `startAxis..endAxis` into one (all axes by default, giving a 1-D tensor). */
export function flatten(input: Operand, startAxis = 0, endAxis = -1): Tensor {
  const x = toTensor(input);
  if (x.rank === 0) return reshape(x, [1]);
  const start = normalizeAxis(startAxis, x.rank, 'flatten');
  const end = normalizeAxis(endAxis, x.rank, 'flatten');
  if (start > end) {
    throw shapeError('flatten', {
      expected: 'startAxis must not come after endAxis',
      got: `startAxis ${startAxis} and endAxis ${endAxis}`,
    });
  }
  const merged = x.shape.slice(start, end + 1).reduce((a, b) => a * b, 1);
  return reshape(x, [...x.shape.slice(0, start), merged, ...x.shape.slice(end + 1)]);
}

/** Inserts a dimension of size 1 at `axis` (which may be `rank`, or negative). */
export function expandDims(input: Operand, axis = 0): Tensor {
  const x = toTensor(input);
  const a = normalizeAxis(axis, x.rank + 1, 'expandDims');
  return reshape(x, [...x.shape.slice(0, a), 1, ...x.shape.slice(a)]);
}

/** Removes dimensions of size 1 (only `axes` when given; each must have size 1). */
export function squeeze(input: Operand, axes?: number | readonly number[]): Tensor {
  const x = toTensor(input);
  if (axes === undefined)
    return reshape(
      x,
      x.shape.filter((d) => d !== 1),
    );
  const list = (typeof axes === 'number' ? [axes] : axes).map((a) => normalizeAxis(a, x.rank, 'squeeze'));
  for (const a of list) {
    if (x.shape[a] !== 1) {
      throw shapeError('squeeze', {
        expected: `axis ${a} must have size 1 to be removed`,
        got: `size ${x.shape[a]} in ${formatShape(x.shape)}`,
      });
    }
  }
  return reshape(
    x,
    x.shape.filter((_, i) => !list.includes(i)),
  );
}

/**
 * Permutes axes. `transpose()` reverses them; `transpose([0, 2, 1])` takes a permutation;
 * `transpose(0, 1)` swaps two axes (PyTorch style).
 */
export function transpose(input: Operand, permOrAxis?: readonly number[] | number, otherAxis?: number): Tensor {
  const x = toTensor(input);
  let perm: number[];
  if (permOrAxis === undefined) perm = x.shape.map((_, i) => x.rank - 1 - i);
  else if (typeof permOrAxis === 'number') {
    if (otherAxis === undefined) {
      throw configError('transpose', { expected: 'give a permutation array, or two axes to swap', got: `only the axis ${permOrAxis}` });
    }
    const a = normalizeAxis(permOrAxis, x.rank, 'transpose');
    const b = normalizeAxis(otherAxis, x.rank, 'transpose');
    perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  } else {
    perm = permOrAxis.map((p) => normalizeAxis(p, x.rank, 'transpose'));
    if (perm.length !== x.rank || new Set(perm).size !== x.rank) {
      throw shapeError('transpose', {
        expected: `the permutation must list each of the ${x.rank} axes of ${formatShape(x.shape)} once`,
        got: `[${permOrAxis.join(', ')}]`,
      });
    }
  }
  if (perm.every((p, i) => p === i)) return x;
  const out = unfilled(
    perm.map((p) => x.shape[p]!),
    x.dtype,
  );
  kernels().transpose(x._data, x.shape, perm, out._data);
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => {
    inverse[p] = i;
  });
  return record('transpose', out, [x], (g) => [transpose(g, inverse)], true);
}

/**
 * Copies a box: `begin` per axis, `size` per axis (-1 = to the end). Short lists apply to the
 * leading axes.
 *
 * ```ts
 * x.slice([0, 1], [2, -1]); // rows 0-1, columns 1..end
 * ```
 */
export function slice(input: Operand, begin: number | readonly number[], size?: number | readonly number[]): Tensor {
  const x = toTensor(input);
  const b = typeof begin === 'number' ? [begin] : [...begin];
  const s = size === undefined ? [] : typeof size === 'number' ? [size] : [...size];
  if (b.length > x.rank || s.length > x.rank) {
    throw shapeError('slice', {
      expected: `begin and size must have at most one entry per axis of ${formatShape(x.shape)}`,
      got: `begin [${b.join(', ')}] and size [${s.join(', ')}]`,
    });
  }
  const start = x.shape.map((d, i) => {
    const v = b[i] ?? 0;
    return v < 0 ? d + v : v;
  });
  const extent = x.shape.map((d, i) => {
    const v = s[i] ?? -1;
    return v === -1 ? d - start[i]! : v;
  });
  x.shape.forEach((d, i) => {
    if (!Number.isInteger(start[i]) || !Number.isInteger(extent[i]) || start[i]! < 0 || extent[i]! < 0 || start[i]! + extent[i]! > d) {
      throw shapeError('slice', {
        expected: `the box must fit in ${formatShape(x.shape)}`,
        got: `begin ${formatShape(start)} with size ${formatShape(extent)}`,
        rule: `it passes the end of axis ${i}`,
      });
    }
  });
  if (shapesEqual(extent, x.shape)) return x;
  const out = unfilled(extent, x.dtype);
  kernels().slice(x._data, x.shape, start, extent, out._data);
  return record(
    'slice',
    out,
    [x],
    (g) => [
      pad(
        g,
        x.shape.map((d, i) => [start[i]!, d - start[i]! - extent[i]!] as [number, number]),
      ),
    ],
    true,
  );
}

/** Pads with a constant: `paddings[i] = [before, after]` for axis i. */
export function pad(input: Operand, paddings: readonly (readonly [number, number])[], value = 0): Tensor {
  const x = toTensor(input);
  if (paddings.length !== x.rank || paddings.some((p) => p.length !== 2 || p.some((v) => !Number.isInteger(v) || v < 0))) {
    throw shapeError('pad', {
      expected: `expected ${x.rank} pairs [before, after] of non-negative integers for ${formatShape(x.shape)}`,
      got: show(paddings),
    });
  }
  const shape = x.shape.map((d, i) => d + paddings[i]![0] + paddings[i]![1]);
  const out = empty(shape, x.dtype);
  kernels().pad(x._data, x.shape, paddings, value, out._data);
  return record(
    'pad',
    out,
    [x],
    (g) => [
      slice(
        g,
        paddings.map((p) => p[0]),
        x.shape,
      ),
    ],
    true,
  );
}

/**
 * Joins tensors along an existing axis; every other dimension must match.
 *
 * ```ts
 * nr.concat([nr.ones([2, 3]), nr.zeros([1, 3])], 0); // [3, 3]
 * ```
 */
export function concat(inputs: readonly Operand[], axis = 0): Tensor {
  if (inputs.length === 0) throw configError('concat', { expected: 'needs at least one tensor', got: 'an empty list' });
  const xs = inputs.map((t) => toTensor(t));
  const first = xs[0]!;
  const a = normalizeAxis(axis, first.rank, 'concat');
  const dtype = first.dtype;
  xs.forEach((t, k) => {
    if (t.dtype !== dtype) {
      throw dtypeError('concat', {
        expected: `all tensors must have one dtype, that of tensor 0 (${dtype})`,
        got: `${t.dtype} for tensor ${k}`,
        hint: 'cast them to one dtype first',
      });
    }
    if (t.rank !== first.rank || t.shape.some((d, i) => i !== a && d !== first.shape[i])) {
      throw shapeError('concat', {
        expected: `every tensor must have the shape of tensor 0, ${formatShape(first.shape)}, except along axis ${a}`,
        got: `${formatShape(t.shape)} for tensor ${k}`,
      });
    }
  });
  const shape = [...first.shape];
  shape[a] = xs.reduce((n, t) => n + t.shape[a]!, 0);
  const outer = first.shape.slice(0, a).reduce((p, d) => p * d, 1);
  const inner = first.shape.slice(a + 1).reduce((p, d) => p * d, 1);
  const out = unfilled(shape, dtype);
  kernels().concat(
    xs.map((t) => t._data),
    outer,
    xs.map((t) => t.shape[a]! * inner),
    out._data,
  );
  return record(
    'concat',
    out,
    xs,
    (g) => {
      let offset = 0;
      return xs.map((t) => {
        const begin = shape.map((_, i) => (i === a ? offset : 0));
        offset += t.shape[a]!;
        return t.requiresGrad ? slice(g, begin, t.shape) : null;
      });
    },
    true,
  );
}

/** Joins tensors of the same shape along a new axis. */
export function stack(inputs: readonly Operand[], axis = 0): Tensor {
  if (inputs.length === 0) throw configError('stack', { expected: 'needs at least one tensor', got: 'an empty list' });
  const xs = inputs.map((t) => toTensor(t));
  const a = normalizeAxis(axis, xs[0]!.rank + 1, 'stack');
  xs.forEach((t, k) => {
    if (!shapesEqual(t.shape, xs[0]!.shape)) {
      throw shapeError('stack', {
        expected: `every tensor must have the shape of tensor 0, ${formatShape(xs[0]!.shape)}`,
        got: `${formatShape(t.shape)} for tensor ${k}`,
      });
    }
  });
  return concat(
    xs.map((t) => expandDims(t, a)),
    a,
  );
}

/** Repeats the values along broadcast dimensions to reach `shape` (a copy). */
export function broadcastTo(input: Operand, shape: readonly number[]): Tensor {
  const x = toTensor(input);
  if (shapesEqual(x.shape, shape)) return x;
  const target = broadcastShapes(x.shape, shape, 'broadcastTo');
  if (!shapesEqual(target, shape)) {
    throw shapeError('broadcastTo', {
      expected: `the target must be a shape that ${formatShape(x.shape)} broadcasts to`,
      got: formatShape(shape),
      rule: `broadcasting adds leading axes and stretches axes of size 1, so the two give ${formatShape(target)}`,
    });
  }
  return expand(x, shape);
}

/** Indices as an int32 tensor; plain arrays must hold integers (a float index is a mistake, not a floor). */
function indexTensor(indices: Operand, op: string): Tensor {
  if (indices instanceof Tensor) {
    requireInt(indices, op, 'indices');
    return indices;
  }
  const asFloat = tensor(indices as number[], undefined, 'float64');
  const values = asFloat._data;
  for (let i = 0; i < values.length; i++) {
    if (!Number.isInteger(values[i])) {
      throw dtypeError(op, {
        expected: 'indices must be integers',
        got: `${values[i]} at position ${i}`,
        hint: 'round them or build an int32 tensor',
      });
    }
  }
  return tensor(asFloat, undefined, 'int32');
}

/**
 * Takes entries along `axis` by index: the result's shape is x's with that axis replaced by the
 * indices' shape.
 *
 * ```ts
 * nr.tensor([[1, 2], [3, 4], [5, 6]]).gather([2, 0]); // [[5, 6], [1, 2]]
 * ```
 */
export function gather(input: Operand, indices: Operand, axis = 0): Tensor {
  const x = toTensor(input);
  const idx = indexTensor(indices, 'gather');
  const a = normalizeAxis(axis, x.rank, 'gather');
  const length = x.shape[a]!;
  const data = hostArray(idx._data as Int32Array);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= length) {
      throw shapeError('gather', {
        expected: `index ${v} is out of range for axis ${a} of ${formatShape(x.shape)}`,
        rule: `valid: 0..${length - 1}`,
      });
    }
  }
  const view = gatherView(x.shape, a);
  const shape = [...x.shape.slice(0, a), ...idx.shape, ...x.shape.slice(a + 1)];
  const out = empty(shape, x.dtype);
  kernels().gather(x._data, view, data, out._data);
  return record(
    'gather',
    out,
    [x],
    (g, createGraph) => {
      if (createGraph) return [scatterAdd(g, idx, a, x.shape)];
      const dx = empty(x.shape, g.dtype);
      kernels().scatterAdd(g._data, view, data, dx._data);
      return [dx];
    },
    true,
  );
}

function gatherView(shape: readonly number[], axis: number) {
  return {
    outer: shape.slice(0, axis).reduce((p, d) => p * d, 1),
    length: shape[axis]!,
    inner: shape.slice(axis + 1).reduce((p, d) => p * d, 1),
  };
}

/**
 * @internal The gradient of `gather(x, indices, axis)` as an op: zeros of x's `shape` into which
 * each slice of `g` is added at its index (indices already checked by gather). Its own gradient is
 * that gather again, so higher-order gradients pass through gather.
 */
export function scatterAdd(g: Tensor, indices: Tensor, axis: number, shape: readonly number[]): Tensor {
  const out = empty(shape, g.dtype);
  kernels().scatterAdd(g._data, gatherView(shape, axis), indices._data as Int32Array, out._data);
  return record('scatterAdd', out, [g], (gg) => [gather(gg, indices, axis)], true);
}

/**
 * One-hot encoding: int32 class indices of any shape -> a tensor with a new last axis of `depth`.
 * Indices outside `[0, depth)` are a ShapeError naming the first one (TensorFlow silently gives an
 * all-`offValue` row, which hides wrong labels).
 *
 * ```ts
 * nr.oneHot(nr.tensor([0, 2], undefined, 'int32'), 3); // [[1, 0, 0], [0, 0, 1]]
 * ```
 */
export function oneHot(indices: Operand, depth: number, options: { onValue?: number; offValue?: number; dtype?: DType } = {}): Tensor {
  const idx = indexTensor(indices, 'oneHot');
  if (!Number.isInteger(depth) || depth < 1)
    throw configError('oneHot', {
      expected: 'depth must be a positive integer',
      got: show(depth),
    });
  const data = hostArray(idx._data as Int32Array);
  for (let i = 0; i < data.length; i++) {
    const v = data[i]!;
    if (v < 0 || v >= depth) {
      throw shapeError('oneHot', {
        expected: `index ${v} (at flat position ${i}) is out of range for depth ${depth}`,
        rule: `valid: 0..${depth - 1}`,
        hint: 'fix the labels or raise depth',
      });
    }
  }
  const out = new Tensor(
    allocate(options.dtype ?? 'float32', idx.size * depth, `oneHot: the result of shape ${formatShape([...idx.shape, depth])}`),
    [...idx.shape, depth],
    options.dtype ?? 'float32',
  );
  kernels().oneHot(idx._data as Int32Array, depth, options.onValue ?? 1, options.offValue ?? 0, out._data);
  return out;
}
