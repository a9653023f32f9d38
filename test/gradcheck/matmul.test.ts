import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../helpers.js';

/*
 * Float64 central-difference checks of matmul in every form it accepts: 2-D with each transpose
 * flag, 1-D on either side, batched, and batch broadcasting. Each case also states its output shape
 * and compares the forward value with a plain triple loop, so a gradient checked against a wrong
 * forward cannot pass unnoticed.
 */

interface Case {
  name: string;
  a: number[];
  b: number[];
  options?: nr.MatmulOptions;
  out: number[];
}

const CASES: Case[] = [
  { name: '2-D [3,4]@[4,5]', a: [3, 4], b: [4, 5], out: [3, 5] },
  { name: '2-D transposeA [4,3]^T@[4,5]', a: [4, 3], b: [4, 5], options: { transposeA: true }, out: [3, 5] },
  { name: '2-D transposeB [3,4]@[5,4]^T', a: [3, 4], b: [5, 4], options: { transposeB: true }, out: [3, 5] },
  { name: '2-D both transposed [4,3]^T@[5,4]^T', a: [4, 3], b: [5, 4], options: { transposeA: true, transposeB: true }, out: [3, 5] },
  { name: '2-D explicit false flags', a: [2, 3], b: [3, 2], options: { transposeA: false, transposeB: false }, out: [2, 2] },
  { name: '1-D on the left [4]@[4,5]', a: [4], b: [4, 5], out: [5] },
  { name: '1-D on the right [3,4]@[4]', a: [3, 4], b: [4], out: [3] },
  { name: '1-D dot 1-D [4]@[4]', a: [4], b: [4], out: [] },
  { name: '1-D on the left of a batch [4]@[3,4,5]', a: [4], b: [3, 4, 5], out: [3, 5] },
  { name: 'batch on the left of 1-D [2,3,4]@[4]', a: [2, 3, 4], b: [4], out: [2, 3] },
  { name: 'batched [3,2,4]@[4,5]', a: [3, 2, 4], b: [4, 5], out: [3, 2, 5] },
  { name: 'batched both [3,2,4]@[3,4,5]', a: [3, 2, 4], b: [3, 4, 5], out: [3, 2, 5] },
  { name: 'batch broadcasting [2,1,3,4]@[5,4,2]', a: [2, 1, 3, 4], b: [5, 4, 2], out: [2, 5, 3, 2] },
  { name: '[3,4]@[2,4,5]', a: [3, 4], b: [2, 4, 5], out: [2, 3, 5] },
  { name: 'batched transposeA [2,4,3]^T@[2,4,5]', a: [2, 4, 3], b: [2, 4, 5], options: { transposeA: true }, out: [2, 3, 5] },
  {
    name: 'batched both transposed, broadcast [1,4,3]^T@[2,5,4]^T',
    a: [1, 4, 3],
    b: [2, 5, 4],
    options: { transposeA: true, transposeB: true },
    out: [2, 3, 5],
  },
  { name: 'size-1 inner dimension [3,1]@[1,4]', a: [3, 1], b: [1, 4], out: [3, 4] },
];

/** Reference matmul with NumPy rules on nested loops (float64). */
function referenceMatmul(a: nr.Tensor, b: nr.Tensor, options: nr.MatmulOptions = {}): { shape: number[]; values: number[] } {
  const ta = options.transposeA ?? false;
  const tb = options.transposeB ?? false;
  let as = [...a.shape];
  let bs = [...b.shape];
  const aVec = as.length === 1;
  const bVec = bs.length === 1;
  if (aVec) as = [1, as[0]!];
  if (bVec) bs = [bs[0]!, 1];
  const m = ta ? as.at(-1)! : as.at(-2)!;
  const k = ta ? as.at(-2)! : as.at(-1)!;
  const n = tb ? bs.at(-2)! : bs.at(-1)!;
  const aBatch = as.slice(0, -2);
  const bBatch = bs.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pa = [...Array(rank - aBatch.length).fill(1), ...aBatch];
  const pb = [...Array(rank - bBatch.length).fill(1), ...bBatch];
  const batch = pa.map((d, i) => Math.max(d, pb[i]!));
  const total = batch.reduce((p, d) => p * d, 1);
  const ad = a.data();
  const bd = b.data();
  const values: number[] = [];
  const offset = (index: number[], dims: number[]) => index.reduce((o, v, i) => o * dims[i]! + (dims[i] === 1 ? 0 : v), 0);
  for (let t = 0; t < total; t++) {
    const index: number[] = [];
    let r = t;
    for (let i = rank - 1; i >= 0; i--) {
      index.unshift(r % batch[i]!);
      r = Math.floor(r / batch[i]!);
    }
    const aOff = offset(index, pa) * as.at(-1)! * as.at(-2)!;
    const bOff = offset(index, pb) * bs.at(-1)! * bs.at(-2)!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ad[aOff + (ta ? p * m + i : i * k + p)]!;
          const bv = bd[bOff + (tb ? j * k + p : p * n + j)]!;
          s += av * bv;
        }
        values.push(s);
      }
    }
  }
  const shape = [...batch, ...(aVec ? [] : [m]), ...(bVec ? [] : [n])];
  return { shape, values };
}

CASES.forEach((c, k) => {
  test(`gradcheck matmul: ${c.name}`, () => {
    nr.setSeed(500 + k);
    const a = randomFloat64(c.a);
    const b = randomFloat64(c.b);
    const fn = (x: nr.Tensor, y: nr.Tensor) => nr.matmul(x, y, c.options);
    const out = nr.noGrad(() => fn(a, b));
    const ref = referenceMatmul(a, b, c.options);
    assert.deepEqual(out.shape, c.out, `${c.name}: output shape`);
    assert.deepEqual(ref.shape, c.out, `${c.name}: reference output shape`);
    assertClose(out.data(), ref.values, { rtol: 1e-12, atol: 1e-14, message: `${c.name}: forward value` });
    gradCheck(fn, [a, b], { label: c.name });
  });
});

test('gradcheck matmul: method form, a shared operand, and a chain', () => {
  nr.setSeed(530);
  const a = randomFloat64([3, 3]);
  const b = randomFloat64([3, 2]);
  gradCheck((x) => x.matmul(x), [a], { label: 'x @ x' });
  gradCheck((x) => x.matmul(x, { transposeB: true }), [a], { label: 'x @ x^T' });
  gradCheck((x, y) => x.matmul(y).tanh().matmul(y, { transposeB: true }), [a, b], { label: 'tanh(x @ y) @ y^T' });
});

test('matmul gradients for one side only: the other input is a constant', () => {
  nr.setSeed(531);
  const a = randomFloat64([2, 3]);
  const b = randomFloat64([3, 4]);
  a.requiresGrad = true;
  nr.matmul(a, b).sum().backward();
  assert.equal(b.grad, null);
  // d/da sum(a @ b) = ones @ b^T: each row of the gradient holds the row sums of b.
  const bd = b.data();
  const rowSums = [0, 1, 2].map((i) => bd[i * 4]! + bd[i * 4 + 1]! + bd[i * 4 + 2]! + bd[i * 4 + 3]!);
  assertClose(a.grad!.data(), [...rowSums, ...rowSums], { rtol: 1e-12 });
});
