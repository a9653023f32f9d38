/*
 * What every WGSL kernel file shares: the workgroup size, the float32 helper functions (exp, sigmoid,
 * tanh written out as the native backend's formulas), uniform packing, dispatch grids and bindings.
 */
import type { LinearActivation } from '../kernels.js';
import { GpuFloat32Array } from './array.js';

export const WG = 256;

/** The highest rank the broadcasting and layout shaders take (their uniforms hold 8 extents); beyond it, js. */
export const MAX_RANK = 8;

export const HELPERS = /* wgsl */ `
fn exp32(xin: f32) -> f32 {
  var x = xin;
  x = select(x, 89.0, x > 89.0);
  x = select(x, -104.0, x < -104.0);
  let n = round(x * 1.44269504088896341);
  let r = (x - n * 0.693359375) - n * -2.12194440e-4;
  var p = 1.9875691500e-4;
  p = p * r + 1.3981999507e-3;
  p = p * r + 8.3334519073e-3;
  p = p * r + 4.1665795894e-2;
  p = p * r + 1.6666665459e-1;
  p = p * r + 5.0000001201e-1;
  p = p * (r * r) + r + 1.0;
  let e = i32(n);
  let e1 = e >> 1u;
  return p * bitcast<f32>((e1 + 127) << 23u) * bitcast<f32>((e - e1 + 127) << 23u);
}
fn sigmoid32(x: f32) -> f32 {
  let e = exp32(-abs(x));
  let d = 1.0 + e;
  return select(e / d, 1.0 / d, x >= 0.0);
}
fn tanh32(x: f32) -> f32 {
  let ax = abs(x);
  let z = x * x;
  var p = -5.70498872745e-3;
  p = p * z + 2.06390887954e-2;
  p = p * z - 5.37397155531e-2;
  p = p * z + 1.33314422036e-1;
  p = p * z - 3.33332819422e-1;
  let small = p * z * x + x;
  let large = sign(x) * (1.0 - 2.0 / (exp32(2.0 * ax) + 1.0));
  return select(small, large, ax >= 0.625);
}
// NaN told by its bits: WGSL lets an implementation assume floats are never NaN, so x != x may fold away.
fn isnan32(x: f32) -> bool { return (bitcast<u32>(x) & 0x7fffffffu) > 0x7f800000u; }
// An int32 whose order is the float's (not NaN), -0 and +0 both 0: comparisons on it keep subnormals,
// which an adapter may flush to zero in float comparisons.
fn key32(x: f32) -> i32 { let b = bitcast<i32>(x); return select(b, -(b & 0x7fffffff), b < 0); }
// log(1 + f) + e log(2) for f in [sqrt(1/2) - 1, sqrt(2) - 1] (Cephes's logf, within 1 ulp): a degree-9
// polynomial, log(2) split in two so the exponent's part adds exactly.
fn log_core32(f: f32, fe: f32) -> f32 {
  let z = f * f;
  var y = 7.0376836292e-2;
  y = y * f - 1.1514610310e-1;
  y = y * f + 1.1676998740e-1;
  y = y * f - 1.2420140846e-1;
  y = y * f + 1.4249322787e-1;
  y = y * f - 1.6668057665e-1;
  y = y * f + 2.0000714765e-1;
  y = y * f - 2.4999993993e-1;
  y = y * f + 3.3333331174e-1;
  y = y * f * z - 2.12194440e-4 * fe - 0.5 * z;
  return (f + y) + 0.693359375 * fe;
}
// The natural log in float32: the mantissa in [sqrt(1/2), sqrt(2)) by the bits, then log_core32.
fn log32(x: f32) -> f32 {
  let bits = bitcast<u32>(x);
  // -inf and NaN from runtime bits (as constants WGSL rejects them).
  let none = bits & 0u;
  if ((bits & 0x7fffffffu) == 0u) { return bitcast<f32>(0xff800000u | none); }
  if (bits >= 0x80000000u || bits > 0x7f800000u) { return bitcast<f32>(0x7fc00000u | none); }
  if (bits == 0x7f800000u) { return x; }
  // x = f 2^e with f in [0.5, 1): from the exponent bits, or for a subnormal by shifting its mantissa
  // up with integer operations (an adapter may flush subnormals in float arithmetic).
  var m = bits & 0x007fffffu;
  var e = i32(bits >> 23u) - 126;
  if (e == -126) {
    let shift = countLeadingZeros(m) - 8u;
    m = (m << shift) & 0x007fffffu;
    e = -125 - i32(shift);
  }
  var f = bitcast<f32>(m | 0x3f000000u);
  if (f < 0.707106781) { e -= 1; f = f + f - 1.0; } else { f = f - 1.0; }
  return log_core32(f, f32(e));
}
// log(1 + x): the polynomial on x itself near 0 (1 + x would round away its low bits), else log32(1 + x),
// where that rounding costs under an ulp of the result (and 1 + x is exact below -0.29).
fn log1p32(x: f32) -> f32 {
  if (x >= -0.292893219 && x <= 0.414213562) { return log_core32(x, 0.0); }
  return log32(1.0 + x);
}
// e^x - 1: e^x - 1 directly where |x| >= 0.5 (no cancellation worth a bit), else Kahan's (u - 1) x / log(u).
fn expm1_32(x: f32) -> f32 {
  if (abs(x) >= 0.5) { return exp32(x) - 1.0; }
  let u = exp32(x);
  if (u == 1.0) { return x; }
  let um1 = u - 1.0;
  if (um1 == -1.0) { return -1.0; }
  return um1 * x / log32(u);
}
`;

/** Uniform bytes: u32 for integers, f32 where `floats` says, in order, padded to 16 bytes by the worker. */
export function uniform(values: readonly number[], floats: ReadonlySet<number> = new Set()): ArrayBuffer {
  const view = new DataView(new ArrayBuffer(Math.ceil(values.length / 4) * 16));
  values.forEach((v, i) => (floats.has(i) ? view.setFloat32(i * 4, v, true) : view.setUint32(i * 4, v, true)));
  return view.buffer;
}

/** Workgroups for n threads of WG each, over two dimensions when one would pass the 65535 limit. */
export function grid(n: number): [number, number, number] {
  const groups = Math.max(1, Math.ceil(n / WG));
  const x = Math.min(groups, 65535);
  return [x, Math.ceil(groups / x), 1];
}

export const FLAT_INDEX = `let i = g.x + g.y * nw.x * ${WG}u;`;
export const ENTRY = `@compute @workgroup_size(${WG}) fn main(@builtin(global_invocation_id) g: vec3u, @builtin(num_workgroups) nw: vec3u)`;

export function storage(names: readonly string[], writable: ReadonlySet<string>, type: 'f32' | 'i32' = 'f32'): string {
  return names
    .map((name, b) => `@group(0) @binding(${b}) var<storage, ${writable.has(name) ? 'read_write' : 'read'}> ${name}: array<${type}>;`)
    .join('\n');
}

export const isF32 = (a: unknown): a is Float32Array => a instanceof Float32Array;
export const onDevice = (a: unknown): a is GpuFloat32Array => a instanceof GpuFloat32Array;

/** WGSL expressions of the fused activations of `v`. */
export const ACTIVATION: Record<LinearActivation, string> = {
  linear: 'v',
  relu: 'select(v, 0.0, v < 0.0)',
  sigmoid: 'sigmoid32(v)',
  tanh: 'tanh32(v)',
};
