import type { TypedArray, FloatArray } from '../../core/index.js';
import type { ArgReduceOp, AxisView, ReduceOp } from '../kernels.js';

/*
 * Reductions over one axis of a tensor viewed as [outer, length, inner]. Sums accumulate in float64
 * (JavaScript numbers), so float32 results are correctly rounded sums. When inner > 1 the loops walk
 * memory in order and keep one accumulator per inner position.
 */

export function reduce(op: ReduceOp, x: TypedArray, view: AxisView, out: TypedArray): void {
  const { outer, length, inner } = view;
  if (op === 'logsumexp') {
    logsumexp(x, view, out);
    return;
  }
  const acc = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * length * inner;
    if (length === 0) {
      acc.fill(op === 'sum' ? 0 : op === 'prod' ? 1 : op === 'max' ? -Infinity : Infinity);
    } else {
      for (let i = 0; i < inner; i++) acc[i] = x[base + i]!;
      for (let j = 1; j < length; j++) {
        const row = base + j * inner;
        switch (op) {
          case 'sum':
            for (let i = 0; i < inner; i++) acc[i] += x[row + i]!;
            break;
          case 'prod':
            for (let i = 0; i < inner; i++) acc[i] *= x[row + i]!;
            break;
          case 'max':
            // Once acc is NaN no comparison replaces it, so NaN propagates.
            for (let i = 0; i < inner; i++) {
              const v = x[row + i]!;
              if (v > acc[i]! || v !== v) acc[i] = v;
            }
            break;
          case 'min':
            for (let i = 0; i < inner; i++) {
              const v = x[row + i]!;
              if (v < acc[i]! || v !== v) acc[i] = v;
            }
            break;
        }
      }
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) out[ob + i] = acc[i]!;
  }
}

/** log(sum(exp(x))) computed as max + log(sum(exp(x - max))), exact for large |x|. */
function logsumexp(x: TypedArray, view: AxisView, out: TypedArray): void {
  const { outer, length, inner } = view;
  const max = new Float64Array(inner);
  const sum = new Float64Array(inner);
  for (let o = 0; o < outer; o++) {
    const base = o * length * inner;
    max.fill(-Infinity);
    sum.fill(0);
    for (let j = 0; j < length; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) {
        const v = x[row + i]!;
        if (v > max[i]!) max[i] = v;
      }
    }
    for (let j = 0; j < length; j++) {
      const row = base + j * inner;
      for (let i = 0; i < inner; i++) {
        const m = max[i]!;
        sum[i] += m === -Infinity ? 0 : Math.exp(x[row + i]! - m);
      }
    }
    const ob = o * inner;
    for (let i = 0; i < inner; i++) {
      const m = max[i]!;
      out[ob + i] = m === -Infinity || m === Infinity ? m : m + Math.log(sum[i]!);
    }
  }
}

export function argReduce(op: ArgReduceOp, x: TypedArray, view: AxisView, out: Int32Array): void {
  const { outer, length, inner } = view;
  const isMax = op === 'argmax';
  for (let o = 0; o < outer; o++) {
    const base = o * length * inner;
    for (let i = 0; i < inner; i++) {
      let best = x[base + i]!;
      let bestIndex = 0;
      if (best === best) {
        for (let j = 1; j < length; j++) {
          const v = x[base + j * inner + i]!;
          if (v !== v) {
            bestIndex = j;
            break;
          } // the first NaN wins, as in NumPy
          if (isMax ? v > best : v < best) {
            best = v;
            bestIndex = j;
          }
        }
      }
      out[o * inner + i] = bestIndex;
    }
  }
}

export function softmax(x: FloatArray, view: AxisView, out: FloatArray): void {
  softmaxLike(x, view, out, false);
}

export function logSoftmax(x: FloatArray, view: AxisView, out: FloatArray): void {
  softmaxLike(x, view, out, true);
}

function softmaxLike(x: FloatArray, view: AxisView, out: FloatArray, log: boolean): void {
  const { outer, length, inner } = view;
  for (let o = 0; o < outer; o++) {
    for (let i = 0; i < inner; i++) {
      const start = o * length * inner + i;
      const end = start + length * inner;
      let max = -Infinity;
      for (let p = start; p < end; p += inner) if (x[p]! > max) max = x[p]!;
      if (max === -Infinity || max === Infinity) max = 0;
      let sum = 0;
      for (let p = start; p < end; p += inner) sum += Math.exp(x[p]! - max);
      if (log) {
        const shift = max + Math.log(sum);
        for (let p = start; p < end; p += inner) out[p] = x[p]! - shift;
      } else {
        const scale = 1 / sum;
        for (let p = start; p < end; p += inner) out[p] = Math.exp(x[p]! - max) * scale;
      }
    }
  }
}

export function softmaxCrossentropyBackward(
  q: FloatArray,
  targets: FloatArray,
  dy: FloatArray,
  classes: number,
  lower: number,
  upper: number,
  dx: FloatArray,
): void {
  const rows = dy.length;
  for (let r = 0; r < rows; r++) {
    const start = r * classes;
    const end = start + classes;
    // s = the target mass on classes whose probability the clip let through.
    let s = 0;
    for (let j = start; j < end; j++) {
      const v = q[j]!;
      if (v >= lower && v <= upper) s += targets[j]!;
    }
    const g = dy[r]!;
    for (let j = start; j < end; j++) {
      const v = q[j]!;
      const passed = v >= lower && v <= upper ? targets[j]! : 0;
      dx[j] = g * (v * s - passed);
    }
  }
}
