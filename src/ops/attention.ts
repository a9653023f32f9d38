import {
  configError,
  dtypeError,
  formatShape,
  hostArray,
  hostWritten,
  shapeError,
  shapesEqual,
  show,
  type FloatArray,
} from '../core/index.js';
import { kernels, type AttentionArgs, type MatmulArgs } from '../backend/index.js';
import { randu, record, type Tensor } from '../tensor/index.js';
import { mul, sub } from './elementwise.js';
import { castTo, empty, requireFloat, scratch, toTensor, type Operand } from './helpers.js';
import { matmul } from './linalg.js';
import { sum } from './reduce.js';
import { broadcastTo, reshape } from './shape.js';

const OP = 'scaledDotProductAttention';

export interface AttentionOptions {
  /** 1 (or true) keeps a key for a query, 0 drops it; broadcastable to `[..., Tq, Tk]`. */
  mask?: Operand | null;
  /** Drop key j for query i when j > i (top-left aligned, as PyTorch's isCausal and Keras). */
  causal?: boolean;
  /** Multiplies the scores before the softmax; default `1 / sqrt(d)`. */
  scale?: number;
  /** Fraction of the probabilities dropped (and the rest scaled by `1 / (1 - dropout)`) when training. */
  dropout?: number;
  training?: boolean;
  /**
   * A query with every key dropped gets probabilities 0 ('zeros', the default), or `1 / Tk` each
   * ('uniform': what Keras's layers compute, since they add -1e9 to dropped scores before the softmax).
   */
  emptyRows?: 'zeros' | 'uniform';
  /** Also return the probabilities `[..., Tq, Tk]` (before dropout, as Keras's attention scores). */
  returnScores?: boolean;
}

/**
 * `softmax(scale * q kᵀ, masked) v` for q `[..., Tq, d]`, k `[..., Tk, d]` and v `[..., Tk, dv]` (the same
 * leading axes), giving `[..., Tq, dv]`: PyTorch 2's `F.scaled_dot_product_attention` with a boolean
 * mask. The mask, the causal rule and the softmax are one kernel pass over each row, which keeps the
 * probabilities for the backward pass; a query whose keys are all dropped gets probabilities 0 and an
 * output of 0 (PyTorch gives NaN; Keras's layers add a large negative instead, see docs/sequence.md).
 *
 * ```ts
 * const q = nr.ones([1, 2, 4]);
 * const out = nr.scaledDotProductAttention(q, q, nr.tensor([[[1, 2], [3, 4]]]), { causal: true });
 * out.toArray(); // [[[1, 2], [2, 3]]]
 * ```
 */
export function scaledDotProductAttention(
  query: Operand,
  key: Operand,
  value: Operand,
  options: AttentionOptions & { returnScores: true },
): [Tensor, Tensor];
export function scaledDotProductAttention(query: Operand, key: Operand, value: Operand, options?: AttentionOptions): Tensor;
export function scaledDotProductAttention(
  query: Operand,
  key: Operand,
  value: Operand,
  options: AttentionOptions = {},
): Tensor | [Tensor, Tensor] {
  const q = toTensor(query);
  const k = toTensor(key);
  const v = toTensor(value);
  checkOperands(q, k, v);
  const d = q.shape.at(-1)!;
  const scale = options.scale ?? 1 / Math.sqrt(d);
  const rate = options.dropout ?? 0;
  if (!Number.isFinite(scale)) throw configError(OP, { expected: 'scale must be a finite number', got: show(options.scale) });
  if (!(rate >= 0 && rate < 1)) throw configError(OP, { expected: 'dropout must be a number in [0, 1)', got: show(rate) });
  const probabilities = attentionProbabilities(q, k, options.mask ?? null, options.causal ?? false, scale, uniformRows(options, OP));
  let kept = probabilities;
  if (rate > 0 && options.training === true) {
    const keep = randu(probabilities.shape, { dtype: probabilities.dtype });
    const data = hostArray(keep._data);
    for (let i = 0; i < data.length; i++) data[i] = data[i]! >= rate ? 1 / (1 - rate) : 0;
    hostWritten(data);
    kept = mul(probabilities, keep);
  }
  const out = matmul(kept, v);
  return options.returnScores === true ? [out, probabilities] : out;
}

