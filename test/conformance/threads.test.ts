import { assert, nr } from '../helpers.js';
import { TestRandom, conformance, randomTensor } from './harness.js';

/*
 * Thread-count determinism (docs/architecture.md, "Determinism"): with the same thread count a kernel gives the same
 * bits on every run. The native GEMM splits C into whole tiles and never splits k, so every element
 * is summed in the same order whatever the thread count (and whichever thread of the pool runs a
 * part): 1 and 2 threads must agree bit for bit too (a looser float32 tolerance would hide a split
 * that reorders sums).
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
  [300, 517, 9, false, false], // narrow: native computes the transposed product, split along m
  [1000, 64, 10, true, true],
  [403, 300, 700, false, false], // >= 2 * MC rows, split along n: the threads pack each k slice of A together
  [403, 300, 700, true, true],
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
  // Three large products: one after the other, each split over the threads (with A packed together).
  const big = randomTensor(rng, [3, 400, 40]);
  const wide = randomTensor(rng, [40, 520]);
  const each = () => bitsOf(nr.matmul(big, wide));
  const single = withThreads(1, each);
  assert.deepEqual(withThreads(2, each), single, 'batch of 3 large products on 2 threads');
  assert.deepEqual(withThreads(3, each), single, 'batch of 3 large products on 3 threads');
});

conformance('elementwise, reductions and softmax: 1, 2 and 3 threads give the same bits', () => {
  // Large enough to run threaded; threads split rows or inner positions, never the reduced axis.
  const rng = new TestRandom(73);
  const x = randomTensor(rng, [257, 301], -4, 4);
  const row = randomTensor(rng, [301]);
  const column = randomTensor(rng, [257, 1]);
  const results = () =>
    [
      nr.add(x, row),
      nr.mul(x, column),
      nr.relu(x),
      nr.tanh(x),
      nr.exp(x),
      nr.sum(x, 0),
      nr.sum(x, 1),
      nr.max(x, 0),
      nr.softmax(x, -1),
      nr.logSoftmax(x, -1),
    ].map(bitsOf);
  const reference = withThreads(1, results);
  assert.deepEqual(withThreads(2, results), reference, '2 threads vs 1');
  assert.deepEqual(withThreads(3, results), reference, '3 threads vs 1');
  // Column sums over many rows (a bias gradient): rows in fixed groups, whatever the thread count.
  const tall = randomTensor(rng, [9001, 33], -4, 4);
  const columns = () => bitsOf(nr.sum(tall, 0));
  const one = withThreads(1, columns);
  assert.deepEqual(withThreads(2, columns), one, 'column sums, 2 threads vs 1');
  assert.deepEqual(withThreads(3, columns), one, 'column sums, 3 threads vs 1');
});

/*
 * The training kernels. Convolutions cut the pixels into chunks fixed by the geometry (the shapes
 * here give several chunks, and several images per thread), batch norm sums fixed groups of rows,
 * and the filter gradients combine fixed groups in order: no sum depends on the thread count, so 1, 2
 * and 3 threads must agree bit for bit.
 */
