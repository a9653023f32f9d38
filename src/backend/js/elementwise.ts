import type { TypedArray, FloatArray } from '../../core/index.js';
import type { BinaryOp, UnaryOp, UnaryGradOp } from '../kernels.js';
import { forEachRow, planRows } from './strided.js';

/*
 * Elementwise kernels. Each op has its own loop (no per-element function calls); JavaScript computes
 * in float64 and the store into a Float32Array rounds once, which is float32's correct rounding.
 */

type UnaryLoop = (x: TypedArray, out: TypedArray, n: number, param: number) => void;

const unaryLoops: Record<UnaryOp, UnaryLoop> = {
  neg: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -x[i]!;
  },
  abs: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.abs(x[i]!);
  },
  sign: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? 1 : v < 0 ? -1 : v;
    }
  },
  exp: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.exp(x[i]!);
  },
  expm1: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.expm1(x[i]!);
  },
  log: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log(x[i]!);
  },
  log1p: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.log1p(x[i]!);
  },
  sqrt: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sqrt(x[i]!);
  },
  rsqrt: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / Math.sqrt(x[i]!);
  },
  square: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v * v;
    }
  },
  reciprocal: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 1 / x[i]!;
  },
  sin: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.sin(x[i]!);
  },
  cos: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.cos(x[i]!);
  },
  tanh: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.tanh(x[i]!);
  },
  // exp(-|v|) never overflows, so both branches stay finite for any input.
  sigmoid: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const e = Math.exp(-Math.abs(v));
      o[i] = v >= 0 ? 1 / (1 + e) : e / (1 + e);
    }
  },
  // x * sigmoid(x), the sigmoid as above (swish; PyTorch's silu).
  silu: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const e = Math.exp(-Math.abs(v));
      o[i] = v * (v >= 0 ? 1 / (1 + e) : e / (1 + e));
    }
  },
  // `v < 0 ? 0 : v` lets NaN through, as PyTorch's relu does.
  relu: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v < 0 ? 0 : v;
    }
  },
  // NaN passes, as in relu.
  boundedRelu: (x, o, n, bound) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v < 0 ? 0 : v > bound ? bound : v;
    }
  },
  leakyRelu: (x, o, n, alpha) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? v : alpha * v;
    }
  },
  elu: (x, o, n, alpha) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? v : alpha * Math.expm1(v);
    }
  },
  // log(1 + e^v) = max(v, 0) + log1p(e^-|v|): exact for large |v| where the naive form overflows.
  softplus: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = (v > 0 ? v : 0) + Math.log1p(Math.exp(-Math.abs(v)));
    }
  },
  floor: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.floor(x[i]!);
  },
  ceil: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = Math.ceil(x[i]!);
  },
  // Round half to even, as NumPy and PyTorch do.
  round: (x, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const r = Math.round(v);
      o[i] = r - v === 0.5 && r % 2 !== 0 ? r - 1 : r;
    }
  },
  // Truth is `x != 0` as in C and PyTorch (so NaN is true, unlike JavaScript's truthiness).
  logicalNot: (x, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i] !== 0 ? 0 : 1;
  },
};

