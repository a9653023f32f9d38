import type { FloatArray, TypedArray } from '../../core/index.js';
import type {
  AxisView,
  BinaryOp,
  Kernels,
  LinearActivation,
  MatmulArgs,
  ReduceOp,
  UnaryGradOp,
  UnaryOp,
  UpdateParams,
  UpdateRule,
} from '../kernels.js';
import { dropTemporary, type GpuFloat32Array, inputId, releaseTemporary, separateBindings, viewOutputId, viewWritable } from './array.js';
import type { Bridge } from './bridge.js';
import { convKernels, gemmShader, TILE } from './conv-kernels.js';
import { layoutKernels } from './layout-kernels.js';
import { normKernels } from './norm-kernels.js';
import { sequenceKernels } from './sequence-kernels.js';
import { typedKernels } from './typed-kernels.js';
import { ACTIVATION, ENTRY, FLAT_INDEX, grid, HELPERS, isF32, MAX_RANK, onDevice, storage, uniform } from './wgsl.js';

/*
 * The WGSL kernels. Each decides per call: float32 operands it has a shader for, with an output that
 * is a device array, run on the GPU; anything else (another dtype, an op without a shader here, an
 * output that is a plain array or a view) runs the js kernel through `fallback`, which syncs first.
 * exp, sigmoid and tanh are written out (ports of native/kernels/elementwise_impl.h's exp_f32,
 * sigmoid_f32, tanh_f32) because WGSL's built-ins may be several ulps off, more than the
 * conformance tolerance; + - * / sqrt floor ceil round and comparisons are WGSL's own.
 */

/** WGSL expressions of `v` (and `p`, the op's parameter) for the unary ops with a shader. */
const UNARY: Partial<Record<UnaryOp, string>> = {
  neg: '-v',
  abs: 'abs(v)',
  exp: 'exp32(v)',
  sqrt: 'sqrt(v)',
  rsqrt: '1.0 / sqrt(v)',
  square: 'v * v',
  reciprocal: '1.0 / v',
  tanh: 'tanh32(v)',
  sigmoid: 'sigmoid32(v)',
  silu: 'v * sigmoid32(v)',
  // `v < 0 ? 0 : v` lets NaN through, as the js kernel does.
  relu: 'select(v, 0.0, v < 0.0)',
  boundedRelu: 'select(select(v, p, v > p), 0.0, v < 0.0)',
  leakyRelu: 'select(p * v, v, v > 0.0)',
  // From the bits: subnormals are +-1 too (an adapter may flush them in comparisons), zeros and NaN stay.
  sign: 'select(select(-1.0, 1.0, bitcast<u32>(v) < 0x80000000u), v, (bitcast<u32>(v) & 0x7fffffffu) - 1u >= 0x7f800000u)',
  expm1: 'expm1_32(v)',
  log: 'log32(v)',
  log1p: 'log1p32(v)',
  elu: 'select(p * expm1_32(v), v, v > 0.0)',
  softplus: 'select(0.0, v, v > 0.0) + log1p32(exp32(-abs(v)))',
  floor: 'floor(v)',
  ceil: 'ceil(v)',
  // WGSL's round is half to even, as the js kernel's.
  round: 'round(v)',
};

/** dx from x, the forward output y, dy and the parameter p. */
const UNARY_GRAD: Partial<Record<UnaryGradOp, string>> = {
  abs: 'select(select(0.0, -d, x < 0.0), d, x > 0.0)',
  exp: 'd * y',
  sqrt: '(0.5 * d) / y',
  square: '2.0 * x * d',
  tanh: 'd * (1.0 - y * y)',
  sigmoid: 'd * y * (1.0 - y)',
  relu: 'select(0.0, d, x > 0.0)',
  boundedRelu: 'select(0.0, d, x > 0.0 && x < p)',
  leakyRelu: 'select(p * d, d, x > 0.0)',
  expm1: 'd * (y + 1.0)',
  log: 'd / x',
  log1p: 'd / (1.0 + x)',
  rsqrt: '-0.5 * d * y * y * y',
  reciprocal: '-d * y * y',
  silu: 'd * (sigmoid32(x) + x * sigmoid32(x) * (1.0 - sigmoid32(x)))',
  elu: 'select(d * p * exp32(x), d, x > 0.0)',
  softplus: 'd * sigmoid32(x)',
  minimumScalar: 'd * select(select(0.0, 0.5, x == p), 1.0, x < p)',
  maximumScalar: 'd * select(select(0.0, 0.5, x == p), 1.0, x > p)',
};

