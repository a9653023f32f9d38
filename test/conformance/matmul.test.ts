import { assert, includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, assertExact, conformance, randomTensor, sizeOf, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the matmul kernel through nr.matmul: every transpose combination, sizes that are
 * not multiples of the micro-tile and that cross the cache-blocking boundaries, batches (including
 * one matrix broadcast over the batch, batch stride 0), degenerate sizes, and the gradients.
 */

/** C = op(A) @ op(B) for one matrix pair, naive triple loop in float64. */
function matmulReference(
  a: ArrayLike<number>,
  b: ArrayLike<number>,
  m: number,
  k: number,
  n: number,
  transA: boolean,
  transB: boolean,
  aOffset = 0,
  bOffset = 0,
): number[] {
  const out = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        const av = a[aOffset + (transA ? p * m + i : i * k + p)]!;
        const bv = b[bOffset + (transB ? j * k + p : p * n + j)]!;
        s += av * bv;
      }
      out[i * n + j] = s;
    }
  }
  return out;
}

/** Stored shape of an operand: op(A) is [m, k], so A is [k, m] when transposed. */
function storedShape(rows: number, cols: number, transposed: boolean): number[] {
  return transposed ? [cols, rows] : [rows, cols];
}

const TRANSPOSES = [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
] as const;

const SIZES: readonly (readonly [number, number, number])[] = [
  [1, 1, 1],
  [3, 7, 5],
  [17, 33, 1],
  [1, 1031, 1],
  [1, 33, 17],
  [5, 1, 9],
  [70, 300, 530],
  [130, 513, 67],
  // Across the native GEMM's blocking: k past one and two KC slices (256), m past one MC block
  // (192) with ragged micro-tiles, n not a multiple of any vector width; large enough to run threaded.
  [193, 257, 97],
  [9, 1031, 65],
  [2, 513, 1],
  // n past two NC blocks of packed B (512 on x86) with a ragged last panel, several MR panels of A
  // each meeting every panel of B.
  [37, 260, 1100],
];

for (const [m, k, n] of SIZES) {
  conformance(`matmul ${m}x${k}x${n}: all four transpose combinations`, () => {
    const rng = new TestRandom(5000 + m * 7 + k * 3 + n);
    for (const [transA, transB] of TRANSPOSES) {
      const a = randomTensor(rng, storedShape(m, k, transA));
      const b = randomTensor(rng, storedShape(k, n, transB));
      const out = nr.matmul(a, b, { transposeA: transA, transposeB: transB });
      const expected = matmulReference(valuesOf(a), valuesOf(b), m, k, n, transA, transB);
      assertConforms(out, expected, k, `matmul ${m}x${k}x${n} transA=${transA} transB=${transB}`, [m, n]);
    }
  });
}

conformance('matmul: batched, with either operand broadcast over the batch (batch stride 0)', () => {
  const rng = new TestRandom(51);
  const [m, k, n] = [7, 33, 9];
  const cases: [number[], number[], number[]][] = [
    [
      [3, m, k],
      [3, k, n],
      [3, m, n],
    ],
    [
      [3, m, k],
      [k, n],
      [3, m, n],
    ],
    [
      [m, k],
      [4, k, n],
      [4, m, n],
    ],
    [
      [1, m, k],
      [5, k, n],
      [5, m, n],
    ],
    [
      [2, 1, m, k],
      [3, k, n],
      [2, 3, m, n],
    ],
  ];
  for (const [aShape, bShape, outShape] of cases) {
    for (const [transA, transB] of TRANSPOSES) {
      const aStored = [...aShape.slice(0, -2), ...storedShape(m, k, transA)];
      const bStored = [...bShape.slice(0, -2), ...storedShape(k, n, transB)];
      const a = randomTensor(rng, aStored);
      const b = randomTensor(rng, bStored);
      const out = nr.matmul(a, b, { transposeA: transA, transposeB: transB });
      const batchShape = outShape.slice(0, -2);
      const expected: number[] = [];
      const aBatch = aShape.slice(0, -2);
      const bBatch = bShape.slice(0, -2);
      for (let bi = 0; bi < sizeOf(batchShape); bi++) {
        // Batch index of each operand under broadcasting (dimensions of size 1 read index 0).
        const index = batchShape.map((_, i) => Math.floor(bi / sizeOf(batchShape.slice(i + 1))) % batchShape[i]!);
        const offsetOf = (batch: number[]) => {
          let o = 0;
          batch.forEach((d, i) => {
            o = o * d + (d === 1 ? 0 : index[index.length - batch.length + i]!);
          });
          return o;
        };
        expected.push(
          ...matmulReference(valuesOf(a), valuesOf(b), m, k, n, transA, transB, offsetOf(aBatch) * m * k, offsetOf(bBatch) * k * n),
        );
      }
      assertConforms(
        out,
        expected,
        k,
        `batched ${JSON.stringify(aShape)} @ ${JSON.stringify(bShape)} transA=${transA} transB=${transB}`,
        outShape,
      );
    }
  }
});

