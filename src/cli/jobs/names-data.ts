/*
 * What the two name generators (names-lstm, mini-gpt) share: the names as character ids for
 * next-character prediction, the validation loss per character, and sampled names.
 */
import * as nr from '../../index.js';
import { Random, configError, show } from '../../core/index.js';

export interface NamesData {
  tokenizer: nr.text.CharTokenizer;
  /** Inputs `<s> n a m e` and targets `n a m e </s>`, padded with 0 at the end to `length`. */
  train: [nr.Tensor, nr.Tensor];
  validation: [nr.Tensor, nr.Tensor];
  /** Steps of every row: the longest name plus one. */
  length: number;
  /** Every name of the training split, to tell new samples from copies. */
  trainNames: Set<string>;
}

/** The English first names (female and male lists, a name in both once), 10 % held out, shuffled by `seed`. */
export function namesData(limit: number, seed: number): NamesData {
  const names = [...new Set(nr.datasets.names())];
  const random = new Random(seed);
  for (let i = names.length - 1; i > 0; i--) {
    const j = Math.floor(random.next() * (i + 1));
    [names[i], names[j]] = [names[j]!, names[i]!];
  }
  const kept = names.slice(0, limit);
  const held = Math.max(1, Math.round(kept.length * 0.1));
  const trainNames = kept.slice(held);
  const tokenizer = new nr.text.CharTokenizer().fit(trainNames);
  const length = Math.max(...kept.map((name) => name.length)) + 1;
  const pairs = (list: string[]): [nr.Tensor, nr.Tensor] => {
    const ids = list.map((name) => tokenizer.encode(name, { addStart: true, addEnd: true }));
    const options = { maxlen: length, padding: 'post', truncating: 'post' } as const;
    return [
      nr.text.padSequences(
        ids.map((s) => s.slice(0, -1)),
        options,
      ),
      nr.text.padSequences(
        ids.map((s) => s.slice(1)),
        options,
      ),
    ];
  };
  return { tokenizer, train: pairs(trainNames), validation: pairs(kept.slice(0, held)), length, trainNames: new Set(trainNames) };
}

/**
 * The mean negative log-likelihood, in nats, of every real target character (the end token
 * included, the padding left out): the figure char-level language models report.
 */
export function lossPerCharacter(model: nr.Model, [x, y]: [nr.Tensor, nr.Tensor]): number {
  const logProbabilities = (model.predict(x, { batchSize: 256 }) as nr.Tensor).logSoftmax(-1).data();
  const targets = y.data();
  const vocab = logProbabilities.length / targets.length;
  let total = 0;
  let count = 0;
  targets.forEach((target, i) => {
    if (target === 0) return;
    total -= logProbabilities[i * vocab + target]!;
    count++;
  });
  return total / count;
}

/** `count` names drawn one character at a time from the model's next-character scores. */
export function sampleNames(model: nr.Model, data: NamesData, count: number, options: { temperature: number; seed: number }): string[] {
  const prompts = Array.from({ length: count }, () => [data.tokenizer.startId]);
  const ids = nr.text.generate(model, prompts, { steps: data.length, endId: data.tokenizer.endId, ...options });
  return ids.map((row) => data.tokenizer.decode(row));
}

/** Prints the samples with how many are names of the training set rather than new ones. */
export function printSamples(samples: string[], data: NamesData, print: (line: string) => void): void {
  const copies = samples.filter((name) => data.trainNames.has(name)).length;
  print(`samples (${samples.length - copies} new, ${copies} from the training names):`);
  for (let i = 0; i < samples.length; i += 8) print(`  ${samples.slice(i, i + 8).join(', ')}`);
}

/** The --temperature flag as a number (0 is argmax), checked before any work. */
export function parseTemperature(text: string, where: string): number {
  const value = Number(text);
  if (text.trim() === '' || !(value >= 0 && value < Number.POSITIVE_INFINITY)) {
    throw configError(where, { expected: '--temperature must be a number >= 0 (1 samples the model as is, 0 is argmax)', got: show(text) });
  }
  return value;
}
