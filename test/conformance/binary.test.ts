import { BINARY_OPS, type BinaryOp } from '../../src/backend/index.js';
import { assert, includeWebgpu, nr } from '../helpers.js';
import {
  TestRandom,
  assertConforms,
  assertExact,
  broadcastOffset,
  broadcastReference,
  broadcastShape,
  unravel,
  conformance,
  pickTensor,
  randomTensor,
  sizeOf,
  valuesOf,
} from './harness.js';

includeWebgpu();

/*
 * Conformance of the binary (broadcasting) and where kernels, through the public ops.
 */

/** Python's float modulo: the result takes the divisor's sign (fmod, then one correction). */
function pythonMod(x: number, y: number): number {
  const m = x % y;
  return m !== 0 && m < 0 !== y < 0 ? m + y : m;
}

/** Python's float floor division, through the same fmod identity Python uses. */
function pythonFloorDiv(x: number, y: number): number {
  const m = x % y;
  let div = (x - m) / y;
  if (m !== 0 && m < 0 !== y < 0) div -= 1;
  if (div === 0) return 0 * Math.sign(x / y);
  const floored = Math.floor(div);
  return div - floored > 0.5 ? floored + 1 : floored;
}

type Sampler = (rng: TestRandom, shape: readonly number[]) => nr.Tensor;

const uniform =
  (low: number, high: number): Sampler =>
  (rng, shape) =>
    randomTensor(rng, shape, low, high);
/** Values bounded away from zero, either sign (divisors). */
const awayFromZero: Sampler = (rng, shape) => {
  const data = new Float32Array(sizeOf(shape));
  for (let i = 0; i < data.length; i++) data[i] = (rng.next() < 0.5 ? -1 : 1) * rng.uniform(0.5, 3);
  return nr.tensor(data, [...shape], 'float32');
};
/** Small integers, so equality and ties happen often. */
const smallInts: Sampler = (rng, shape) => pickTensor(rng, shape, [-2, -1, 0, 1, 2]);

interface BinaryCase {
  call: (a: nr.Tensor, b: nr.Tensor) => nr.Tensor;
  value: (x: number, y: number) => number;
  a: Sampler;
  b: Sampler;
  /** Comparison and logical ops give bool; the rest keep float32. */
  bool: boolean;
}

/** One entry per BINARY_OPS name: a new op without a reference here fails the typecheck. */
const BINARY: Record<BinaryOp, BinaryCase> = {
  add: { call: nr.add, value: (x, y) => x + y, a: uniform(-5, 5), b: uniform(-5, 5), bool: false },
  sub: { call: nr.sub, value: (x, y) => x - y, a: uniform(-5, 5), b: uniform(-5, 5), bool: false },
  mul: { call: nr.mul, value: (x, y) => x * y, a: uniform(-5, 5), b: uniform(-5, 5), bool: false },
  div: { call: nr.div, value: (x, y) => x / y, a: uniform(-5, 5), b: awayFromZero, bool: false },
  pow: { call: nr.pow, value: Math.pow, a: uniform(0.1, 3), b: uniform(-3, 3), bool: false },
  maximum: { call: nr.maximum, value: (x, y) => (x >= y ? x : y), a: smallInts, b: uniform(-2, 2), bool: false },
  minimum: { call: nr.minimum, value: (x, y) => (x <= y ? x : y), a: smallInts, b: uniform(-2, 2), bool: false },
  floorDiv: { call: nr.floorDiv, value: pythonFloorDiv, a: uniform(-10, 10), b: awayFromZero, bool: false },
  mod: { call: nr.mod, value: pythonMod, a: uniform(-10, 10), b: awayFromZero, bool: false },
  equal: { call: nr.equal, value: (x, y) => Number(x === y), a: smallInts, b: smallInts, bool: true },
  notEqual: { call: nr.notEqual, value: (x, y) => Number(x !== y), a: smallInts, b: smallInts, bool: true },
  less: { call: nr.less, value: (x, y) => Number(x < y), a: smallInts, b: smallInts, bool: true },
  lessEqual: { call: nr.lessEqual, value: (x, y) => Number(x <= y), a: smallInts, b: smallInts, bool: true },
  greater: { call: nr.greater, value: (x, y) => Number(x > y), a: smallInts, b: smallInts, bool: true },
  greaterEqual: { call: nr.greaterEqual, value: (x, y) => Number(x >= y), a: smallInts, b: smallInts, bool: true },
  logicalAnd: { call: nr.logicalAnd, value: (x, y) => Number(x !== 0 && y !== 0), a: smallInts, b: smallInts, bool: true },
  logicalOr: { call: nr.logicalOr, value: (x, y) => Number(x !== 0 || y !== 0), a: smallInts, b: smallInts, bool: true },
};

