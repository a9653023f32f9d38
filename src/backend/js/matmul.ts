import type { FloatArray } from '../../core/index.js';
import type { LinearActivation, MatmulArgs } from '../kernels.js';
import { unary } from './elementwise.js';

/*
 * Cache-blocked GEMM in plain JavaScript, after the Goto/BLIS scheme: C is computed in blocks of
 * MC x NC; for each slice of KC along k, the A block and the B block are copied ("packed") into
 * Float64Array panels laid out in exactly the order the micro-kernel reads them, with zero padding
 * at ragged edges. Packing also absorbs the transposes, so one micro-kernel serves all four cases,
 * and converting to float64 once per block keeps float32->float64 conversions out of the inner loop.
 *
 * The micro-kernel holds a 4 x 4 tile of C in local variables (V8 keeps most of them in registers)
 * and walks the packed panels sequentially; measured on this machine it is the fastest tile shape
 * (see BENCHMARKS.md).
 */
const MR = 4;
const NR = 4;
const KC = 256;
const MC = 64;
const NC = 512;

const packA = new Float64Array(MC * KC);
let packB = new Float64Array(KC * NC);

export function matmul(a: FloatArray, b: FloatArray, out: FloatArray, args: MatmulArgs): void {
  const { batch, m, n, k, transA, transB, aBatchStride, bBatchStride } = args;
  for (let bi = 0; bi < batch; bi++) {
    gemm(a, bi * aBatchStride, b, bi * bBatchStride, out, bi * m * n, m, n, k, transA, transB);
  }
}

/**
 * The product, then the bias row and the activation in place over the result (the js kernels read
 * element i before writing it, so running them in place rounds exactly as separate calls do).
 */
export function matmulBiasActivation(
  a: FloatArray,
  b: FloatArray,
  bias: FloatArray | null,
  out: FloatArray,
  args: MatmulArgs,
  activation: LinearActivation,
): void {
  matmul(a, b, out, args);
  const { m, n } = args;
  if (bias) {
    for (let i = 0, row = 0; i < m; i++, row += n) {
      for (let j = 0; j < n; j++) out[row + j] = out[row + j]! + bias[j]!;
    }
  }
  if (activation !== 'linear') unary(activation, out, out, 0);
}

function gemm(
  a: FloatArray,
  aOff: number,
  b: FloatArray,
  bOff: number,
  c: FloatArray,
  cOff: number,
  m: number,
  n: number,
  k: number,
  transA: boolean,
  transB: boolean,
): void {
  c.fill(0, cOff, cOff + m * n);
  if (k === 0) return;
  // Row/column strides of op(A) [m, k] and op(B) [k, n] in the stored arrays.
  const aRow = transA ? 1 : k;
  const aCol = transA ? m : 1;
  const bRow = transB ? 1 : n;
  const bCol = transB ? k : 1;
  // Very small products are dominated by packing; a direct loop is faster there.
  if (m * n * k <= 4096) {
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) sum += a[aOff + i * aRow + p * aCol]! * b[bOff + p * bRow + j * bCol]!;
        c[cOff + i * n + j] = sum;
      }
    }
    return;
  }
  if (packB.length < KC * NC) packB = new Float64Array(KC * NC);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packPanelsB(b, bOff + pc * bRow + jc * bCol, bRow, bCol, kc, nc, packB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        packPanelsA(a, aOff + ic * aRow + pc * aCol, aRow, aCol, mc, kc, packA);
        macroKernel(packA, packB, c, cOff + ic * n + jc, n, mc, nc, kc);
      }
    }
  }
}

/** Packs an mc x kc block of op(A) into row panels of MR: panel-major, then k, then the MR rows. */
function packPanelsA(a: FloatArray, off: number, rowStride: number, colStride: number, mc: number, kc: number, dst: Float64Array): void {
  let d = 0;
  for (let i0 = 0; i0 < mc; i0 += MR) {
    const rows = Math.min(MR, mc - i0);
    if (rows === MR && colStride === 1) {
      const r0 = off + i0 * rowStride;
      const r1 = r0 + rowStride;
      const r2 = r1 + rowStride;
      const r3 = r2 + rowStride;
      for (let p = 0; p < kc; p++) {
        dst[d] = a[r0 + p]!;
        dst[d + 1] = a[r1 + p]!;
        dst[d + 2] = a[r2 + p]!;
        dst[d + 3] = a[r3 + p]!;
        d += 4;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let ii = 0; ii < MR; ii++) {
          dst[d++] = ii < rows ? a[off + (i0 + ii) * rowStride + p * colStride]! : 0;
        }
      }
    }
  }
}

