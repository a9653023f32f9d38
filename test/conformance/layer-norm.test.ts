import { assert, includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of layerNorm and layerNormBackward through nr.layerNorm and its gradients, against
 * float64 loops over [rows, width]: the output, and dx, dGamma, dBeta written from their definitions.
 */

interface Case {
  name: string;
  shape: number[];
  axis: number | number[];
  /** Added to x, to check the variance of rows with a large mean. */
  offset: number;
  rms?: boolean;
  affine?: 'both' | 'gamma' | 'none';
}

const CASES: Case[] = [
  { name: 'rank 3, last axis', shape: [2, 5, 8], axis: -1, offset: 0 },
  { name: 'odd width, many rows', shape: [67, 33], axis: 1, offset: 0 },
  { name: 'two trailing axes', shape: [3, 4, 7], axis: [-2, -1], offset: 0 },
  { name: 'large mean', shape: [9, 31], axis: -1, offset: 300 },
  { name: 'rms', shape: [5, 17], axis: -1, offset: 0.5, rms: true },
  { name: 'gamma only', shape: [6, 3, 11], axis: -1, offset: 0, affine: 'gamma' },
  { name: 'no gamma or beta', shape: [4, 260], axis: -1, offset: 0, affine: 'none' },
  { name: 'width 1', shape: [300, 1], axis: -1, offset: 0 },
];

function reference(x: number[], gamma: number[] | null, beta: number[] | null, dy: number[], width: number, eps: number, rms: boolean) {
  const rows = x.length / width;
  const out: number[] = [];
  const dx: number[] = [];
  const dGamma = new Array<number>(width).fill(0);
  const dBeta = new Array<number>(width).fill(0);
  for (let r = 0; r < rows; r++) {
    const row = x.slice(r * width, (r + 1) * width);
    const g = dy.slice(r * width, (r + 1) * width);
    const m = rms ? 0 : row.reduce((s, v) => s + v, 0) / width;
    const sd = Math.sqrt(row.reduce((s, v) => s + (v - m) ** 2, 0) / width + eps);
    const xhat = row.map((v) => (v - m) / sd);
    const dxhat = g.map((v, j) => v * (gamma ? gamma[j]! : 1));
    const meanDxhat = rms ? 0 : dxhat.reduce((s, v) => s + v, 0) / width;
    const meanDxhatXhat = dxhat.reduce((s, v, j) => s + v * xhat[j]!, 0) / width;
    for (let j = 0; j < width; j++) {
      out.push(xhat[j]! * (gamma ? gamma[j]! : 1) + (beta ? beta[j]! : 0));
      dx.push((dxhat[j]! - meanDxhat - xhat[j]! * meanDxhatXhat) / sd);
      dGamma[j] += g[j]! * xhat[j]!;
      dBeta[j] += g[j]!;
    }
  }
  return { out, dx, dGamma, dBeta };
}

CASES.forEach((c, k) => {
  conformance(`layerNorm and layerNormBackward: ${c.name}`, () => {
    const rng = new TestRandom(9300 + k);
    const axes = (Array.isArray(c.axis) ? c.axis : [c.axis]).map((a) => (a < 0 ? a + c.shape.length : a));
    const spanned = axes.map((a) => c.shape[a]!);
    const width = spanned.reduce((p, d) => p * d, 1);
    const rows = c.shape.reduce((p, d) => p * d, 1) / width;
    const x = randomTensor(rng, c.shape, c.offset - 1, c.offset + 1.5);
    const gamma = c.affine === 'none' ? null : randomTensor(rng, spanned, 0.5, 2);
    const beta = c.affine === undefined || c.affine === 'both' ? randomTensor(rng, spanned) : null;
    const dy = randomTensor(rng, c.shape);
    const options = { axis: c.axis, epsilon: 1e-3, rms: c.rms ?? false };
    const ref = reference(valuesOf(x), gamma && valuesOf(gamma), beta && valuesOf(beta), valuesOf(dy), width, 1e-3, c.rms ?? false);
    assertConforms(nr.layerNorm(x, gamma, beta, options), ref.out, width, `${c.name}: output`, c.shape);
    const parameters = [gamma, beta].filter((t): t is nr.Tensor => t !== null);
    const grads = nr.grad((a, ...p) => {
      const [g, b] = gamma ? [p[0]!, beta ? p[1]! : null] : [null, beta ? p[0]! : null];
      return nr.layerNorm(a, g, b, options).mul(dy).sum();
    })(x, ...parameters);
    // The saved float32 mean carries an error relative to |mean|, which x - mean carries on (as batchNorm's test).
    const scaleUp = (1 + c.offset) ** 2;
    assertConforms(grads[0]!, ref.dx, width * scaleUp, `${c.name}: dx`, c.shape);
    if (gamma) assertConforms(grads[1]!, ref.dGamma, rows * scaleUp, `${c.name}: dGamma`, spanned);
    if (beta) assertConforms(grads[gamma ? 2 : 1]!, ref.dBeta, rows, `${c.name}: dBeta`, spanned);
  });
});

conformance('layerNorm: an axis that is not trailing takes the composed path and agrees with the reference', () => {
  const rng = new TestRandom(9399);
  const x = randomTensor(rng, [3, 6, 4]);
  const gamma = randomTensor(rng, [6], 0.5, 2);
  const moved = nr.layerNorm(x.transpose([0, 2, 1]), gamma, null).transpose([0, 2, 1]);
  const direct = nr.layerNorm(x, gamma, null, { axis: 1 });
  assertConforms(direct, valuesOf(moved), 6, 'axis 1 vs the transposed last axis', [3, 6, 4]);
});

conformance('layerNorm and its backward: 1, 2 and 3 threads give the same bits', (backend) => {
  const rng = new TestRandom(9398);
  const x = randomTensor(rng, [96, 384]);
  const gamma = randomTensor(rng, [384]);
  const beta = randomTensor(rng, [384]);
  const dy = randomTensor(rng, [96, 384]);
  const run = () => {
    const out = nr.layerNorm(x, gamma, beta);
    const grads = nr.grad((a, g, b) => nr.layerNorm(a, g, b).mul(dy).sum())(x, gamma, beta);
    return [out, ...grads].map((t) => Array.from(t!.data()));
  };
  const before = nr.getNumThreads();
  try {
    nr.setNumThreads(1);
    const reference = run();
    for (const n of [2, 3]) {
      nr.setNumThreads(n);
      assert.deepEqual(run(), reference, `${backend}: ${n} threads vs 1`);
    }
  } finally {
    nr.setNumThreads(before);
  }
});
