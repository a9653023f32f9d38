import type { FloatArray } from '../../core/index.js';
import type { Conv2DGeometry, Kernels, LinearActivation, PoolOp } from '../kernels.js';
import { type GpuFloat32Array, inputId } from './array.js';
import type { Bridge } from './bridge.js';
import { ACTIVATION, ENTRY, FLAT_INDEX, grid, HELPERS, isF32, onDevice, storage, uniform } from './wgsl.js';

/*
 * Convolutions and pooling in WGSL. The three conv2d kernels are one implicit GEMM each, the tiled
 * product of kernels.ts with its two operands read through index functions instead of matrices, so
 * no im2col buffer is ever made:
 *   forward          rows (b, oy, ox)  x cols outC  over (ky, kx, inC)   A: the input pixel of the tap, B: the filter
 *   backprop input   rows (b, iy, ix)  x cols inC   over (ky, kx, outC)  A: dy of the output the tap came from
 *   backprop filter  rows (ky, kx, inC) x cols outC over (b, oy, ox)     A: the input pixel, B: dy
 * The filter gradient sums over the whole batch: its products are cut into `splits` chunks of the
 * k axis (one workgroup layer each) written to a scratch buffer and then added in chunk order, so the
 * result is the same on every run. Depthwise convolutions and pooling are one thread per output.
 */

/** The geometry as uniform fields, in this order, after the GEMM's m, n, k and chunk. */
const GEOMETRY = ['b', 'ih', 'iw', 'ic', 'oh', 'ow', 'oc', 'fh', 'fw', 'sh', 'sw', 'dh', 'dw', 'pt', 'pl'] as const;
const geometryValues = (g: Conv2DGeometry): number[] => [
  g.batch,
  g.inHeight,
  g.inWidth,
  g.inChannels,
  g.outHeight,
  g.outWidth,
  g.outChannels,
  g.filterHeight,
  g.filterWidth,
  g.strideHeight,
  g.strideWidth,
  g.dilationHeight,
  g.dilationWidth,
  g.padTop,
  g.padLeft,
];
const GEOMETRY_STRUCT = GEOMETRY.map((f) => `${f}: u32`).join(', ');

/** The input pixel (iy, ix) of output (oy, ox) and tap (ky, kx), and whether it lies inside the image. */
const TAP = /* wgsl */ `
fn tapY(oy: u32, ky: u32) -> i32 { return i32(oy * u.sh + ky * u.dh) - i32(u.pt); }
fn tapX(ox: u32, kx: u32) -> i32 { return i32(ox * u.sw + kx * u.dw) - i32(u.pl); }
fn inside(iy: i32, ix: i32) -> bool { return iy >= 0 && ix >= 0 && iy < i32(u.ih) && ix < i32(u.iw); }
// The output row (or column) whose tap k reads input row i, or -1 when none does.
fn sourceOf(i: u32, k: u32, pad: u32, dilation: u32, stride: u32, extent: u32) -> i32 {
  let n = i32(i + pad) - i32(k * dilation);
  if (n < 0 || u32(n) % stride != 0u) { return -1; }
  let o = u32(n) / stride;
  return select(-1, i32(o), o < extent);
}
`;

export const TILE = 32;
/** Products per workgroup's share of k below which the filter gradient is not split further. */
const MIN_CHUNK = 256;

interface ImplicitGemm {
  key: string;
  m: number;
  n: number;
  k: number;
  /** WGSL: `fn loadA(r: u32, q: u32) -> f32`, `fn loadB(q: u32, c: u32) -> f32`, `fn store(r: u32, c: u32, v: f32)`. */
  functions: string;
  /** Storage bindings in order; `out` (the last) is the only one written. */
  names: readonly string[];
  ids: number[];
  geometry: Conv2DGeometry;
  /** How many chunks k is cut into (1: none). */
  splits: number;
}