/** Binary float32 ops whose float32 result is the correctly rounded one (NaN wins in maximum/minimum, as in js). */
const BINARY: Partial<Record<BinaryOp, string>> = {
  add: 'a + b',
  sub: 'a - b',
  mul: 'a * b',
  div: 'a / b',
  // Ordered by the bits' keys (wgsl.ts key32), so a subnormal an adapter flushes still wins over 0.
  maximum: 'select(b, a, (!isnan32(b) && key32(a) > key32(b)) || isnan32(a))',
  minimum: 'select(b, a, (!isnan32(b) && key32(a) < key32(b)) || isnan32(a))',
};

/**
 * gelu and its slope, exact erf form and tanh form: ports of native/kernels/elementwise_impl.h's
 * normal_tail_f32 (Phi(-|x|) by a Chebyshev series of erfc's smooth part, exp(-x^2 / 2) split so
 * that x^2 is not rounded), gelu_f32, gelu_slope_f32, gelu_tanh_f32 and gelu_tanh_slope_f32.
 */
const GELU = /* wgsl */ `
fn normal_tail32(x: f32) -> vec2<f32> {
  var c = array<f32, 12>(-0.65132686, 0.641969792, 0.0194764732, -0.00956151479, -0.000946595344, 0.000366839498,
    4.25233248e-05, -2.02785781e-05, -1.62429e-06, 1.30365584e-06, 1.56264417e-08, -8.52380959e-08);
  let ax = abs(x);
  let a = select(16.0, ax, ax < 16.0);
  let z = a * 0.707106781;
  let inverse = 1.0 / (2.0 + z);
  let s = (2.0 - z) * inverse;
  var b1 = 0.0;
  var b2 = 0.0;
  for (var k = 11; k >= 1; k--) {
    let b = c[k] + 2.0 * s * b1 - b2;
    b2 = b1;
    b1 = b;
  }
  let h = c[0] + s * b1 - b2;
  let hi = bitcast<f32>(bitcast<i32>(a) & -4096);
  let lo = a - hi;
  let density = exp32(-0.5 * hi * hi) * exp32(-0.5 * lo * (a + hi));
  return vec2<f32>(inverse * density * exp32(h), density);
}
fn gelu32(x: f32) -> f32 {
  let t = normal_tail32(x).x;
  return select(x * (1.0 - t), x * t, x < 0.0);
}
fn gelu_slope32(x: f32) -> f32 {
  let r = normal_tail32(x);
  return select(1.0 - r.x, r.x, x < 0.0) + x * 0.398942280 * r.y;
}
fn gelu_tanh32(x: f32) -> f32 {
  return x * sigmoid32(2.0 * 0.797884561 * x * (1.0 + 0.044715 * x * x));
}
fn gelu_tanh_slope32(x: f32) -> f32 {
  let w = 2.0 * 0.797884561 * x * (1.0 + 0.044715 * x * x);
  let e = exp32(-abs(w));
  let r = 1.0 / (1.0 + e);
  let p = select(e * r, r, w >= 0.0);
  let q = select(r, e * r, w >= 0.0);
  return p + x * p * q * 2.0 * 0.797884561 * (1.0 + 3.0 * 0.044715 * x * x);
}
`;