/** Shape pairs: same shape (odd lengths), scalars both sides, row, column and rank-4 odd broadcasts. */
const SHAPE_PAIRS: readonly (readonly [readonly number[], readonly number[]])[] = [
  [[1], [1]],
  [[3], [3]],
  [[7], [7]],
  [[1031], [1031]],
  [
    [17, 33],
    [17, 33],
  ],
  [[33], []],
  [[], [17]],
  [
    [1, 1],
    [3, 7],
  ],
  [[17, 33], [33]],
  [
    [17, 33],
    [1, 33],
  ],
  [
    [17, 33],
    [17, 1],
  ],
  [
    [17, 1],
    [1, 33],
  ],
  [[7], [3, 1]],
  [
    [2, 1, 3, 1],
    [1, 4, 1, 5],
  ],
  [
    [2, 3, 1, 5],
    [3, 4, 1],
  ],
  [
    [5, 1, 7],
    [5, 3, 7],
  ],
  [
    [0, 3],
    [1, 3],
  ],
  // Broadcasts whose small operand's axes are not one run (a per-image bias): native loops the leading
  // axes and runs each slice natively (splitBroadcast), with the small operand on either side.
  [
    [3, 16, 16, 64],
    [3, 1, 1, 64],
  ],
  [
    [3, 1, 1, 64],
    [3, 16, 16, 64],
  ],
  [
    [2, 3, 90, 48],
    [2, 1, 90, 1],
  ],
];

function checkBinary(op: BinaryOp, a: nr.Tensor, b: nr.Tensor, label: string): void {
  const spec = BINARY[op];
  const out = spec.call(a, b);
  const ref = broadcastReference(valuesOf(a), a.shape, valuesOf(b), b.shape, spec.value);
  if (spec.bool) assertExact(out, ref.data, 'bool', label, ref.shape);
  else assertConforms(out, ref.data, 1, label, ref.shape);
}

for (const op of BINARY_OPS) {
  conformance(`binary ${op}: float32, same shape, scalars and broadcasts`, () => {
    const spec = BINARY[op];
    assert.ok(spec, `no reference for binary op ${op}`);
    const rng = new TestRandom(3000 + BINARY_OPS.indexOf(op));
    for (const [aShape, bShape] of SHAPE_PAIRS) {
      checkBinary(op, spec.a(rng, aShape), spec.b(rng, bShape), `${op} ${JSON.stringify(aShape)} vs ${JSON.stringify(bShape)}`);
    }
  });
}

conformance('binary: a plain number operand broadcasts on either side', () => {
  const rng = new TestRandom(31);
  const x = randomTensor(rng, [7, 3], 0.5, 2);
  assertConforms(
    nr.sub(x, 2.5),
    valuesOf(x).map((v) => v - 2.5),
    1,
    'x - 2.5',
    [7, 3],
  );
  assertConforms(
    nr.div(1.5, x),
    valuesOf(x).map((v) => 1.5 / v),
    1,
    '1.5 / x',
    [7, 3],
  );
  assertConforms(
    nr.pow(x, 2),
    valuesOf(x).map((v) => v * v),
    1,
    'x ** 2',
    [7, 3],
  );
  assertConforms(
    nr.pow(2, x),
    valuesOf(x).map((v) => 2 ** v),
    1,
    '2 ** x',
    [7, 3],
  );
});

