import type { FloatArray } from '../../core/index.js';
import type { AxisView } from '../kernels.js';

/*
 * Training-mode batch normalization over a tensor seen as [outer, length, inner], one statistic per
 * index along `length` (the channel axis). Statistics are accumulated in float64 and the variance is
 * computed in a second pass over (x - mean), which avoids the cancellation of E[x^2] - E[x]^2 on
 * inputs with a large mean (un-normalized pixel values, for instance).
 */

/** Writes the mean over outer and inner of each channel l into `mean[l]`. */
function channelMeans(x: FloatArray, view: AxisView, mean: Float64Array): void {
  const { outer, length, inner } = view;
  mean.fill(0);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      let s = 0;
      for (let i = 0; i < inner; i++) s += x[p++]!;
      mean[l] += s;
    }
  }
  const count = outer * inner;
  for (let l = 0; l < length; l++) mean[l] = mean[l]! / count;
}

export function batchNormTraining(
  x: FloatArray,
  view: AxisView,
  gamma: FloatArray,
  beta: FloatArray,
  epsilon: number,
  out: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
): void {
  const { outer, length, inner } = view;
  const mu = new Float64Array(length);
  channelMeans(x, view, mu);
  const squares = new Float64Array(length);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      const m = mu[l]!;
      let s = 0;
      for (let i = 0; i < inner; i++) {
        const d = x[p++]! - m;
        s += d * d;
      }
      squares[l] += s;
    }
  }
  const count = outer * inner;
  const scale = new Float64Array(length);
  const shift = new Float64Array(length);
  for (let l = 0; l < length; l++) {
    const r = 1 / Math.sqrt(squares[l]! / count + epsilon);
    mean[l] = mu[l]!;
    invStd[l] = r;
    // out = (x - mean) * r * gamma + beta, folded into one multiply-add per element.
    scale[l] = r * gamma[l]!;
    shift[l] = beta[l]! - mu[l]! * scale[l]!;
  }
  p = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      const a = scale[l]!;
      const c = shift[l]!;
      for (let i = 0; i < inner; i++, p++) out[p] = x[p]! * a + c;
    }
  }
}

/*
 * With n = outer * inner, xhat = (x - mean) * invStd and y = xhat * gamma + beta:
 *   dBeta = sum(dy), dGamma = sum(dy * xhat),
 *   dx = gamma * invStd / n * (n * dy - dBeta - xhat * dGamma),
 * the usual closed form that accounts for the mean and variance depending on x.
 */
export function batchNormBackward(
  x: FloatArray,
  dy: FloatArray,
  view: AxisView,
  gamma: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
  dx: FloatArray,
  dGamma: FloatArray,
  dBeta: FloatArray,
): void {
  const { outer, length, inner } = view;
  const sumDy = new Float64Array(length);
  const sumDyXhat = new Float64Array(length);
  let p = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      const m = mean[l]!;
      const r = invStd[l]!;
      let s = 0;
      let t = 0;
      for (let i = 0; i < inner; i++, p++) {
        const g = dy[p]!;
        s += g;
        t += g * (x[p]! - m) * r;
      }
      sumDy[l] += s;
      sumDyXhat[l] += t;
    }
  }
  const n = outer * inner;
  const coefficient = new Float64Array(length);
  for (let l = 0; l < length; l++) {
    dBeta[l] = sumDy[l]!;
    dGamma[l] = sumDyXhat[l]!;
    coefficient[l] = (gamma[l]! * invStd[l]!) / n;
  }
  p = 0;
  for (let o = 0; o < outer; o++) {
    for (let l = 0; l < length; l++) {
      const m = mean[l]!;
      const r = invStd[l]!;
      const k = coefficient[l]!;
      const s = sumDy[l]!;
      const t = sumDyXhat[l]!;
      for (let i = 0; i < inner; i++, p++) dx[p] = k * (n * dy[p]! - s - (x[p]! - m) * r * t);
    }
  }
}

