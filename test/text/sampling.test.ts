import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

const { sample, generate } = nr.text;
const throwsWith = (fn: () => unknown, kind: new (...args: never[]) => Error, pattern: RegExp) =>
  assert.throws(fn, (e: Error) => e instanceof kind && pattern.test(e.message), pattern.source);

const DRAWS = 20_000;
const probabilities = [0.5, 0.3, 0.15, 0.05];
const logits = probabilities.map(Math.log);

/** Token frequencies over DRAWS rows of the same scores. */
function frequencies(row: readonly number[], options: nr.text.SampleOptions): number[] {
  const ids = sample(
    Array.from({ length: DRAWS }, () => row),
    options,
  );
  const counts = row.map(() => 0);
  for (const id of ids) counts[id]!++;
  return counts.map((c) => c / DRAWS);
}

/** Each frequency within 4.5 standard deviations of a binomial proportion of `expected`; zero where expected is zero. */
function assertFrequencies(actual: number[], expected: number[]): void {
  const total = expected.reduce((a, b) => a + b, 0);
  expected.forEach((e, i) => {
    const p = e / total;
    const bound = 4.5 * Math.sqrt((p * (1 - p)) / DRAWS);
    assert.ok(Math.abs(actual[i]! - p) <= bound, `token ${i}: frequency ${actual[i]}, expected ${p} +- ${bound}`);
  });
}

test('sample follows the softmax of the logits, and the probabilities themselves with fromLogits: false', () => {
  assertFrequencies(frequencies(logits, { seed: 1 }), probabilities);
  assertFrequencies(frequencies([4, 2, 2, 0], { fromLogits: false, seed: 2 }), [0.5, 0.25, 0.25, 0]);
  // A logit of -Infinity is never drawn.
  assertFrequencies(frequencies([0, -Infinity, 0, -Infinity], { seed: 3 }), [0.5, 0, 0.5, 0]);
});

test('temperature rescales the logits: 0.5 squares the probabilities, 0 (and near 0) is argmax', () => {
  assertFrequencies(
    frequencies(logits, { temperature: 0.5, seed: 4 }),
    probabilities.map((p) => p * p),
  );
  assertFrequencies(frequencies(logits, { temperature: 2, seed: 5 }), probabilities.map(Math.sqrt));
  assert.deepEqual(frequencies(logits, { temperature: 0 }), [1, 0, 0, 0]);
  assert.deepEqual(frequencies(logits, { temperature: 0.02, seed: 6 }), [1, 0, 0, 0]);
});

test('topK keeps the k most likely tokens (1 is argmax); topP the smallest set with mass >= p', () => {
  assertFrequencies(frequencies(logits, { topK: 2, seed: 7 }), [0.5, 0.3, 0, 0]);
  assertFrequencies(frequencies(logits, { topP: 0.75, seed: 8 }), [0.5, 0.3, 0, 0]);
  assertFrequencies(frequencies(logits, { topP: 0.81, seed: 9 }), [0.5, 0.3, 0.15, 0]);
  assert.deepEqual(frequencies(logits, { topP: 0.5, seed: 10 }), [1, 0, 0, 0]);
  // top-p acts on the renormalised top-k: of 0.5 and 0.3, 0.5 / 0.8 is already >= 0.6.
  assert.deepEqual(frequencies(logits, { topK: 2, topP: 0.6, seed: 11 }), [1, 0, 0, 0]);
  const random = nr.randn([50, 7]);
  assert.deepEqual(sample(random, { topK: 1 }), Array.from(random.argmax(-1).data()));
  assert.deepEqual(sample([[1, 3, 3]], { topK: 1 }), [1]);
});

test('sample is seeded: the same seed gives the same ids, and without a seed nr.setSeed decides', () => {
  const scores = nr.tensor(
    Array.from({ length: 64 * 10 }, (_, i) => Math.sin(i)),
    [64, 10],
  );
  const a = sample(scores, { seed: 123, temperature: 1.5 });
  assert.deepEqual(sample(scores, { seed: 123, temperature: 1.5 }), a);
  assert.notDeepEqual(sample(scores, { seed: 124, temperature: 1.5 }), a);
  nr.setSeed(9);
  const b = sample(scores);
  nr.setSeed(9);
  assert.deepEqual(sample(scores), b);
  assert.deepEqual(sample([0, 10, 0], { temperature: 0 }), [1]);
});

