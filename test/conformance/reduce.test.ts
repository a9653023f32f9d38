import { REDUCE_OPS, kernels, type ReduceOp } from '../../src/backend/index.js';
import { assert, includeWebgpu, nr } from '../helpers.js';
import {
  TestRandom,
  assertConforms,
  assertExact,
  conformance,
  pickTensor,
  randomTensor,
  sizeOf,
  stridesOf,
  unravel,
  valuesOf,
} from './harness.js';

includeWebgpu();

/*
 * Conformance of the reduce, argReduce, softmax and logSoftmax kernels, through the public ops.
 * `prod` has no public op yet, so its case calls the kernel from the active table directly.
 */

type Fold = (values: number[]) => number;

function logsumexpOf(values: number[]): number {
  let max = -Infinity;
  for (const v of values) if (v > max || Number.isNaN(v)) max = v;
  if (Number.isNaN(max)) return NaN;
  if (max === -Infinity || max === Infinity) return max;
  let sum = 0;
  for (const v of values) sum += Math.exp(v - max);
  return max + Math.log(sum);
}

/** One entry per REDUCE_OPS name, written as plain folds (NaN wins in max/min, as in PyTorch). */
const FOLDS: Record<ReduceOp, Fold> = {
  sum: (vs) => vs.reduce((s, v) => s + v, 0),
  prod: (vs) => vs.reduce((s, v) => s * v, 1),
  max: (vs) => (vs.some(Number.isNaN) ? NaN : vs.reduce((m, v) => (v > m ? v : m), -Infinity)),
  min: (vs) => (vs.some(Number.isNaN) ? NaN : vs.reduce((m, v) => (v < m ? v : m), Infinity)),
  logsumexp: logsumexpOf,
};