/*
 * Layer normalization over contiguous rows. Each row's statistics are float64 sums in index order;
 * dGamma and dBeta are summed over the rows in row order, per column, in float64 (the native kernel
 * splits columns, not rows, between threads so that it keeps this order at any thread count).
 */
export function layerNorm(
  x: FloatArray,
  rows: number,
  width: number,
  gamma: FloatArray | null,
  beta: FloatArray | null,
  epsilon: number,
  rms: boolean,
  out: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
): void {
  for (let r = 0, p = 0; r < rows; r++, p += width) {
    let m = 0;
    if (!rms) {
      for (let j = 0; j < width; j++) m += x[p + j]!;
      m /= width;
    }
    let squares = 0;
    for (let j = 0; j < width; j++) {
      const d = x[p + j]! - m;
      squares += d * d;
    }
    const inv = 1 / Math.sqrt(squares / width + epsilon);
    mean[r] = m;
    invStd[r] = inv;
    for (let j = 0; j < width; j++) {
      const v = (x[p + j]! - m) * inv;
      out[p + j] = (gamma ? v * gamma[j]! : v) + (beta ? beta[j]! : 0);
    }
  }
}

/*
 * With xhat = (x - mean) * invStd and dxhat = dy * gamma, per row of n = width values:
 *   dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
 * the mean(dxhat) term dropped for rms, whose rows are not centred.
 */
export function layerNormBackward(
  x: FloatArray,
  dy: FloatArray,
  rows: number,
  width: number,
  gamma: FloatArray | null,
  mean: FloatArray,
  invStd: FloatArray,
  rms: boolean,
  dx: FloatArray,
  dGamma: FloatArray | null,
  dBeta: FloatArray | null,
): void {
  const sumGamma = dGamma ? new Float64Array(width) : null;
  const sumBeta = dBeta ? new Float64Array(width) : null;
  for (let r = 0, p = 0; r < rows; r++, p += width) {
    const m = mean[r]!;
    const inv = invStd[r]!;
    let sumDxhat = 0;
    let sumDxhatXhat = 0;
    for (let j = 0; j < width; j++) {
      const g = dy[p + j]!;
      const xhat = (x[p + j]! - m) * inv;
      const dxhat = gamma ? g * gamma[j]! : g;
      sumDxhat += dxhat;
      sumDxhatXhat += dxhat * xhat;
      if (sumGamma) sumGamma[j] += g * xhat;
      if (sumBeta) sumBeta[j] += g;
    }
    const a = rms ? 0 : sumDxhat / width;
    const b = sumDxhatXhat / width;
    for (let j = 0; j < width; j++) {
      const xhat = (x[p + j]! - m) * inv;
      const dxhat = gamma ? dy[p + j]! * gamma[j]! : dy[p + j]!;
      dx[p + j] = inv * (dxhat - a - xhat * b);
    }
  }
  if (dGamma) for (let j = 0; j < width; j++) dGamma[j] = sumGamma![j]!;
  if (dBeta) for (let j = 0; j < width; j++) dBeta[j] = sumBeta![j]!;
}

/*
 * Group normalization, channels last: the values of image n and group g are x[(n * spatial + s) *
 * channels + c] for every s and the channels c of the group. Each image is walked position by position
 * with per-channel float64 sums (contiguous, so the native loops vectorize), which are then added in
 * channel order into the group's sums. dGamma and dBeta are those per-image channel sums added over the
 * images in order; the native kernel splits images over threads and keeps the same order.
 */