export function unary(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void {
  unaryLoops[op](x, out, out.length, param);
}

type GradLoop = (x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, n: number, param: number) => void;

const gradLoops: Record<UnaryGradOp, GradLoop> = {
  minimumScalar: (x, _y, d, o, n, p) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = d[i]! * (v < p ? 1 : v === p ? 0.5 : 0);
    }
  },
  maximumScalar: (x, _y, d, o, n, p) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = d[i]! * (v > p ? 1 : v === p ? 0.5 : 0);
    }
  },
  abs: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? d[i]! : v < 0 ? -d[i]! : 0;
    }
  },
  exp: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = d[i]! * y[i]!;
  },
  expm1: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = d[i]! * (y[i]! + 1);
  },
  log: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = d[i]! / x[i]!;
  },
  log1p: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = d[i]! / (1 + x[i]!);
  },
  sqrt: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = (0.5 * d[i]!) / y[i]!;
  },
  rsqrt: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      o[i] = -0.5 * d[i]! * v * v * v;
    }
  },
  square: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = 2 * x[i]! * d[i]!;
  },
  reciprocal: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      o[i] = -d[i]! * v * v;
    }
  },
  sin: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = d[i]! * Math.cos(x[i]!);
  },
  cos: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = -d[i]! * Math.sin(x[i]!);
  },
  tanh: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      o[i] = d[i]! * (1 - v * v);
    }
  },
  sigmoid: (_x, y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = y[i]!;
      o[i] = d[i]! * v * (1 - v);
    }
  },
  relu: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) o[i] = x[i]! > 0 ? d[i]! : 0;
  },
  // silu'(x) = s (1 + x (1 - s)), s = sigmoid(x) recomputed from x.
  silu: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const e = Math.exp(-Math.abs(v));
      const s = v >= 0 ? 1 / (1 + e) : e / (1 + e);
      o[i] = d[i]! * (s + v * s * (1 - s));
    }
  },
  boundedRelu: (x, _y, d, o, n, bound) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 && v < bound ? d[i]! : 0;
    }
  },
  leakyRelu: (x, _y, d, o, n, alpha) => {
    for (let i = 0; i < n; i++) o[i] = x[i]! > 0 ? d[i]! : alpha * d[i]!;
  },
  // alpha * e^x rather than y + alpha: the sum cancels for very negative x.
  elu: (x, _y, d, o, n, alpha) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      o[i] = v > 0 ? d[i]! : d[i]! * alpha * Math.exp(v);
    }
  },
  softplus: (x, _y, d, o, n) => {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const e = Math.exp(-Math.abs(v));
      o[i] = d[i]! * (v >= 0 ? 1 / (1 + e) : e / (1 + e));
    }
  },
};

export function unaryGrad(op: UnaryGradOp, x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, param: number): void {
  gradLoops[op](x, y, dy, out, out.length, param);
}

/*
 * gelu. Phi(-a) = erfc(a / sqrt 2) / 2 for a >= 0 is computed as erfc(z) = t exp(-z^2 + h(s)), with
 * t = 2 / (2 + z) and s = 2t - 1 = (2 - z) / (2 + z): h is smooth on [-1, 1], and the Chebyshev
 * series below (test/fixtures/fit_normal_tail.py) gives erfc to about 2 ulp of float64 for every z.
 * native/kernels/elementwise_impl.h uses its first twelve terms in float32.
 */
const NORMAL_TAIL_SERIES = [
  -0.6513268598908547, 0.64196979235649021, 0.019476473204185836, -0.0095615147868086323, -0.00094659534448203692, 0.00036683949785276145,
  4.2523324806907769e-5, -2.0278578112534242e-5, -1.6242900046470256e-6, 1.3036558355805232e-6, 1.5626441722066142e-8,
  -8.5238095914926541e-8, 6.5290544390988515e-9, 5.0593434955514693e-9, -9.9136415649303307e-10, -2.273651222931836e-10,
  9.646791102015527e-11, 2.3940380830391146e-12, -6.8860275264975532e-12, 8.9448792730907253e-13, 3.1309213993429581e-13,
  -1.1270822361367252e-13, 3.8109052551892321e-16, 7.1060976136092371e-15, -1.5230282014571043e-15, -9.4574945712912334e-17,
  1.210237189224279e-16, -2.8166630877471771e-17, 5.0030055594459019e-20,
];
const INV_SQRT_2PI = 0.3989422804014327;
/** sqrt(2 / pi) and 0.044715: the tanh form (Keras's approximate=True, PyTorch's approximate='tanh'). */
const TANH_SCALE = 0.7978845608028654;
const TANH_CUBIC = 0.044715;

/** exp(-a^2 / 2), a >= 0: a to float32's 24 bits squares exactly, so the rounding of a^2 costs nothing. */
function gaussian(a: number): number {
  const hi = Math.fround(a);
  const lo = a - hi;
  return Math.exp(-0.5 * hi * hi) * Math.exp(-0.5 * lo * (a + hi));
}

