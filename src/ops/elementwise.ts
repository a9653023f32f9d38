import { broadcastShapes, configError, show, dtypeError, formatShape, hostArray, isFloat, shapesEqual, type DType } from '../core/index.js';
import { kernels, type BinaryOp, type UnaryGradOp, type UnaryOp } from '../backend/index.js';
import { Tensor, provideGraphOps, record, takeOverwrite } from '../tensor/index.js';
import { castTo, empty, operands, requireFloat, resultType, toTensor, unbroadcast, unfilled, type Operand } from './helpers.js';

/*
 * Elementwise ops. Unary ops share one definition table: what dtype the result has and how the
 * gradient is computed (a fused `unaryGrad` kernel, or none for piecewise-constant functions).
 */

type UnaryKind = 'float' | 'keep' | 'bool';
interface UnarySpec {
  result: UnaryKind;
  grad: UnaryGradOp | 'neg' | null;
}

const UNARY: Record<UnaryOp, UnarySpec> = {
  neg: { result: 'keep', grad: 'neg' },
  abs: { result: 'keep', grad: 'abs' },
  sign: { result: 'keep', grad: null },
  exp: { result: 'float', grad: 'exp' },
  expm1: { result: 'float', grad: 'expm1' },
  log: { result: 'float', grad: 'log' },
  log1p: { result: 'float', grad: 'log1p' },
  sqrt: { result: 'float', grad: 'sqrt' },
  rsqrt: { result: 'float', grad: 'rsqrt' },
  square: { result: 'keep', grad: 'square' },
  reciprocal: { result: 'float', grad: 'reciprocal' },
  sin: { result: 'float', grad: 'sin' },
  cos: { result: 'float', grad: 'cos' },
  tanh: { result: 'float', grad: 'tanh' },
  sigmoid: { result: 'float', grad: 'sigmoid' },
  silu: { result: 'float', grad: 'silu' },
  relu: { result: 'keep', grad: 'relu' },
  boundedRelu: { result: 'keep', grad: 'boundedRelu' },
  leakyRelu: { result: 'float', grad: 'leakyRelu' },
  elu: { result: 'float', grad: 'elu' },
  softplus: { result: 'float', grad: 'softplus' },
  floor: { result: 'keep', grad: null },
  ceil: { result: 'keep', grad: null },
  round: { result: 'keep', grad: null },
  logicalNot: { result: 'bool', grad: null },
};

/** The unary ops that may write over their input: their gradient reads the same from x as from y. */
const OVERWRITING = new Set<UnaryOp>(['relu', 'boundedRelu']);

function unaryOp(op: UnaryOp, input: Operand, param = 0): Tensor {
  const x = toTensor(input);
  const spec = UNARY[op];
  let dtype: DType = x.dtype;
  if (spec.result === 'bool') dtype = 'bool';
  else if (spec.result === 'float' && !isFloat(dtype)) dtype = 'float32';
  else if (spec.result === 'keep' && dtype === 'bool') dtype = 'int32';
  // Written over x, the op's gradient reads its output in x's place (relu's test x > 0 is y > 0).
  const inPlace = OVERWRITING.has(op) && takeOverwrite(x, dtype);
  const y = inPlace ? new Tensor(x._data, x.shape, dtype) : unfilled(x.shape, dtype);
  kernels().unary(op, x._data, y._data, param);
  const grad = spec.grad;
  if (grad === null) return y;
  return record(
    op,
    y,
    [x],
    (g, createGraph) => {
      if (grad === 'neg') return [neg(g)];
      if (createGraph) return [unaryGradient(grad, inPlace ? y : x, y, g, param)];
      const dx = unfilled(x.shape, g.dtype);
      kernels().unaryGrad(grad, x._data as Float32Array, y._data as Float32Array, g._data as Float32Array, dx._data as Float32Array, param);
      return [dx];
    },
    true,
  );
}

type GradientRule = (x: Tensor, y: Tensor, g: Tensor, param: number) => Tensor;

