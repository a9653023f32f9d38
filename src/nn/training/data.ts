import { configError, formatShape, globalRandom, hostArray, numericsError, shapeError, show } from '../../core/index.js';
import { Tensor, tensor } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { describeValue } from '../describe.js';

/*
 * The data side of fit/evaluate/predict: inputs arrive as one Tensor or a list (multi-input /
 * multi-output models), are checked once here, and are cut into batches along axis 0.
 */

/** One tensor, or one per model input / output. */
export type TensorOrList = Tensor | readonly Tensor[];

/**
 * A list of tensors from one tensor or a list; `role` names the call and the argument in errors
 * (`'fit: x'`), so their messages start with it rather than with a separate place.
 */
export function toList(x: TensorOrList | undefined, role: string): Tensor[] {
  if (x === undefined || x === null) {
    throw configError('', {
      expected: `${role} is missing`,
      hint: 'pass a Tensor (or an array of Tensors for a multi-input/output model)',
    });
  }
  const list = x instanceof Tensor ? [x] : Array.isArray(x) ? [...x] : null;
  if (!list || list.length === 0 || list.some((t) => !(t instanceof Tensor))) {
    throw configError('', {
      expected: `${role} must be a Tensor or a non-empty array of Tensors`,
      got: describeValue(x),
      hint: 'wrap arrays with nr.tensor(...)',
    });
  }
  for (const t of list) {
    if (t.rank === 0) throw shapeError(role, { expected: 'a batch of samples is needed (rank >= 1, samples on axis 0)', got: 'a scalar' });
  }
  return list;
}

/**
 * Checks that every value of float tensors is finite, in one pass per tensor; the NumericsError
 * names the argument (`role`, with `[i]` for one of a list) and the first bad element's index. Int
 * and bool tensors cannot hold NaN or Infinity and are skipped.
 */
export function checkFinite(list: readonly Tensor[], role: string): void {
  for (const [i, t] of list.entries()) {
    if (t.dtype !== 'float32' && t.dtype !== 'float64') continue;
    const values = hostArray(t._data);
    let bad = -1;
    // v - v is 0 for every finite v and NaN for NaN and +-Infinity: one comparison per element.
    for (let k = 0; k < values.length; k++) {
      if (values[k]! - values[k]! !== 0) {
        bad = k;
        break;
      }
    }
    if (bad < 0) continue;
    const index: number[] = [];
    for (let axis = t.rank - 1, rest = bad; axis >= 0; axis--) {
      index.unshift(rest % t.shape[axis]!);
      rest = Math.floor(rest / t.shape[axis]!);
    }
    const name = list.length > 1 ? `${role}[${i}]` : role;
    throw numericsError('', {
      expected: `${name} holds ${values[bad]} at index ${formatShape(index)} (sample ${index[0]}) of shape ${formatShape(t.shape)}`,
      hint: 'every value must be finite: clean or impute the data first',
    });
  }
}

/** The number of samples; every tensor must have the same length on axis 0. */
export function sampleCount(groups: readonly (readonly [string, readonly Tensor[]])[]): number {
  let n: number | null = null;
  let first = '';
  for (const [role, list] of groups) {
    for (const [i, t] of list.entries()) {
      const name = list.length > 1 ? `${role}[${i}]` : role;
      const length = t.shape[0]!;
      if (n === null) {
        n = length;
        first = name;
      } else if (length !== n) {
        throw shapeError('', {
          expected: `data cardinality is ambiguous: ${first} has ${n} samples but ${name} has ${length} (shape ${formatShape(t.shape)})`,
          hint: 'every input and target must have the same number of samples on axis 0',
        });
      }
    }
  }
  return n ?? 0;
}

/** Checks a batch size: a positive integer. */
export function checkBatchSize(batchSize: unknown, where: string): number {
  if (typeof batchSize !== 'number' || !Number.isInteger(batchSize) || batchSize <= 0) {
    throw configError(where, { expected: 'batchSize must be a positive integer', got: show(batchSize) });
  }
  return batchSize;
}

