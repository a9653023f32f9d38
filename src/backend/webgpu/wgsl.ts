/*
 * What every WGSL kernel file shares: the workgroup size, the float32 helper functions (exp, sigmoid,
 * tanh written out as the native backend's formulas), uniform packing, dispatch grids and bindings.
 */
import type { LinearActivation } from '../kernels.js';
import { GpuFloat32Array } from './array.js';

export const WG = 256;

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
fn isnan32(x: f32) -> bool { return !(x == x); }
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

export function storage(names: readonly string[], writable: ReadonlySet<string>): string {
  return names
    .map((name, b) => `@group(0) @binding(${b}) var<storage, ${writable.has(name) ? 'read_write' : 'read'}> ${name}: array<f32>;`)
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
