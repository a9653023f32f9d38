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
 * channels + c] for every s and the channels c of the group. Statistics are float64 sums in index
 * order (s outer, c inner); dGamma and dBeta are summed per image first, then over the images in order,
 * which the native kernel reproduces with images split over threads.
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
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const first = n * spatial * channels + g * size;
      let m = 0;
      for (let s = 0, p = first; s < spatial; s++, p += channels) for (let c = 0; c < size; c++) m += x[p + c]!;
      m /= count;
      let squares = 0;
      for (let s = 0, p = first; s < spatial; s++, p += channels) {
        for (let c = 0; c < size; c++) {
          const d = x[p + c]! - m;
          squares += d * d;
        }
      }
      const inv = 1 / Math.sqrt(squares / count + epsilon);
      mean[n * groups + g] = m;
      invStd[n * groups + g] = inv;
      for (let s = 0, p = first; s < spatial; s++, p += channels) {
        for (let c = 0, k = g * size; c < size; c++, k++) {
          const v = (x[p + c]! - m) * inv;
          out[p + c] = (gamma ? v * gamma[k]! : v) + (beta ? beta[k]! : 0);
        }
      }
    }
  }
}

/* Per (image, group) of count values, with dxhat = dy * gamma: dx = invStd * (dxhat - mean(dxhat) - xhat * mean(dxhat * xhat)). */
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
  const imageGamma = new Float64Array(channels);
  const imageBeta = new Float64Array(channels);
  const sumGamma = new Float64Array(channels);
  const sumBeta = new Float64Array(channels);
  for (let n = 0; n < batch; n++) {
    imageGamma.fill(0);
    imageBeta.fill(0);
    for (let g = 0; g < groups; g++) {
      const first = n * spatial * channels + g * size;
      const m = mean[n * groups + g]!;
      const inv = invStd[n * groups + g]!;
      let sumDxhat = 0;
      let sumDxhatXhat = 0;
      for (let s = 0, p = first; s < spatial; s++, p += channels) {
        for (let c = 0, k = g * size; c < size; c++, k++) {
          const d = dy[p + c]!;
          const xhat = (x[p + c]! - m) * inv;
          const dxhat = gamma ? d * gamma[k]! : d;
          sumDxhat += dxhat;
          sumDxhatXhat += dxhat * xhat;
          imageGamma[k] += d * xhat;
          imageBeta[k] += d;
        }
      }
      const a = sumDxhat / count;
      const b = sumDxhatXhat / count;
      for (let s = 0, p = first; s < spatial; s++, p += channels) {
        for (let c = 0, k = g * size; c < size; c++, k++) {
          const xhat = (x[p + c]! - m) * inv;
          const dxhat = gamma ? dy[p + c]! * gamma[k]! : dy[p + c]!;
          dx[p + c] = inv * (dxhat - a - xhat * b);
        }
      }
    }
    for (let k = 0; k < channels; k++) {
      sumGamma[k] += imageGamma[k]!;
      sumBeta[k] += imageBeta[k]!;
    }
  }
  if (dGamma) for (let k = 0; k < channels; k++) dGamma[k] = sumGamma[k]!;
  if (dBeta) for (let k = 0; k < channels; k++) dBeta[k] = sumBeta[k]!;
}
