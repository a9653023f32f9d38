/*
 * Spelling to pronunciation on the CMU Pronouncing Dictionary: an LSTM encoder reads the letters, an
 * LSTM decoder started from its final state writes the phones, and at every step dot-product
 * attention (Luong's) over the encoder's outputs tells it which letters to look at. Trained with
 * teacher forcing, decoded greedily; prints the word accuracy on held-out words (every phone right)
 * and writes attention.png, the attention weights of one held-out word.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { Random } from '../../core/index.js';
import type { SymbolicTensor } from '../../nn/layer.js';
import { program } from './example.js';
import { epochLines, saveHeatmap } from './sequence-output.js';

interface Pairs {
  words: string[];
  /** Letter ids `[n, letters]`, padded with 0. */
  letters: nr.Tensor;
  /** Decoder inputs `<s> phones` and targets `phones </s>`, `[n, phones + 1]`, padded with 0. */
  decoderInput: nr.Tensor;
  target: nr.Tensor;
}

/** The encoder-decoder for training, and a model sharing its layers that returns the attention weights. */
function seq2seq(letters: number, phones: number, length: number, units: number): [nr.Model, nr.Model] {
  const spelling = nr.Input({ shape: [length], dtype: 'int32', name: 'letters' });
  // Any number of phones: greedy decoding feeds the prefix written so far.
  const previous = nr.Input({ shape: [null], dtype: 'int32', name: 'previous_phones' });
  const encoded = new nr.layers.Embedding({ inputDim: letters, outputDim: units, maskZero: true }).apply(spelling);
  const [encoderOutputs, h, c] = new nr.layers.LSTM({ units, returnSequences: true, returnState: true }).apply<SymbolicTensor[]>(encoded);
  const decoded = new nr.layers.Embedding({ inputDim: phones, outputDim: units, maskZero: true }).apply(previous);
  const decoderOutputs = new nr.layers.LSTM({ units, returnSequences: true }).apply(decoded, { initialState: [h!, c!] });
  const [context, weights] = new nr.layers.Attention().apply<SymbolicTensor[]>([decoderOutputs, encoderOutputs!], {
    returnAttentionScores: true,
  });
  // Luong's attentional state: tanh(W [decoder output; context]).
  const attentional = new nr.layers.Dense({ units, activation: 'tanh' }).apply(
    new nr.layers.Concatenate().apply([decoderOutputs, context!]),
  );
  const scores = new nr.layers.Dense({ units: phones }).apply(attentional);
  return [
    new nr.Model({ inputs: [spelling, previous], outputs: scores }),
    new nr.Model({ inputs: [spelling, previous], outputs: weights! }),
  ];
}

/**
 * Greedy decoding: each step feeds the words still being written, with `<s>` and the phones chosen so
 * far, and keeps the most likely next phone; a word leaves the batch when it writes `</s>`.
 */
function transcribe(model: nr.Model, letters: nr.Tensor, steps: number, endId: number): number[][] {
  const [n, width] = letters.shape as [number, number];
  const spellings = letters.data();
  const out: number[][] = Array.from({ length: n }, () => []);
  let active = out.map((_, i) => i);
  for (let step = 0; step < steps && active.length > 0; step++) {
    const rows = active.length;
    const batchLetters = new Int32Array(rows * width);
    const previous = new Int32Array(rows * (step + 1));
    active.forEach((word, row) => {
      batchLetters.set(spellings.subarray(word * width, (word + 1) * width), row * width);
      previous.set([1, ...out[word]!], row * (step + 1));
    });
    const inputs = [nr.tensor(batchLetters, [rows, width], 'int32'), nr.tensor(previous, [rows, step + 1], 'int32')];
    const scores = model.predict(inputs, { batchSize: 512 }) as nr.Tensor;
    const next = scores.slice([0, step, 0], [-1, 1, -1]).argmax(-1).data();
    active = active.filter((word, row) => {
      const id = Number(next[row]);
      if (id !== endId) out[word]!.push(id);
      return id !== endId;
    });
  }
  return out;
}

