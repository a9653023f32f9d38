import { UNARY_OPS, UNARY_GRAD_OPS, type UnaryOp, type UnaryGradOp } from '../../src/backend/index.js';
import { assert, includeWebgpu, nr } from '../helpers.js';
import { ODD_LENGTHS, TestRandom, assertConforms, assertExact, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the unary, unaryGrad and cast kernels, through the public ops.
 */

const LEAKY_SLOPE = 0.2;
const ELU_ALPHA = 0.7;

/** Round half to even, written out. */
function roundHalfEven(x: number): number {
  if (!Number.isFinite(x)) return x;
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** log(1 + e^x), written so it neither overflows nor loses the small tail. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

interface UnaryCase {
  call: (x: nr.Tensor) => nr.Tensor;
  value: (x: number) => number;
  /** Range of the random inputs (inside the function's domain, away from poles). */
  low: number;
  high: number;
  /** d f / d x, for ops with a gradient. */
  derivative?: (x: number) => number;
  /** Float ops turn int inputs into float32; the rest keep the dtype. */
  result: 'float' | 'keep' | 'bool';
}

/** One entry per UNARY_OPS name: a new op without a reference here fails the typecheck. */
const UNARY: Record<UnaryOp, UnaryCase> = {
  neg: { call: nr.neg, value: (x) => -x, low: -5, high: 5, result: 'keep' },
  abs: { call: nr.abs, value: Math.abs, low: -5, high: 5, derivative: (x) => Math.sign(x), result: 'keep' },
  sign: { call: nr.sign, value: (x) => (x > 0 ? 1 : x < 0 ? -1 : x), low: -5, high: 5, result: 'keep' },
  exp: { call: nr.exp, value: Math.exp, low: -20, high: 20, derivative: Math.exp, result: 'float' },
  expm1: { call: nr.expm1, value: Math.expm1, low: -3, high: 3, derivative: Math.exp, result: 'float' },
  log: { call: nr.log, value: Math.log, low: 0.01, high: 10, derivative: (x) => 1 / x, result: 'float' },
  log1p: { call: nr.log1p, value: Math.log1p, low: -0.9, high: 10, derivative: (x) => 1 / (1 + x), result: 'float' },
  sqrt: { call: nr.sqrt, value: Math.sqrt, low: 0.01, high: 10, derivative: (x) => 0.5 / Math.sqrt(x), result: 'float' },
  rsqrt: { call: nr.rsqrt, value: (x) => 1 / Math.sqrt(x), low: 0.05, high: 10, derivative: (x) => -0.5 * x ** -1.5, result: 'float' },
  square: { call: nr.square, value: (x) => x * x, low: -5, high: 5, derivative: (x) => 2 * x, result: 'keep' },
  reciprocal: { call: nr.reciprocal, value: (x) => 1 / x, low: 0.1, high: 4, derivative: (x) => -1 / (x * x), result: 'float' },
  sin: { call: nr.sin, value: Math.sin, low: -10, high: 10, derivative: Math.cos, result: 'float' },
  cos: { call: nr.cos, value: Math.cos, low: -10, high: 10, derivative: (x) => -Math.sin(x), result: 'float' },
  tanh: { call: nr.tanh, value: Math.tanh, low: -6, high: 6, derivative: (x) => 1 - Math.tanh(x) ** 2, result: 'float' },
  sigmoid: { call: nr.sigmoid, value: sigmoid, low: -12, high: 12, derivative: (x) => sigmoid(x) * (1 - sigmoid(x)), result: 'float' },
  silu: {
    call: nr.silu,
    value: (x) => x * sigmoid(x),
    low: -12,
    high: 12,
    derivative: (x) => sigmoid(x) * (1 + x * (1 - sigmoid(x))),
    result: 'float',
  },
  // NaN propagates, as in torch.relu and np.maximum(x, 0).
  relu: {
    call: nr.relu,
    value: (x) => (x > 0 || Number.isNaN(x) ? x : 0),
    low: -5,
    high: 5,
    derivative: (x) => (x > 0 ? 1 : 0),
    result: 'keep',
  },
  // relu6: min(max(x, 0), 6), NaN through; the gradient is 1 strictly between the bounds (PyTorch's hardtanh).
  boundedRelu: {
    call: nr.relu6,
    value: (x) => (Number.isNaN(x) ? x : Math.min(Math.max(x, 0), 6)),
    low: -3,
    high: 9,
    derivative: (x) => (x > 0 && x < 6 ? 1 : 0),
    result: 'keep',
  },
  leakyRelu: {
    call: (x) => nr.leakyRelu(x, LEAKY_SLOPE),
    value: (x) => (x > 0 ? x : LEAKY_SLOPE * x),
    low: -5,
    high: 5,
    derivative: (x) => (x > 0 ? 1 : LEAKY_SLOPE),
    result: 'float',
  },
  elu: {
    call: (x) => nr.elu(x, ELU_ALPHA),
    value: (x) => (x > 0 ? x : ELU_ALPHA * (Math.exp(x) - 1)),
    low: -6,
    high: 4,
    derivative: (x) => (x > 0 ? 1 : ELU_ALPHA * Math.exp(x)),
    result: 'float',
  },
  softplus: { call: nr.softplus, value: softplus, low: -20, high: 20, derivative: sigmoid, result: 'float' },
  floor: { call: nr.floor, value: Math.floor, low: -5, high: 5, result: 'keep' },
  ceil: { call: nr.ceil, value: Math.ceil, low: -5, high: 5, result: 'keep' },
  round: { call: nr.round, value: roundHalfEven, low: -5, high: 5, result: 'keep' },
  logicalNot: { call: nr.logicalNot, value: (x) => (x !== 0 ? 0 : 1), low: -2, high: 2, result: 'bool' },
};

function referenceOf(op: UnaryOp, values: readonly number[]): number[] {
  return values.map((v) => UNARY[op].value(v));
}

for (const op of UNARY_OPS) {
  conformance(`unary ${op}: random float32 inputs of odd lengths`, () => {
    const spec = UNARY[op];
    assert.ok(spec, `no reference for unary op ${op}`);
    const rng = new TestRandom(1000 + UNARY_OPS.indexOf(op));
    for (const length of ODD_LENGTHS) {
      const x = randomTensor(rng, [length], spec.low, spec.high);
      const y = spec.call(x);
      const expected = referenceOf(op, valuesOf(x));
      if (spec.result === 'bool') assertExact(y, expected, 'bool', `${op} length ${length}`, [length]);
      else assertConforms(y, expected, 1, `${op} length ${length}`, [length]);
    }
    // A rank-3 input keeps its shape.
    const x3 = randomTensor(rng, [3, 1, 7], spec.low, spec.high);
    const y3 = spec.call(x3);
    assert.deepEqual(y3.shape, [3, 1, 7], `${op} rank-3 shape`);
  });
}

conformance('unary: int32 inputs keep int32 or become float32 by the op kind', () => {
  const values = [-3, -1, 0, 1, 2, 7];
  const x = nr.tensor(values, [values.length], 'int32');
  for (const op of UNARY_OPS) {
    const spec = UNARY[op];
    if (op === 'log' || op === 'sqrt' || op === 'rsqrt' || op === 'reciprocal' || op === 'log1p') continue; // poles
    const y = spec.call(x);
    const expected = referenceOf(op, values);
    if (spec.result === 'float') assertConforms(y, expected, 1, `${op} on int32`);
    else assertExact(y, expected, spec.result === 'bool' ? 'bool' : 'int32', `${op} on int32`);
  }
});

conformance('unary: sigmoid, softplus, tanh, exp at extreme inputs', () => {
  const extremes = [-1000, -100, -88, -30, -1, -0, 0, 1, 30, 88, 100, 1000];
  const x = nr.tensor(extremes);
  for (const op of ['sigmoid', 'silu', 'softplus', 'tanh', 'exp', 'expm1', 'elu', 'leakyRelu', 'relu', 'boundedRelu'] as const) {
    const y = UNARY[op].call(x);
    const got = valuesOf(y);
    assert.ok(
      got.every((v) => !Number.isNaN(v)),
      `${op} gave NaN at extremes: ${got}`,
    );
    assertConforms(y, referenceOf(op, extremes), 1, `${op} at extremes`);
  }
  // The exact limits PyTorch gives: softplus(x) = x for large x, 0 for very negative x.
  assertExact(nr.sigmoid(nr.tensor([-1000, 1000])), [0, 1], 'float32', 'sigmoid limits');
  assertExact(nr.softplus(nr.tensor([-1000, 1000])), [0, 1000], 'float32', 'softplus limits');
  assertExact(nr.exp(nr.tensor([1000, -1000])), [Infinity, 0], 'float32', 'exp overflow/underflow');
});

conformance('unary: round is half to even; floor and ceil on halves', () => {
  const halves = [0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5, -3.5, 0.49999997, -0.49999997, 2.4999998, 8388609, 1e10, -7];
  assertExact(
    nr.round(nr.tensor(halves)),
    halves.map((v) => roundHalfEven(Math.fround(v))),
    'float32',
    'round',
  );
  assertExact(nr.round(nr.tensor([0.5, 1.5, 2.5, -0.5])), [0, 2, 2, -0], 'float32', 'round literal cases');
  assertExact(
    nr.floor(nr.tensor(halves)),
    halves.map((v) => Math.floor(Math.fround(v))),
    'float32',
    'floor',
  );
  assertExact(
    nr.ceil(nr.tensor(halves)),
    halves.map((v) => Math.ceil(Math.fround(v))),
    'float32',
    'ceil',
  );
});

conformance('unary: NaN and infinities pass through as IEEE prescribes', () => {
  const special = [NaN, Infinity, -Infinity];
  const x = nr.tensor(special);
  for (const op of UNARY_OPS) {
    // Each has its own case below, so one bug does not fail two tests.
    if (op === 'logicalNot' || op === 'relu') continue;
    assertConforms(UNARY[op].call(x), referenceOf(op, special), 1, `${op} on NaN/±Infinity`);
  }
});

conformance('unary: relu propagates NaN, like torch.relu and np.maximum(x, 0)', () => {
  assertExact(nr.relu(nr.tensor([NaN, -1, 2, -Infinity, Infinity])), [NaN, 0, 2, 0, Infinity], 'float32', 'relu');
});

conformance('unary: logicalNot treats NaN as true, like PyTorch and NumPy', () => {
  // torch.logical_not(torch.tensor([nan, 0., -0., 2.])) == [False, True, True, False]
  assertExact(nr.logicalNot(nr.tensor([NaN, 0, -0, 2])), [0, 1, 1, 0], 'bool', 'logicalNot');
});

/** The derivatives of unary ops live in UNARY above; minimumScalar and maximumScalar have their own test below. */
const UNARY_DERIVATIVES = UNARY_GRAD_OPS.filter((op): op is UnaryGradOp & UnaryOp => op in UNARY);
for (const op of UNARY_DERIVATIVES) {
  conformance(`unaryGrad ${op}: backward of the op matches dy * f'(x)`, () => {
    const spec = UNARY[op];
    const derivative = spec.derivative;
    assert.ok(derivative, `no derivative for ${op}`);
    const rng = new TestRandom(2000 + UNARY_DERIVATIVES.indexOf(op));
    for (const length of ODD_LENGTHS) {
      const x = randomTensor(rng, [length], spec.low, spec.high);
      x.requiresGrad = true;
      const dy = randomTensor(rng, [length], -2, 2);
      spec.call(x).backward(dy);
      assert.ok(x.grad, `${op}: no gradient`);
      const xs = valuesOf(x);
      const dys = valuesOf(dy);
      const expected = xs.map((v, i) => dys[i]! * derivative(v));
      // Two roundings: the forward output the derivative reuses, then the product with dy.
      assertConforms(x.grad, expected, 2, `d${op} length ${length}`, [length]);
    }
  });
}

conformance('unaryGrad: derivatives at 0 and at extremes follow PyTorch', () => {
  const x = nr.tensor([0, -1000, 1000, -100, 100]);
  const cases: [UnaryGradOp & UnaryOp, number[]][] = [
    ['relu', [0, 0, 1, 0, 1]],
    ['boundedRelu', [0, 0, 0, 0, 0]],
    ['abs', [0, -1, 1, -1, 1]],
    ['leakyRelu', [LEAKY_SLOPE, LEAKY_SLOPE, 1, LEAKY_SLOPE, 1]],
    ['elu', [ELU_ALPHA, 0, 1, ELU_ALPHA * Math.exp(-100), 1]],
    ['sigmoid', [0.25, 0, 0, sigmoid(-100) * sigmoid(100), sigmoid(100) * sigmoid(-100)]],
    ['softplus', [0.5, 0, 1, sigmoid(-100), 1]],
    ['silu', [0.5, 0, 1, sigmoid(-100) * (1 - 100 * sigmoid(100)), 1]],
    ['tanh', [1, 0, 0, 0, 0]],
  ];
  for (const [op, expected] of cases) {
    const leaf = x.detach();
    leaf.requiresGrad = true;
    UNARY[op].call(leaf).sum().backward();
    const got = valuesOf(leaf.grad!);
    assert.ok(
      got.every((v) => !Number.isNaN(v)),
      `d${op} gave NaN: ${got}`,
    );
    assertConforms(leaf.grad!, expected, 1, `d${op} at 0 and extremes`);
  }
});

/*
 * unaryGrad minimumScalar / maximumScalar: the gradient of nr.minimum(x, p) and nr.maximum(x, p) towards x
 * for a constant p (ReLU6's path): dy * 1 where x wins, dy * 0.5 at a tie, dy * 0 elsewhere, NaN x
 * included, so that an infinite dy times 0 is NaN exactly as the general tie split (p requiring a
 * gradient) computes it.
 */
conformance('unaryGrad minimumScalar, maximumScalar: the gradient of minimum/maximum against a constant', () => {
  const rng = new TestRandom(2100);
  for (const [name, op, wins] of [
    ['minimum', nr.minimum, (v: number, p: number) => v < p],
    ['maximum', nr.maximum, (v: number, p: number) => v > p],
  ] as const) {
    for (const length of ODD_LENGTHS) {
      const p = 6;
      const special = [p, NaN, Infinity, -Infinity, p, 0];
      const xs = Array.from({ length }, (_, i) => (i % 5 === 0 ? special[(i / 5) % special.length]! : rng.uniform(0, 12)));
      const dys = Array.from({ length }, (_, i) => (i % 7 === 3 ? Infinity : rng.uniform(-2, 2)));
      const x = nr.tensor(xs);
      x.requiresGrad = true;
      op(x, p).backward(nr.tensor(dys));
      const expected = xs.map((v, i) => Math.fround(dys[i]!) * (wins(Math.fround(v), p) ? 1 : Math.fround(v) === p ? 0.5 : 0));
      assertExact(x.grad!, expected, 'float32', `d${name}(x, ${p}) length ${length}`);
      // The general path (the constant requiring a gradient) gives the same bits.
      const leaf = x.detach();
      leaf.requiresGrad = true;
      const constant = nr.tensor(p);
      constant.requiresGrad = true;
      op(leaf, constant).backward(nr.tensor(dys));
      assertExact(leaf.grad!, valuesOf(x.grad!), 'float32', `d${name}(x, p) with p requiring a gradient, length ${length}`);
    }
  }
});

conformance('cast: float to int32 truncates toward zero', () => {
  const values = [-2.7, -2.5, -2, -0.5, -0, 0.5, 0.99, 2.5, 2.7, 1000000.5, -1000000.5, 16777215];
  const expected = values.map((v) => Math.trunc(Math.fround(v)) || 0);
  assertExact(nr.cast(nr.tensor(values), 'int32'), expected, 'int32', 'float32 -> int32');
  assertExact(
    nr.cast(nr.tensor(values, undefined, 'float64'), 'int32'),
    values.map((v) => Math.trunc(v) || 0),
    'int32',
    'float64 -> int32',
  );
});

conformance('cast: anything to bool is x != 0 (NaN is true)', () => {
  // torch.tensor([0., -0., 0.1, -3., inf, nan]).bool() == [False, False, True, True, True, True]
  const values = [0, -0, 0.1, -3, Infinity, NaN];
  assertExact(nr.cast(nr.tensor(values), 'bool'), [0, 0, 1, 1, 1, 1], 'bool', 'float32 -> bool');
  assertExact(nr.cast(nr.tensor([0, 5, -1, 0], undefined, 'int32'), 'bool'), [0, 1, 1, 0], 'bool', 'int32 -> bool');
});

conformance('cast: between float widths, int32 and bool, random and odd lengths', () => {
  const rng = new TestRandom(77);
  for (const length of ODD_LENGTHS) {
    const x = randomTensor(rng, [length], -1e4, 1e4);
    const values = valuesOf(x);
    const as64 = nr.cast(x, 'float64');
    assertExact(as64, values, 'float64', `float32 -> float64 length ${length}`);
    assertExact(nr.cast(as64, 'float32'), values, 'float32', `float64 -> float32 round trip length ${length}`);
    const ints = nr.cast(x, 'int32');
    assertExact(
      ints,
      values.map((v) => Math.trunc(v) || 0),
      'int32',
      `float32 -> int32 length ${length}`,
    );
    assertExact(
      nr.cast(ints, 'float32'),
      values.map((v) => Math.trunc(v) || 0),
      'float32',
      `int32 -> float32 length ${length}`,
    );
  }
  // float64 -> float32 rounds to nearest; int32 -> float32 rounds above 2^24.
  assertExact(
    nr.cast(nr.tensor([0.1, 1 / 3, 1e-50, 1e50], undefined, 'float64'), 'float32'),
    [Math.fround(0.1), Math.fround(1 / 3), 0, Infinity],
    'float32',
    'float64 -> float32 rounding',
  );
  assertExact(
    nr.cast(nr.tensor([16777217, -16777217, 2147483647], undefined, 'int32'), 'float32'),
    [16777216, -16777216, 2147483648],
    'float32',
    'int32 -> float32 rounding',
  );
  assertExact(nr.cast(nr.tensor([true, false, true]), 'float32'), [1, 0, 1], 'float32', 'bool -> float32');
  assertExact(nr.cast(nr.tensor([true, false]), 'int32'), [1, 0], 'int32', 'bool -> int32');
});