export function convKernels(bridge: Bridge, fallback: Kernels, dispatch: Dispatch): Partial<Kernels> {
  function implicitGemm(p: ImplicitGemm): void {
    const chunk = Math.ceil(Math.ceil(p.k / p.splits) / 16) * 16;
    const splits = Math.ceil(p.k / chunk);
    const head = `${HELPERS}${storage(p.names, new Set(['out', 'part']))}
struct P { m: u32, n: u32, k: u32, chunk: u32, ${GEOMETRY_STRUCT} }
@group(0) @binding(${p.names.length}) var<uniform> u: P;
${TAP}`;
    const u = uniform([p.m, p.n, p.k, chunk, ...geometryValues(p.geometry)]);
    const groups: [number, number, number] = [Math.ceil(p.n / TILE), Math.ceil(p.m / TILE), splits];
    if (splits === 1) {
      dispatch(`conv:${p.key}`, gemmShader(head, p.functions, 'whole'), p.ids, u, groups);
      return;
    }
    // Chunk z's partial products go to part[z]; a second pass adds them in chunk order and stores.
    const part = bridge.alloc(splits * p.m * p.n * 4);
    const names = [...p.names.slice(0, -1), 'part'];
    const partHead = `${storage(names, new Set(['part']))}
struct P { m: u32, n: u32, k: u32, chunk: u32, ${GEOMETRY_STRUCT} }
@group(0) @binding(${names.length}) var<uniform> u: P;
${TAP}`;
    dispatch(`conv:${p.key}:part`, gemmShader(partHead, p.functions, 'partial'), [...p.ids.slice(0, -1), part], u, groups);
    const finish = `${HELPERS}${storage(['part', 'out'], new Set(['out']))}
struct P { m: u32, n: u32, k: u32, chunk: u32, ${GEOMETRY_STRUCT}, splits: u32 }
@group(0) @binding(2) var<uniform> u: P;
${storeOnly(p.functions)}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.m * u.n) { return; }
  var v = 0.0;
  for (var z = 0u; z < u.splits; z++) { v = v + part[z * u.m * u.n + i]; }
  store(i / u.n, i % u.n, v);
}`;
    const finishU = uniform([p.m, p.n, p.k, chunk, ...geometryValues(p.geometry), splits]);
    dispatch(`conv:${p.key}:finish`, finish, [part, p.ids.at(-1)!], finishU, grid(p.m * p.n));
    bridge.release(part);
  }

  const fits = (...arrays: unknown[]) => arrays.every(isF32);

  function conv2dBiasActivation(
    x: FloatArray,
    filter: FloatArray,
    bias: FloatArray | null,
    out: FloatArray,
    g: Conv2DGeometry,
    activation: LinearActivation,
  ): void {
    if (
      !fits(x, filter) ||
      (bias !== null && !isF32(bias)) ||
      !onDevice(out) ||
      tooMany(g.batch * g.outHeight * g.outWidth, g.outChannels)
    ) {
      fallback.conv2dBiasActivation(x, filter, bias, out, g, activation);
      return;
    }
    if (out.length === 0) return;
    const functions = `
fn loadA(r: u32, q: u32) -> f32 {
  let ox = r % u.ow; let t = r / u.ow; let oy = t % u.oh; let b = t / u.oh;
  let c = q % u.ic; let tap = q / u.ic;
  let iy = tapY(oy, tap / u.fw); let ix = tapX(ox, tap % u.fw);
  if (!inside(iy, ix)) { return 0.0; }
  return x[((b * u.ih + u32(iy)) * u.iw + u32(ix)) * u.ic + c];
}
fn loadB(q: u32, c: u32) -> f32 { return w[q * u.oc + c]; }
fn store(r: u32, c: u32, acc: f32) {
  var v = acc;
  ${bias ? 'v = v + bias[c];' : ''}
  out[r * u.oc + c] = ${ACTIVATION[activation]};
}`;
    const names = bias ? ['x', 'w', 'bias', 'out'] : ['x', 'w', 'out'];
    const ids = [inputId(x as Float32Array), inputId(filter as Float32Array)];
    if (bias) ids.push(inputId(bias as Float32Array));
    ids.push((out as GpuFloat32Array).outputId());
    const m = g.batch * g.outHeight * g.outWidth;
    const k = g.filterHeight * g.filterWidth * g.inChannels;
    implicitGemm({ key: `fwd:${activation}:${bias !== null}`, m, n: g.outChannels, k, functions, names, ids, geometry: g, splits: 1 });
  }

  function conv2d(x: FloatArray, filter: FloatArray, out: FloatArray, g: Conv2DGeometry): void {
    if (!fits(x, filter) || !onDevice(out)) {
      fallback.conv2d(x, filter, out, g);
      return;
    }
    conv2dBiasActivation(x, filter, null, out, g, 'linear');
  }

  function conv2dBackpropInput(dy: FloatArray, filter: FloatArray, dx: FloatArray, g: Conv2DGeometry): void {
    if (!fits(dy, filter) || !onDevice(dx) || tooMany(g.batch * g.inHeight * g.inWidth, g.inChannels)) {
      fallback.conv2dBackpropInput(dy, filter, dx, g);
      return;
    }
    if (dx.length === 0) return;
    const functions = `
fn loadA(r: u32, q: u32) -> f32 {
  let ix = r % u.iw; let t = r / u.iw; let iy = t % u.ih; let b = t / u.ih;
  let o = q % u.oc; let tap = q / u.oc;
  let oy = sourceOf(iy, tap / u.fw, u.pt, u.dh, u.sh, u.oh);
  let ox = sourceOf(ix, tap % u.fw, u.pl, u.dw, u.sw, u.ow);
  if (oy < 0 || ox < 0) { return 0.0; }
  return dy[((b * u.oh + u32(oy)) * u.ow + u32(ox)) * u.oc + o];
}
fn loadB(q: u32, c: u32) -> f32 { return w[((q / u.oc) * u.ic + c) * u.oc + q % u.oc]; }
fn store(r: u32, c: u32, v: f32) { out[r * u.ic + c] = v; }`;
    const ids = [inputId(dy as Float32Array), inputId(filter as Float32Array), (dx as GpuFloat32Array).outputId()];
    const m = g.batch * g.inHeight * g.inWidth;
    const k = g.filterHeight * g.filterWidth * g.outChannels;
    implicitGemm({ key: 'input', m, n: g.inChannels, k, functions, names: ['dy', 'w', 'out'], ids, geometry: g, splits: 1 });
  }

  function conv2dBackpropFilter(x: FloatArray, dy: FloatArray, dFilter: FloatArray, g: Conv2DGeometry): void {
    const m = g.filterHeight * g.filterWidth * g.inChannels;
    if (!fits(x, dy) || !onDevice(dFilter) || tooMany(m, g.outChannels)) {
      fallback.conv2dBackpropFilter(x, dy, dFilter, g);
      return;
    }
    if (dFilter.length === 0) return;
    const functions = `
fn loadA(r: u32, q: u32) -> f32 {
  let c = r % u.ic; let tap = r / u.ic;
  let ox = q % u.ow; let t = q / u.ow; let oy = t % u.oh; let b = t / u.oh;
  let iy = tapY(oy, tap / u.fw); let ix = tapX(ox, tap % u.fw);
  if (!inside(iy, ix)) { return 0.0; }
  return x[((b * u.ih + u32(iy)) * u.iw + u32(ix)) * u.ic + c];
}
fn loadB(q: u32, c: u32) -> f32 { return dy[q * u.oc + c]; }
fn store(r: u32, c: u32, v: f32) { out[r * u.oc + c] = v; }`;
    const ids = [inputId(x as Float32Array), inputId(dy as Float32Array), (dFilter as GpuFloat32Array).outputId()];
    const k = g.batch * g.outHeight * g.outWidth;
    // Enough workgroups to fill a GPU (about 256), each with at least MIN_CHUNK products per output.
    const tiles = Math.ceil(m / TILE) * Math.ceil(g.outChannels / TILE);
    const splits = Math.max(1, Math.min(Math.ceil(256 / tiles), Math.floor(k / MIN_CHUNK), 1024));
    implicitGemm({ key: 'filter', m, n: g.outChannels, k, functions, names: ['x', 'dy', 'out'], ids, geometry: g, splits });
  }

  /** Depthwise: output channel c * multiplier + j reads input channel c only; one thread per written value. */
  function depthwise(
    key: 'fwd' | 'input' | 'filter',
    a: FloatArray,
    b: FloatArray,
    out: FloatArray,
    g: Conv2DGeometry,
    run: () => void,
  ): void {
    if (!fits(a, b) || !onDevice(out)) {
      run();
      return;
    }
    if (out.length === 0) return;
    const bodies = {
      // out[b, oy, ox, oc], oc = c * mult + j
      fwd: `let oc = i % u.oc; let t = i / u.oc; let ox = t % u.ow; let t2 = t / u.ow; let oy = t2 % u.oh; let bi = t2 / u.oh;
  let c = oc / mult; var v = 0.0;
  for (var ky = 0u; ky < u.fh; ky++) { for (var kx = 0u; kx < u.fw; kx++) {
    let iy = tapY(oy, ky); let ix = tapX(ox, kx);
    if (inside(iy, ix)) { v = v + x0[((bi * u.ih + u32(iy)) * u.iw + u32(ix)) * u.ic + c] * x1[(ky * u.fw + kx) * u.oc + oc]; }
  } }
  out[i] = v;`,
      // dx[b, iy, ix, c]: a = dy, b = filter
      input: `let c = i % u.ic; let t = i / u.ic; let ix = t % u.iw; let t2 = t / u.iw; let iy = t2 % u.ih; let bi = t2 / u.ih;
  var v = 0.0;
  for (var ky = 0u; ky < u.fh; ky++) { for (var kx = 0u; kx < u.fw; kx++) {
    let oy = sourceOf(iy, ky, u.pt, u.dh, u.sh, u.oh); let ox = sourceOf(ix, kx, u.pl, u.dw, u.sw, u.ow);
    if (oy >= 0 && ox >= 0) {
      for (var j = 0u; j < mult; j++) {
        let oc = c * mult + j;
        v = v + x0[((bi * u.oh + u32(oy)) * u.ow + u32(ox)) * u.oc + oc] * x1[(ky * u.fw + kx) * u.oc + oc];
      }
    }
  } }
  out[i] = v;`,
      // dFilter[ky, kx, c, j], stored as [fh, fw, oc]: a = x, b = dy
      filter: `let oc = i % u.oc; let tap = i / u.oc; let ky = tap / u.fw; let kx = tap % u.fw; let c = oc / mult;
  var v = 0.0; var comp = 0.0;
  for (var bi = 0u; bi < u.b; bi++) { for (var oy = 0u; oy < u.oh; oy++) { for (var ox = 0u; ox < u.ow; ox++) {
    let iy = tapY(oy, ky); let ix = tapX(ox, kx);
    if (inside(iy, ix)) {
      let p = x0[((bi * u.ih + u32(iy)) * u.iw + u32(ix)) * u.ic + c] * x1[((bi * u.oh + oy) * u.ow + ox) * u.oc + oc];
      let y = p - comp; let s = v + y; comp = (s - v) - y; v = s;
    }
  } } }
  out[i] = v;`,
    };
    const code = `${storage(['x0', 'x1', 'out'], new Set(['out']))}
struct P { n: u32, ${GEOMETRY_STRUCT} }
@group(0) @binding(3) var<uniform> u: P;
${TAP}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let mult = u.oc / u.ic;
  ${bodies[key]}
}`;
    const ids = [inputId(a as Float32Array), inputId(b as Float32Array), (out as GpuFloat32Array).outputId()];
    dispatch(`depthwise:${key}`, code, ids, uniform([out.length, ...geometryValues(g)]), grid(out.length));
  }

  function pool2d(op: PoolOp, x: FloatArray, out: FloatArray, g: Conv2DGeometry): void {
    if (!isF32(x) || !onDevice(out)) {
      fallback.pool2d(op, x, out, g);
      return;
    }
    if (out.length === 0) return;
    // The window's taps inside the image, row by row as js: the first maximum (or first NaN) wins.
    const code = `${HELPERS}${storage(['x', 'out'], new Set(['out']))}
struct P { n: u32, ${GEOMETRY_STRUCT} }
@group(0) @binding(2) var<uniform> u: P;
${TAP}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let c = i % u.oc; let t = i / u.oc; let ox = t % u.ow; let t2 = t / u.ow; let oy = t2 % u.oh; let b = t2 / u.oh;
  var acc = 0.0; var count = 0u;
  for (var ky = 0u; ky < u.fh; ky++) { for (var kx = 0u; kx < u.fw; kx++) {
    let iy = tapY(oy, ky); let ix = tapX(ox, kx);
    if (inside(iy, ix)) {
      let v = x[((b * u.ih + u32(iy)) * u.iw + u32(ix)) * u.oc + c];
      ${op === 'max' ? 'if (count == 0u || v > acc || (isnan32(v) && !isnan32(acc))) { acc = v; }' : 'acc = acc + v;'}
      count++;
    }
  } }
  out[i] = select(${op === 'max' ? 'acc' : 'acc / f32(count)'}, 0.0, count == 0u);
}`;
    dispatch(`pool:${op}`, code, [inputId(x), out.outputId()], uniform([out.length, ...geometryValues(g)]), grid(out.length));
  }

  function pool2dBackward(op: PoolOp, x: FloatArray, dy: FloatArray, dx: FloatArray, g: Conv2DGeometry): void {
    if (!isF32(x) || !isF32(dy) || !onDevice(dx)) {
      fallback.pool2dBackward(op, x, dy, dx, g);
      return;
    }
    if (dx.length === 0) return;
    // One thread per input value: the outputs whose windows hold it, each recounted (avg) or its first
    // maximum found again (max) to see whether the gradient comes here.
    const code = `${HELPERS}${storage(['x', 'dy', 'out'], new Set(['out']))}
struct P { n: u32, ${GEOMETRY_STRUCT} }
@group(0) @binding(3) var<uniform> u: P;
${TAP}
fn window(b: u32, oy: u32, ox: u32, c: u32) -> vec2u {
  var best = 0.0; var at = 0u; var count = 0u;
  for (var ky = 0u; ky < u.fh; ky++) { for (var kx = 0u; kx < u.fw; kx++) {
    let iy = tapY(oy, ky); let ix = tapX(ox, kx);
    if (inside(iy, ix)) {
      let p = u32(iy) * u.iw + u32(ix);
      let v = x[(b * u.ih * u.iw + p) * u.oc + c];
      if (count == 0u || v > best || (isnan32(v) && !isnan32(best))) { best = v; at = p; }
      count++;
    }
  } }
  return vec2u(at, count);
}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let c = i % u.oc; let t = i / u.oc; let ix = t % u.iw; let t2 = t / u.iw; let iy = t2 % u.ih; let b = t2 / u.ih;
  var v = 0.0;
  for (var ky = 0u; ky < u.fh; ky++) { for (var kx = 0u; kx < u.fw; kx++) {
    let oy = sourceOf(iy, ky, u.pt, u.dh, u.sh, u.oh); let ox = sourceOf(ix, kx, u.pl, u.dw, u.sw, u.ow);
    if (oy >= 0 && ox >= 0) {
      let w = window(b, u32(oy), u32(ox), c);
      let d = dy[((b * u.oh + u32(oy)) * u.ow + u32(ox)) * u.oc + c];
      ${op === 'max' ? 'if (w.x == iy * u.iw + ix) { v = v + d; }' : 'v = v + d * (1.0 / f32(w.y));'}
    }
  } }
  out[i] = v;
}`;
    const ids = [inputId(x), inputId(dy), dx.outputId()];
    dispatch(`poolBackward:${op}`, code, ids, uniform([dx.length, ...geometryValues(g)]), grid(dx.length));
  }

  return {
    conv2d,
    conv2dBiasActivation,
    conv2dBackpropInput,
    conv2dBackpropFilter,
    depthwiseConv2d: (x, filter, out, g) => depthwise('fwd', x, filter, out, g, () => fallback.depthwiseConv2d(x, filter, out, g)),
    depthwiseConv2dBackpropInput: (dy, filter, dx, g) =>
      depthwise('input', dy, filter, dx, g, () => fallback.depthwiseConv2dBackpropInput(dy, filter, dx, g)),
    depthwiseConv2dBackpropFilter: (x, dy, dFilter, g) =>
      depthwise('filter', x, dy, dFilter, g, () => fallback.depthwiseConv2dBackpropFilter(x, dy, dFilter, g)),
    pool2d,
    pool2dBackward,
  };
}