export const seq2seqAttention = program({
  description:
    'CMUdict spelling to phones: an LSTM encoder-decoder with attention, word accuracy on held-out words and an attention heat-map',
  flags: {
    words: { kind: 'positive', default: 30_000, help: 'words drawn from the dictionary (10 % held out)' },
    maxLength: { kind: 'positive', default: 12, help: 'longest spelling and pronunciation kept' },
    units: { kind: 'positive', default: 128, help: 'embedding size and LSTM units' },
    epochs: { kind: 'positive', default: 10, help: 'passes over the training words' },
    batchSize: { kind: 'positive', default: 64, help: 'words per batch' },
    out: { kind: 'text', default: 'out/seq2seq-attention', help: 'directory for attention.png' },
  },
  async run({ words, maxLength, units, epochs, batchSize, out }, print) {
    nr.setSeed(5);
    // Plain words of letters only, each with its first pronunciation, stress marks dropped.
    const entries = [...nr.datasets.cmudict({ stress: false })].filter(
      ([word, [phones]]) => /^[A-Z]+$/.test(word) && word.length <= maxLength && phones!.length <= maxLength,
    );
    const random = new Random(1);
    for (let i = entries.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [entries[i], entries[j]] = [entries[j]!, entries[i]!];
    }
    const kept = entries.slice(0, words);
    const held = Math.max(1, Math.round(kept.length * 0.1));
    const trainEntries = kept.slice(held);
    const spellings = new nr.text.CharTokenizer().fit(trainEntries.map(([word]) => word));
    const sounds = new nr.text.WordTokenizer({ standardize: null }).fit(trainEntries.map(([, [phones]]) => phones!.join(' ')));
    const pairs = (list: typeof kept): Pairs => {
      const phoneIds = list.map(([, [phones]]) => sounds.encode(phones!.join(' '), { addStart: true, addEnd: true }));
      const options = { maxlen: maxLength + 1, padding: 'post' } as const;
      return {
        words: list.map(([word]) => word),
        letters: nr.text.padSequences(
          list.map(([word]) => spellings.encode(word)),
          { maxlen: maxLength, padding: 'post' },
        ),
        decoderInput: nr.text.padSequences(
          phoneIds.map((ids) => ids.slice(0, -1)),
          options,
        ),
        target: nr.text.padSequences(
          phoneIds.map((ids) => ids.slice(1)),
          options,
        ),
      };
    };
    const [train, test] = [pairs(trainEntries), pairs(kept.slice(0, held))];
    print(`${train.words.length} training and ${test.words.length} held-out words`);
    print(`${spellings.vocabularySize} letter and ${sounds.vocabularySize} phone tokens (4 of each are <pad>, <s>, </s>, <unk>)`);

    const [model, attention] = seq2seq(spellings.vocabularySize, sounds.vocabularySize, maxLength, units);
    model.compile({
      optimizer: new nr.optimizers.Adam({ learningRate: 0.002 }),
      loss: new nr.losses.SparseCategoricalCrossentropy({ fromLogits: true }),
    });
    const start = performance.now();
    const callbacks = [epochLines(epochs, print)];
    await model.fit([train.letters, train.decoderInput], train.target, { epochs, batchSize, verbose: 0, callbacks });
    print(`trained in ${((performance.now() - start) / 1000).toFixed(1)} s (${model.countParams()} parameters)`);

    const predicted = transcribe(model, test.letters, maxLength + 1, sounds.endId);
    const truth = kept.slice(0, held).map(([, [phones]]) => phones!.join(' '));
    const guesses = predicted.map((ids) => sounds.decode(ids));
    const right = guesses.filter((guess, i) => guess === truth[i]).length;
    print(`word accuracy on ${held} held-out words: ${(right / held).toFixed(4)} (${right} with every phone right)`);
    for (let i = 0; i < Math.min(5, held); i++) {
      print(
        `  ${test.words[i]!.padEnd(maxLength)} ${guesses[i] === truth[i] ? 'right' : 'wrong'}: ${guesses[i]} (dictionary: ${truth[i]})`,
      );
    }

    // The heat-map of the first held-out word of six letters or more (else the first), as it was decoded.
    const shown = Math.max(
      0,
      test.words.findIndex((word) => word.length >= 6),
    );
    const phones = predicted[shown]!.map((id) => sounds.vocabulary[id]!);
    if (phones.length <= maxLength) phones.push('</s>'); // else decoding stopped at the step limit
    const decoderInput = nr.tensor([[1, ...predicted[shown]!].slice(0, phones.length)], undefined, 'int32');
    const weights = (attention.predict([test.letters.slice([shown, 0], [1, -1]), decoderInput]) as nr.Tensor).toArray() as number[][][];
    const word = test.words[shown]!;
    const rows = weights[0]!.slice(0, phones.length).map((row) => row.slice(0, word.length));
    const path = join(out, 'attention.png');
    await saveHeatmap(path, rows, [...word], phones, `attention while transcribing ${word}`);
    print(`wrote ${path} (${word} -> ${guesses[shown]})`);
  },
});
