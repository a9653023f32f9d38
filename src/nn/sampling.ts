import { Random, configError, globalRandom, is, numericsError, parseOptions, show, type OptionsSpec } from '../core/index.js';
import { Tensor, noGrad } from '../tensor/index.js';

/*
 * Choosing the next token from a model's scores, as keras_nlp's samplers and Hugging Face's
 * generate do it: scores divided by the temperature, then top-k, then top-p (on the renormalised
 * top-k), then one draw. Draws come from neurona's seeded stream (nr.setSeed), or from a stream of
 * their own when `seed` is given, so a generation is reproducible on every backend.
 */

export interface SampleOptions {
  /** Scores are divided by it before the softmax: below 1 sharper, above 1 flatter; 0 is argmax. Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (1 is argmax). Default: all. */
  topK?: number | null;
  /** Keep the smallest set of most likely tokens whose probability adds up to at least p, in (0, 1]. Default: all. */
  topP?: number | null;
  /** Draw from a stream seeded with this instead of nr.setSeed's shared stream. */
  seed?: number | null;
  /** True (default): the scores are logits; false: probabilities (non-negative, normalised per row here). */
  fromLogits?: boolean;
}

const SPEC: OptionsSpec = {
  keys: {
    temperature: is.number,
    topK: is.nullable(is.positiveInteger),
    topP: is.nullable(is.number),
    seed: is.nullable(is.integer),
    fromLogits: is.boolean,
  },
};

interface Settings {
  temperature: number;
  topK: number | null;
  topP: number | null;
  fromLogits: boolean;
}

function settings(where: string, options: unknown): Settings & { seed: number | null } {
  const o = parseOptions<SampleOptions>(where, options, SPEC);
  const temperature = o.temperature ?? 1;
  if (temperature < 0)
    throw configError(where, { expected: 'temperature must be >= 0 (0 picks the most likely token)', got: show(temperature) });
  const topP = o.topP ?? null;
  if (topP !== null && !(topP > 0 && topP <= 1)) throw configError(where, { expected: 'topP must be in (0, 1]', got: show(topP) });
  return { temperature, topK: o.topK ?? null, topP, fromLogits: o.fromLogits ?? true, seed: o.seed ?? null };
}

/** The rows of `scores` as one flat float64 array. */
function rowsOf(scores: unknown, where: string): { values: Float64Array; rows: number; width: number } {
  if (scores instanceof Tensor) {
    if (scores.rank !== 1 && scores.rank !== 2)
      throw configError(where, { expected: 'scores must be [vocab] or [batch, vocab]', got: show(scores) });
    const width = scores.shape.at(-1)!;
    return { values: Float64Array.from(scores.data()), rows: scores.rank === 1 ? 1 : scores.shape[0]!, width };
  }
  const list = Array.isArray(scores) && scores.every((r) => typeof r === 'number') ? [scores] : scores;
  if (
    !Array.isArray(list) ||
    list.length === 0 ||
    !list.every((r) => Array.isArray(r) && r.length === list[0].length && r.every((v) => typeof v === 'number'))
  ) {
    throw configError(where, {
      expected: 'scores must be a tensor, an array of numbers, or an array of equal-length rows',
      got: show(scores),
    });
  }
  return { values: Float64Array.from((list as number[][]).flat()), rows: list.length, width: (list[0] as number[]).length };
}

/** One draw from `row` (logits or probabilities) under `s`. */
function sampleRow(row: Float64Array, s: Settings, random: Random, where: string): number {
  if (row.length === 0) throw configError(where, { expected: 'a row of at least one score', got: 'an empty row' });
  const logits = new Float64Array(row.length);
  for (let i = 0; i < row.length; i++) {
    const v = row[i]!;
    if (Number.isNaN(v) || v === Infinity || (!s.fromLogits && !(v >= 0 && Number.isFinite(v)))) {
      throw numericsError(where, {
        expected: s.fromLogits ? 'logits must be finite numbers or -Infinity' : 'probabilities must be finite and >= 0',
        got: `${v} at index ${i}`,
      });
    }
    logits[i] = s.fromLogits ? v : Math.log(v);
  }
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  if (logits[best] === -Infinity)
    throw numericsError(where, { expected: 'a row with at least one possible token', got: 'every score -Infinity or 0' });
  if (s.temperature === 0 || s.topK === 1) return best;
  // Ties keep the lower index first, so top-k on equal scores is deterministic.
  let order = Array.from(logits.keys());
  if (s.topK !== null || s.topP !== null) order.sort((a, b) => logits[b]! - logits[a]! || a - b);
  if (s.topK !== null) order = order.slice(0, s.topK);
  const weights = order.map((i) => Math.exp((logits[i]! - logits[best]!) / s.temperature));
  let total = weights.reduce((a, b) => a + b, 0);
  if (s.topP !== null) {
    let mass = 0;
    let keep = 0;
    while (keep < weights.length && mass < s.topP * total) mass += weights[keep++]!;
    weights.length = keep;
    total = mass;
  }
  let u = random.next() * total;
  for (let k = 0; k < weights.length; k++) {
    u -= weights[k]!;
    if (u < 0) return order[k]!;
  }
  // Rounding can leave u a hair above zero: the last kept token with a weight takes it.
  for (let k = weights.length - 1; k > 0; k--) if (weights[k]! > 0) return order[k]!;
  return order[0]!;
}

/**
 * Draws one token id per row of `scores` (`[vocab]` or `[batch, vocab]`: logits, or probabilities
 * with `fromLogits: false`), with temperature, top-k and top-p. Returns the ids as numbers, one per row.
 *
 * ```ts
 * const logits = nr.tensor([[2, 1, 0.1], [0, 5, 0]]);
 * nr.text.sample(logits, { topK: 1 }); // [0, 1]
 * nr.text.sample(logits, { temperature: 0.8, topP: 0.9, seed: 42 }); // the same two ids on every run
 * ```
 */
