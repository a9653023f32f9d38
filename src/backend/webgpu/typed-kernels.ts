import type { TypedArray } from '../../core/index.js';
import type { ArgReduceOp, AxisView, BinaryOp, Kernels } from '../kernels.js';
import { type DeviceArray, type DeviceTyped, GpuFloat32Array, GpuInt32Array, indicesId, inputId, isDeviceArray } from './array.js';
import type { Dispatch } from './conv-kernels.js';
import { ENTRY, FLAT_INDEX, grid, HELPERS, MAX_RANK, uniform } from './wgsl.js';

/*
 * Kernels over int32 and bool storage: comparisons and logical ops, where, cast, argmax/argmin, oneHot
 * and the CSR sparse product, so that an accuracy metric, a mask or a label never leaves the GPU.
 * An int32 array is bound as array<i32>; a bool array keeps the host's bytes, four to an array<u32>
 * word, so uploads and readbacks move the same bytes as the mirror. A kernel writing bools runs one
 * thread per word (four elements), so no two threads write the same word. Every result but the sparse
 * product's is the js kernel's:
 * NaN is told by its bits (WGSL may assume floats are never NaN), int32 to float32 is one correctly
 * rounded addition, and float32 to int32 wraps modulo 2^32 as a JavaScript Int32Array store does.
 */

type Kind = 'f32' | 'i32' | 'bool';

const kindOf = (a: unknown): Kind | null =>
  a instanceof Float32Array ? 'f32' : a instanceof Int32Array ? 'i32' : a instanceof Uint8Array ? 'bool' : null;

const WGSL_TYPE: Record<Kind, string> = { f32: 'f32', i32: 'i32', bool: 'u32' };

/** The binding of an array of `kind` (bool as words). */
const bind = (name: string, kind: Kind, binding: number, writable = false) =>
  `@group(0) @binding(${binding}) var<storage, ${writable ? 'read_write' : 'read'}> ${name}: array<${WGSL_TYPE[kind]}>;`;

/** Element `at` of array `name` as its kind's value (a bool as a u32 0 or 1). */
const load = (name: string, kind: Kind, at: string) =>
  kind === 'bool' ? `((${name}[(${at}) >> 2u] >> (((${at}) & 3u) * 8u)) & 0xffu)` : `${name}[${at}]`;

/**
 * Exact conversions, after wgsl.ts's HELPERS (isnan32 and key32 read floats by their bits): JavaScript's
 * ToInt32 of a float32, an int32 rounded to float32 once.
 */
const TYPED_HELPERS = /* wgsl */ `${HELPERS}
fn to_int32(x: f32) -> i32 {
  if ((bitcast<u32>(x) & 0x7f800000u) == 0x7f800000u) { return 0; }
  let t = trunc(x);
  if (abs(t) < 2147483648.0) { return i32(t); }
  return bitcast<i32>(u32(t - 4294967296.0 * floor(t / 4294967296.0)));
}
fn to_f32(x: i32) -> f32 { return f32(x >> 16u) * 65536.0 + f32(x & 0xffff); }
`;

/**
 * Comparisons (a, b of one kind, not bool) as u32 0/1 WGSL expressions of a and b. Floats compare as
 * order keys of their bits (key32), so subnormals, which an adapter may flush in float comparisons,
 * keep their order; NaN compares false (notEqual true).
 */
const COMPARE: Partial<Record<BinaryOp, (kind: Kind) => string>> = Object.fromEntries(
  (
    [
      ['equal', '=='],
      ['notEqual', '!='],
      ['less', '<'],
      ['lessEqual', '<='],
      ['greater', '>'],
      ['greaterEqual', '>='],
    ] as const
  ).map(([op, sign]) => {
    // notEqual is the negation of equal, so that NaN != anything holds.
    const [values, test] = op === 'notEqual' ? ['1u, 0u', '=='] : ['0u, 1u', sign];
    const float = `select(${values}, !isnan32(a) && !isnan32(b) && key32(a) ${test} key32(b))`;
    return [op, (kind: Kind) => (kind === 'f32' ? float : `select(0u, 1u, a ${sign} b)`)];
  }),
);

/** Whether `x` of `kind` is not zero (NaN is not zero), as a WGSL bool. */
const nonZero = (x: string, kind: Kind) =>
  kind === 'f32' ? `((bitcast<u32>(${x}) & 0x7fffffffu) != 0u)` : `(${x} != ${kind === 'i32' ? '0' : '0u'})`;

/** `x` of kind `from` as a value of kind `to`, exactly as a typed-array store converts it. */
function convert(x: string, from: Kind, to: Kind): string {
  if (from === to) return to === 'bool' ? `select(0u, 1u, ${x} != 0u)` : x;
  if (to === 'bool') return `select(0u, 1u, ${nonZero(x, from)})`;
  if (to === 'f32') return from === 'i32' ? `to_f32(${x})` : `f32(${x})`;
  return from === 'f32' ? `to_int32(${x})` : `i32(${x})`;
}

