import type { TypedArray, Random } from '../../core/index.js';

export function fillUniform(out: TypedArray, low: number, high: number, random: Random): void {
  const span = high - low;
  for (let i = 0; i < out.length; i++) out[i] = low + span * random.next();
  // A draw just below `high` can round up to it when stored as float32; the interval is half-open.
  if (span > 0 && out instanceof Float32Array) {
    const below = float32Below(high);
    for (let i = 0; i < out.length; i++) if (out[i]! >= high) out[i] = below;
  }
}

/** The largest float32 strictly below `x`. */
function float32Below(x: number): number {
  const f = Math.fround(x);
  if (f < x) return f;
  const bits = new Float32Array([f]);
  const view = new Int32Array(bits.buffer);
  if (f === 0)
    view[0] = 0x80000001; // the negative subnormal closest to zero
  else view[0]! += f > 0 ? -1 : 1;
  return bits[0]!;
}

export function fillNormal(out: TypedArray, mean: number, std: number, random: Random): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + std * random.nextNormal();
}