export function sample(scores: Tensor | readonly number[] | readonly (readonly number[])[], options: SampleOptions = {}): number[] {
  const where = 'text.sample';
  const s = settings(where, options);
  return sampleWith(scores, s, s.seed === null ? globalRandom() : new Random(s.seed), where);
}

function sampleWith(scores: unknown, s: Settings, random: Random, where: string): number[] {
  const { values, rows, width } = rowsOf(scores, where);
  return Array.from({ length: rows }, (_, r) => sampleRow(values.subarray(r * width, (r + 1) * width), s, random, where));
}

export interface GenerateOptions extends SampleOptions {
  /** How many tokens to add. */
  steps: number;
  /** Feed the model exactly this many last tokens (left-padded with padId when fewer); default the whole sequence. */
  contextLength?: number | null;
  /** The padding id for contextLength (default 0). */
  padId?: number;
  /** Stop a row once it produced this id (kept in the output). */
  endId?: number | null;
  /** The dtype of the id tensor given to the model (default 'int32', as padSequences and TextVectorization give). */
  dtype?: 'int32' | 'float32';
}

const GENERATE_SPEC: OptionsSpec = {
  keys: {
    ...SPEC.keys,
    steps: is.nonNegativeInteger,
    contextLength: is.nullable(is.positiveInteger),
    padId: is.integer,
    endId: is.nullable(is.integer),
    dtype: is.oneOf('int32', 'float32'),
  },
};

/** What `generate` calls: a model or layer mapping `[batch, time]` ids to `[batch, vocab]` or `[batch, time, vocab]` scores. */
export interface SequenceModel {
  apply(inputs: Tensor): Tensor;
}

/**
 * Autoregressive generation: feeds the ids so far to `model`, samples the next id from its last
 * step's scores (see `sample`), appends it, and repeats `steps` times. `prompt` is one sequence of
 * ids or a batch of equal-length ones; the result has the same form, prompt included. With a
 * `seed`, one stream serves the whole generation, so the same call gives the same text.
 *
 * ```ts
 * // A stand-in model whose scores always favour the id after the last one.
 * const next = { apply: (x: nr.Tensor) => nr.oneHot(x.slice([0, x.shape[1] - 1], [-1, 1]).add(1).reshape([-1]), 5).mul(50) };
 * nr.text.generate(next, [0], { steps: 3, seed: 1 }); // [0, 1, 2, 3]
 * ```
 */
export function generate(model: SequenceModel, prompt: readonly number[], options: GenerateOptions): number[];
export function generate(model: SequenceModel, prompt: readonly (readonly number[])[], options: GenerateOptions): number[][];
export function generate(
  model: SequenceModel,
  prompt: readonly number[] | readonly (readonly number[])[],
  options: GenerateOptions,
): number[] | number[][] {
  const where = 'text.generate';
  const o = parseOptions<GenerateOptions>(where, options, GENERATE_SPEC);
  if (o.steps === undefined) throw configError(where, { expected: 'steps (the number of tokens to add) is required' });
  if (!model || typeof (model as { apply?: unknown }).apply !== 'function') {
    throw configError(where, { expected: 'model must have an apply(ids) method (a Model, Sequential or layer)', got: show(model) });
  }
  const single = Array.isArray(prompt) && prompt.every((v) => typeof v === 'number');
  const rows = (single ? [prompt] : prompt) as readonly (readonly number[])[];
  if (
    !Array.isArray(rows) ||
    rows.length === 0 ||
    !rows.every((r) => Array.isArray(r) && r.length === rows[0]!.length && r.every(Number.isInteger))
  ) {
    throw configError(where, { expected: 'prompt must be an array of integer ids, or a batch of equal-length arrays', got: show(prompt) });
  }
  if (rows[0]!.length === 0 && !o.contextLength) {
    throw configError(where, {
      expected: 'an empty prompt needs contextLength (the model needs at least one step)',
      hint: 'start from a start-token id',
    });
  }
  const s = settings(where, { temperature: o.temperature, topK: o.topK, topP: o.topP, seed: o.seed, fromLogits: o.fromLogits });
  const random = s.seed === null ? globalRandom() : new Random(s.seed);
  const sequences = rows.map((r) => [...r]);
  const ended = sequences.map(() => false);
  const padId = o.padId ?? 0;
  for (let step = 0; step < o.steps && !ended.every(Boolean); step++) {
    const length = o.contextLength ?? Math.max(...sequences.map((seq) => seq.length));
    const ids = new (o.dtype === 'float32' ? Float32Array : Int32Array)(sequences.length * length).fill(padId);
    sequences.forEach((seq, i) => {
      const context = seq.slice(Math.max(0, seq.length - length));
      ids.set(context, (i + 1) * length - context.length);
    });
    const input = new Tensor(ids, [sequences.length, length], o.dtype ?? 'int32');
    const out = noGrad(() => model.apply(input));
    if (!(out instanceof Tensor) || out.shape[0] !== sequences.length || (out.rank !== 2 && out.rank !== 3)) {
      throw configError(where, {
        expected: `the model must return [${sequences.length}, vocab] or [${sequences.length}, time, vocab] scores`,
        got: show(out),
      });
    }
    const last = out.rank === 3 ? out.slice([0, out.shape[1]! - 1, 0], [-1, 1, -1]).reshape([sequences.length, -1]) : out;
    const next = sampleWith(last, s, random, where);
    sequences.forEach((seq, i) => {
      if (ended[i]) return;
      seq.push(next[i]!);
      if (next[i] === o.endId) ended[i] = true;
    });
  }
  return single ? sequences[0]! : sequences;
}