conformance('conv2d and both backprops, depthwise, pooling: 1, 2 and 3 threads give the same bits', () => {
  const rng = new TestRandom(74);
  const cases = [
    { x: [5, 21, 19, 8], w: [3, 3, 8, 37], options: { padding: 'same' as const } }, // 3 chunks of pixels
    { x: [4, 20, 20, 8], w: [3, 3, 8, 16], options: { strides: 2, padding: 'same' as const, dilationRate: 1 } },
    { x: [3, 15, 17, 6], w: [2, 3, 6, 9], options: { padding: 'valid' as const, dilationRate: [2, 1] as [number, number] } },
    { x: [6, 48, 48, 5], w: [1, 1, 5, 33], options: {} }, // pointwise: no im2col, 2 chunks
    { x: [5, 28, 30, 3], w: [3, 3, 3, 32], options: { padding: 'same' as const } }, // direct first layer (native)
    { x: [4, 24, 24, 1], w: [5, 5, 1, 16], options: {} },
  ];
  for (const { x: xShape, w: wShape, options } of cases) {
    const x = randomTensor(rng, xShape);
    const w = randomTensor(rng, wShape);
    const dy = randomTensor(rng, [...nr.noGrad(() => nr.conv2d(x, w, options)).shape]);
    const results = () => {
      const [dx, dw] = nr.grad((a, b) => nr.conv2d(a, b, options).mul(dy).sum())(x, w);
      return [nr.noGrad(() => nr.conv2d(x, w, options)), dx!, dw!].map(bitsOf);
    };
    const reference = withThreads(1, results);
    const label = `conv2d x ${xShape} w ${wShape}`;
    assert.deepEqual(withThreads(2, results), reference, `${label}: 2 threads vs 1`);
    assert.deepEqual(withThreads(3, results), reference, `${label}: 3 threads vs 1`);
  }
  const x = randomTensor(rng, [5, 20, 18, 16]);
  const w = randomTensor(rng, [3, 3, 16, 2]);
  const depthwiseDy = randomTensor(rng, [5, 20, 18, 32]);
  const poolDy = randomTensor(rng, [5, 10, 9, 16]);
  const pool = { poolSize: 3, strides: 2, padding: 'same' as const };
  const results = () => {
    const [dx, dw] = nr.grad((a, b) => nr.depthwiseConv2d(a, b, { padding: 'same' }).mul(depthwiseDy).sum())(x, w);
    const [dxMax] = nr.grad((a) => nr.maxPool2d(a, pool).mul(poolDy).sum())(x);
    const [dxAvg] = nr.grad((a) => nr.avgPool2d(a, pool).mul(poolDy).sum())(x);
    return [
      nr.noGrad(() => nr.depthwiseConv2d(x, w, { padding: 'same' })),
      dx!,
      dw!,
      nr.maxPool2d(x, pool),
      nr.avgPool2d(x, pool),
      dxMax!,
      dxAvg!,
    ].map(bitsOf);
  };
  const reference = withThreads(1, results);
  assert.deepEqual(withThreads(2, results), reference, 'depthwise and pooling: 2 threads vs 1');
  assert.deepEqual(withThreads(3, results), reference, 'depthwise and pooling: 3 threads vs 1');
});

conformance('batchNormTraining, batchNormBackward and applyUpdate: 1, 2 and 3 threads give the same bits', () => {
  const rng = new TestRandom(75);
  for (const [shape, axis] of [
    [[16, 16, 16, 17], -1],
    [[6, 16, 30, 30], 1],
    [[8, 16, 16, 64], -1],
    [[8, 16, 16, 40], -1],
  ] as const) {
    const x = randomTensor(rng, shape, 2, 5);
    const length = shape[axis < 0 ? shape.length - 1 : axis];
    const gamma = randomTensor(rng, [length], 0.5, 2);
    const beta = randomTensor(rng, [length]);
    const dy = randomTensor(rng, shape);
    const results = () => {
      const forward = nr.batchNorm(x, gamma, beta, { axis, epsilon: 1e-3 });
      const grads = nr.grad((a, g, b) => nr.batchNorm(a, g, b, { axis, epsilon: 1e-3 }).output.mul(dy).sum())(x, gamma, beta);
      return [forward.output, forward.mean, forward.variance, ...grads.map((t) => t!)].map(bitsOf);
    };
    const reference = withThreads(1, results);
    assert.deepEqual(withThreads(2, results), reference, `batchNorm ${shape} axis ${axis}: 2 threads vs 1`);
    assert.deepEqual(withThreads(3, results), reference, `batchNorm ${shape} axis ${axis}: 3 threads vs 1`);
  }
  const initial = randomTensor(rng, [70001]);
  const gradients = [1, 2, 3].map(() => randomTensor(rng, [70001]));
  const train = () => {
    const w = nr.variable(nr.tensor(initial.data().slice(), [70001]));
    const optimizer = new nr.optimizers.Adam({ learningRate: 0.01, amsgrad: true });
    for (const g of gradients) optimizer.applyGradients([[g, w]]);
    return [bitsOf(w)];
  };
  const reference = withThreads(1, train);
  assert.deepEqual(withThreads(2, train), reference, 'adam: 2 threads vs 1');
  assert.deepEqual(withThreads(3, train), reference, 'adam: 3 threads vs 1');
});
