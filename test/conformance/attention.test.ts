import { includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, conformance, pickTensor, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of attentionSoftmax and attentionSoftmaxBackward, through nr.scaledDotProductAttention
 * and its gradients: every backend against scores, masked softmax, output and the gradients of q, k
 * and v written here as float64 loops. Sizes run past the native cut-off; masks drop single keys,
 * whole rows (which must give zeros) and, with causal, the upper triangle.
 */

interface Case {
  batch: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  causal: boolean;
  /** Keep probability of each mask entry; 0 for no mask. */
  keep: number;
  /** A row that keeps no key is 1 / tk throughout (the layers' Keras rule) instead of 0. */
  uniform?: boolean;
}

function reference(q: number[], k: number[], v: number[], mask: number[] | null, dy: number[], c: Case, scale: number) {
  const { batch, tq, tk, d, dv, causal } = c;
  const out = new Array<number>(batch * tq * dv).fill(0);
  const probs = new Array<number>(batch * tq * tk).fill(0);
  const dq = new Array<number>(q.length).fill(0);
  const dk = new Array<number>(k.length).fill(0);
  const dvOut = new Array<number>(v.length).fill(0);
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < tq; i++) {
      const kept = (j: number) => !(causal && j > i) && (mask === null || mask[(b * tq + i) * tk + j] !== 0);
      const s = Array.from({ length: tk }, (_, j) => {
        let dot = 0;
        for (let x = 0; x < d; x++) dot += q[(b * tq + i) * d + x]! * k[(b * tk + j) * d + x]!;
        return dot * scale;
      });
      const max = Math.max(...s.filter((_, j) => kept(j)));
      const e = s.map((value, j) => (kept(j) ? Math.exp(value - max) : 0));
      const total = e.reduce((p, x) => p + x, 0);
      const p = e.map((x) => (total > 0 ? x / total : c.uniform ? 1 / tk : 0));
      const row = (b * tq + i) * tk;
      p.forEach((x, j) => (probs[row + j] = x));
      // out = p v; dp = dy vᵀ; ds = scale p (dp - p·dp); dq = ds k; dk += dsᵀ q; dv += pᵀ dy.
      const dp = new Array<number>(tk).fill(0);
      for (let j = 0; j < tk; j++) {
        for (let y = 0; y < dv; y++) {
          const g = dy[(b * tq + i) * dv + y]!;
          out[(b * tq + i) * dv + y]! += p[j]! * v[(b * tk + j) * dv + y]!;
          dp[j]! += g * v[(b * tk + j) * dv + y]!;
          dvOut[(b * tk + j) * dv + y]! += p[j]! * g;
        }
      }
      const dot = p.reduce((acc, x, j) => acc + x * dp[j]!, 0);
      for (let j = 0; j < tk; j++) {
        const ds = scale * p[j]! * (dp[j]! - dot);
        for (let x = 0; x < d; x++) {
          dq[(b * tq + i) * d + x]! += ds * k[(b * tk + j) * d + x]!;
          dk[(b * tk + j) * d + x]! += ds * q[(b * tq + i) * d + x]!;
        }
      }
    }
  }
  return { out, probs, dq, dk, dv: dvOut };
}

const CASES: Case[] = [
  { batch: 1, tq: 1, tk: 1, d: 1, dv: 1, causal: false, keep: 0 },
  { batch: 3, tq: 5, tk: 7, d: 3, dv: 2, causal: false, keep: 0 },
  { batch: 2, tq: 9, tk: 9, d: 4, dv: 5, causal: true, keep: 0 },
  { batch: 4, tq: 17, tk: 33, d: 8, dv: 8, causal: false, keep: 0.7 },
  { batch: 2, tq: 33, tk: 17, d: 5, dv: 3, causal: true, keep: 0.5 },
  // Most rows keep no key: those must come out 0, and their gradients 0.
  { batch: 3, tq: 11, tk: 13, d: 2, dv: 3, causal: false, keep: 0.08 },
  { batch: 3, tq: 11, tk: 13, d: 2, dv: 3, causal: false, keep: 0.08, uniform: true },
];

CASES.forEach((c, n) => {
  const label = `b${c.batch} tq${c.tq} tk${c.tk} d${c.d} dv${c.dv}${c.causal ? ' causal' : ''}${c.keep ? ` keep ${c.keep}` : ''}${c.uniform ? ' uniform' : ''}`;
  conformance(`scaledDotProductAttention matches its float64 reference (${label})`, () => {
    const rng = new TestRandom(4100 + n);
    const q = randomTensor(rng, [c.batch, c.tq, c.d], -2, 2);
    const k = randomTensor(rng, [c.batch, c.tk, c.d], -2, 2);
    const v = randomTensor(rng, [c.batch, c.tk, c.dv]);
    const dy = randomTensor(rng, [c.batch, c.tq, c.dv]);
    const mask =
      c.keep > 0
        ? nr.tensor(
            Array.from({ length: c.batch * c.tq * c.tk }, () => (rng.uniform(0, 1) < c.keep ? 1 : 0)),
            [c.batch, c.tq, c.tk],
          )
        : null;
    const scale = n % 2 === 0 ? 1 / Math.sqrt(c.d) : 0.75;
    const emptyRows = c.uniform ? 'uniform' : 'zeros';
    const [out, probs] = nr.scaledDotProductAttention(q, k, v, { mask, causal: c.causal, scale, emptyRows, returnScores: true });
    const [dq, dk, dv] = nr.grad((a: nr.Tensor, b: nr.Tensor, w: nr.Tensor) =>
      nr.scaledDotProductAttention(a, b, w, { mask, causal: c.causal, scale, emptyRows }).mul(dy).sum(),
    )(q, k, v);
    const ref = reference(valuesOf(q), valuesOf(k), valuesOf(v), mask && valuesOf(mask), valuesOf(dy), c, scale);
    const length = c.d * c.tk;
    assertConforms(probs, ref.probs, length, `${label} probabilities`, [c.batch, c.tq, c.tk]);
    assertConforms(out, ref.out, length, `${label} output`, [c.batch, c.tq, c.dv]);
    assertConforms(dq!, ref.dq, length * c.dv, `${label} dq`, q.shape);
    assertConforms(dk!, ref.dk, length * c.dv * c.tq, `${label} dk`, k.shape);
    assertConforms(dv!, ref.dv, c.tq, `${label} dv`, v.shape);
  });
});

conformance('scaledDotProductAttention: a mask shared over heads gives what the mask expanded to every head gives', () => {
  const rng = new TestRandom(4200);
  const [batch, heads, tq, tk, d] = [2, 3, 6, 7, 4];
  const q = randomTensor(rng, [batch, heads, tq, d]);
  const k = randomTensor(rng, [batch, heads, tk, d]);
  const v = randomTensor(rng, [batch, heads, tk, d]);
  for (const shape of [[batch, 1, tq, tk], [batch, 1, 1, tk], [1, heads, tq, tk], [tk], [tq, 1]]) {
    const mask = pickTensor(rng, shape, [0, 1, 1, 1]);
    const full = nr.broadcastTo(mask, [batch, heads, tq, tk]);
    const [, shared] = nr.scaledDotProductAttention(q, k, v, { mask, returnScores: true });
    const [, expanded] = nr.scaledDotProductAttention(q, k, v, { mask: full, returnScores: true });
    assertConforms(shared, valuesOf(expanded), 1, `mask ${JSON.stringify(shape)}`, [batch, heads, tq, tk]);
  }
});
