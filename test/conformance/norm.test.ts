import { includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of batchNormTraining and batchNormBackward through nr.batchNorm and its gradients,
 * against float64 loops over the [outer, channels, inner] view: the output, the batch mean and
 * biased variance, and the gradients of x, gamma and beta written from their definitions
 * (dx by the chain rule through the mean and the variance, term by term).
 */

interface Case {
  name: string;
  shape: number[];
  axis: number;
  /** Added to x, to check the variance of inputs with a large mean. */
  offset: number;
}

const CASES: Case[] = [
  { name: 'NHWC, channels last', shape: [4, 5, 3, 7], axis: -1, offset: 0 },
  { name: 'channels first (axis 1)', shape: [3, 6, 4, 5], axis: 1, offset: 0 },
  { name: 'rank 2 (Dense features)', shape: [33, 17], axis: 1, offset: 0 },
  { name: 'axis 0', shape: [5, 4, 3], axis: 0, offset: 0 },
  { name: 'large mean (pixel values)', shape: [16, 4, 4, 3], axis: -1, offset: 200 },
  // The native kernels' register blocks over channels last: 16, 32 and 64 channels at a time, and
  // 40 = two blocks of 16 and 8 channels by the plain loop.
  ...[16, 32, 40, 64, 96, 128].map((channels) => ({
    name: `channels last, ${channels} channels`,
    shape: [5, 3, 2, channels],
    axis: -1,
    offset: 0.5,
  })),
  // Rows wider than one block, enough of them that each thread (and each group of rows the sums are
  // split into) takes them in several 64 KB chunks, every block of channels over a chunk in turn.
  { name: 'channels last, 96 channels in row chunks', shape: [8, 24, 24, 96], axis: -1, offset: 0.5 },
  { name: 'channels last, 576 channels in row chunks', shape: [4, 12, 12, 576], axis: -1, offset: 0.5 },
];

function reference(
  x: number[],
  gamma: number[],
  beta: number[],
  dy: number[],
  outer: number,
  length: number,
  inner: number,
  epsilon: number,
) {
  const n = outer * inner;
  const at = (o: number, l: number, i: number) => (o * length + l) * inner + i;
  const mean = new Array<number>(length).fill(0);
  const variance = new Array<number>(length).fill(0);
  const out = new Array<number>(x.length).fill(0);
  const dx = new Array<number>(x.length).fill(0);
  const dGamma = new Array<number>(length).fill(0);
  const dBeta = new Array<number>(length).fill(0);
  for (let l = 0; l < length; l++) {
    const idx: number[] = [];
    for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) idx.push(at(o, l, i));
    const m = idx.reduce((s, p) => s + x[p]!, 0) / n;
    const v = idx.reduce((s, p) => s + (x[p]! - m) ** 2, 0) / n;
    const sd = Math.sqrt(v + epsilon);
    mean[l] = m;
    variance[l] = v;
    // y = gamma * (x - m) / sd + beta; dL/dx_p = gamma / sd * (dy_p - mean(dy) - xhat_p * mean(dy * xhat)).
    const xhat = idx.map((p) => (x[p]! - m) / sd);
    const meanDy = idx.reduce((s, p) => s + dy[p]!, 0) / n;
    const meanDyXhat = idx.reduce((s, p, k) => s + dy[p]! * xhat[k]!, 0) / n;
    idx.forEach((p, k) => {
      out[p] = gamma[l]! * xhat[k]! + beta[l]!;
      dx[p] = (gamma[l]! / sd) * (dy[p]! - meanDy - xhat[k]! * meanDyXhat);
      dGamma[l] += dy[p]! * xhat[k]!;
      dBeta[l] += dy[p]!;
    });
  }
  return { mean, variance, out, dx, dGamma, dBeta };
}

CASES.forEach((c, k) => {
  conformance(`batchNormTraining and batchNormBackward: ${c.name}`, () => {
    const rng = new TestRandom(9100 + k);
    const axis = c.axis < 0 ? c.axis + c.shape.length : c.axis;
    const length = c.shape[axis]!;
    const outer = c.shape.slice(0, axis).reduce((p, d) => p * d, 1);
    const inner = c.shape.slice(axis + 1).reduce((p, d) => p * d, 1);
    const x = randomTensor(rng, c.shape, c.offset - 1, c.offset + 1.5);
    const gamma = randomTensor(rng, [length], 0.5, 2);
    const beta = randomTensor(rng, [length]);
    const dy = randomTensor(rng, c.shape);
    const epsilon = 1e-3;
    const ref = reference(valuesOf(x), valuesOf(gamma), valuesOf(beta), valuesOf(dy), outer, length, inner, epsilon);
    const n = outer * inner;
    const result = nr.batchNorm(x, gamma, beta, { axis: c.axis, epsilon });
    assertConforms(result.output, ref.out, n, `${c.name}: output`, c.shape);
    assertConforms(result.mean, ref.mean, n, `${c.name}: mean`, [length]);
    assertConforms(result.variance, ref.variance, n, `${c.name}: biased variance`, [length]);
    // The backward pass reads the mean saved in float32, whose rounding error is relative to |mean|,
    // so x - mean (and dx, dGamma) carry an error that grows with |mean| / sd, not with n alone.
    const scaleUp = 1 + c.offset;
    const [dx, dGamma, dBeta] = nr.grad((a, g, b) => nr.batchNorm(a, g, b, { axis: c.axis, epsilon }).output.mul(dy).sum())(x, gamma, beta);
    assertConforms(dx!, ref.dx, n * scaleUp * scaleUp, `${c.name}: dx`, c.shape);
    assertConforms(dGamma!, ref.dGamma, n * scaleUp * scaleUp, `${c.name}: dGamma`, [length]);
    assertConforms(dBeta!, ref.dBeta, n, `${c.name}: dBeta`, [length]);
  });
});