test('sample misuse: bad options and scores name text.sample', () => {
  throwsWith(() => sample([1, 2], { temperature: -1 }), nr.ConfigError, /text.sample: temperature must be >= 0/);
  throwsWith(() => sample([1, 2], { topP: 0 }), nr.ConfigError, /topP must be in \(0, 1\]/);
  throwsWith(() => sample([1, 2], { topK: 0 }), nr.ConfigError, /topK must be/);
  throwsWith(() => sample([1, 2], { top_k: 1.5 } as never), nr.ConfigError, /top_k must be/);
  throwsWith(() => sample([1, Number.NaN]), nr.NumericsError, /logits must be finite numbers or -Infinity, got NaN at index 1/);
  throwsWith(() => sample([0.5, -0.1], { fromLogits: false }), nr.NumericsError, /probabilities must be finite and >= 0/);
  throwsWith(() => sample([0, 0], { fromLogits: false }), nr.NumericsError, /at least one possible token/);
  throwsWith(() => sample([[1, 2], [3]]), nr.ConfigError, /equal-length rows/);
  throwsWith(() => sample(nr.zeros([2, 2, 2])), nr.ConfigError, /\[vocab\] or \[batch, vocab\]/);
});

/** A stand-in language model over 6 ids: it strongly predicts (last id + 1) mod 6, and records what it was fed. */
function counter(seen: number[][][] = []) {
  return {
    apply(x: nr.Tensor): nr.Tensor {
      seen.push(x.toArray() as number[][]);
      const [batch, time] = x.shape as [number, number];
      const ids = x.data();
      const out = new Float32Array(batch * time * 6);
      for (let b = 0; b < batch; b++) for (let t = 0; t < time; t++) out[(b * time + t) * 6 + ((ids[b * time + t]! + 1) % 6)] = 30;
      return nr.tensor(out, [batch, time, 6]);
    },
  };
}

test('generate feeds the last step back: a batch of prompts, endId stops a row, contextLength left-pads', () => {
  assert.deepEqual(generate(counter(), [0], { steps: 3, seed: 1 }), [0, 1, 2, 3]);
  assert.deepEqual(generate(counter(), [[4], [1]], { steps: 4, endId: 5, seed: 1 }), [
    [4, 5],
    [1, 2, 3, 4, 5],
  ]);
  const seen: number[][][] = [];
  const out = generate(counter(seen), [[2]], { steps: 3, contextLength: 2, padId: 0, dtype: 'float32', seed: 1 });
  assert.deepEqual(out, [[2, 3, 4, 5]]);
  assert.deepEqual(seen, [[[0, 2]], [[2, 3]], [[3, 4]]]);
  // A real model (Dense over a window of 3 float ids) through the same loop.
  nr.setSeed(1);
  const model = new nr.Sequential([new nr.layers.Dense({ units: 6, inputShape: [3] })]);
  const ids = generate(model, [[1], [2]], { steps: 5, contextLength: 3, dtype: 'float32', topK: 3, seed: 2 });
  assert.deepEqual(
    ids.map((row) => row.length),
    [6, 6],
  );
  assert.ok(ids.flat().every((id) => Number.isInteger(id) && id >= 0 && id < 6));
  assert.deepEqual(generate(model, [[1], [2]], { steps: 5, contextLength: 3, dtype: 'float32', topK: 3, seed: 2 }), ids);
  const noisy = { apply: (x: nr.Tensor) => nr.zeros([x.shape[0]!, 50]) };
  assert.deepEqual(generate(noisy, [1], { steps: 20, seed: 5 }), generate(noisy, [1], { steps: 20, seed: 5 }));
  assert.notDeepEqual(generate(noisy, [1], { steps: 20, seed: 5 }), generate(noisy, [1], { steps: 20, seed: 6 }));
  throwsWith(() => generate(counter(), [0], {} as never), nr.ConfigError, /text.generate: steps .* is required/);
  throwsWith(() => generate(counter(), [[0], [1, 2]], { steps: 1 }), nr.ConfigError, /equal-length arrays/);
  throwsWith(() => generate({ apply: () => nr.zeros([3]) }, [0], { steps: 1 }), nr.ConfigError, /must return \[1, vocab\]/);
  throwsWith(() => generate({} as never, [0], { steps: 1 }), nr.ConfigError, /model must have an apply/);
});