/** Strides of an operand of `shape` read as if broadcast to `outShape` (0 where it has extent 1 or none), padded to MAX_RANK. */
function broadcastStrides(shape: readonly number[], outShape: readonly number[]): number[] {
  const rank = outShape.length;
  const s = new Array<number>(MAX_RANK).fill(0);
  let step = 1;
  for (let i = rank - 1; i >= 0; i--) {
    const d = shape[i - (rank - shape.length)] ?? 1;
    s[i] = d === 1 ? 0 : step;
    step *= d;
  }
  return s;
}

/**
 * The kernels below as a table; `broadcast`, which the float binary kernel runs its ops through; and
 * `compare` and `logicalNot`, which the float binary and unary kernels call for the ops they have no shader for.
 */
export function typedKernels(fallback: Kernels, dispatch: Dispatch) {
  /**
   * `out[i] = expr` over up to three operands broadcast to `outShape`: each operand is bound as `v<k>`
   * and read into `a`, `b`, `c` (in order) before `expr` (a WGSL expression of the output's kind).
   * A bool output is written a word (four elements) per thread. `out` is a device array, never a view
   * (the kernels below check isDeviceArray): a bool view's bytes would need a partial-word copy.
   */
  function broadcast(
    key: string,
    operands: readonly { array: DeviceTyped; shape: readonly number[] }[],
    out: DeviceArray,
    outShape: readonly number[],
    expr: string,
  ): void {
    const outKind = kindOf(out)!;
    const kinds = operands.map((o) => kindOf(o.array)!);
    const names = ['a', 'b', 'c'];
    const rank = outShape.length;
    const offsets = operands.map((_, k) => `o${k}`);
    const code = `${TYPED_HELPERS}
${operands.map((_, k) => bind(`v${k}`, kinds[k]!, k)).join('\n')}
${bind('out', outKind, operands.length, true)}
struct P { n: u32, rank: u32, pad0: u32, pad1: u32, dims: array<vec4u, 2>, strides: array<array<vec4u, 2>, ${operands.length}> }
@group(0) @binding(${operands.length + 1}) var<uniform> u: P;
fn value(i: u32) -> ${WGSL_TYPE[outKind]} {
  var rest = i;
  ${offsets.map((o) => `var ${o} = 0u;`).join(' ')}
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let extent = u.dims[d / 4][d % 4];
    let coordinate = rest % extent; rest = rest / extent;
    ${offsets.map((o, k) => `${o} += coordinate * u.strides[${k}][d / 4][d % 4];`).join(' ')}
  }
  ${operands.map((_, k) => `let ${names[k]} = ${load(`v${k}`, kinds[k]!, offsets[k]!)};`).join(' ')}
  return ${expr};
}
${ENTRY} {
  ${FLAT_INDEX}
  ${
    outKind === 'bool'
      ? `if (i * 4u >= u.n) { return; }
  var word = 0u;
  for (var e = 0u; e < 4u; e++) { let k = i * 4u + e; if (k < u.n) { word = word | ((value(k) & 0xffu) << (e * 8u)); } }
  out[i] = word;`
      : 'if (i >= u.n) { return; } out[i] = value(i);'
  }
}`;
    const dims = [...outShape, ...new Array<number>(MAX_RANK - rank).fill(1)];
    const u = uniform([out.length, rank, 0, 0, ...dims, ...operands.flatMap((o) => broadcastStrides(o.shape, outShape))]);
    const threads = outKind === 'bool' ? Math.ceil(out.length / 4) : out.length;
    dispatch(key, code, [...operands.map((o) => inputId(o.array)), out.outputId()], u, grid(threads));
  }

  /** Comparisons and logical ops into a bool device array; false when this case is not one (the caller falls back). */
  function compare(
    op: BinaryOp,
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): boolean {
    const ka = kindOf(a);
    const kb = kindOf(b);
    if (kindOf(out) !== 'bool' || !isDeviceArray(out) || ka === null || kb === null || outShape.length > MAX_RANK) return false;
    let expr: string;
    if (op === 'logicalAnd' || op === 'logicalOr') {
      expr = `select(0u, 1u, ${nonZero('a', ka)} ${op === 'logicalAnd' ? '&&' : '||'} ${nonZero('b', kb)})`;
    } else {
      const form = COMPARE[op];
      // Mixed kinds compare as float64 in js: only one kind (float32 or int32) here.
      if (form === undefined || ka !== kb || ka === 'bool') return false;
      expr = form(ka);
    }
    if (out.length > 0) {
      const operands = [
        { array: a as DeviceTyped, shape: aShape },
        { array: b as DeviceTyped, shape: bShape },
      ];
      broadcast(`compare:${op}:${ka}:${kb}`, operands, out, outShape, expr);
    }
    return true;
  }

  /** logicalNot (any kind to bool; NaN is true, so its negation false); false when the case does not fit. */
  function logicalNot(x: TypedArray, out: TypedArray): boolean {
    const kind = kindOf(x);
    if (kind === null || kindOf(out) !== 'bool' || !isDeviceArray(out)) return false;
    const shape = [out.length];
    if (out.length > 0)
      broadcast(`logicalNot:${kind}`, [{ array: x as DeviceTyped, shape }], out, shape, `select(1u, 0u, ${nonZero('a', kind)})`);
    return true;
  }

  const table: Partial<Kernels> = {
    where(cond, condShape, a, aShape, b, bShape, out, outShape) {
      const kind = kindOf(out);
      if (
        kind === null ||
        kind === 'bool' ||
        !isDeviceArray(out) ||
        kindOf(a) !== kind ||
        kindOf(b) !== kind ||
        outShape.length > MAX_RANK
      ) {
        return fallback.where(cond, condShape, a, aShape, b, bShape, out, outShape);
      }
      if (out.length === 0) return;
      const operands = [
        { array: cond, shape: condShape },
        { array: a as DeviceTyped, shape: aShape },
        { array: b as DeviceTyped, shape: bShape },
      ];
      broadcast(`where:${kind}`, operands, out, outShape, 'select(c, b, a != 0u)');
    },

    cast(x, out) {
      const from = kindOf(x);
      const to = kindOf(out);
      if (from === null || to === null || !isDeviceArray(out)) return fallback.cast(x, out);
      if (out.length === 0) return;
      const shape = [out.length];
      broadcast(`cast:${from}:${to}`, [{ array: x as DeviceTyped, shape }], out, shape, convert('a', from, to));
    },

    argReduce(op: ArgReduceOp, x: TypedArray, view: AxisView, out: Int32Array) {
      if (kindOf(x) !== 'f32' || !(out instanceof GpuInt32Array) || view.length === 0) return fallback.argReduce(op, x, view, out);
      if (out.length === 0) return;
      // The first maximum (minimum) in index order; the first NaN wins, as in the js kernel.
      const code = `${TYPED_HELPERS}
${bind('x', 'f32', 0)}
${bind('out', 'i32', 1, true)}
struct P { n: u32, length: u32, inner: u32 }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let base = (i / u.inner) * u.length * u.inner + i % u.inner;
  var best = x[base];
  var index = 0u;
  if (!isnan32(best)) {
    for (var j = 1u; j < u.length; j++) {
      let v = x[base + j * u.inner];
      if (isnan32(v)) { index = j; break; }
      if (key32(v) ${op === 'argmax' ? '>' : '<'} key32(best)) { best = v; index = j; }
    }
  }
  out[i] = i32(index);
}`;
      dispatch(
        `argReduce:${op}`,
        code,
        [inputId(x as Float32Array), out.outputId()],
        uniform([out.length, view.length, view.inner]),
        grid(out.length),
      );
    },

    oneHot(indices, depth, onValue, offValue, out) {
      const kind = kindOf(out);
      if ((kind !== 'f32' && kind !== 'i32') || !isDeviceArray(out)) return fallback.oneHot(indices, depth, onValue, offValue, out);
      if (out.length === 0) return;
      // The values arrive as they would be stored (an int32 output truncates them, as its store does).
      const onOff = kind === 'f32' ? new Float32Array([onValue, offValue]) : new Int32Array([onValue, offValue]);
      const code = `${bind('indices', 'i32', 0)}
${bind('out', kind, 1, true)}
struct P { n: u32, depth: u32, on: ${kind}, off: ${kind} }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  out[i] = select(u.off, u.on, indices[i / u.depth] == i32(i % u.depth));
}`;
      const u = new Uint32Array([out.length, depth, 0, 0]);
      new (kind === 'f32' ? Float32Array : Int32Array)(u.buffer, 8, 2).set(onOff);
      dispatch(`oneHot:${kind}`, code, [indicesId(indices), out.outputId()], u.buffer, grid(out.length));
    },

    sparseMatmul(rowPtr, colIdx, values, dense, k, out) {
      if (!(out instanceof GpuFloat32Array) || kindOf(values) !== 'f32' || kindOf(dense) !== 'f32') {
        return fallback.sparseMatmul(rowPtr, colIdx, values, dense, k, out);
      }
      const rows = rowPtr.length - 1;
      if (rows * k === 0) return;
      // A thread per output: its row's stored entries in order. Not bit for bit with js (whose float32
      // store after a float64 product rounds once per entry): WGSL's fma may round twice.
      const code = `${bind('rowPtr', 'i32', 0)}
${bind('colIdx', 'i32', 1)}
${bind('values', 'f32', 2)}
${bind('dense', 'f32', 3)}
${bind('out', 'f32', 4, true)}
struct P { n: u32, k: u32 }
@group(0) @binding(5) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let row = i / u.k; let c = i % u.k;
  var acc = 0.0;
  for (var p = rowPtr[row]; p < rowPtr[row + 1u]; p++) { acc = fma(values[p], dense[u32(colIdx[p]) * u.k + c], acc); }
  out[i] = acc;
}`;
      const ids = [indicesId(rowPtr), indicesId(colIdx), inputId(values as Float32Array), inputId(dense as Float32Array), out.outputId()];
      dispatch('sparseMatmul', code, ids, uniform([rows * k, k]), grid(rows * k));
    },
  };
  return { broadcast, compare, logicalNot, table };
}