conformance('matmul: k = 0 gives zeros; empty m or n gives an empty result', () => {
  assertExact(nr.matmul(nr.zeros([3, 0]), nr.zeros([0, 4])), new Array(12).fill(0), 'float32', 'k = 0', [3, 4]);
  assertExact(nr.matmul(nr.zeros([2, 3, 0]), nr.zeros([0, 5])), new Array(30).fill(0), 'float32', 'batched k = 0', [2, 3, 5]);
  assertExact(
    nr.matmul(nr.ones([0, 3]), nr.ones([2, 0]), { transposeA: true, transposeB: true }),
    [0, 0, 0, 0, 0, 0],
    'float32',
    'k = 0 with both transposed',
    [3, 2],
  );
  assertExact(nr.matmul(nr.zeros([0, 5]), nr.ones([5, 4])), [], 'float32', 'm = 0', [0, 4]);
  assertExact(nr.matmul(nr.ones([3, 5]), nr.ones([5, 0])), [], 'float32', 'n = 0', [3, 0]);
});

conformance('matmul: 1-D operands (vector-matrix, matrix-vector, dot)', () => {
  const rng = new TestRandom(52);
  const v = randomTensor(rng, [17]);
  const w = randomTensor(rng, [17]);
  const mat = randomTensor(rng, [17, 5]);
  const matT = randomTensor(rng, [5, 17]);
  assertConforms(nr.matmul(v, mat), matmulReference(valuesOf(v), valuesOf(mat), 1, 17, 5, false, false), 17, 'v @ M', [5]);
  assertConforms(nr.matmul(matT, v), matmulReference(valuesOf(matT), valuesOf(v), 5, 17, 1, false, false), 17, 'M @ v', [5]);
  assertConforms(nr.matmul(v, w), matmulReference(valuesOf(v), valuesOf(w), 1, 17, 1, false, false), 17, 'v @ w', []);
});

conformance('matmul: gradients are the transposed products', () => {
  const rng = new TestRandom(53);
  const [m, k, n] = [13, 17, 19];
  for (const [transA, transB] of TRANSPOSES) {
    const a = randomTensor(rng, storedShape(m, k, transA));
    const b = randomTensor(rng, storedShape(k, n, transB));
    a.requiresGrad = true;
    b.requiresGrad = true;
    const dy = randomTensor(rng, [m, n]);
    nr.matmul(a, b, { transposeA: transA, transposeB: transB }).backward(dy);
    // dop(A) = dy @ op(B)^T, [m, k]; dop(B) = op(A)^T @ dy, [k, n]; stored back in each operand's layout.
    const dOpA = matmulReference(valuesOf(dy), valuesOf(b), m, n, k, false, !transB);
    const dOpB = matmulReference(valuesOf(a), valuesOf(dy), k, m, n, !transA, false);
    const layout = (g: number[], rows: number, cols: number, transposed: boolean) =>
      transposed ? Array.from({ length: rows * cols }, (_, i) => g[(i % rows) * cols + Math.floor(i / rows)]!) : g;
    assert.ok(a.grad && b.grad, 'gradients missing');
    assertConforms(a.grad, layout(dOpA, m, k, transA), n, `dA transA=${transA} transB=${transB}`, a.shape);
    assertConforms(b.grad, layout(dOpB, k, n, transB), m, `dB transA=${transA} transB=${transB}`, b.shape);
  }
});

conformance('matmul: a gradient broadcast over the batch is summed back', () => {
  const rng = new TestRandom(54);
  const a = randomTensor(rng, [4, 3, 5]);
  const b = randomTensor(rng, [5, 2]);
  b.requiresGrad = true;
  const dy = randomTensor(rng, [4, 3, 2]);
  nr.matmul(a, b).backward(dy);
  const expected = new Array<number>(10).fill(0);
  for (let bi = 0; bi < 4; bi++) {
    const part = matmulReference(valuesOf(a), valuesOf(dy), 5, 3, 2, true, false, bi * 15, bi * 6);
    part.forEach((v, i) => {
      expected[i]! += v;
    });
  }
  assertConforms(b.grad!, expected, 12, 'dB summed over batch', [5, 2]);
});
