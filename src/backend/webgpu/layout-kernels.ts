import type { TypedArray } from '../../core/index.js';
import type { AxisView, Kernels } from '../kernels.js';
import { type DeviceArray, type DeviceTyped, type GpuFloat32Array, GpuInt32Array, indicesId, inputId } from './array.js';
import type { Dispatch } from './conv-kernels.js';
import { ENTRY, FLAT_INDEX, grid, isF32, MAX_RANK, onDevice, storage, uniform } from './wgsl.js';

/*
 * The layout kernels in WGSL, float32 and int32 (bool falls back): transpose, slice and pad are one
 * shader that maps each output element's coordinates to an input index (up to rank 8), concat is one
 * copy per input, gather reads its int32 indices from an upload. scatterAdd, gather's gradient, adds
 * repeated indices in index order without float atomics (WGSL has none): a thread per output value
 * walks all the indices, which costs rows x indices but gives the same bits on every run.
 */

const NONE = 0xffffffff;

/** Eight values as two vec4 (padded with `fill`). */
const eight = (values: readonly number[], fill: number): number[] => [...values, ...new Array<number>(MAX_RANK - values.length).fill(fill)];

function stridesOf(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1]! * shape[i + 1]!;
  return s;
}

/** gather's and scatterAdd's bindings: the values read (of `type`), their int32 indices, the output. */
const indexed = (type: Element) => `@group(0) @binding(0) var<storage, read> src: array<${type}>;
@group(0) @binding(1) var<storage, read> indices: array<i32>;
@group(0) @binding(2) var<storage, read_write> out: array<${type}>;
struct P { n: u32, length: u32, inner: u32, count: u32 }
@group(0) @binding(3) var<uniform> u: P;`;

type Element = 'f32' | 'i32';

/** The element type of a copy from `x` into `out` on the GPU: float32 or int32 device arrays, else null (js). */
function elementOf(x: unknown, out: unknown): Element | null {
  if (isF32(x) && onDevice(out)) return 'f32';
  return x instanceof Int32Array && out instanceof GpuInt32Array ? 'i32' : null;
}

