/*
 * A character-level LSTM language model of English first names: Embedding -> LSTM -> Dense over
 * the characters, trained to predict each next character (padding masked out of the loss). Prints
 * the validation loss per character in nats and names sampled one character at a time.
 */
import * as nr from '../../index.js';
import { lossPerCharacter, namesData, parseTemperature, printSamples, sampleNames } from './names-data.js';
import { program } from './example.js';
import { epochLines } from './sequence-output.js';

export const namesLstm = program({
  description: 'a character-level LSTM that invents first names: validation loss per character (nats) and samples',
  flags: {
    names: { kind: 'positive', default: 100_000, help: 'use the first N of the 8,422 distinct names, shuffled (default all)' },
    epochs: { kind: 'positive', default: 12, help: 'passes over the training names' },
    units: { kind: 'positive', default: 128, help: 'LSTM units' },
    embeddingDim: { kind: 'positive', default: 32, help: 'size of each character vector' },
    batchSize: { kind: 'positive', default: 64, help: 'names per batch' },
    samples: { kind: 'positive', default: 16, help: 'names to generate' },
    temperature: { kind: 'text', default: '0.8', help: 'sampling temperature (below 1: safer names)' },
  },
  async run({ names, epochs, units, embeddingDim, batchSize, samples, temperature }, print) {
    const sampleTemperature = parseTemperature(temperature, 'names-lstm');
    nr.setSeed(3);
    const data = namesData(names, 1);
    const vocab = data.tokenizer.vocabularySize;
    print(`${data.train[0].shape[0]} training and ${data.validation[0].shape[0]} validation names, ${vocab} tokens, ${data.length} steps`);
    const model = new nr.Sequential([
      new nr.layers.Embedding({ inputDim: vocab, outputDim: embeddingDim, maskZero: true, inputShape: [data.length] }),
      new nr.layers.LSTM({ units, returnSequences: true }),
      new nr.layers.Dense({ units: vocab }),
    ]);
    model.compile({
      optimizer: new nr.optimizers.Adam({ learningRate: 0.005 }),
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