conformance('binary: int32 arithmetic, floorDiv and mod are exact and Python-style', () => {
  const rng = new TestRandom(32);
  const a = pickTensor(rng, [5, 7], [-20, -13, -7, -1, 0, 1, 6, 7, 19], 'int32');
  const b = pickTensor(rng, [7], [-7, -3, -2, -1, 1, 2, 3, 5], 'int32');
  const cases: [string, (x: nr.Tensor, y: nr.Tensor) => nr.Tensor, (x: number, y: number) => number][] = [
    ['add', nr.add, (x, y) => x + y],
    ['sub', nr.sub, (x, y) => x - y],
    ['mul', nr.mul, (x, y) => x * y],
    ['maximum', nr.maximum, Math.max],
    ['minimum', nr.minimum, Math.min],
    ['floorDiv', nr.floorDiv, (x, y) => Math.floor(x / y)],
    ['mod', nr.mod, (x, y) => ((x % y) + y) % y],
  ];
  for (const [name, call, value] of cases) {
    const ref = broadcastReference(valuesOf(a), a.shape, valuesOf(b), b.shape, value);
    assertExact(call(a, b), ref.data, 'int32', `int32 ${name}`, ref.shape);
  }
  assertExact(
    nr.mod(nr.tensor([-7, 7, -7, 7, 0], undefined, 'int32'), nr.tensor([2, -2, -2, 2, -3], undefined, 'int32')),
    [1, -1, -1, 1, 0],
    'int32',
    'torch.remainder([-7, 7, -7, 7, 0], [2, -2, -2, 2, -3])',
  );
  assertExact(
    nr.floorDiv(nr.tensor([-7, 7, -7, 7], undefined, 'int32'), nr.tensor([2, -2, -2, 2], undefined, 'int32')),
    [-4, -4, 3, 3],
    'int32',
    'floor_divide ints',
  );
  // True division of ints gives float32, as in PyTorch.
  assertConforms(
    nr.div(nr.tensor([7, -7, 1], undefined, 'int32'), nr.tensor([2, 2, 3], undefined, 'int32')),
    [3.5, -3.5, 1 / 3],
    1,
    'int32 / int32',
  );
  for (const op of ['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual'] as const) {
    const ref = broadcastReference(valuesOf(a), a.shape, valuesOf(b), b.shape, BINARY[op].value);
    assertExact(BINARY[op].call(a, b), ref.data, 'bool', `int32 ${op}`, ref.shape);
  }
});

conformance('binary: float mod and floorDiv with negative operands follow Python', () => {
  const a = nr.tensor([-7, 7, -7, 7, 5.5, -5.5, -0.5, 0]);
  const b = nr.tensor([2, -2, -2, 2, -2, 2, 3, -3]);
  // torch.remainder and torch.floor_divide (rounding_mode='floor') on these values:
  assertExact(nr.mod(a, b), [1, -1, -1, 1, -0.5, 0.5, 2.5, 0], 'float32', 'float mod');
  assertExact(nr.floorDiv(a, b), [-4, -4, 3, 3, -3, -3, -1, -0], 'float32', 'float floorDiv');
});

conformance('binary: bool operands of comparison and logical ops', () => {
  const rng = new TestRandom(33);
  const a = pickTensor(rng, [4, 1, 5], [0, 1], 'bool');
  const b = pickTensor(rng, [3, 1], [0, 1], 'bool');
  for (const op of ['logicalAnd', 'logicalOr', 'equal', 'notEqual', 'less', 'greaterEqual'] as const) {
    const ref = broadcastReference(valuesOf(a), a.shape, valuesOf(b), b.shape, BINARY[op].value);
    assertExact(BINARY[op].call(a, b), ref.data, 'bool', `bool ${op}`, ref.shape);
  }
  // Float operands are truthy when non-zero.
  const f = nr.tensor([0, 0.25, -3, 0]);
  const g = nr.tensor([0, 0, 2, -0.5]);
  assertExact(nr.logicalAnd(f, g), [0, 0, 1, 0], 'bool', 'float logicalAnd');
  assertExact(nr.logicalOr(f, g), [0, 1, 1, 1], 'bool', 'float logicalOr');
});

conformance('binary: logicalAnd/logicalOr treat NaN as true, like PyTorch', () => {
  // torch.logical_and(tensor([nan, nan, 0.]), tensor([1., nan, nan])) == [True, True, False]
  assertExact(nr.logicalAnd(nr.tensor([NaN, NaN, 0]), nr.tensor([1, NaN, NaN])), [1, 1, 0], 'bool', 'logicalAnd');
  assertExact(nr.logicalOr(nr.tensor([NaN, 0, 0]), nr.tensor([0, NaN, 0])), [1, 1, 0], 'bool', 'logicalOr');
});