export function groupNorm(
  x: FloatArray,
  batch: number,
  spatial: number,
  channels: number,
  groups: number,
  gamma: FloatArray | null,
  beta: FloatArray | null,
  epsilon: number,
  out: FloatArray,
  mean: FloatArray,
  invStd: FloatArray,
): void {
  const size = channels / groups;
  const count = spatial * size;
  const sums = new Float64Array(channels);
  const m = new Float64Array(channels);
  const inv = new Float64Array(channels);
  for (let n = 0; n < batch; n++) {
    const first = n * spatial * channels;
    sums.fill(0);
    for (let s = 0, p = first; s < spatial; s++, p += channels) for (let c = 0; c < channels; c++) sums[c] += x[p + c]!;
    for (let g = 0; g < groups; g++) {
      let total = 0;
      for (let c = g * size; c < (g + 1) * size; c++) total += sums[c]!;
      m.fill(total / count, g * size, (g + 1) * size);
    }
    sums.fill(0);
    for (let s = 0, p = first; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) {
        const d = x[p + c]! - m[c]!;
        sums[c] += d * d;
      }
    }
    for (let g = 0; g < groups; g++) {
      let total = 0;
      for (let c = g * size; c < (g + 1) * size; c++) total += sums[c]!;
      const r = 1 / Math.sqrt(total / count + epsilon);
      inv.fill(r, g * size, (g + 1) * size);
      mean[n * groups + g] = m[g * size]!;
      invStd[n * groups + g] = r;
    }
    for (let s = 0, p = first; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) {
        const v = (x[p + c]! - m[c]!) * inv[c]!;
        out[p + c] = (gamma ? v * gamma[c]! : v) + (beta ? beta[c]! : 0);
      }
    }
  }
}

/*
 * Per (image, group) of count values, with xhat = (x - mean) * invStd and dxhat = dy * gamma:
 *   dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)),
 * the two means from the per-channel sums of dy and dy * xhat (times gamma[c]), which are also the
 * image's share of dBeta and dGamma.
 */
export function groupNormBackward(
  x: FloatArray,
  dy: FloatArray,
  batch: number,
  spatial: number,
  channels: number,
  groups: number,
  gamma: FloatArray | null,
  mean: FloatArray,
  invStd: FloatArray,
  dx: FloatArray,
  dGamma: FloatArray | null,
  dBeta: FloatArray | null,
): void {
  const size = channels / groups;
  const count = spatial * size;
  const [m, inv, sumDy, sumDyXhat, a, b] = Array.from({ length: 6 }, () => new Float64Array(channels));
  const totalGamma = new Float64Array(channels);
  const totalBeta = new Float64Array(channels);
  for (let n = 0; n < batch; n++) {
    const first = n * spatial * channels;
    for (let g = 0; g < groups; g++) {
      m.fill(mean[n * groups + g]!, g * size, (g + 1) * size);
      inv.fill(invStd[n * groups + g]!, g * size, (g + 1) * size);
    }
    sumDy!.fill(0);
    sumDyXhat!.fill(0);
    for (let s = 0, p = first; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) {
        const d = dy[p + c]!;
        sumDy![c] += d;
        sumDyXhat![c] += d * ((x[p + c]! - m![c]!) * inv![c]!);
      }
    }
    for (let g = 0; g < groups; g++) {
      let sumDxhat = 0;
      let sumDxhatXhat = 0;
      for (let c = g * size; c < (g + 1) * size; c++) {
        sumDxhat += gamma ? gamma[c]! * sumDy![c]! : sumDy![c]!;
        sumDxhatXhat += gamma ? gamma[c]! * sumDyXhat![c]! : sumDyXhat![c]!;
      }
      a!.fill(sumDxhat / count, g * size, (g + 1) * size);
      b!.fill(sumDxhatXhat / count, g * size, (g + 1) * size);
    }
    for (let s = 0, p = first; s < spatial; s++, p += channels) {
      for (let c = 0; c < channels; c++) {
        const xhat = (x[p + c]! - m![c]!) * inv![c]!;
        const dxhat = gamma ? dy[p + c]! * gamma[c]! : dy[p + c]!;
        dx[p + c] = inv![c]! * (dxhat - a![c]! - xhat * b![c]!);
      }
    }
    for (let c = 0; c < channels; c++) {
      totalGamma[c] += sumDyXhat![c]!;
      totalBeta[c] += sumDy![c]!;
    }
  }
  if (dGamma) for (let c = 0; c < channels; c++) dGamma[c] = totalGamma[c]!;
  if (dBeta) for (let c = 0; c < channels; c++) dBeta[c] = totalBeta[c]!;
}
