import { dtypeError, formatShape, shapeError, show, type FloatArray } from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor, record } from '../tensor/index.js';
import { mul } from './elementwise.js';
import { empty, requireFloat, toTensor, type Operand } from './helpers.js';
import { sum } from './reduce.js';
import { gather } from './shape.js';

/**
 * A sparse matrix in compressed sparse row form: the entries of row i are `values[p]` at column
 * `colIdx[p]` for p in `[rowPtr[i], rowPtr[i + 1])`. `values` is a float tensor of `rowPtr[rows]`
 * entries, and may require grad (a graph attention layer learns them).
 */
export interface CsrMatrix {
  readonly shape: readonly [number, number];
  readonly rowPtr: Int32Array;
  readonly colIdx: Int32Array;
  readonly values: Tensor;
}

/** The row of every stored entry, and the transpose's structure with the permutation that reorders values into it. */
interface CsrIndex {
  rowOf: Int32Array;
  tRowPtr: Int32Array;
  tColIdx: Int32Array;
  perm: Int32Array;
}

// Graph layers multiply by the same structure every step: its index is built once per colIdx array.
const indexCache = new WeakMap<Int32Array, { rowPtr: Int32Array; columns: number; index: CsrIndex }>();

function csrIndex(rowPtr: Int32Array, colIdx: Int32Array, columns: number): CsrIndex {
  const hit = indexCache.get(colIdx);
  if (hit && hit.rowPtr === rowPtr && hit.columns === columns) return hit.index;
  const rows = rowPtr.length - 1;
  const nnz = rowPtr[rows]!;
  const rowOf = new Int32Array(nnz);
  for (let i = 0; i < rows; i++) rowOf.fill(i, rowPtr[i]!, rowPtr[i + 1]!);
  // A counting sort by column keeps each transposed row in the original row order.
  const tRowPtr = new Int32Array(columns + 1);
  for (let p = 0; p < nnz; p++) tRowPtr[colIdx[p]! + 1]!++;
  for (let j = 0; j < columns; j++) tRowPtr[j + 1]! += tRowPtr[j]!;
  const next = tRowPtr.slice(0, columns);
  const tColIdx = new Int32Array(nnz);
  const perm = new Int32Array(nnz);
  for (let p = 0; p < nnz; p++) {
    const q = next[colIdx[p]!]!++;
    tColIdx[q] = rowOf[p]!;
    perm[q] = p;
  }
  const index = { rowOf, tRowPtr, tColIdx, perm };
  indexCache.set(colIdx, { rowPtr, columns, index });
  return index;
}

function checkCsr(csr: CsrMatrix, op: string): void {
  const { shape, rowPtr, colIdx, values } = csr;
  if (!(rowPtr instanceof Int32Array) || !(colIdx instanceof Int32Array) || !(values instanceof Tensor) || !Array.isArray(shape)) {
    throw shapeError(op, {
      expected: 'a CSR matrix {shape: [rows, columns], rowPtr: Int32Array, colIdx: Int32Array, values: Tensor}',
      got: show(csr),
      hint: 'a graph gives one: graph.adjacency() or graph.normalizedAdjacency()',
    });
  }
  const [rows, columns] = shape;
  if (rowPtr.length !== rows + 1 || rowPtr[0] !== 0) {
    throw shapeError(op, { expected: `rowPtr of ${rows + 1} offsets starting at 0 for ${rows} rows`, got: `${rowPtr.length} offsets` });
  }
  for (let i = 0; i < rows; i++) {
    if (rowPtr[i + 1]! < rowPtr[i]!) {
      throw shapeError(op, {
        expected: 'rowPtr must not decrease',
        got: `rowPtr[${i}] = ${rowPtr[i]}, rowPtr[${i + 1}] = ${rowPtr[i + 1]}`,
      });
    }
  }
  const nnz = rowPtr[rows]!;
  if (colIdx.length !== nnz || values.rank !== 1 || values.size !== nnz) {
    throw shapeError(op, {
      expected: `colIdx and values of ${nnz} entries (rowPtr[${rows}])`,
      got: `colIdx of ${colIdx.length}, values ${formatShape(values.shape)}`,
    });
  }
  for (let p = 0; p < nnz; p++) {
    const c = colIdx[p]!;
    if (!(c >= 0 && c < columns)) {
      throw shapeError(op, { expected: `column indices in [0, ${columns})`, got: `colIdx[${p}] = ${c}` });
    }
  }
  requireFloat(values, op, 'values');
}

/**
 * Sparse times dense: a CSR matrix `[n, m]` times a dense `[m, k]` gives a dense `[n, k]`. Gradients
 * flow to the dense operand (the transpose times the output's gradient) and to the sparse values
 * (`g[i] . dense[j]` for the entry at (i, j)), so attention coefficients stored as values learn.
 *
 * ```ts
 * const a = { shape: [2, 3] as const, rowPtr: new Int32Array([0, 2, 3]), colIdx: new Int32Array([0, 2, 1]),
 *   values: nr.tensor([1, 2, 3]) };
 * nr.sparseMatmul(a, nr.tensor([[1, 0], [0, 1], [1, 1]])).toArray(); // [[3, 2], [0, 3]]
 * ```
 */
export function sparseMatmul(csr: CsrMatrix, dense: Operand): Tensor {
  checkCsr(csr, 'sparseMatmul');
  const b = toTensor(dense);
  const [rows, columns] = csr.shape;
  if (b.rank !== 2 || b.shape[0] !== columns) {
    throw shapeError('sparseMatmul', {
      expected: `a dense operand [${columns}, k] for a sparse matrix [${rows}, ${columns}]`,
      got: formatShape(b.shape),
    });
  }
  requireFloat(b, 'sparseMatmul', 'dense operand');
  const values = csr.values;
  if (values.dtype !== b.dtype) {
    throw dtypeError('sparseMatmul', { expected: 'values and dense operand of one dtype', got: `${values.dtype} and ${b.dtype}` });
  }
  return sparseProduct(csr.rowPtr, csr.colIdx, values, b, columns);
}

const ints = (a: Int32Array) => new Tensor(a, [a.length], 'int32');

function sparseProduct(rowPtr: Int32Array, colIdx: Int32Array, values: Tensor, b: Tensor, columns: number): Tensor {
  const k = b.shape[1]!;
  const out = empty([rowPtr.length - 1, k], b.dtype, 'sparseMatmul');
  kernels().sparseMatmul(rowPtr, colIdx, values._data as FloatArray, b._data as FloatArray, k, out._data as FloatArray);
  return record(
    'sparseMatmul',
    out,
    [values, b],
    (g) => {
      const index = csrIndex(rowPtr, colIdx, columns);
      const dValues = values.requiresGrad ? sum(mul(gather(g, ints(index.rowOf)), gather(b, ints(colIdx))), -1) : null;
      const dDense = b.requiresGrad
        ? sparseProduct(index.tRowPtr, index.tColIdx, gather(values, ints(index.perm)), g, rowPtr.length - 1)
        : null;
      return [dValues, dDense];
    },
    true,
  );
}