conformance('binary: NaN propagates through maximum and minimum; comparisons with NaN are false', () => {
  const a = nr.tensor([NaN, 1, NaN, 2, -Infinity, 0]);
  const b = nr.tensor([1, NaN, NaN, 3, NaN, -0]);
  assertExact(nr.maximum(a, b), [NaN, NaN, NaN, 3, NaN, 0], 'float32', 'maximum');
  assertExact(nr.minimum(a, b), [NaN, NaN, NaN, 2, NaN, 0], 'float32', 'minimum');
  // Broadcast NaN (scalar and row) too.
  assertExact(nr.maximum(nr.tensor([1, 2, 3]), NaN), [NaN, NaN, NaN], 'float32', 'maximum with NaN scalar');
  assertExact(nr.minimum(nr.tensor([[NaN], [1]]), nr.tensor([0, 5])), [NaN, NaN, 0, 1], 'float32', 'minimum broadcast NaN');
  assertExact(nr.equal(a, b), [0, 0, 0, 0, 0, 1], 'bool', 'equal with NaN');
  assertExact(nr.notEqual(a, b), [1, 1, 1, 1, 1, 0], 'bool', 'notEqual with NaN');
  assertExact(nr.less(a, b), [0, 0, 0, 1, 0, 0], 'bool', 'less with NaN');
  assertExact(nr.greaterEqual(a, b), [0, 0, 0, 0, 0, 1], 'bool', 'greaterEqual with NaN');
});

conformance('binary: pow edge cases follow C/IEEE pow, as PyTorch does', () => {
  // torch.pow: 1 ** nan == 1 and (-1) ** ±inf == 1 (JavaScript's Math.pow gives NaN for both).
  const a = nr.tensor([-2, -2, 0, 0, 4, -8, 1, -1, -1]);
  const b = nr.tensor([3, 2, 0, -1, 0.5, 1 / 3, NaN, Infinity, -Infinity]);
  assertConforms(nr.pow(a, b), [-8, 4, 1, Infinity, 2, NaN, 1, 1, 1], 1, 'pow edges');
});

conformance('where: broadcast condition and operands, float32, int32 and scalars', () => {
  const rng = new TestRandom(34);
  const shapes: [number[], number[], number[]][] = [
    [[1031], [1031], [1031]],
    [[4, 1, 5], [1, 3, 1], [5]],
    [
      [2, 1, 3, 1],
      [1, 4, 1, 5],
      [2, 4, 3, 5],
    ],
    [[], [7, 3], [3]],
    [[17, 33], [], []],
  ];
  for (const [cShape, aShape, bShape] of shapes) {
    const cond = pickTensor(rng, cShape, [0, 1], 'bool');
    const a = randomTensor(rng, aShape);
    const b = randomTensor(rng, bShape);
    const ai = pickTensor(rng, aShape, [-5, 3, 8], 'int32');
    const bi = pickTensor(rng, bShape, [-1, 0, 2], 'int32');
    const shape = broadcastShape(broadcastShape(cShape, aShape), bShape);
    const pick = (x: nr.Tensor, y: nr.Tensor) => {
      const c = valuesOf(cond);
      const xs = valuesOf(x);
      const ys = valuesOf(y);
      return Array.from({ length: sizeOf(shape) }, (_, i) => {
        const index = unravel(i, shape);
        return c[broadcastOffset(index, cShape)] ? xs[broadcastOffset(index, aShape)]! : ys[broadcastOffset(index, bShape)]!;
      });
    };
    const label = `where ${JSON.stringify([cShape, aShape, bShape])}`;
    assertExact(nr.where(cond, a, b), pick(a, b), 'float32', label, shape);
    assertExact(nr.where(cond, ai, bi), pick(ai, bi), 'int32', `${label} int32`, shape);
  }
  const x = randomTensor(rng, [33]);
  assertExact(
    nr.where(nr.greater(x, 0), x, 0),
    valuesOf(x).map((v) => (v > 0 ? v : 0)),
    'float32',
    'where as relu',
  );
});

conformance('broadcastTo: copies along inserted, leading and inner axes (nearest upsampling) equal the reference', () => {
  const rng = new TestRandom(35);
  const cases: [number[], number[]][] = [
    [
      [2, 3, 1, 4, 1, 5],
      [2, 3, 2, 4, 3, 5],
    ],
    [
      [3, 1],
      [2, 3, 7],
    ],
    [
      [1, 6, 1],
      [4, 6, 9],
    ],
    [[5], [3, 5]],
    [[], [2, 2]],
  ];
  for (const [from, to] of cases) {
    for (const dtype of ['float32', 'int32'] as const) {
      const x =
        dtype === 'float32'
          ? randomTensor(rng, from, -3, 3)
          : nr.tensor(
              Array.from({ length: sizeOf(from) }, (_, i) => i - 4),
              from,
              'int32',
            );
      const values = valuesOf(x);
      const label = `broadcastTo ${JSON.stringify(from)} -> ${JSON.stringify(to)} ${dtype}`;
      const expected = Array.from({ length: sizeOf(to) }, (_, i) => values[broadcastOffset(unravel(i, to), from)]!);
      assertExact(nr.broadcastTo(x, to), expected, dtype, label, to);
    }
  }
});