/** Reduces `data` of `shape` over `axes` (all when undefined) by gathering each output's values. */
function reduceReference(
  data: ArrayLike<number>,
  shape: readonly number[],
  axes: readonly number[] | undefined,
  fold: Fold,
  keepDims = false,
): { data: number[]; shape: number[]; count: number } {
  const list = (axes ?? shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
  const keptShape = shape.map((d, i) => (list.includes(i) ? 1 : d));
  const outShape = keepDims ? keptShape : shape.filter((_, i) => !list.includes(i));
  const groups: number[][] = Array.from({ length: sizeOf(keptShape) }, () => []);
  const keptStrides = stridesOf(keptShape);
  for (let i = 0; i < sizeOf(shape); i++) {
    const index = unravel(i, shape);
    let o = 0;
    index.forEach((v, axis) => {
      if (!list.includes(axis)) o += v * keptStrides[axis]!;
    });
    groups[o]!.push(data[i]!);
  }
  const count = list.reduce((p, a) => p * shape[a]!, 1);
  return { data: groups.map(fold), shape: outShape, count };
}

const SHAPE = [3, 7, 17];
const AXES: (number[] | undefined)[] = [undefined, [0], [1], [2], [-1], [0, 1], [1, 2], [0, 2], [0, 1, 2]];

const PUBLIC = {
  sum: nr.sum,
  max: nr.max,
  min: nr.min,
  logsumexp: nr.logsumexp,
} as const;

for (const op of ['sum', 'max', 'min', 'logsumexp'] as const) {
  conformance(`reduce ${op}: over every axis combination, with and without keepDims`, () => {
    const rng = new TestRandom(4000 + REDUCE_OPS.indexOf(op));
    const x = randomTensor(rng, SHAPE, -3, 3);
    for (const axes of AXES) {
      for (const keepDims of [false, true]) {
        const ref = reduceReference(valuesOf(x), SHAPE, axes, FOLDS[op], keepDims);
        const out = PUBLIC[op](x, axes, keepDims);
        const label = `${op} axes ${JSON.stringify(axes)} keepDims ${keepDims}`;
        // max and min pick an element, so every backend must return it exactly.
        if (op === 'max' || op === 'min') assertExact(out, ref.data, 'float32', label, ref.shape);
        else assertConforms(out, ref.data, ref.count, label, ref.shape);
      }
    }
  });
}

conformance('reduce sum and logsumexp: long rows of odd lengths', () => {
  const rng = new TestRandom(41);
  for (const length of [1, 3, 7, 17, 33, 1031, 100003]) {
    const x = randomTensor(rng, [length], -1, 1);
    assertConforms(nr.sum(x), [FOLDS.sum(valuesOf(x))], length, `sum of ${length}`, []);
    assertConforms(nr.logsumexp(x), [logsumexpOf(valuesOf(x))], length, `logsumexp of ${length}`, []);
    const y = randomTensor(rng, [2, length], 0, 2);
    const ref = reduceReference(valuesOf(y), y.shape, [1], FOLDS.sum);
    assertConforms(nr.sum(y, 1), ref.data, length, `sum rows of ${length}`, [2]);
    const col = reduceReference(valuesOf(y), y.shape, [0], FOLDS.sum);
    assertConforms(nr.sum(y, 0), col.data, 2, `sum columns of ${length}`, [length]);
  }
});

conformance('reduce sum: columns of many rows (a bias gradient: every pixel of a batch per filter)', () => {
  // Long enough for native's grouped column sums (rows cut into up to 16 groups, combined in order),
  // with group counts that do and do not divide the rows, and inner widths off the vector width.
  const rng = new TestRandom(42);
  for (const [rows, columns] of [
    [1024, 32],
    [5000, 33],
    [32768, 3],
    [9001, 16],
  ] as const) {
    const x = randomTensor(rng, [rows, columns], -1, 1);
    const ref = reduceReference(valuesOf(x), x.shape, [0], FOLDS.sum);
    assertConforms(nr.sum(x, 0), ref.data, rows, `column sums of ${rows} x ${columns}`, [columns]);
  }
});

conformance('reduce prod: the kernel over [outer, length, inner] views', () => {
  const rng = new TestRandom(42);
  const table = kernels();
  for (const [outer, length, inner] of [
    [1, 1, 1],
    [3, 7, 1],
    [1, 17, 5],
    [4, 3, 33],
    [2, 0, 3],
  ] as const) {
    const x = randomTensor(rng, [outer, length, inner], 0.5, 1.5);
    const out = new Float32Array(outer * inner);
    table.reduce('prod', x.data(), { outer, length, inner }, out);
    const ref = reduceReference(valuesOf(x), x.shape, [1], FOLDS.prod);
    assertConforms(nr.tensor(out), ref.data, length, `prod ${outer}x${length}x${inner}`);
  }
});

conformance('reduce: int32 and bool inputs reduce exactly', () => {
  const rng = new TestRandom(43);
  const x = pickTensor(rng, [5, 9], [-7, -2, 0, 3, 11], 'int32');
  for (const axes of [undefined, [0], [1]]) {
    assertExact(nr.sum(x, axes), reduceReference(valuesOf(x), x.shape, axes, FOLDS.sum).data, 'int32', `int32 sum ${axes}`);
    assertExact(nr.max(x, axes), reduceReference(valuesOf(x), x.shape, axes, FOLDS.max).data, 'int32', `int32 max ${axes}`);
    assertExact(nr.min(x, axes), reduceReference(valuesOf(x), x.shape, axes, FOLDS.min).data, 'int32', `int32 min ${axes}`);
  }
  const b = pickTensor(rng, [4, 33], [0, 1], 'bool');
  assertExact(nr.sum(b, 1), reduceReference(valuesOf(b), b.shape, [1], FOLDS.sum).data, 'int32', 'bool sum counts');
});

conformance('reduce max/min: NaN propagates wherever it sits', () => {
  // NaN first, in the middle, last, alone, and along a non-last axis.
  const rows = [
    [NaN, 1, 2],
    [1, NaN, 2],
    [1, 2, NaN],
    [NaN, NaN, NaN],
    [3, -Infinity, Infinity],
  ];
  const x = nr.tensor(rows);
  assertExact(nr.max(x, 1), [NaN, NaN, NaN, NaN, Infinity], 'float32', 'max rows');
  assertExact(nr.min(x, 1), [NaN, NaN, NaN, NaN, -Infinity], 'float32', 'min rows');
  assertExact(nr.max(x, 0), [NaN, NaN, NaN], 'float32', 'max columns (inner > 1)');
  assertExact(
    nr.min(
      nr.tensor([
        [5, 1],
        [NaN, 0],
        [7, -1],
      ]),
      0,
    ),
    [NaN, -1],
    'float32',
    'min columns',
  );
  assertExact(nr.max(x), [NaN], 'float32', 'max of all');
  // A long row with one NaN far from the start.
  const long = new Float32Array(1031).map((_, i) => i);
  long[777] = NaN;
  assertExact(nr.max(nr.tensor(long)), [NaN], 'float32', 'max of 1031 with a NaN');
  assertExact(nr.min(nr.tensor(long)), [NaN], 'float32', 'min of 1031 with a NaN');
  assertConforms(nr.sum(nr.tensor([1, NaN, 2])), [NaN], 1, 'sum with NaN');
  assertConforms(nr.logsumexp(nr.tensor([1, NaN, 2])), [NaN], 1, 'logsumexp with NaN');
});

conformance('reduce: empty reductions give the identity, like PyTorch', () => {
  // torch: sum over an empty axis is 0, logsumexp is -inf, mean is nan; amax/amin raise.
  const x = nr.zeros([3, 0, 4]);
  assertExact(nr.sum(x, 1), new Array(12).fill(0), 'float32', 'sum over empty axis', [3, 4]);
  assertExact(nr.logsumexp(x, 1), new Array(12).fill(-Infinity), 'float32', 'logsumexp over empty axis', [3, 4]);
  assertExact(nr.sum(nr.zeros([0])), [0], 'float32', 'sum of nothing', []);
  assertExact(nr.mean(nr.zeros([0])), [NaN], 'float32', 'mean of nothing', []);
  assertExact(nr.sum(x, 0), [], 'float32', 'sum to an empty result', [0, 4]);
  assert.throws(() => nr.max(x, 1), nr.ShapeError);
  assert.throws(() => nr.argmax(nr.zeros([0])), nr.ShapeError);
});

conformance('reduce logsumexp: huge and tiny values stay finite', () => {
  const x = nr.tensor([
    [1000, 1000, -1000],
    [-1000, -1000, -1000],
    [88, 89, 90],
    [-Infinity, 0, -Infinity],
  ]);
  assertConforms(nr.logsumexp(x, 1), [1000 + Math.log(2), -1000 + Math.log(3), logsumexpOf([88, 89, 90]), 0], 3, 'logsumexp');
  assertExact(nr.logsumexp(nr.tensor([-Infinity, -Infinity])), [-Infinity], 'float32', 'logsumexp of -inf');
  assertExact(nr.logsumexp(nr.tensor([Infinity, 1])), [Infinity], 'float32', 'logsumexp with +inf');
});

/** Index of the first max/min along `axis`; a NaN wins at its first index (NumPy, PyTorch). */
function argReference(data: ArrayLike<number>, shape: readonly number[], axis: number, isMax: boolean): number[] {
  const outer = sizeOf(shape.slice(0, axis));
  const length = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      let best = 0;
      for (let j = 0; j < length; j++) {
        const v = data[(o * length + j) * inner + i]!;
        if (Number.isNaN(v)) {
          best = j;
          break;
        }
        const b = data[(o * length + best) * inner + i]!;
        if (isMax ? v > b : v < b) best = j;
      }
      out.push(best);
    }
  }
  return out;
}

