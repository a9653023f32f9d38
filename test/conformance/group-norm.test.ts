import { test } from 'node:test';
import { assert, backendsUnderTest, includeWebgpu, nr, withBackend } from '../helpers.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of groupNorm and groupNormBackward through nr.groupNorm and its gradients, against
 * float64 loops over [batch, spatial, channels]: the output, and dx, dGamma, dBeta from their definitions.
 */

interface Case {
  name: string;
  shape: number[];
  groups: number;
  /** Added to x, to check the variance of groups with a large mean. */
  offset: number;
  affine?: 'both' | 'gamma' | 'none';
}

const CASES: Case[] = [
  { name: 'NHWC, 4 groups', shape: [2, 5, 3, 8], groups: 4, offset: 0 },
  { name: 'odd sizes, 3 groups of 5', shape: [3, 7, 15], groups: 3, offset: 0 },
  { name: 'one group (layer norm over all axes)', shape: [2, 9, 6], groups: 1, offset: 0 },
  { name: 'instance norm (groups = channels)', shape: [2, 4, 4, 6], groups: 6, offset: 0 },
  { name: 'large mean', shape: [2, 33, 4], groups: 2, offset: 300 },
  { name: 'gamma only', shape: [3, 5, 12], groups: 4, offset: 0, affine: 'gamma' },
  { name: 'no gamma or beta, rank 2', shape: [20, 32], groups: 8, offset: 0, affine: 'none' },
];

function reference(x: number[], gamma: number[] | null, beta: number[] | null, dy: number[], shape: number[], groups: number, eps: number) {
  const batch = shape[0]!;
  const channels = shape[shape.length - 1]!;
  const spatial = x.length / batch / channels;
  const size = channels / groups;
  const out = new Array<number>(x.length).fill(0);
  const dx = new Array<number>(x.length).fill(0);
  const dGamma = new Array<number>(channels).fill(0);
  const dBeta = new Array<number>(channels).fill(0);
  for (let n = 0; n < batch; n++) {
    for (let g = 0; g < groups; g++) {
      const idx: number[] = [];
      for (let s = 0; s < spatial; s++) for (let c = 0; c < size; c++) idx.push((n * spatial + s) * channels + g * size + c);
      const m = idx.reduce((a, i) => a + x[i]!, 0) / idx.length;
      const sd = Math.sqrt(idx.reduce((a, i) => a + (x[i]! - m) ** 2, 0) / idx.length + eps);
      const ch = (i: number) => i % channels;
      const xhat = (i: number) => (x[i]! - m) / sd;
      const dxhat = (i: number) => dy[i]! * (gamma ? gamma[ch(i)]! : 1);
      const meanDxhat = idx.reduce((a, i) => a + dxhat(i), 0) / idx.length;
      const meanDxhatXhat = idx.reduce((a, i) => a + dxhat(i) * xhat(i), 0) / idx.length;
      for (const i of idx) {
        out[i] = xhat(i) * (gamma ? gamma[ch(i)]! : 1) + (beta ? beta[ch(i)]! : 0);
        dx[i] = (dxhat(i) - meanDxhat - xhat(i) * meanDxhatXhat) / sd;
        dGamma[ch(i)] += dy[i]! * xhat(i);
        dBeta[ch(i)] += dy[i]!;
      }
    }
  }
  return { out, dx, dGamma, dBeta };
}

CASES.forEach((c, k) => {
  conformance(`groupNorm and groupNormBackward: ${c.name}`, () => {
    const rng = new TestRandom(9500 + k);
    const channels = c.shape[c.shape.length - 1]!;
    const width = c.shape.reduce((p, d) => p * d, 1) / c.shape[0]! / c.groups;
    const x = randomTensor(rng, c.shape, c.offset - 1, c.offset + 1.5);
    const gamma = c.affine === 'none' ? null : randomTensor(rng, [channels], 0.5, 2);
    const beta = c.affine === undefined || c.affine === 'both' ? randomTensor(rng, [channels]) : null;
    const dy = randomTensor(rng, c.shape);
    const ref = reference(valuesOf(x), gamma && valuesOf(gamma), beta && valuesOf(beta), valuesOf(dy), c.shape, c.groups, 1e-3);
    assertConforms(nr.groupNorm(x, c.groups, gamma, beta), ref.out, width, `${c.name}: output`, c.shape);
    const parameters = [gamma, beta].filter((t): t is nr.Tensor => t !== null);
    const grads = nr.grad((a, ...p) => {
      const [g, b] = gamma ? [p[0]!, beta ? p[1]! : null] : [null, beta ? p[0]! : null];
      return nr.groupNorm(a, c.groups, g, b).mul(dy).sum();
    })(x, ...parameters);
    // The saved float32 mean carries an error relative to |mean|, which x - mean carries on (as layerNorm's test).
    const scaleUp = (1 + c.offset) ** 2;
    const perChannel = c.shape.reduce((p, d) => p * d, 1) / channels;
    assertConforms(grads[0]!, ref.dx, width * scaleUp, `${c.name}: dx`, c.shape);
    if (gamma) assertConforms(grads[1]!, ref.dGamma, perChannel * scaleUp, `${c.name}: dGamma`, [channels]);
    if (beta) assertConforms(grads[gamma ? 2 : 1]!, ref.dBeta, perChannel, `${c.name}: dBeta`, [channels]);
  });
});

conformance('groupNorm: a channel axis that is not last moves it last and agrees with channels last', () => {
  const rng = new TestRandom(9599);
  const x = randomTensor(rng, [2, 6, 4, 3]);
  const gamma = randomTensor(rng, [6], 0.5, 2);
  const last = nr.groupNorm(x.transpose([0, 2, 3, 1]), 3, gamma, null).transpose([0, 3, 1, 2]);
  assertConforms(nr.groupNorm(x, 3, gamma, null, { axis: 1 }), valuesOf(last), 8, 'axis 1 vs channels last', [2, 6, 4, 3]);
});

conformance('groupNorm and its backward: 1, 2 and 3 threads give the same bits', (backend) => {
  const rng = new TestRandom(9598);
  const x = randomTensor(rng, [5, 8, 8, 32]);
  const gamma = randomTensor(rng, [32]);
  const beta = randomTensor(rng, [32]);
  const dy = randomTensor(rng, [5, 8, 8, 32]);
  const run = () => {
    const out = nr.groupNorm(x, 8, gamma, beta);
    const grads = nr.grad((a, g, b) => nr.groupNorm(a, 8, g, b).mul(dy).sum())(x, gamma, beta);
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

test('groupNorm and its backward: every CPU backend gives the js kernel bits (docs/backends.md says so)', () => {
  const rng = new TestRandom(9597);
  const x = randomTensor(rng, [3, 9, 7, 12], -1, 3);
  const gamma = randomTensor(rng, [12]);
  const beta = randomTensor(rng, [12]);
  const dy = randomTensor(rng, [3, 9, 7, 12]);
  const run = () => {
    const grads = nr.grad((a, g, b) => nr.groupNorm(a, 4, g, b).mul(dy).sum())(x, gamma, beta);
    return [nr.groupNorm(x, 4, gamma, beta), ...grads].map((t) => Array.from(t!.data()));
  };
  const reference = withBackend('js', run);
  // webgpu sums in float32 on the GPU: it agrees to the tolerance of the cases above, not bit for bit.
  const cpu = backendsUnderTest().filter((b) => b !== 'webgpu');
  for (const backend of cpu) assert.deepEqual(withBackend(backend, run), reference, `${backend} vs js`);
});