/** The webgpu kernel table over `bridge`, with `fallback` (the js kernels behind a sync) for every other case. */
export function webgpuKernels(bridge: Bridge, fallback: Kernels): Partial<Kernels> {
  const dispatch = (key: string, code: string, ids: number[], u: ArrayBuffer, groups: [number, number, number]) => {
    try {
      bridge.run(key, code, separateBindings(ids), u, groups);
    } catch (error) {
      dropTemporary();
      throw error;
    }
    releaseTemporary();
  };

  /**
   * One thread per output value: `inputs` bound by name in order, then `out`, then the uniform
   * {n, p}; `body` assigns `out[i]` (with `p`, the op's parameter; `extra` adds WGSL functions).
   */
  function perValue(key: string, inputs: Record<string, Float32Array>, out: GpuFloat32Array, body: string, param = 0, extra = ''): void {
    if (out.length === 0) return;
    const names = Object.keys(inputs);
    const code = `${HELPERS}${extra}${storage([...names, 'out'], new Set(['out']))}
struct P { n: u32, p: f32 }
@group(0) @binding(${names.length + 1}) var<uniform> u: P;
${ENTRY} { ${FLAT_INDEX} if (i >= u.n) { return; } let p = u.p; ${body} }`;
    const ids = [...Object.values(inputs).map(inputId), out.outputId()];
    dispatch(key, code, ids, uniform([out.length, param], new Set([1])), grid(out.length));
  }

  const typed = typedKernels(fallback, dispatch);

  function unary(op: UnaryOp, x: TypedArray, out: TypedArray, param: number): void {
    const expr = UNARY[op];
    if (op === 'logicalNot' && typed.logicalNot(x, out)) return;
    if (expr === undefined || !isF32(x) || !onDevice(out)) fallback.unary(op, x, out, param);
    else perValue(`unary:${op}`, { x }, out, `let v = x[i]; out[i] = ${expr};`, param);
  }

  function unaryGrad(op: UnaryGradOp, x: FloatArray, y: FloatArray, dy: FloatArray, out: FloatArray, param: number): void {
    const expr = UNARY_GRAD[op];
    if (expr === undefined || !isF32(x) || !isF32(y) || !isF32(dy) || !onDevice(out)) fallback.unaryGrad(op, x, y, dy, out, param);
    else
      perValue(`unaryGrad:${op}`, { xs: x, ys: y, ds: dy }, out, `let x = xs[i]; let y = ys[i]; let d = ds[i]; out[i] = ${expr};`, param);
  }

  function gelu(x: FloatArray, out: FloatArray, approximate: boolean): void {
    if (!isF32(x) || !onDevice(out)) fallback.gelu(x, out, approximate);
    else perValue(`gelu:${approximate}`, { x }, out, `out[i] = ${approximate ? 'gelu_tanh32' : 'gelu32'}(x[i]);`, 0, GELU);
  }

  function geluBackward(x: FloatArray, dy: FloatArray, dx: FloatArray, approximate: boolean): void {
    if (!isF32(x) || !isF32(dy) || !onDevice(dx)) fallback.geluBackward(x, dy, dx, approximate);
    else
      perValue(
        `geluBackward:${approximate}`,
        { x, dy },
        dx,
        `out[i] = dy[i] * ${approximate ? 'gelu_tanh_slope32' : 'gelu_slope32'}(x[i]);`,
        0,
        GELU,
      );
  }

  function binary(
    op: BinaryOp,
    a: TypedArray,
    aShape: readonly number[],
    b: TypedArray,
    bShape: readonly number[],
    out: TypedArray,
    outShape: readonly number[],
  ): void {
    const expr = BINARY[op];
    if (expr === undefined && typed.compare(op, a, aShape, b, bShape, out, outShape)) return;
    if (expr === undefined || !isF32(a) || !isF32(b) || !onDevice(out) || outShape.length > MAX_RANK) {
      fallback.binary(op, a, aShape, b, bShape, out, outShape);
      return;
    }
    if (out.length === 0) return;
    const operands = [
      { array: a, shape: aShape },
      { array: b, shape: bShape },
    ];
    typed.broadcast(`binary:${op}`, operands, out, outShape, expr);
  }

  function reduce(op: ReduceOp, x: TypedArray, view: AxisView, out: TypedArray): void {
    if ((op !== 'sum' && op !== 'max' && op !== 'min') || !isF32(x) || !viewWritable(out) || view.length === 0) {
      fallback.reduce(op, x, view, out);
      return;
    }
    if (out.length === 0) return;
    // One thread per output, the axis summed in index order (Kahan-compensated): the same order on every run.
    const step =
      op === 'sum'
        ? 'let y = v - comp; let t = acc + y; comp = (t - acc) - y; acc = t;'
        : `if (v ${op === 'max' ? '>' : '<'} acc || isnan32(v)) { acc = v; }`;
    const code = `${HELPERS}${storage(['x', 'out'], new Set(['out']))}
struct P { n: u32, length: u32, inner: u32 }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let base = (i / u.inner) * u.length * u.inner + i % u.inner;
  var acc = x[base]; var comp = 0.0;
  for (var j = 1u; j < u.length; j++) { let v = x[base + j * u.inner]; ${step} }
  out[i] = acc;
}`;
    dispatch(`reduce:${op}`, code, [inputId(x), viewOutputId(out)], uniform([out.length, view.length, view.inner]), grid(out.length));
  }

  function gemm(
    a: Float32Array,
    b: Float32Array,
    bias: Float32Array | null,
    out: GpuFloat32Array,
    args: MatmulArgs,
    activation: LinearActivation,
  ) {
    const { batch, m, n, k } = args;
    // conv-kernels.ts's tiled product, each workgroup layer z one matrix of the batch; each output
    // sums its k products in index order.
    const functions = `
fn loadA(r: u32, q: u32) -> f32 { return A[z * u.strideA + select(r * u.k + q, q * u.m + r, u.transA == 1u)]; }
fn loadB(q: u32, c: u32) -> f32 { return B[z * u.strideB + select(q * u.n + c, c * u.k + q, u.transB == 1u)]; }
fn store(r: u32, c: u32, acc: f32) {
  var v = acc;
  if (u.hasBias == 1u) { v = v + bias[c]; }
  out[z * u.m * u.n + r * u.n + c] = ${ACTIVATION[activation]};
}`;
    const head = `${HELPERS}${storage(['A', 'B', 'bias', 'out'], new Set(['out']))}
struct P { m: u32, n: u32, k: u32, chunk: u32, transA: u32, transB: u32, strideA: u32, strideB: u32, hasBias: u32 }
@group(0) @binding(4) var<uniform> u: P;`;
    const u = uniform([m, n, k, k, args.transA ? 1 : 0, args.transB ? 1 : 0, args.aBatchStride, args.bBatchStride, bias ? 1 : 0]);
    const ids = [inputId(a), inputId(b), inputId(bias ?? a), out.outputId()];
    dispatch(`gemm:${activation}`, gemmShader(head, functions, 'batched'), ids, u, [Math.ceil(n / TILE), Math.ceil(m / TILE), batch]);
  }

  const gemmFits = (a: unknown, b: unknown, out: unknown, args: MatmulArgs): boolean =>
    isF32(a) && isF32(b) && onDevice(out) && args.batch <= 65535 && Math.ceil(args.m / TILE) <= 65535 && Math.ceil(args.n / TILE) <= 65535;

  function matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void {
    if (!gemmFits(a, b, out, args)) {
      fallback.matmul(a, b, out, args);
      return;
    }
    if (out.length === 0) return;
    gemm(a as Float32Array, b as Float32Array, null, out as GpuFloat32Array, args, 'linear');
  }

  function matmulBiasActivation(
    a: FloatArray,
    b: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    args: MatmulArgs,
    activation: LinearActivation,
  ): void {
    if (!gemmFits(a, b, out, args) || (bias !== null && !isF32(bias))) {
      fallback.matmulBiasActivation(a, b, bias, out, args, activation);
      return;
    }
    if (out.length === 0) return;
    gemm(a as Float32Array, b as Float32Array, bias as Float32Array | null, out as GpuFloat32Array, args, activation);
  }

  function applyUpdate(rule: UpdateRule, param: FloatArray, grad: FloatArray, slots: readonly FloatArray[], p: UpdateParams): void {
    if (!onDevice(param) || !isF32(grad) || !slots.every(onDevice)) {
      fallback.applyUpdate(rule, param, grad, slots, p);
      return;
    }
    if (param.length === 0) return;
    const momentum = p.momentum !== 0;
    // The slots in the order the optimizer passes them, and the same terms in the same order as
    // js/optimizer.ts, each rounded to float32 where js stores.
    const slotNames: Record<UpdateRule, string[]> = {
      sgd: momentum ? ['m'] : [],
      adam: ['m', 'v', ...(p.amsgrad ? ['vHat'] : [])],
      rmsprop: ['v', ...(p.momentum > 0 ? ['mom'] : []), ...(p.centered ? ['avg'] : [])],
      adagrad: ['acc'],
      adadelta: ['accGrad', 'accDelta'],
    };
    const bodies: Record<UpdateRule, string> = {
      sgd: momentum
        ? 'm[i] = m[i] * u.momentum - gr[i] * u.lr; let s = m[i]; ' +
          'w[i] = select(w[i] + s, w[i] + (s * u.momentum - gr[i] * u.lr), u.nesterov == 1u);'
        : 'w[i] = w[i] - gr[i] * u.lr;',
      adam:
        'let gi = gr[i]; m[i] = m[i] + (gi - m[i]) * (1.0 - u.beta1); v[i] = v[i] + (gi * gi - v[i]) * (1.0 - u.beta2); var vi = v[i]; ' +
        (p.amsgrad ? 'if (vi > vHat[i] || isnan32(vi)) { vHat[i] = vi; } vi = vHat[i]; ' : '') +
        'w[i] = w[i] - (m[i] * u.lr) / (sqrt(vi) + u.epsilon);',
      rmsprop:
        'let gi = gr[i]; v[i] = v[i] * u.rho + gi * gi * (1.0 - u.rho); ' +
        (p.centered
          ? 'avg[i] = avg[i] * u.rho + gi * (1.0 - u.rho); let den = v[i] - avg[i] * avg[i] + u.epsilon; '
          : 'let den = v[i] + u.epsilon; ') +
        'let inc = (gi * u.lr) / sqrt(den); ' +
        (p.momentum > 0 ? 'mom[i] = mom[i] * u.momentum + inc; w[i] = w[i] - mom[i];' : 'w[i] = w[i] - inc;'),
      adagrad: 'let gi = gr[i]; acc[i] = acc[i] + gi * gi; w[i] = w[i] - (gi * u.lr) / sqrt(acc[i] + u.epsilon);',
      adadelta:
        'let gi = gr[i]; accGrad[i] = accGrad[i] * u.rho + gi * gi * (1.0 - u.rho); ' +
        'let delta = -((sqrt(accDelta[i] + u.epsilon) * gi) / sqrt(accGrad[i] + u.epsilon)); ' +
        'accDelta[i] = accDelta[i] * u.rho + delta * delta * (1.0 - u.rho); w[i] = w[i] + delta * u.lr;',
    };
    const names = ['w', 'gr', ...slotNames[rule]];
    const code = `${HELPERS}${storage(names, new Set(names.filter((x) => x !== 'gr')))}
struct P { n: u32, lr: f32, momentum: f32, nesterov: u32, beta1: f32, beta2: f32, epsilon: f32, rho: f32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${ENTRY} { ${FLAT_INDEX} if (i >= u.n) { return; } ${bodies[rule]} }`;
    const u = uniform(
      [param.length, p.learningRate, p.momentum, p.nesterov ? 1 : 0, p.beta1, p.beta2, p.epsilon, p.rho],
      new Set([1, 2, 4, 5, 6, 7]),
    );
    const ids = [param.deviceId(), inputId(grad), ...slots.map((s) => (s as GpuFloat32Array).deviceId())];
    // In place: the arrays now hold their newest values on the GPU.
    param.outputId();
    for (const s of slots) (s as GpuFloat32Array).outputId();
    dispatch(`update:${rule}:${names.join(',')}:${p.nesterov}`, code, ids, u, grid(param.length));
  }

  return {
    ...typed.table,
    unary,
    unaryGrad,
    gelu,
    geluBackward,
    binary,
    reduce,
    matmul,
    matmulBiasActivation,
    applyUpdate,
    ...convKernels(bridge, fallback, dispatch),
    ...normKernels(fallback, dispatch),
    ...layoutKernels(fallback, dispatch),
    ...sequenceKernels(fallback, dispatch, bridge.maxStorageBuffers),
  };
}
