import { assert, includeWebgpu, nr } from '../helpers.js';
import { TestRandom, assertConforms, conformance, randomTensor, valuesOf } from './harness.js';

includeWebgpu();

/*
 * Conformance of the sparseMatmul kernel through nr.sparseMatmul and its gradients: every backend
 * against the dense product written out here in float64, on random CSR matrices with empty rows,
 * empty columns and repeated columns, at sizes on both sides of the native cut-off.
 */

interface Case {
  rows: number;
  columns: number;
  k: number;
  density: number;
}

const CASES: Case[] = [
  { rows: 1, columns: 1, k: 1, density: 1 },
  { rows: 3, columns: 5, k: 7, density: 0.5 },
  { rows: 17, columns: 9, k: 3, density: 0.3 },
  { rows: 33, columns: 40, k: 17, density: 0.2 },
  { rows: 5, columns: 4, k: 0, density: 0.5 },
  { rows: 200, columns: 150, k: 33, density: 0.05 },
];

function randomCsr(rng: TestRandom, c: Case): { csr: nr.CsrMatrix; dense: number[][] } {
  const rowPtr = [0];
  const colIdx: number[] = [];
  const dense = Array.from({ length: c.rows }, () => new Array<number>(c.columns).fill(0));
  for (let i = 0; i < c.rows; i++) {
    // Row 0 stays empty in every case but the 1 x 1 one, so an empty row is always covered.
    for (let j = 0; j < c.columns; j++) if ((i > 0 || c.rows === 1) && rng.next() < c.density) colIdx.push(j);
    rowPtr.push(colIdx.length);
  }
  const values = randomTensor(rng, [colIdx.length]);
  const v = valuesOf(values);
  for (let i = 0; i < c.rows; i++) for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) dense[i]![colIdx[p]!]! += v[p]!;
  return { csr: { shape: [c.rows, c.columns], rowPtr: Int32Array.from(rowPtr), colIdx: Int32Array.from(colIdx), values }, dense };
}

conformance('sparseMatmul equals the dense product, with both gradients', () => {
  const rng = new TestRandom(2020);
  for (const c of CASES) {
    const { csr, dense } = randomCsr(rng, c);
    const b = randomTensor(rng, [c.columns, c.k]);
    const g = randomTensor(rng, [c.rows, c.k]);
    const bv = valuesOf(b);
    const gv = valuesOf(g);
    const label = `[${c.rows}, ${c.columns}] x [${c.columns}, ${c.k}]`;
    const expected = new Float64Array(c.rows * c.k);
    for (let i = 0; i < c.rows; i++) {
      for (let j = 0; j < c.columns; j++) for (let t = 0; t < c.k; t++) expected[i * c.k + t]! += dense[i]![j]! * bv[j * c.k + t]!;
    }
    const values = csr.values.detach();
    values.requiresGrad = true;
    const bg = b.detach();
    bg.requiresGrad = true;
    const out = nr.sparseMatmul({ ...csr, values }, bg);
    assertConforms(out, expected, c.columns, `${label} value`, [c.rows, c.k]);
    out.mul(g).sum().backward();
    // d/dB = A^T g; d/dvalues[p] = g[row(p)] . B[col(p)].
    const dB = new Float64Array(c.columns * c.k);
    for (let i = 0; i < c.rows; i++) {
      for (let j = 0; j < c.columns; j++) for (let t = 0; t < c.k; t++) dB[j * c.k + t]! += dense[i]![j]! * gv[i * c.k + t]!;
    }
    assertConforms(bg.grad!, dB, c.rows, `${label} dense gradient`, [c.columns, c.k]);
    const dValues = new Float64Array(csr.colIdx.length);
    for (let i = 0; i < c.rows; i++) {
      for (let p = csr.rowPtr[i]!; p < csr.rowPtr[i + 1]!; p++) {
        for (let t = 0; t < c.k; t++) dValues[p]! += gv[i * c.k + t]! * bv[csr.colIdx[p]! * c.k + t]!;
      }
    }
    if (dValues.length > 0) assertConforms(values.grad!, dValues, c.k, `${label} values gradient`, [dValues.length]);
    assert.ok(csr.colIdx.length > 0 || c.rows === 0, `${label}: the case must hold entries`);
  }
});

conformance('sparseMatmul equals nr.matmul on the densified matrix', () => {
  const rng = new TestRandom(2021);
  const { csr, dense } = randomCsr(rng, { rows: 40, columns: 30, k: 24, density: 0.15 });
  const b = randomTensor(rng, [30, 24]);
  const viaDense = nr.matmul(nr.tensor(dense), b);
  assertConforms(nr.sparseMatmul(csr, b), valuesOf(viaDense), 30, 'sparse vs dense matmul', [40, 24]);
});

conformance('sparseMatmul: 1, 2 and 3 threads give the same bits (rows are split, never a row sum)', () => {
  const rng = new TestRandom(2022);
  const { csr } = randomCsr(rng, { rows: 600, columns: 500, k: 64, density: 0.02 });
  const b = randomTensor(rng, [500, 64]);
  const bits = () => new Uint32Array((nr.sparseMatmul(csr, b).data() as Float32Array).slice().buffer);
  const before = nr.getNumThreads();
  try {
    const runs = [1, 2, 3].map((n) => {
      nr.setNumThreads(n);
      return bits();
    });
    assert.deepEqual(runs[1], runs[0], '2 threads vs 1');
    assert.deepEqual(runs[2], runs[0], '3 threads vs 1');
  } finally {
    nr.setNumThreads(before);
  }
});
