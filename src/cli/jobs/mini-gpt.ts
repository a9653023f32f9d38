/*
 * A decoder-only Transformer (GPT's shape, small) trained on English first names, one character per
 * token: token and position embeddings, pre-norm blocks of causal multi-head self-attention and a
 * GELU feed-forward layer, each around a residual connection, then the next-character scores.
 * Prints the validation loss per character in nats and sampled names.
 */
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { lossPerCharacter, namesData, parseTemperature, printSamples, sampleNames } from './names-data.js';
import { program } from './example.js';
import { epochLines } from './sequence-output.js';

/** The model: `blocks` Transformer blocks of `width` features in `heads` heads; int ids in, logits out. */
function miniGpt(vocab: number, length: number, width: number, heads: number, blocks: number): nr.Model {
  const ids = nr.Input({ shape: [null], dtype: 'int32' });
  let x = new nr.layers.TokenAndPositionEmbedding({
    vocabularySize: vocab,
    sequenceLength: length,
    embeddingDim: width,
    maskZero: true,
  }).apply(ids);
  for (let i = 0; i < blocks; i++) {
    const normed = new nr.layers.LayerNormalization().apply(x);
    // Causal: position t attends to positions <= t only, so training predicts every next character at once.
    const attended = new nr.layers.MultiHeadAttention({ numHeads: heads, keyDim: width / heads }).apply([normed, normed], {
      useCausalMask: true,
    });
    x = new nr.layers.Add().apply([x, attended]);
    const hidden = new nr.layers.Dense({ units: 4 * width, activation: 'gelu' }).apply(new nr.layers.LayerNormalization().apply(x));
    x = new nr.layers.Add().apply([x, new nr.layers.Dense({ units: width }).apply(hidden)]);
  }
  const logits = new nr.layers.Dense({ units: vocab }).apply(new nr.layers.LayerNormalization().apply(x));
  return new nr.Model({ inputs: ids, outputs: logits, name: 'mini_gpt' });
}

export const miniGptExample = program({
  description: 'a small decoder-only Transformer (causal self-attention) that invents first names: loss per character and samples',
  flags: {
    names: { kind: 'positive', default: 100_000, help: 'use the first N of the 8,422 distinct names, shuffled (default all)' },
    epochs: { kind: 'positive', default: 10, help: 'passes over the training names' },
    width: { kind: 'positive', default: 64, help: 'features per position (a multiple of --heads)' },
    heads: { kind: 'positive', default: 4, help: 'attention heads' },
    blocks: { kind: 'positive', default: 2, help: 'Transformer blocks' },
    batchSize: { kind: 'positive', default: 64, help: 'names per batch' },
    samples: { kind: 'positive', default: 16, help: 'names to generate' },
    temperature: { kind: 'text', default: '0.8', help: 'sampling temperature (below 1: safer names)' },
  },
  async run({ names, epochs, width, heads, blocks, batchSize, samples, temperature }, print) {
    if (width % heads !== 0) {
      throw configError('mini-gpt', { expected: '--width must be a multiple of --heads', got: `--width ${width} --heads ${heads}` });
    }
    const sampleTemperature = parseTemperature(temperature, 'mini-gpt');
    nr.setSeed(3);
    const data = namesData(names, 1);
    const vocab = data.tokenizer.vocabularySize;
    print(`${data.train[0].shape[0]} training and ${data.validation[0].shape[0]} validation names, ${vocab} tokens, ${data.length} steps`);
    const model = miniGpt(vocab, data.length, width, heads, blocks);
    model.compile({
      optimizer: new nr.optimizers.Adam({ learningRate: 0.002 }),
      loss: new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    });
    const start = performance.now();
    const callbacks = [epochLines(epochs, print)];
    await model.fit(data.train[0], data.train[1], { epochs, batchSize, verbose: 0, validationData: data.validation, callbacks });
    print(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s (${model.countParams()} parameters)`);
    const perCharacter = lossPerCharacter(model, data.validation);
    print(`validation loss per character: ${perCharacter.toFixed(4)} nats (${(perCharacter / Math.LN2).toFixed(4)} bits)`);
    printSamples(sampleNames(model, data, samples, { temperature: sampleTemperature, seed: 11 }), data, print);
  },
});