/** Phi(-a) / exp(-a^2 / 2) for a >= 0, so that Phi(-a) = tailRatio(a) * gaussian(a). */
function tailRatio(a: number): number {
  const z = a * Math.SQRT1_2;
  const inverse = 1 / (2 + z);
  const s = (2 - z) * inverse;
  let b1 = 0;
  let b2 = 0;
  for (let k = NORMAL_TAIL_SERIES.length - 1; k >= 1; k--) {
    const b = NORMAL_TAIL_SERIES[k]! + 2 * s * b1 - b2;
    b2 = b1;
    b1 = b;
  }
  return inverse * Math.exp(NORMAL_TAIL_SERIES[0]! + s * b1 - b2);
}

/** |v| up to 40, beyond which Phi(-|v|) is 0 in float64: keeps infinities out of the series (NaN gives 40; v carries it). */
function bounded(v: number): number {
  const a = Math.abs(v);
  return a < 40 ? a : 40;
}

/**
 * 2u, u = sqrt(2 / pi) (x + 0.044715 x^3): the tanh form is computed as x * sigmoid(2u), which equals
 * 0.5 x (1 + tanh(u)) without its cancellation for negative x.
 */
function tanhFormArgument(v: number): number {
  return 2 * TANH_SCALE * v * (1 + TANH_CUBIC * v * v);
}

/** x * Phi(x) (Phi(x) = 1 - Phi(-x) for x >= 0), or the tanh form; gelu(-inf) is NaN, as in PyTorch. */
export function gelu(x: FloatArray, out: FloatArray, approximate: boolean): void {
  const n = out.length;
  if (approximate) {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const w = tanhFormArgument(v);
      const e = Math.exp(-Math.abs(w));
      out[i] = v * (w >= 0 ? 1 / (1 + e) : e / (1 + e));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const a = bounded(v);
    const tail = tailRatio(a) * gaussian(a);
    out[i] = v < 0 ? v * tail : v * (1 - tail);
  }
}

/** dx = dy * (Phi(x) + x phi(x)), or the tanh form's derivative. */
export function geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: boolean): void {
  const n = dx.length;
  if (approximate) {
    for (let i = 0; i < n; i++) {
      const v = x[i]!;
      const w = tanhFormArgument(v);
      // sigmoid(w) and 1 - sigmoid(w), each without cancellation.
      const e = Math.exp(-Math.abs(w));
      const p = w >= 0 ? 1 / (1 + e) : e / (1 + e);
      const q = w >= 0 ? e / (1 + e) : 1 / (1 + e);
      dx[i] = dy[i]! * (p + v * p * q * 2 * TANH_SCALE * (1 + 3 * TANH_CUBIC * v * v));
    }
    return;
  }
  for (let i = 0; i < n; i++) {
    const v = x[i]!;
    const a = bounded(v);
    const density = gaussian(a);
    const tail = tailRatio(a) * density;
    dx[i] = dy[i]! * ((v < 0 ? tail : 1 - tail) + v * INV_SQRT_2PI * density);
  }
}

type BinaryRow = (
  a: TypedArray,
  ai: number,
  as: number,
  b: TypedArray,
  bi: number,
  bs: number,
  o: TypedArray,
  oi: number,
  n: number,
) => void;