export function layoutKernels(fallback: Kernels, dispatch: Dispatch): Partial<Kernels> {
  const code = (type: Element) => `${storage(['x', 'out'], new Set(['out']), type)}
struct P { n: u32, rank: u32, value: ${type}, pad: u32,
  dims: array<vec4u, 2>, s: array<vec4u, 2>, off: array<vec4i, 2>, ext: array<vec4u, 2> }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  var rest = i; var at = 0u; var outside = false;
  for (var d = i32(u.rank) - 1; d >= 0; d--) {
    let extent = u.dims[d / 4][d % 4];
    let c = i32(rest % extent) + u.off[d / 4][d % 4]; rest = rest / extent;
    if (c < 0 || u32(c) >= u.ext[d / 4][d % 4]) { outside = true; }
    at += u32(c) * u.s[d / 4][d % 4];
  }
  out[i] = select(x[at], u.value, outside);
}`;

  /** out[coords] = x[sum((coords + off) * s)], or `value` where coords + off leaves [0, ext). */
  function remap(
    type: Element,
    x: Float32Array | Int32Array,
    out: GpuFloat32Array | GpuInt32Array,
    outShape: readonly number[],
    s: number[],
    off: number[],
    ext: number[],
    value: number,
  ) {
    if (out.length === 0) return;
    // Negative offsets (and an int32 pad value) travel as their two's complement bits (DataView's setUint32 wraps them).
    const u = uniform(
      [out.length, outShape.length, value, 0, ...eight(outShape, 1), ...eight(s, 0), ...eight(off, 0), ...eight(ext, NONE)],
      new Set(type === 'f32' ? [2] : []),
    );
    dispatch(`remap:${type}`, code(type), [inputId(x), out.outputId()], u, grid(out.length));
  }

  /** The element type when the GPU runs this case (rank 1 to 8). */
  const fits = (x: unknown, out: unknown, rank: number) => (rank > 0 && rank <= MAX_RANK ? elementOf(x, out) : null);
  type Copy = [Float32Array | Int32Array, GpuFloat32Array | GpuInt32Array];

  return {
    transpose(x: TypedArray, shape, perm, out) {
      const type = fits(x, out, shape.length);
      if (type === null) return fallback.transpose(x, shape, perm, out);
      const strides = stridesOf(shape);
      remap(
        type,
        ...([x, out] as Copy),
        perm.map((p) => shape[p]!),
        perm.map((p) => strides[p]!),
        [],
        [],
        0,
      );
    },
    slice(x, shape, begin, size, out) {
      const type = fits(x, out, shape.length);
      if (type === null) return fallback.slice(x, shape, begin, size, out);
      remap(type, ...([x, out] as Copy), size, stridesOf(shape), [...begin], [], 0);
    },
    pad(x, shape, padding, value, out) {
      const type = fits(x, out, shape.length);
      if (type === null || x.length === 0) return fallback.pad(x, shape, padding, value, out);
      const outShape = shape.map((d, i) => d + padding[i]![0] + padding[i]![1]);
      remap(
        type,
        ...([x, out] as Copy),
        outShape,
        stridesOf(shape),
        padding.map((p) => -p[0]),
        [...shape],
        // An int32 store truncates the value, as the js kernel's does.
        type === 'f32' ? value : Math.trunc(value) | 0,
      );
    },
    concat(inputs, outer, chunks, out) {
      const type = elementOf(inputs[0], out);
      if (type === null || !inputs.every((input) => elementOf(input, out) === type)) return fallback.concat(inputs, outer, chunks, out);
      const row = chunks.reduce((a, b) => a + b, 0);
      const copy = `${storage(['x', 'out'], new Set(['out']), type)}
struct P { n: u32, chunk: u32, row: u32, start: u32 }
@group(0) @binding(2) var<uniform> u: P;
${ENTRY} { ${FLAT_INDEX} if (i >= u.n) { return; } out[(i / u.chunk) * u.row + u.start + i % u.chunk] = x[i]; }`;
      let start = 0;
      inputs.forEach((input, k) => {
        const n = outer * chunks[k]!;
        if (n > 0)
          dispatch(
            `concat:${type}`,
            copy,
            [inputId(input as DeviceTyped), (out as DeviceArray).outputId()],
            uniform([n, chunks[k]!, row, start]),
            grid(n),
          );
        start += chunks[k]!;
      });
    },
    gather(x: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray) {
      const type = elementOf(x, out);
      if (type === null) return fallback.gather(x, view, indices, out);
      if (out.length === 0) return;
      const code = `${indexed(type)}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let k = i % u.inner; let j = (i / u.inner) % u.count; let o = i / (u.inner * u.count);
  out[i] = src[(o * u.length + u32(indices[j])) * u.inner + k];
}`;
      const ids = [inputId(x as DeviceTyped), indicesId(indices), (out as DeviceArray).outputId()];
      dispatch(`gather:${type}`, code, ids, uniform([out.length, view.length, view.inner, indices.length]), grid(out.length));
    },
    scatterAdd(dy: TypedArray, view: AxisView, indices: Int32Array, out: TypedArray) {
      if (!isF32(dy) || !onDevice(out)) return fallback.scatterAdd(dy, view, indices, out);
      if (out.length === 0 || indices.length === 0) return;
      const code = `${indexed('f32')}
${ENTRY} {
  ${FLAT_INDEX}
  if (i >= u.n) { return; }
  let k = i % u.inner; let r = (i / u.inner) % u.length; let o = i / (u.inner * u.length);
  var v = out[i];
  for (var j = 0u; j < u.count; j++) {
    if (u32(indices[j]) == r) { v = v + src[(o * u.count + j) * u.inner + k]; }
  }
  out[i] = v;
}`;
      // Added to what out holds (zeros the caller wrote, perhaps on the host): upload it first.
      const target = out.deviceId();
      out.outputId();
      const ids = [inputId(dy), indicesId(indices), target];
      dispatch('scatterAdd', code, ids, uniform([out.length, view.length, view.inner, indices.length]), grid(out.length));
    },
  };
}