/** The `unaryGrad` kernel's rules as differentiable ops (the same formulas, for higher-order gradients). */
const GRADIENT_RULES: Record<UnaryGradOp, GradientRule> = {
  abs: (x, _y, g) => mul(g, sign(x)),
  exp: (_x, y, g) => mul(g, y),
  expm1: (_x, y, g) => mul(g, add(y, 1)),
  log: (x, _y, g) => div(g, x),
  log1p: (x, _y, g) => div(g, add(x, 1)),
  sqrt: (_x, y, g) => div(mul(g, 0.5), y),
  rsqrt: (_x, y, g) => mul(mul(g, -0.5), mul(square(y), y)),
  square: (x, _y, g) => mul(mul(x, 2), g),
  reciprocal: (_x, y, g) => neg(mul(g, square(y))),
  sin: (x, _y, g) => mul(g, cos(x)),
  cos: (x, _y, g) => neg(mul(g, sin(x))),
  tanh: (_x, y, g) => mul(g, sub(1, square(y))),
  sigmoid: (_x, y, g) => mul(g, mul(y, sub(1, y))),
  silu: (x, _y, g) => {
    const s = sigmoid(x);
    return mul(g, add(s, mul(x, mul(s, sub(1, s)))));
  },
  relu: (x, _y, g) => mul(g, cast(greater(x, 0), g.dtype)),
  boundedRelu: (x, _y, g, bound) => mul(g, cast(logicalAnd(greater(x, 0), less(x, bound)), g.dtype)),
  leakyRelu: (x, _y, g, alpha) => where(greater(x, 0), g, mul(g, alpha)),
  elu: (x, _y, g, alpha) => where(greater(x, 0), g, mul(g, mul(exp(x), alpha))),
  softplus: (x, _y, g) => mul(g, sigmoid(x)),
  minimumScalar: (x, _y, g, p) => tieSplit(g, less(x, p), equal(x, p))[0],
  maximumScalar: (x, _y, g, p) => tieSplit(g, greater(x, p), equal(x, p))[0],
};

/**
 * @internal The gradient `g * op'(x)` of a unary op with output `y`, built from differentiable ops
 * (what the `unaryGrad` kernel computes, for higher-order gradients). Fused ops pass y for x, as
 * they do to the kernel: relu's test x > 0 is y > 0, and sigmoid and tanh read only y.
 */
export function unaryGradient(op: UnaryGradOp, x: Tensor, y: Tensor, g: Tensor, param = 0): Tensor {
  return GRADIENT_RULES[op](x, y, g, param);
}

export const neg = (x: Operand) => unaryOp('neg', x);
export const abs = (x: Operand) => unaryOp('abs', x);
/** -1, 0 or 1 by the sign of each element (no gradient). */
export const sign = (x: Operand) => unaryOp('sign', x);
export const exp = (x: Operand) => unaryOp('exp', x);
export const expm1 = (x: Operand) => unaryOp('expm1', x);
export const log = (x: Operand) => unaryOp('log', x);
export const log1p = (x: Operand) => unaryOp('log1p', x);
export const sqrt = (x: Operand) => unaryOp('sqrt', x);
export const rsqrt = (x: Operand) => unaryOp('rsqrt', x);
export const square = (x: Operand) => unaryOp('square', x);
export const reciprocal = (x: Operand) => unaryOp('reciprocal', x);
export const sin = (x: Operand) => unaryOp('sin', x);
export const cos = (x: Operand) => unaryOp('cos', x);
export const tanh = (x: Operand) => unaryOp('tanh', x);
/** 1 / (1 + e^-x), computed without overflow for any x. */
export const sigmoid = (x: Operand) => unaryOp('sigmoid', x);
/** x * sigmoid(x) in one pass (Keras's swish, PyTorch's silu), and its gradient in one pass. */
export const silu = (x: Operand) => unaryOp('silu', x);
export const relu = (x: Operand) => unaryOp('relu', x);
/** min(max(x, 0), 6), as PyTorch's `relu6` and MobileNet's activation; its gradient is 1 where 0 < x < 6. */
export const relu6 = (x: Operand) => unaryOp('boundedRelu', x, 6);
/** @internal min(max(x, 0), bound) in one pass (Keras's ReLU with `maxValue`); gradient 1 where 0 < x < bound. */
export function boundedRelu(x: Operand, bound: number): Tensor {
  if (typeof bound !== 'number' || !(bound >= 0)) {
    throw configError('boundedRelu', { expected: 'the bound must be a number >= 0', got: show(bound) });
  }
  return unaryOp('boundedRelu', x, bound);
}
/** x for x > 0, alpha * x otherwise (PyTorch's default slope 0.01). */
export const leakyRelu = (x: Operand, alpha = 0.01) => unaryOp('leakyRelu', x, alpha);
/** x for x > 0, alpha * (e^x - 1) otherwise. */
export const elu = (x: Operand, alpha = 1) => unaryOp('elu', x, alpha);
/** log(1 + e^x), exact for large |x|. */
export const softplus = (x: Operand) => unaryOp('softplus', x);
export const floor = (x: Operand) => unaryOp('floor', x);
export const ceil = (x: Operand) => unaryOp('ceil', x);
/** Rounds half to even, like NumPy and PyTorch. */
export const round = (x: Operand) => unaryOp('round', x);
export const logicalNot = (x: Operand) => unaryOp('logicalNot', x);