function uniformRows(options: { emptyRows?: 'zeros' | 'uniform' }, op: string): boolean {
  const emptyRows = options.emptyRows ?? 'zeros';
  if (emptyRows !== 'zeros' && emptyRows !== 'uniform') {
    throw configError(op, { expected: "emptyRows must be 'zeros' or 'uniform'", got: show(options.emptyRows) });
  }
  return emptyRows === 'uniform';
}

export type AttentionSoftmaxOptions = Pick<AttentionOptions, 'mask' | 'causal' | 'scale' | 'emptyRows'>;

/**
 * The masked softmax of `scaledDotProductAttention` on scores `[..., Tq, Tk]` computed elsewhere (the
 * additive and concat scores of Keras's Attention layers): `softmax(scale * scores)` over the keys the
 * mask and the causal rule keep (scale default 1), 0 elsewhere, in one kernel pass per row.
 *
 * ```ts
 * nr.attentionSoftmax(nr.tensor([[0, 0, 5]]), { mask: nr.tensor([1, 1, 0]) }).toArray(); // [[0.5, 0.5, 0]]
 * ```
 */
export function attentionSoftmax(scores: Operand, options: AttentionSoftmaxOptions = {}): Tensor {
  const op = 'attentionSoftmax';
  const s = toTensor(scores);
  requireFloat(s, op, 'scores');
  if (s.rank < 2) throw shapeError(op, { expected: 'scores [..., Tq, Tk] of rank 2 or more', got: formatShape(s.shape) });
  const scale = options.scale ?? 1;
  if (!Number.isFinite(scale)) throw configError(op, { expected: 'scale must be a finite number', got: show(options.scale) });
  const probabilities = maskedSoftmax(s, options.mask ?? null, options.causal ?? false, scale, uniformRows(options, op), op);
  return record(op, probabilities, [s], (g, createGraph) => [softmaxGradient(probabilities, g, scale, createGraph)], true);
}

/** The kernel's pass over scores `[..., Tq, Tk]` (into a new tensor), the mask checked against them. */
function maskedSoftmax(scores: Tensor, mask: Operand | null, causal: boolean, scale: number, uniformEmptyRows: boolean, op: string) {
  const shape = scores.shape;
  const [rows, cols] = shape.slice(-2) as [number, number];
  const batch = shape.slice(0, -2).reduce((p, d) => p * d, 1);
  const view = mask === null ? { data: null, maskBatch: 0, maskRows: 1, maskRepeat: 1 } : maskView(mask, shape, scores.dtype, op);
  const probabilities = empty(shape, scores.dtype, op);
  if (probabilities.size === 0) return probabilities;
  const { maskBatch, maskRows, maskRepeat } = view;
  const args: AttentionArgs = { batch, rows, cols, scale, causal, maskBatch, maskRows, maskRepeat, uniformEmptyRows };
  kernels().attentionSoftmax(scores._data as FloatArray, view.data, probabilities._data as FloatArray, args);
  return probabilities;
}

/** `scale * p * (g - sum(g * p))` over each row: by the kernel, or from differentiable ops for higher orders. */
function softmaxGradient(probabilities: Tensor, g: Tensor, scale: number, createGraph: boolean): Tensor {
  if (createGraph) return mul(mul(probabilities, sub(g, sum(mul(g, probabilities), -1, true))), scale);
  const dScores = scratch(probabilities.shape, g.dtype);
  const length = probabilities.shape.at(-1)!;
  kernels().attentionSoftmaxBackward(probabilities._data as FloatArray, g._data as FloatArray, dScores._data as FloatArray, length, scale);
  return dScores;
}

function checkOperands(q: Tensor, k: Tensor, v: Tensor): void {
  requireFloat(q, OP, 'query');
  requireFloat(k, OP, 'key');
  requireFloat(v, OP, 'value');
  const shapes = `query ${formatShape(q.shape)}, key ${formatShape(k.shape)}, value ${formatShape(v.shape)}`;
  if (k.dtype !== q.dtype || v.dtype !== q.dtype) {
    throw dtypeError(OP, { expected: 'query, key and value must have one dtype', got: `${q.dtype}, ${k.dtype}, ${v.dtype}` });
  }
  const lead = q.shape.slice(0, -2);
  if (
    q.rank < 2 ||
    k.rank !== q.rank ||
    v.rank !== q.rank ||
    !shapesEqual(k.shape.slice(0, -2), lead) ||
    !shapesEqual(v.shape.slice(0, -2), lead) ||
    k.shape.at(-1) !== q.shape.at(-1) ||
    v.shape.at(-2) !== k.shape.at(-2)
  ) {
    throw shapeError(OP, {
      expected: 'query [..., Tq, d], key [..., Tk, d] and value [..., Tk, dv] with the same leading axes',
      got: shapes,
      hint: 'split heads into a leading axis before the call, e.g. [batch, heads, time, depth]',
    });
  }
}

