import type { FloatArray } from '../../core/index.js';
import type { AxisView, Kernels } from '../kernels.js';
import { type GpuFloat32Array, inputId } from './array.js';
import type { Dispatch } from './conv-kernels.js';
import { ENTRY, FLAT_INDEX, grid, HELPERS, isF32, onDevice, storage, uniform } from './wgsl.js';

/*
 * Batch, layer and group normalization, softmax, log-softmax and the fused softmax-crossentropy gradient in WGSL.
 * The three normalizations share one shape: a "segment" (a channel for batch norm, a row for layer norm,
 * an image's group for group norm) of `count` values whose mean and variance one workgroup of 256
 * threads computes, each thread summing every 256th value in order (compensated) and the partial sums
 * added as a fixed tree, so a run repeats bit for bit. The variance is a second pass over (x - mean), as
 * in js. Forward and backward are each one dispatch per call; the gradients of gamma and beta that sum
 * across segments (layer and group norm) are one more, a thread per column summing in order.
 */

type Layout = 'batch' | 'layer' | 'group';

/**
 * WGSL for the position `p` and parameter index `j` of value e of segment s. Uniform fields a, b, c are
 * batch: outer, length (channels), inner; layer: rows, width; group: spatial, channels, size (channels per group).
 */
const ADDRESS: Record<Layout, string> = {
  batch: 'let p = ((e / u.c) * u.b + s) * u.c + e % u.c; let j = s;',
  layer: 'let p = s * u.b + e; let j = e;',
  group: `let n = s / (u.b / u.c); let grp = s % (u.b / u.c); let j = grp * u.c + e % u.c;
    let p = (n * u.a + e / u.c) * u.b + j;`,
};

/** The workgroup's tree sum of each thread's two partial sums. */
const TREE = /* wgsl */ `
var<workgroup> partial: array<vec2f, 256>;
fn treeSum(v: vec2f, li: u32) -> vec2f {
  partial[li] = v;
  workgroupBarrier();
  for (var h = 128u; h > 0u; h = h >> 1u) {
    if (li < h) { partial[li] = partial[li] + partial[li + h]; }
    workgroupBarrier();
  }
  let total = partial[0];
  workgroupBarrier();
  return total;
}
fn kahan(sum: vec2f, comp: ptr<function, vec2f>, v: vec2f) -> vec2f {
  let y = v - *comp; let t = sum + y; *comp = (t - sum) - y; return t;
}`;

const SEGMENT_ENTRY = `@compute @workgroup_size(256)
fn main(@builtin(workgroup_id) wg: vec3u, @builtin(num_workgroups) nw: vec3u, @builtin(local_invocation_index) li: u32)`;

interface Norm {
  layout: Layout;
  segments: number;
  count: number;
  /** Uniform a, b, c (see ADDRESS). */
  abc: [number, number, number];
}

/** Workgroups for one per segment, over two dimensions past 65535. */
function segmentGrid(segments: number): [number, number, number] {
  const x = Math.min(segments, 65535);
  return [x, Math.ceil(segments / x), 1];
}