conformance('argReduce: argmax/argmin over each axis, ties to the first index', () => {
  const rng = new TestRandom(44);
  // Few distinct values, so ties are everywhere.
  const x = pickTensor(rng, [5, 17, 3], [-1, 0, 0.5, 2]);
  for (const axis of [0, 1, 2]) {
    const shape = x.shape.filter((_, i) => i !== axis);
    assertExact(nr.argmax(x, axis), argReference(valuesOf(x), x.shape, axis, true), 'int32', `argmax axis ${axis}`, shape);
    assertExact(nr.argmin(x, axis), argReference(valuesOf(x), x.shape, axis, false), 'int32', `argmin axis ${axis}`, shape);
  }
  assertExact(nr.argmax(x, -1, true), argReference(valuesOf(x), x.shape, 2, true), 'int32', 'argmax keepDims', [5, 17, 1]);
  assertExact(nr.argmax(x), argReference(valuesOf(x), [x.size], 0, true), 'int32', 'argmax flattened', []);
  const y = randomTensor(rng, [1031]);
  assertExact(nr.argmin(y), argReference(valuesOf(y), [1031], 0, false), 'int32', 'argmin of 1031', []);
  assertExact(nr.argmax(nr.tensor([1, 3, 3, 2, 3])), [1], 'int32', 'argmax tie');
  assertExact(nr.argmin(nr.tensor([2, 0, 0])), [1], 'int32', 'argmin tie');
  const ints = pickTensor(rng, [4, 7], [-3, 5, 9], 'int32');
  assertExact(nr.argmax(ints, 1), argReference(valuesOf(ints), ints.shape, 1, true), 'int32', 'int32 argmax');
});