/** The mask as attentionSoftmax reads it: its data in the scores' dtype and its view (AttentionArgs). */
function maskView(mask: Operand, scoresShape: readonly number[], dtype: Tensor['dtype'], op: string) {
  let m = castTo(toTensor(mask), dtype);
  const rank = scoresShape.length;
  const padded = [...new Array<number>(Math.max(0, rank - m.rank)).fill(1), ...m.shape];
  if (m.rank > rank || padded.some((size, i) => size !== 1 && size !== scoresShape[i])) {
    throw shapeError(op, {
      expected: `a mask that broadcasts to the scores' shape ${formatShape(scoresShape)} ([..., Tq, Tk])`,
      got: formatShape(m.shape),
      hint: 'a padding mask [batch, Tk] becomes [batch, 1, 1, Tk] for scores [batch, heads, Tq, Tk]',
    });
  }
  const batchShape = scoresShape.slice(0, -2);
  const lead = padded.slice(0, -2);
  // The mask may vary along a prefix of the leading axes and repeat over the rest; otherwise it is expanded.
  let varying = lead.length;
  while (varying > 0 && lead[varying - 1] === 1) varying--;
  const fits = lead.slice(0, varying).every((size, i) => size === batchShape[i]);
  const rows = padded[rank - 2]!;
  const cols = scoresShape[rank - 1]!;
  const target = [...(fits ? lead : batchShape), rows, cols];
  if (!shapesEqual(padded, target) || m.rank !== rank) m = broadcastTo(reshape(m, padded), target);
  const maskBatch = target.slice(0, -2).reduce((p, s) => p * s, 1);
  const batch = batchShape.reduce((p, s) => p * s, 1);
  return { data: m._data as FloatArray, maskBatch, maskRows: rows, maskRepeat: fits ? batch / Math.max(1, maskBatch) : 1 };
}

/** The probabilities `[..., Tq, Tk]` as one recorded node of q and k; its rule is softmax's, through the scores' GEMMs. */
function attentionProbabilities(
  q: Tensor,
  k: Tensor,
  mask: Operand | null,
  causal: boolean,
  scale: number,
  uniformEmptyRows: boolean,
): Tensor {
  const [tq, d] = q.shape.slice(-2) as [number, number];
  const tk = k.shape.at(-2)!;
  const lead = q.shape.slice(0, -2);
  const batch = lead.reduce((p, s) => p * s, 1);
  const shape = [...lead, tq, tk];
  const table = kernels();
  const gemm = (a: Tensor, b: Tensor, out: Tensor, args: Omit<MatmulArgs, 'batch'>) => {
    if (args.k === 0) out._data.fill(0);
    else table.matmul(a._data as FloatArray, b._data as FloatArray, out._data as FloatArray, { batch, ...args });
  };
  const scores = scratch(shape, q.dtype);
  if (scores.size > 0) {
    gemm(q, k, scores, { m: tq, n: tk, k: d, transA: false, transB: true, aBatchStride: tq * d, bBatchStride: tk * d });
  }
  const probabilities = maskedSoftmax(scores, mask, causal, scale, uniformEmptyRows, OP);
  if (probabilities.size === 0) return probabilities;
  return record(
    OP,
    probabilities,
    [q, k],
    (g, createGraph) => {
      const dScores = softmaxGradient(probabilities, g, scale, createGraph);
      if (createGraph) {
        return [q.requiresGrad ? matmul(dScores, k) : null, k.requiresGrad ? matmul(dScores, q, { transposeA: true }) : null];
      }
      let dq: Tensor | null = null;
      let dk: Tensor | null = null;
      if (q.requiresGrad) {
        dq = empty(q.shape, g.dtype);
        gemm(dScores, k, dq, { m: tq, n: d, k: tk, transA: false, transB: false, aBatchStride: tq * tk, bBatchStride: tk * d });
      }
      if (k.requiresGrad) {
        dk = empty(k.shape, g.dtype);
        gemm(dScores, q, dk, { m: tk, n: d, k: tq, transA: true, transB: false, aBatchStride: tq * tk, bBatchStride: tq * d });
      }
      return [dq, dk];
    },
    true,
  );
}
