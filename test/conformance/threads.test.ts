import { assert, nr } from '../helpers.js';
import { TestRandom, conformance, randomTensor } from './harness.js';

/*
 * Thread-count determinism (DESIGN.md section 6): with the same thread count a kernel gives the same
 * bits on every run. The native GEMM splits C into whole tiles on one fixed tile grid and never
 * splits k, so every element is summed in the same order whatever the thread count: 1 and 2 threads
 * must agree bit for bit too (a looser float32 tolerance would hide a split that reorders sums).
 */

function bitsOf(t: nr.Tensor): Uint32Array {
  const data = t.data() as Float32Array;
  return new Uint32Array(data.buffer, data.byteOffset, data.length);
}

function withThreads<T>(n: number, fn: () => T): T {
  const before = nr.getNumThreads();
  nr.setNumThreads(n);
  try {
    return fn();
  } finally {
    nr.setNumThreads(before);
  }
}

const SHAPES: readonly (readonly [number, number, number, boolean, boolean])[] = [
  [300, 517, 129, false, false], // split along m (more rows than columns)
  [65, 300, 700, false, true], // split along n
  [97, 1031, 97, true, true],
  [3, 64, 2000, true, false], // fewer row tiles than threads
];

conformance('matmul: two runs on the same thread count give the same bits; 1, 2 and 3 threads agree exactly', () => {
  const rng = new TestRandom(71);
  for (const [m, k, n, transA, transB] of SHAPES) {
    const a = randomTensor(rng, transA ? [k, m] : [m, k]);
    const b = randomTensor(rng, transB ? [n, k] : [k, n]);
    const product = () => bitsOf(nr.matmul(a, b, { transposeA: transA, transposeB: transB }));
    const label = `${m}x${k}x${n} transA=${transA} transB=${transB}`;
    const two = withThreads(2, () => [product(), product()]);
    assert.deepEqual(two[1], two[0], `${label}: two runs on 2 threads`);
    assert.deepEqual(withThreads(1, product), two[0], `${label}: 1 thread vs 2`);
    assert.deepEqual(withThreads(3, product), two[0], `${label}: 3 threads vs 2`);
  }
});

conformance('matmul: batched products split over threads keep their bits', () => {
  const rng = new TestRandom(72);
  const a = randomTensor(rng, [6, 40, 70]);
  const b = randomTensor(rng, [70, 50]); // broadcast over the batch (batch stride 0)
  const once = () => bitsOf(nr.matmul(a, b));
  const reference = withThreads(1, once);
  assert.deepEqual(withThreads(2, once), reference, 'batch of 6 on 2 threads');
  assert.deepEqual(withThreads(4, once), reference, 'batch of 6 on 4 threads');
});

conformance('elementwise, reductions and softmax: 1, 2 and 3 threads give the same bits', () => {
  // Large enough to run threaded; threads split rows or inner positions, never the reduced axis.
  const rng = new TestRandom(73);
  const x = randomTensor(rng, [257, 301], -4, 4);
  const row = randomTensor(rng, [301]);
  const column = randomTensor(rng, [257, 1]);
  const results = () => [
    nr.add(x, row), nr.mul(x, column), nr.relu(x), nr.tanh(x), nr.exp(x),
    nr.sum(x, 0), nr.sum(x, 1), nr.max(x, 0), nr.softmax(x, -1), nr.logSoftmax(x, -1),
  ].map(bitsOf);
  const reference = withThreads(1, results);
  assert.deepEqual(withThreads(2, results), reference, '2 threads vs 1');
  assert.deepEqual(withThreads(3, results), reference, '3 threads vs 1');
});
