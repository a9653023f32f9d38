import type { FloatArray } from '../../core/index.js';
import type { AttentionArgs } from '../kernels.js';

export function attentionSoftmax(scores: FloatArray, mask: FloatArray | null, out: FloatArray, args: AttentionArgs): void {
  const { batch, rows, cols, scale, causal, maskBatch, maskRows, maskRepeat, uniformEmptyRows } = args;
  for (let b = 0; b < batch; b++) {
    const maskBase = mask === null ? 0 : (Math.floor(b / maskRepeat) % maskBatch) * maskRows * cols;
    for (let i = 0; i < rows; i++) {
      const start = (b * rows + i) * cols;
      const maskRow = maskBase + (maskRows === 1 ? 0 : i * cols);
      // Keys past `end` are dropped by the causal rule; the rest by the mask.
      const end = causal ? Math.min(cols, i + 1) : cols;
      let max = -Infinity;
      for (let j = 0; j < end; j++) {
        if (mask !== null && mask[maskRow + j] === 0) continue;
        const v = scores[start + j]! * scale;
        if (v > max) max = v;
      }
      if (max === -Infinity) {
        out.fill(uniformEmptyRows ? 1 / cols : 0, start, start + cols);
        continue;
      }
      let sum = 0;
      for (let j = 0; j < cols; j++) {
        const kept = j < end && (mask === null || mask[maskRow + j] !== 0);
        const e = kept ? Math.exp(scores[start + j]! * scale - max) : 0;
        out[start + j] = e;
        sum += e;
      }
      const inverse = 1 / sum;
      for (let j = 0; j < cols; j++) out[start + j] = out[start + j]! * inverse;
    }
  }
}

export function attentionSoftmaxBackward(probs: FloatArray, dProbs: FloatArray, dScores: FloatArray, length: number, scale: number): void {
  for (let start = 0; start < probs.length; start += length) {
    let dot = 0;
    for (let j = start; j < start + length; j++) dot += probs[j]! * dProbs[j]!;
    for (let j = start; j < start + length; j++) dScores[j] = scale * probs[j]! * (dProbs[j]! - dot);
  }
}