/** Rows [start, end) of every tensor. */
export function sliceRows(list: readonly Tensor[], start: number, end: number): Tensor[] {
  return list.map((t) => (start === 0 && end === t.shape[0] ? t : ops.slice(t, [start], [end - start])));
}

/** The rows at `indices` of every tensor. */
export function takeRows(list: readonly Tensor[], indices: Int32Array): Tensor[] {
  const idx = tensor(indices, [indices.length], 'int32');
  return list.map((t) => ops.gather(t, idx, 0));
}

/** A permutation of 0..n-1 from the seeded global stream (Fisher-Yates). */
export function shuffledIndices(n: number): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  const random = globalRandom();
  for (let i = n - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    const tmp = order[i]!;
    order[i] = order[j]!;
    order[j] = tmp;
  }
  return order;
}

/**
 * Splits off the LAST `fraction` of the samples for validation, before any shuffling (Keras's
 * rule): `splitAt = floor(n * (1 - fraction))`.
 */
export function splitValidation(lists: readonly Tensor[][], n: number, fraction: number): { train: Tensor[][]; validation: Tensor[][] } {
  const splitAt = Math.floor(n * (1 - fraction));
  if (splitAt === 0 || splitAt === n) {
    throw configError('fit', {
      expected: `validationSplit ${fraction} of ${n} samples leaves ${splitAt === 0 ? 'no training' : 'no validation'} samples`,
      hint: 'use a larger dataset or another split',
    });
  }
  return {
    train: lists.map((l) => sliceRows(l, 0, splitAt)),
    validation: lists.map((l) => sliceRows(l, splitAt, n)),
  };
}

/** One weight per sample from a class-weight table (labels as indices [n], [n, 1] or one-hot [n, k]). */
export function classWeightsToSampleWeights(y: Tensor, classWeight: Readonly<Record<number, number>>): Tensor {
  if (typeof classWeight !== 'object' || classWeight === null) {
    throw configError('fit', {
      expected: 'classWeight must be an object mapping class indices to weights, e.g. {0: 1, 1: 5}',
      got: show(classWeight),
    });
  }
  for (const [key, w] of Object.entries(classWeight)) {
    if (!/^(0|[1-9]\d*)$/.test(key)) {
      throw configError('fit', {
        expected: `classWeight key ${show(key)} is not a class index`,
        hint: 'keys must be integers >= 0',
      });
    }
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 0) {
      throw configError('fit', { expected: `classWeight[${key}] is ${show(w)}`, hint: 'class weights must be finite numbers >= 0' });
    }
  }
  let classes: ArrayLike<number>;
  if (y.rank === 1 || (y.rank === 2 && y.shape[1] === 1)) {
    const values = y.data();
    classes = Array.from(values, (v) => Math.round(Number(v)));
  } else if (y.rank === 2) {
    classes = ops.argmax(y, -1).data() as Int32Array;
  } else {
    throw shapeError('fit', { expected: 'classWeight needs targets of shape [n], [n, 1] or [n, classes]', got: formatShape(y.shape) });
  }
  const out = new Float32Array(classes.length);
  for (let i = 0; i < classes.length; i++) {
    const w = classWeight[classes[i]!];
    if (w === undefined) {
      throw configError('fit', {
        expected: `classWeight has no entry for class ${classes[i]} (sample ${i})`,
        hint: 'give a weight for every class, e.g. {0: 1, 1: 5}',
      });
    }
    out[i] = w;
  }
  return tensor(out, [out.length], 'float32');
}

/** Joins the per-batch outputs of predict along axis 0, one tensor per model output. */
export function concatOutputs(parts: Tensor[][]): Tensor[] {
  if (parts.length === 0) throw configError('predict', { expected: 'x must hold samples', got: 'none (0 rows on axis 0)' });
  return parts[0]!.map((_, o) =>
    parts.length === 1
      ? parts[0]![o]!
      : ops.concat(
          parts.map((p) => p[o]!),
          0,
        ),
  );
}

/** Resolves after the event loop had a turn (so progress output and timers run during fit). */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === 'function' ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
