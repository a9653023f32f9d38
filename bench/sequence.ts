/*
 * W9, W10: sequence-model training, as ../shared/bench/peers/torch/bench_torch_w7_w10.py defines them:
 *   W9   character LSTM language model: Embedding(64 -> 64) -> LSTM(256, returnSequences) -> Dense(64) on
 *        every step; batch 64, sequence 64, vocabulary 64, Adam lr 1e-3 (epsilon 1e-7).
 *   W10  decoder-only Transformer: TokenAndPositionEmbedding (64 tokens, 64 positions, width 128), 4
 *        pre-LayerNorm blocks (LayerNormalization epsilon 1e-5 as PyTorch's, causal MultiHeadAttention 4
 *        heads x keyDim 32, residual; LayerNormalization, Dense 512 gelu, Dense 128, residual), a final
 *        LayerNormalization and Dense(64); batch 32, context 64, Adam lr 3e-4 (epsilon 1e-7).
 * Both: sparse categorical crossentropy from logits averaged over all batch x 64 positions, random
 * tokens and targets, one `trainOnBatch` per step, 3 warm-up steps then 20 timed;
 * tokens/s = batch * 64 * 20 / (time of the 20 steps), as the torch script reports. Peak RSS is the
 * process's maxRSS after the run. The models here are also those of bench/sequence-curves.ts, which
 * loads PyTorch's initial weights into them by layer name.
 */
import * as nr from '../src/index.js';
import { median, threadsOf, type Row } from './util.js';

export const SEQUENCE_WORKLOADS = ['W9', 'W10'] as const;
export type SequenceWorkload = (typeof SEQUENCE_WORKLOADS)[number];

/** Batch size and Adam's learning rate of each workload (vocabulary and context are 64 in both). */
export const SEQUENCE_SETTINGS = { W9: { batch: 64, learningRate: 1e-3 }, W10: { batch: 32, learningRate: 3e-4 } } as const;
export const VOCABULARY = 64;
export const CONTEXT = 64;

/** W9's model: layers `embedding`, `lstm`, `head`. */
export function charLstm(): nr.Model {
  const tokens = nr.Input({ shape: [CONTEXT], dtype: 'int32' });
  const embedded = new nr.layers.Embedding({ inputDim: VOCABULARY, outputDim: 64, name: 'embedding' }).apply(tokens);
  const states = new nr.layers.LSTM({ units: 256, returnSequences: true, name: 'lstm' }).apply(embedded);
  const logits = new nr.layers.Dense({ units: VOCABULARY, name: 'head' }).apply(states);
  return new nr.Model({ inputs: tokens, outputs: logits, name: 'w9_char_lstm' });
}

/**
 * W10's model, PyTorch's nn.TransformerEncoderLayer(norm_first=True) in Keras layers: layers
 * `embedding`, then per block i `block<i>_norm1`, `block<i>_attention`, `block<i>_norm2`,
 * `block<i>_mlp1`, `block<i>_mlp2`, and `norm`, `head`.
 */
export function miniGpt(blocks = 4, width = 128, heads = 4): nr.Model {
  const tokens = nr.Input({ shape: [CONTEXT], dtype: 'int32' });
  const embedding = new nr.layers.TokenAndPositionEmbedding({
    vocabularySize: VOCABULARY,
    sequenceLength: CONTEXT,
    embeddingDim: width,
    name: 'embedding',
  });
  let h = embedding.apply(tokens);
  const norm = (name: string) => new nr.layers.LayerNormalization({ epsilon: 1e-5, name });
  for (let i = 0; i < blocks; i++) {
    const a = norm(`block${i}_norm1`).apply(h);
    const mha = new nr.layers.MultiHeadAttention({ numHeads: heads, keyDim: width / heads, name: `block${i}_attention` });
    h = new nr.layers.Add().apply([h, mha.apply([a, a], { useCausalMask: true })]);
    const m = new nr.layers.Dense({ units: 4 * width, activation: 'gelu', name: `block${i}_mlp1` }).apply(norm(`block${i}_norm2`).apply(h));
    h = new nr.layers.Add().apply([h, new nr.layers.Dense({ units: width, name: `block${i}_mlp2` }).apply(m)]);
  }
  const logits = new nr.layers.Dense({ units: VOCABULARY, name: 'head' }).apply(norm('norm').apply(h));
  return new nr.Model({ inputs: tokens, outputs: logits, name: 'w10_mini_gpt' });
}

/** The workload's model, compiled with its Adam and the crossentropy from logits. */
export function sequenceModel(which: SequenceWorkload): nr.Model {
  const model = which === 'W9' ? charLstm() : miniGpt();
  model.compile({
    optimizer: new nr.optimizers.Adam({ learningRate: SEQUENCE_SETTINGS[which].learningRate, epsilon: 1e-7 }),
    loss: new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
  });
  return model;
}

const peakRssMiB = () => Math.round((process.resourceUsage().maxRSS / 1024) * 10) / 10;

/** Random int32 tokens in [0, VOCABULARY), shape [batch, CONTEXT]. */
function randomTokens(batch: number): nr.Tensor {
  return nr.randu([batch, CONTEXT], { low: 0, high: VOCABULARY }).floor().cast('int32');
}

/** One row per run of W9 or W10 on `backend`; `steps` overrides the 20 timed steps (a quick check). */
export async function sequence(which: SequenceWorkload, backend: string, runs: number, steps = 20): Promise<Row[]> {
  nr.setBackend(backend);
  const { batch } = SEQUENCE_SETTINGS[which];
  nr.setSeed(0);
  const x = randomTokens(batch);
  const y = randomTokens(batch);
  const rows: Row[] = [];
  for (let run = 0; run < runs; run++) {
    nr.setSeed(run);
    const model = sequenceModel(which);
    const times: number[] = [];
    let loss = Number.NaN;
    for (let i = 0; i < 3 + steps; i++) {
      const t0 = performance.now();
      loss = model.trainOnBatch(x, y).loss!;
      if (i >= 3) times.push((performance.now() - t0) / 1000);
    }
    const total = times.reduce((a, b) => a + b, 0);
    rows.push({
      workload: which,
      library: 'neurona',
      backend,
      threads: threadsOf(backend),
      run,
      batch,
      steps,
      tokens_per_s: Math.round((batch * CONTEXT * steps) / total),
      median_step_s: +median(times).toFixed(4),
      last_loss: +loss.toFixed(4),
      peak_rss_mib: peakRssMiB(),
    });
  }
  return rows;
}