/** Packs a kc x nc block of op(B) into column panels of NR: panel-major, then k, then the NR columns. */
function packPanelsB(b: FloatArray, off: number, rowStride: number, colStride: number, kc: number, nc: number, dst: Float64Array): void {
  let d = 0;
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const cols = Math.min(NR, nc - j0);
    if (cols === NR && colStride === 1) {
      let s = off + j0;
      for (let p = 0; p < kc; p++) {
        dst[d] = b[s]!;
        dst[d + 1] = b[s + 1]!;
        dst[d + 2] = b[s + 2]!;
        dst[d + 3] = b[s + 3]!;
        d += 4;
        s += rowStride;
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let jj = 0; jj < NR; jj++) {
          dst[d++] = jj < cols ? b[off + p * rowStride + (j0 + jj) * colStride]! : 0;
        }
      }
    }
  }
}

function macroKernel(
  pa: Float64Array,
  pb: Float64Array,
  c: FloatArray,
  cOff: number,
  ldc: number,
  mc: number,
  nc: number,
  kc: number,
): void {
  for (let j0 = 0; j0 < nc; j0 += NR) {
    const bBase = (j0 / NR) * kc * NR;
    const cols = Math.min(NR, nc - j0);
    for (let i0 = 0; i0 < mc; i0 += MR) {
      const aBase = (i0 / MR) * kc * MR;
      const rows = Math.min(MR, mc - i0);
      microKernel(pa, aBase, pb, bBase, kc, c, cOff + i0 * ldc + j0, ldc, rows, cols);
    }
  }
}

function microKernel(
  pa: Float64Array,
  ai: number,
  pb: Float64Array,
  bi: number,
  kc: number,
  c: FloatArray,
  ci: number,
  ldc: number,
  rows: number,
  cols: number,
): void {
  let c00 = 0,
    c01 = 0,
    c02 = 0,
    c03 = 0;
  let c10 = 0,
    c11 = 0,
    c12 = 0,
    c13 = 0;
  let c20 = 0,
    c21 = 0,
    c22 = 0,
    c23 = 0;
  let c30 = 0,
    c31 = 0,
    c32 = 0,
    c33 = 0;
  const end = ai + kc * MR;
  for (; ai < end; ai += 4, bi += 4) {
    const b0 = pb[bi]!,
      b1 = pb[bi + 1]!,
      b2 = pb[bi + 2]!,
      b3 = pb[bi + 3]!;
    const a0 = pa[ai]!;
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c03 += a0 * b3;
    const a1 = pa[ai + 1]!;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
    c13 += a1 * b3;
    const a2 = pa[ai + 2]!;
    c20 += a2 * b0;
    c21 += a2 * b1;
    c22 += a2 * b2;
    c23 += a2 * b3;
    const a3 = pa[ai + 3]!;
    c30 += a3 * b0;
    c31 += a3 * b1;
    c32 += a3 * b2;
    c33 += a3 * b3;
  }
  if (rows === MR && cols === NR) {
    c[ci] += c00;
    c[ci + 1] += c01;
    c[ci + 2] += c02;
    c[ci + 3] += c03;
    ci += ldc;
    c[ci] += c10;
    c[ci + 1] += c11;
    c[ci + 2] += c12;
    c[ci + 3] += c13;
    ci += ldc;
    c[ci] += c20;
    c[ci + 1] += c21;
    c[ci + 2] += c22;
    c[ci + 3] += c23;
    ci += ldc;
    c[ci] += c30;
    c[ci + 1] += c31;
    c[ci + 2] += c32;
    c[ci + 3] += c33;
    return;
  }
  const tile = [c00, c01, c02, c03, c10, c11, c12, c13, c20, c21, c22, c23, c30, c31, c32, c33];
  for (let i = 0; i < rows; i++) {
    for (let j = 0; j < cols; j++) c[ci + i * ldc + j] += tile[i * NR + j]!;
  }
}

export function sparseMatmul(
  rowPtr: Int32Array,
  colIdx: Int32Array,
  values: FloatArray,
  dense: FloatArray,
  k: number,
  out: FloatArray,
): void {
  const rows = rowPtr.length - 1;
  out.fill(0, 0, rows * k);
  for (let i = 0; i < rows; i++) {
    const o = i * k;
    for (let p = rowPtr[i]!; p < rowPtr[i + 1]!; p++) {
      const v = values[p]!;
      const d = colIdx[p]! * k;
      for (let c = 0; c < k; c++) out[o + c] += v * dense[d + c]!;
    }
  }
}