const binaryRows: Record<BinaryOp, BinaryRow> = {
  add: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! + b[bi]!;
  },
  sub: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! - b[bi]!;
  },
  mul: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! * b[bi]!;
  },
  div: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! / b[bi]!;
  },
  // C's pow (and PyTorch) give 1 for pow(1, NaN) and pow(-1, ±inf), where Math.pow gives NaN.
  pow: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) {
      const x = a[ai]!,
        y = b[bi]!;
      o[oi] = x === 1 || (x === -1 && (y === Infinity || y === -Infinity)) ? 1 : x ** y;
    }
  },
  // NaN wins, as in PyTorch's maximum/minimum.
  maximum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) {
      const x = a[ai]!,
        y = b[bi]!;
      o[oi] = x > y || x !== x ? x : y;
    }
  },
  minimum: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) {
      const x = a[ai]!,
        y = b[bi]!;
      o[oi] = x < y || x !== x ? x : y;
    }
  },
  floorDiv: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = Math.floor(a[ai]! / b[bi]!);
  },
  // Python's modulo: the result takes the divisor's sign.
  mod: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) {
      const x = a[ai]!,
        y = b[bi]!;
      o[oi] = x - Math.floor(x / y) * y;
    }
  },
  equal: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai] === b[bi] ? 1 : 0;
  },
  notEqual: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai] !== b[bi] ? 1 : 0;
  },
  less: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! < b[bi]! ? 1 : 0;
  },
  lessEqual: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! <= b[bi]! ? 1 : 0;
  },
  greater: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! > b[bi]! ? 1 : 0;
  },
  greaterEqual: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai]! >= b[bi]! ? 1 : 0;
  },
  logicalAnd: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai] !== 0 && b[bi] !== 0 ? 1 : 0;
  },
  logicalOr: (a, ai, as, b, bi, bs, o, oi, n) => {
    for (let e = oi + n; oi < e; oi++, ai += as, bi += bs) o[oi] = a[ai] !== 0 || b[bi] !== 0 ? 1 : 0;
  },
};

export function binary(
  op: BinaryOp,
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  const row = binaryRows[op];
  const n = out.length;
  // Fast paths: equal sizes (same shape) and a scalar operand need no plan.
  if (a.length === n && b.length === n) {
    row(a, 0, 1, b, 0, 1, out, 0, n);
    return;
  }
  if (b.length === 1 && a.length === n) {
    row(a, 0, 1, b, 0, 0, out, 0, n);
    return;
  }
  if (a.length === 1 && b.length === n) {
    row(a, 0, 0, b, 0, 1, out, 0, n);
    return;
  }
  const plan = planRows(outShape, [aShape, bShape]);
  const [as, bs] = plan.rowStrides as [number, number];
  const len = plan.rowLength;
  forEachRow(plan, (offsets, oi) => row(a, offsets[0]!, as, b, offsets[1]!, bs, out, oi, len));
}

export function where(
  cond: Uint8Array,
  condShape: readonly number[],
  a: TypedArray,
  aShape: readonly number[],
  b: TypedArray,
  bShape: readonly number[],
  out: TypedArray,
  outShape: readonly number[],
): void {
  if (a === b && cond.length === 1 && condShape.length === 0) {
    // One operand under a constant condition: a broadcast copy (expand, e.g. nearest upsampling), planned
    // on that operand alone so rows are longer, and copied without reading the condition per element.
    const copy = planRows(outShape, [aShape]);
    const [step] = copy.rowStrides as [number];
    const length = copy.rowLength;
    forEachRow(copy, (offsets, oi) => {
      const ai = offsets[0]!;
      if (step === 0) out.fill(a[ai]!, oi, oi + length);
      else if (step === 1) out.set(a.subarray(ai, ai + length), oi);
      else for (let j = 0; j < length; j++) out[oi + j] = a[ai + j * step]!;
    });
    return;
  }
  const plan = planRows(outShape, [condShape, aShape, bShape]);
  const [cs, as, bs] = plan.rowStrides as [number, number, number];
  const len = plan.rowLength;
  forEachRow(plan, (offsets, oi) => {
    let ci = offsets[0]!,
      ai = offsets[1]!,
      bi = offsets[2]!;
    for (let e = oi + len; oi < e; oi++, ci += cs, ai += as, bi += bs) out[oi] = cond[ci] ? a[ai]! : b[bi]!;
  });
}

export function cast(x: TypedArray, out: TypedArray): void {
  const n = out.length;
  if (out instanceof Uint8Array) {
    for (let i = 0; i < n; i++) out[i] = x[i] !== 0 ? 1 : 0;
  } else {
    // Typed-array stores truncate toward zero for Int32Array and round for Float32Array.
    for (let i = 0; i < n; i++) out[i] = x[i]!;
  }
}