export function normKernels(fallback: Kernels, dispatch: Dispatch): Partial<Kernels> {
  /** The forward pass of any layout: out, and the segment's mean and invStd. */
  function forward(
    norm: Norm,
    x: Float32Array,
    gamma: Float32Array | null,
    beta: Float32Array | null,
    epsilon: number,
    rms: boolean,
    out: GpuFloat32Array,
    mean: GpuFloat32Array,
    invStd: GpuFloat32Array,
  ): void {
    const names = ['x', ...(gamma ? ['gamma'] : []), ...(beta ? ['beta'] : []), 'out', 'mean', 'invStd'];
    const scale = gamma ? ' * gamma[j]' : '';
    const shift = beta ? ' + beta[j]' : '';
    const code = `${storage(names, new Set(['out', 'mean', 'invStd']))}
struct P { segments: u32, count: u32, a: u32, b: u32, c: u32, epsilon: f32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${TREE}
${SEGMENT_ENTRY} {
  let s = wg.x + wg.y * nw.x;
  if (s >= u.segments) { return; }
  // A first mean m1 in float32, then the sums of d = x - m1 and d * d: the correction delta = mean(d)
  // keeps the digits m1 lost (a large mean, such as raw pixel values), and x - m1 - delta is centred.
  var sum = vec2f(0.0); var comp = vec2f(0.0);
  ${rms ? '' : `for (var e = li; e < u.count; e += 256u) { ${ADDRESS[norm.layout]} sum = kahan(sum, &comp, vec2f(x[p], 0.0)); }`}
  let m1 = treeSum(sum, li).x / f32(u.count);
  sum = vec2f(0.0); comp = vec2f(0.0);
  for (var e = li; e < u.count; e += 256u) { ${ADDRESS[norm.layout]} let d = x[p] - m1; sum = kahan(sum, &comp, vec2f(d, d * d)); }
  let total = treeSum(sum, li);
  let delta = ${rms ? '0.0' : 'total.x / f32(u.count)'};
  let inv = 1.0 / sqrt(max(total.y / f32(u.count) - delta * delta, 0.0) + u.epsilon);
  let m = m1 + delta;
  if (li == 0u) { mean[s] = m; invStd[s] = inv; }
  for (var e = li; e < u.count; e += 256u) { ${ADDRESS[norm.layout]} out[p] = (((x[p] - m1) - delta) * inv)${scale}${shift}; }
}`;
    const ids = [inputId(x), ...(gamma ? [inputId(gamma)] : []), ...(beta ? [inputId(beta)] : [])];
    ids.push(out.outputId(), mean.outputId(), invStd.outputId());
    const u = uniform([norm.segments, norm.count, ...norm.abc, epsilon], new Set([5]));
    dispatch(`norm:${norm.layout}:${rms}:${!!gamma}:${!!beta}`, code, ids, u, segmentGrid(norm.segments));
  }

  /**
   * dx of any layout from the segment's sums of dxhat = dy * gamma and dxhat * xhat; batch norm also
   * writes those sums without gamma (its dBeta and dGamma, one segment per channel).
   */
  function backward(
    norm: Norm,
    x: Float32Array,
    dy: Float32Array,
    gamma: Float32Array | null,
    mean: Float32Array,
    invStd: Float32Array,
    rms: boolean,
    dx: GpuFloat32Array,
    perSegment: [GpuFloat32Array, GpuFloat32Array] | null,
  ): void {
    const names = ['x', 'dy', ...(gamma ? ['gamma'] : []), 'mean', 'invStd', 'out', ...(perSegment ? ['dGamma', 'dBeta'] : [])];
    const g = gamma ? ' * gamma[j]' : '';
    // Batch norm's segment is one channel: gamma is a constant there, so the sums are taken without it.
    const perChannel = norm.layout === 'batch';
    const code = `${storage(names, new Set(['out', 'dGamma', 'dBeta']))}
struct P { segments: u32, count: u32, a: u32, b: u32, c: u32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${TREE}
${SEGMENT_ENTRY} {
  let s = wg.x + wg.y * nw.x;
  if (s >= u.segments) { return; }
  let m = mean[s]; let inv = invStd[s];
  var sum = vec2f(0.0); var comp = vec2f(0.0);
  for (var e = li; e < u.count; e += 256u) {
    ${ADDRESS[norm.layout]}
    let d = dy[p]${perChannel ? '' : g};
    sum = kahan(sum, &comp, vec2f(d, d * ((x[p] - m) * inv)));
  }
  let total = treeSum(sum, li);
  ${perSegment ? 'if (li == 0u) { dGamma[s] = total.y; dBeta[s] = total.x; }' : ''}
  let scale = ${perChannel && gamma ? 'gamma[s]' : '1.0'};
  let a = ${rms ? '0.0' : 'scale * total.x / f32(u.count)'};
  let b = scale * total.y / f32(u.count);
  for (var e = li; e < u.count; e += 256u) {
    ${ADDRESS[norm.layout]}
    let xhat = (x[p] - m) * inv;
    out[p] = inv * (dy[p]${g} - a - xhat * b);
  }
}`;
    const ids = [inputId(x), inputId(dy), ...(gamma ? [inputId(gamma)] : []), inputId(mean), inputId(invStd), dx.outputId()];
    if (perSegment) ids.push(perSegment[0].outputId(), perSegment[1].outputId());
    const u = uniform([norm.segments, norm.count, ...norm.abc]);
    dispatch(`normBackward:${norm.layout}:${rms}:${!!gamma}:${!!perSegment}`, code, ids, u, segmentGrid(norm.segments));
  }

  /**
   * dGamma and dBeta of layer and group norm: per parameter j, dy * xhat and dy summed over the rows
   * (layer: every row; group: every image's positions, image by image) in order.
   */
  function parameterGradients(
    layout: 'layer' | 'group',
    abc: [number, number, number],
    width: number,
    x: Float32Array,
    dy: Float32Array,
    mean: Float32Array,
    invStd: Float32Array,
    dGamma: GpuFloat32Array | null,
    dBeta: GpuFloat32Array | null,
  ): void {
    if (!dGamma && !dBeta) return;
    // layer: rows a, width b; group: spatial a, channels b, size c (batch = rows / spatial).
    const walk =
      layout === 'layer'
        ? 'for (var r = 0u; r < u.rows; r++) { let p = r * u.b + j; let s = r;'
        : 'for (var r = 0u; r < u.rows; r++) { let p = r * u.b + j; let s = (r / u.a) * (u.b / u.c) + j / u.c;';
    const names = ['x', 'dy', 'mean', 'invStd', ...(dGamma ? ['dGamma'] : []), ...(dBeta ? ['dBeta'] : [])];
    const code = `${storage(names, new Set(['dGamma', 'dBeta']))}
struct P { n: u32, rows: u32, a: u32, b: u32, c: u32 }
@group(0) @binding(${names.length}) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let j = i;
  var sg = 0.0; var cg = 0.0; var sb = 0.0; var cb = 0.0;
  ${walk}
    let d = dy[p];
    let v = d * ((x[p] - mean[s]) * invStd[s]);
    let y1 = v - cg; let t1 = sg + y1; cg = (t1 - sg) - y1; sg = t1;
    let y2 = d - cb; let t2 = sb + y2; cb = (t2 - sb) - y2; sb = t2;
  }
  ${dGamma ? 'dGamma[j] = sg;' : ''} ${dBeta ? 'dBeta[j] = sb;' : ''}
}`;
    const rows = layout === 'layer' ? abc[0] : x.length / abc[1];
    const ids = [inputId(x), inputId(dy), inputId(mean), inputId(invStd)];
    if (dGamma) ids.push(dGamma.outputId());
    if (dBeta) ids.push(dBeta.outputId());
    dispatch(`normParams:${layout}:${!!dGamma}:${!!dBeta}`, code, ids, uniform([width, rows, ...abc]), grid(width));
  }

  /** softmax or log-softmax along an axis: a thread per row, the row's sum compensated, in index order. */
  function rowSoftmax(log: boolean, x: FloatArray, view: AxisView, out: FloatArray): void {
    if (!isF32(x) || !onDevice(out)) {
      (log ? fallback.logSoftmax : fallback.softmax)(x, view, out);
      return;
    }
    const rows = view.outer * view.inner;
    if (rows === 0 || view.length === 0) return;
    // log: (x - max) first, exact for large values, where max + log(sum) would round.
    const finish = log
      ? 'let l = log(sum); for (var j = 0u; j < u.length; j++) { let p = base + j * u.inner; out[p] = (x[p] - m) - l; }'
      : 'let scale = 1.0 / sum; for (var j = 0u; j < u.length; j++) { let p = base + j * u.inner; out[p] = exp32(x[p] - m) * scale; }';
    const code = `${HELPERS}${storage(['x', 'out'], new Set(['out']))}
struct P { n: u32, length: u32, inner: u32, inf: u32 }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let base = (i / u.inner) * u.length * u.inner + i % u.inner;
  // Infinity comes through the uniform: WGSL rejects a constant expression that evaluates to it.
  let inf = bitcast<f32>(u.inf);
  var m = -inf;
  for (var j = 0u; j < u.length; j++) { let v = x[base + j * u.inner]; if (v > m) { m = v; } }
  if (abs(m) == inf) { m = 0.0; }
  var sum = 0.0; var comp = 0.0;
  for (var j = 0u; j < u.length; j++) {
    let y = exp32(x[base + j * u.inner] - m) - comp; let t = sum + y; comp = (t - sum) - y; sum = t;
  }
  ${finish}
}`;
    dispatch(
      log ? 'logSoftmax' : 'softmax',
      code,
      [inputId(x), out.outputId()],
      uniform([rows, view.length, view.inner, 0x7f800000]),
      grid(rows),
    );
  }

  const f32s = (...a: unknown[]) => a.every((v) => v === null || isF32(v));
  const devices = (...a: unknown[]) => a.every((v) => v === null || onDevice(v));

  const kernels: Partial<Kernels> = {
    batchNormTraining(x, view, gamma, beta, epsilon, out, mean, invStd) {
      if (!f32s(x, gamma, beta) || !devices(out, mean, invStd) || view.length === 0 || view.outer * view.inner === 0) {
        fallback.batchNormTraining(x, view, gamma, beta, epsilon, out, mean, invStd);
        return;
      }
      const norm: Norm = {
        layout: 'batch',
        segments: view.length,
        count: view.outer * view.inner,
        abc: [view.outer, view.length, view.inner],
      };
      forward(norm, x as Float32Array, gamma as Float32Array, beta as Float32Array, epsilon, false, ...as3(out, mean, invStd));
    },
    batchNormBackward(x, dy, view, gamma, mean, invStd, dx, dGamma, dBeta) {
      if (!f32s(x, dy, gamma, mean, invStd) || !devices(dx, dGamma, dBeta) || view.length === 0 || view.outer * view.inner === 0) {
        fallback.batchNormBackward(x, dy, view, gamma, mean, invStd, dx, dGamma, dBeta);
        return;
      }
      const norm: Norm = {
        layout: 'batch',
        segments: view.length,
        count: view.outer * view.inner,
        abc: [view.outer, view.length, view.inner],
      };
      const [a, b, c] = as3(dx, dGamma, dBeta);
      backward(norm, x as Float32Array, dy as Float32Array, gamma as Float32Array, mean as Float32Array, invStd as Float32Array, false, a, [
        b,
        c,
      ]);
    },
    layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd) {
      if (!f32s(x, gamma, beta) || !devices(out, mean, invStd) || rows === 0 || width === 0) {
        fallback.layerNorm(x, rows, width, gamma, beta, epsilon, rms, out, mean, invStd);
        return;
      }
      const norm: Norm = { layout: 'layer', segments: rows, count: width, abc: [rows, width, 0] };
      forward(norm, x as Float32Array, gamma as Float32Array | null, beta as Float32Array | null, epsilon, rms, ...as3(out, mean, invStd));
    },
    layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta) {
      if (!f32s(x, dy, gamma, mean, invStd) || !devices(dx, dGamma, dBeta) || rows === 0 || width === 0) {
        fallback.layerNormBackward(x, dy, rows, width, gamma, mean, invStd, rms, dx, dGamma, dBeta);
        return;
      }
      const norm: Norm = { layout: 'layer', segments: rows, count: width, abc: [rows, width, 0] };
      const [xs, dys, ms, is] = [x, dy, mean, invStd] as Float32Array[];
      backward(norm, xs!, dys!, gamma as Float32Array | null, ms!, is!, rms, dx as GpuFloat32Array, null);
      const g = dGamma as GpuFloat32Array | null;
      parameterGradients('layer', [rows, width, 0], width, xs!, dys!, ms!, is!, g, dBeta as GpuFloat32Array | null);
    },
    groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd) {
      if (!f32s(x, gamma, beta) || !devices(out, mean, invStd) || batch * spatial * channels === 0) {
        fallback.groupNorm(x, batch, spatial, channels, groups, gamma, beta, epsilon, out, mean, invStd);
        return;
      }
      const size = channels / groups;
      const norm: Norm = { layout: 'group', segments: batch * groups, count: spatial * size, abc: [spatial, channels, size] };
      forward(
        norm,
        x as Float32Array,
        gamma as Float32Array | null,
        beta as Float32Array | null,
        epsilon,
        false,
        ...as3(out, mean, invStd),
      );
    },
    groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta) {
      if (!f32s(x, dy, gamma, mean, invStd) || !devices(dx, dGamma, dBeta) || batch * spatial * channels === 0) {
        fallback.groupNormBackward(x, dy, batch, spatial, channels, groups, gamma, mean, invStd, dx, dGamma, dBeta);
        return;
      }
      const size = channels / groups;
      const abc: [number, number, number] = [spatial, channels, size];
      const norm: Norm = { layout: 'group', segments: batch * groups, count: spatial * size, abc };
      const [xs, dys, ms, is] = [x, dy, mean, invStd] as Float32Array[];
      backward(norm, xs!, dys!, gamma as Float32Array | null, ms!, is!, false, dx as GpuFloat32Array, null);
      parameterGradients('group', abc, channels, xs!, dys!, ms!, is!, dGamma as GpuFloat32Array | null, dBeta as GpuFloat32Array | null);
    },
    softmax: (x, view, out) => rowSoftmax(false, x, view, out),
    logSoftmax: (x, view, out) => rowSoftmax(true, x, view, out),
    softmaxCrossentropyBackward(q, targets, dy, classes, lower, upper, dx) {
      if (!isF32(q) || !isF32(targets) || !isF32(dy) || !onDevice(dx)) {
        fallback.softmaxCrossentropyBackward(q, targets, dy, classes, lower, upper, dx);
        return;
      }
      const rows = dy.length;
      if (rows === 0 || classes === 0) return;
      const code = `${storage(['q', 't', 'dy', 'out'], new Set(['out']))}
struct P { n: u32, classes: u32, lower: f32, upper: f32 }
@group(0) @binding(4) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let base = i * u.classes;
  var s = 0.0;
  for (var j = 0u; j < u.classes; j++) {
    let v = q[base + j];
    if (v >= u.lower && v <= u.upper) { s = s + t[base + j]; }
  }
  let d = dy[i];
  for (var j = 0u; j < u.classes; j++) {
    let v = q[base + j];
    let passes = select(0.0, t[base + j], v >= u.lower && v <= u.upper);
    out[base + j] = d * (v * s - passes);
  }
}`;
      const ids = [inputId(q), inputId(targets), inputId(dy), dx.outputId()];
      dispatch('softmaxCrossentropyBackward', code, ids, uniform([rows, classes, lower, upper], new Set([2, 3])), grid(rows));
    },
  };
  return kernels;
}

function as3(a: FloatArray | null, b: FloatArray | null, c: FloatArray | null): [GpuFloat32Array, GpuFloat32Array, GpuFloat32Array] {
  return [a, b, c] as [GpuFloat32Array, GpuFloat32Array, GpuFloat32Array];
}