conformance('argReduce: NaN wins at its first index', () => {
  assertExact(nr.argmax(nr.tensor([1, NaN, 5, NaN])), [1], 'int32', 'argmax NaN');
  assertExact(nr.argmin(nr.tensor([1, NaN, -5, NaN])), [1], 'int32', 'argmin NaN');
  assertExact(nr.argmax(nr.tensor([NaN, 9])), [0], 'int32', 'argmax NaN first');
  assertExact(
    nr.argmax(
      nr.tensor([
        [1, 2],
        [NaN, 0],
        [3, NaN],
      ]),
      0,
    ),
    [1, 2],
    'int32',
    'argmax NaN along axis 0',
  );
});

function softmaxReference(data: ArrayLike<number>, shape: readonly number[], axis: number, log: boolean): number[] {
  const outer = sizeOf(shape.slice(0, axis));
  const length = shape[axis]!;
  const inner = sizeOf(shape.slice(axis + 1));
  const out = new Array<number>(sizeOf(shape));
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const at = (j: number) => (o * length + j) * inner + i;
      let max = -Infinity;
      for (let j = 0; j < length; j++) max = Math.max(max, data[at(j)]!);
      let sum = 0;
      for (let j = 0; j < length; j++) sum += Math.exp(data[at(j)]! - max);
      for (let j = 0; j < length; j++) {
        const shifted = data[at(j)]! - max;
        out[at(j)] = log ? shifted - Math.log(sum) : Math.exp(shifted) / sum;
      }
    }
  }
  return out;
}

for (const log of [false, true]) {
  const name = log ? 'logSoftmax' : 'softmax';
  const call = log ? nr.logSoftmax : nr.softmax;
  conformance(`${name}: every axis of odd shapes, inner axis not last`, () => {
    const rng = new TestRandom(log ? 46 : 45);
    const cases: [number[], number][] = [
      [[1], 0],
      [[7], 0],
      [[1031], -1],
      [[5, 33], -1],
      [[5, 33], 0],
      [[3, 17, 5], 1],
      [[3, 17, 5], 0],
      [[2, 3, 1], 2],
    ];
    for (const [shape, axis] of cases) {
      const x = randomTensor(rng, shape, -8, 8);
      const a = axis < 0 ? axis + shape.length : axis;
      assertConforms(
        call(x, axis),
        softmaxReference(valuesOf(x), shape, a, log),
        shape[a]!,
        `${name} ${JSON.stringify(shape)} axis ${axis}`,
        shape,
      );
    }
  });

  conformance(`${name}: rows of ±1000 and -Infinity stay exact`, () => {
    const rows = [
      [1000, -1000, 0, 999],
      [-1000, -1000, -1000, -1000],
      [1000, 1000, 1000, 1000],
      [-Infinity, 0, 1, -Infinity],
    ];
    const x = nr.tensor(rows);
    const out = call(x, -1);
    const expected = softmaxReference(valuesOf(x), [4, 4], 1, log);
    assert.ok(
      valuesOf(out).every((v) => !Number.isNaN(v)),
      `${name} gave NaN: ${valuesOf(out)}`,
    );
    assertConforms(out, expected, 4, `${name} of extreme rows`, [4, 4]);
    // The same rows along axis 0 (inner = 4).
    const t = nr.transpose(x);
    assertConforms(call(t, 0), softmaxReference(valuesOf(t), [4, 4], 0, log), 4, `${name} of extreme columns`, [4, 4]);
  });
}