export type Dispatch = (key: string, code: string, ids: number[], u: ArrayBuffer, groups: [number, number, number]) => void;

/** Whether an m x n output needs more than 65535 workgroups along one dimension. */
const tooMany = (m: number, n: number): boolean => Math.ceil(m / TILE) > 65535 || Math.ceil(n / TILE) > 65535;

/** The store function alone, for the pass that adds the chunks (it binds no A or B). */
function storeOnly(functions: string): string {
  const at = functions.indexOf('fn store(');
  return functions.slice(at);
}

/**
 * The tiled product of kernels.ts over index functions: a 32 x 32 block of the output per workgroup of
 * 8 x 8 threads, each a 4 x 4 register block; A and B pass through workgroup memory 16 values of k at a
 * time, each output summing its products in index order. `whole`: one layer; `partial`: workgroup layer
 * z sums only its chunk of k and writes it to part[z] instead of calling store; `batched`: layer z is
 * matrix z of a batch, which the index functions read as the private `z`.
 */
export function gemmShader(head: string, functions: string, mode: 'whole' | 'partial' | 'batched'): string {
  const partial = mode === 'partial';
  const fns = partial ? functions.slice(0, functions.indexOf('fn store(')) : functions;
  const write = partial ? 'part[wg.z * u.m * u.n + row * u.n + col] = acc[i * 4u + j];' : 'store(row, col, acc[i * 4u + j]);';
  return `${head}
var<private> z: u32;
${fns}
var<workgroup> tA: array<f32, 512>;
var<workgroup> tB: array<f32, 512>;
@compute @workgroup_size(8, 8)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(local_invocation_id) l: vec3u, @builtin(local_invocation_index) li: u32) {
  let row0 = wg.y * ${TILE}u;
  let col0 = wg.x * ${TILE}u;
  z = wg.z;
  let kBegin = ${mode === 'batched' ? '0u' : 'wg.z * u.chunk'};
  let kEnd = min(u.k, kBegin + u.chunk);
  var acc: array<f32, 16>;
  for (var t = kBegin; t < kEnd; t += 16u) {
    for (var e = 0u; e < 8u; e++) {
      let idx = li + e * 64u;
      let r = row0 + idx / 16u;
      let ka = t + idx % 16u;
      var va = 0.0;
      if (r < u.m && ka < kEnd) { va = loadA(r, ka); }
      tA[idx] = va;
      let kb = t + idx / 32u;
      let c = col0 + idx % 32u;
      var vb = 0.0;
      if (c < u.n && kb < kEnd) { vb = loadB(kb, c); }
      tB[idx] = vb;
    }
    workgroupBarrier();
    for (var q = 0u; q < 16u; q++) {
      for (var i = 0u; i < 4u; i++) {
        let av = tA[(l.y * 4u + i) * 16u + q];
        for (var j = 0u; j < 4u; j++) { acc[i * 4u + j] = acc[i * 4u + j] + av * tB[q * 32u + l.x * 4u + j]; }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < 4u; i++) {
    let row = row0 + l.y * 4u + i;
    for (var j = 0u; j < 4u; j++) {
      let col = col0 + l.x * 4u + j;
      if (row < u.m && col < u.n) { ${write} }
    }
  }
}`;
}