const COMPARISONS = new Set<BinaryOp>(['equal', 'notEqual', 'less', 'lessEqual', 'greater', 'greaterEqual', 'logicalAnd', 'logicalOr']);

function binaryOp(
  op: BinaryOp,
  left: Operand,
  right: Operand,
  gradient?: (g: Tensor, a: Tensor, b: Tensor, out: Tensor, createGraph: boolean) => [Tensor | null, Tensor | null],
): Tensor {
  const [a, b] = operands(left, right);
  const shape = broadcastShapes(a.shape, b.shape, op);
  let dtype = resultType(a, b);
  if (COMPARISONS.has(op)) dtype = 'bool';
  else if ((op === 'div' || op === 'pow') && !isFloat(dtype)) dtype = 'float32';
  else if (dtype === 'bool') dtype = 'int32';
  // add may write over an operand of the result's shape that it was offered (its gradient reads neither).
  const into =
    op !== 'add'
      ? null
      : shapesEqual(a.shape, shape) && takeOverwrite(a, dtype)
        ? a
        : shapesEqual(b.shape, shape) && takeOverwrite(b, dtype)
          ? b
          : null;
  const out = into ? new Tensor(into._data, shape, dtype) : unfilled(shape, dtype, op);
  kernels().binary(op, a._data, a.shape, b._data, b.shape, out._data, shape);
  if (!gradient) return out;
  return record(
    op,
    out,
    [a, b],
    (g, createGraph) => {
      const [ga, gb] = gradient(g, a, b, out, createGraph);
      return [ga && a.requiresGrad ? unbroadcast(ga, a.shape) : null, gb && b.requiresGrad ? unbroadcast(gb, b.shape) : null];
    },
    true,
  );
}

export function add(a: Operand, b: Operand): Tensor {
  return binaryOp('add', a, b, (g) => [g, g]);
}

export function sub(a: Operand, b: Operand): Tensor {
  return binaryOp('sub', a, b, (g, _a, bt) => [g, bt.requiresGrad ? neg(g) : null]);
}

export function mul(a: Operand, b: Operand): Tensor {
  return binaryOp('mul', a, b, (g, at, bt) => [at.requiresGrad ? mul(g, bt) : null, bt.requiresGrad ? mul(g, at) : null]);
}

/** True division; integer inputs give a float32 result, as in PyTorch. */
export function div(a: Operand, b: Operand): Tensor {
  return binaryOp('div', a, b, (g, at, bt, out) => [
    at.requiresGrad ? div(g, bt) : null,
    bt.requiresGrad ? neg(div(mul(g, out), bt)) : null,
  ]);
}

/** a^b elementwise. The gradient with respect to b is taken as 0 where a <= 0 (log a undefined). */
export function pow(a: Operand, b: Operand): Tensor {
  return binaryOp('pow', a, b, (g, at, bt, out) => [
    at.requiresGrad ? mul(g, mul(bt, pow(at, sub(bt, 1)))) : null,
    bt.requiresGrad ? mul(g, exponentSlope(at, out)) : null,
  ]);
}

/** d(a^b)/db = a^b log a where a > 0, else 0; log of 1 where a <= 0 keeps the masked branch (and its derivative) finite. */
function exponentSlope(base: Tensor, power: Tensor): Tensor {
  const positive = greater(base, 0);
  return where(positive, mul(power, log(where(positive, base, 1))), 0);
}

/** Elementwise maximum; at ties the gradient is split evenly, as PyTorch does. */
export function maximum(a: Operand, b: Operand): Tensor {
  return binaryOp(
    'maximum',
    a,
    b,
    (g, at, bt, _out, createGraph) =>
      againstConstant('maximumScalar', g, at, bt, createGraph) ?? tieSplit(g, greater(at, bt), equal(at, bt)),
  );
}

/** Elementwise minimum; at ties the gradient is split evenly. */
export function minimum(a: Operand, b: Operand): Tensor {
  return binaryOp(
    'minimum',
    a,
    b,
    (g, at, bt, _out, createGraph) => againstConstant('minimumScalar', g, at, bt, createGraph) ?? tieSplit(g, less(at, bt), equal(at, bt)),
  );
}

/**
 * minimum / maximum of a tensor and, second, a constant scalar of its dtype (ReLU6's min(x, 6)): the
 * tensor's gradient in one `unaryGrad` pass instead of tieSplit's comparisons, casts and products
 * over the whole tensor (MobileNetV2's ReLU6 layers spent most of a training step there). The same
 * values: g times 1, 0.5 or 0. Null when the operands are not such a pair.
 */
function againstConstant(
  op: 'minimumScalar' | 'maximumScalar',
  g: Tensor,
  x: Tensor,
  p: Tensor,
  createGraph: boolean,
): [Tensor, null] | null {
  if (p.size !== 1 || p.requiresGrad || !isFloat(x.dtype) || p.dtype !== x.dtype || g.dtype !== x.dtype) return null;
  if (!shapesEqual(x.shape, g.shape)) return null;
  const param = hostArray(p._data)[0] as number;
  if (createGraph) return [unaryGradient(op, x, x, g, param), null];
  const dx = empty(x.shape, g.dtype);
  kernels().unaryGrad(op, x._data as Float32Array, x._data as Float32Array, g._data as Float32Array, dx._data as Float32Array, param);
  return [dx, null];
}

function tieSplit(g: Tensor, wins: Tensor, ties: Tensor): [Tensor, Tensor] {
  const share = add(cast(wins, g.dtype), mul(cast(ties, g.dtype), 0.5));
  return [mul(g, share), mul(g, sub(1, share))];
}

/** floor(a / b) (no gradient). */
export const floorDiv = (a: Operand, b: Operand) => binaryOp('floorDiv', a, b);
/** a mod b with the divisor's sign, like Python's % (no gradient). */
export const mod = (a: Operand, b: Operand) => binaryOp('mod', a, b);
export const equal = (a: Operand, b: Operand) => binaryOp('equal', a, b);
export const notEqual = (a: Operand, b: Operand) => binaryOp('notEqual', a, b);
export const less = (a: Operand, b: Operand) => binaryOp('less', a, b);
export const lessEqual = (a: Operand, b: Operand) => binaryOp('lessEqual', a, b);
export const greater = (a: Operand, b: Operand) => binaryOp('greater', a, b);
export const greaterEqual = (a: Operand, b: Operand) => binaryOp('greaterEqual', a, b);
export const logicalAnd = (a: Operand, b: Operand) => binaryOp('logicalAnd', a, b);
export const logicalOr = (a: Operand, b: Operand) => binaryOp('logicalOr', a, b);

/**
 * Picks `a` where `condition` is true and `b` elsewhere; all three broadcast together.
 *
 * ```ts
 * nr.where(x.greater(0), x, 0); // relu
 * ```
 */
export function where(condition: Operand, a: Operand, b: Operand): Tensor {
  const cond = toTensor(condition);
  if (cond.dtype !== 'bool') {
    throw dtypeError('where', {
      expected: 'the condition must be a bool tensor',
      got: `${cond.dtype} ${formatShape(cond.shape)}`,
      hint: 'build it with a comparison such as x.greater(0)',
    });
  }
  const [ta, tb] = operands(a, b);
  const shape = broadcastShapes(broadcastShapes(cond.shape, ta.shape, 'where'), tb.shape, 'where');
  const out = empty(shape, resultType(ta, tb), 'where');
  kernels().where(cond._data as Uint8Array, cond.shape, ta._data, ta.shape, tb._data, tb.shape, out._data, shape);
  return record(
    'where',
    out,
    [ta, tb],
    (g) => {
      const zero = toTensor(0, g);
      return [
        ta.requiresGrad ? unbroadcast(where(cond, g, zero), ta.shape) : null,
        tb.requiresGrad ? unbroadcast(where(cond, zero, g), tb.shape) : null,
      ];
    },
    true,
  );
}

/**
 * Limits values to `[min, max]`. The gradient passes where min <= x <= max, as in PyTorch's clamp.
 */
export function clip(input: Operand, min: number, max: number): Tensor {
  const x = toTensor(input);
  const out = minimum(maximum(detach(x), min), max);
  return record('clip', out, [x], (g) => [mul(g, cast(logicalAnd(greaterEqual(x, min), lessEqual(x, max)), g.dtype))], true);
}

/** Converts to another dtype; gradients flow through float-to-float casts. */
export function cast(input: Operand, dtype: DType): Tensor {
  const x = toTensor(input);
  const out = castTo(x, dtype);
  if (out === x) return x;
  if (!isFloat(dtype)) return out;
  return record('cast', out, [x], (g, createGraph) => [createGraph ? cast(g, x.dtype) : castTo(g, x.dtype)], true);
}

/** A constant copy of the values that shares storage and records nothing (PyTorch's detach). */
export function detach(x: Tensor): Tensor {
  return new Tensor(x._data, x.shape, x.dtype);
}

/** A copy with its own storage; gradients flow through it. */
export function clone(input: Operand): Tensor {
  const x = toTensor(input);
  const out = new Tensor(hostArray(x._data).slice(), x.shape, x.dtype);
  return record('clone', out, [x], (g) => [g], true);
}

provideGraphOps({ add, cast });

export { requireFloat };
