/**
 * Random sampling ops under `nr.random`, with Keras 3's `keras.random` names and options. Every
 * function takes a `seed` option, as Keras:
 * - none: draws from the global stream that `nr.setSeed` seeds (a different draw each call);
 * - a number: a fresh stream from that seed, so the call gives the same values every time and leaves
 *   the global stream untouched (Keras's integer seed, a stateless draw);
 * - a `SeedGenerator`: its own stream, advanced by each call (Keras's `SeedGenerator`), so a sequence
 *   of calls is reproducible and independent of `nr.setSeed`.
 */
import {
  Random,
  allocate,
  checkShape,
  configError,
  dtypeError,
  globalRandom,
  isFloat,
  parseDType,
  show,
  sizeOf,
  type DType,
} from '../core/index.js';
import { kernels } from '../backend/index.js';
import { Tensor } from '../tensor/index.js';
import { cast, greaterEqual, mul } from './elementwise.js';
import { requireFloat, toTensor, type Operand } from './helpers.js';
import { logSoftmax } from './activation.js';
import { gather } from './shape.js';

/**
 * A seeded random stream of its own, as Keras's `keras.random.SeedGenerator`: pass it as `seed` and
 * each call draws new values, the whole sequence fixed by the generator's seed.
 *
 * ```ts
 * const gen = new nr.random.SeedGenerator(42);
 * const a = nr.random.normal([2], { seed: gen }); // differs from b, and the same on every run
 * const b = nr.random.normal([2], { seed: gen });
 * ```
 */
export class SeedGenerator {
  readonly seed: number;
  /** @internal */
  readonly stream: Random;

  constructor(seed?: number) {
    this.seed = seed ?? Math.floor(globalRandom().next() * 4294967296);
    if (!Number.isFinite(this.seed))
      throw configError('random.SeedGenerator', { expected: 'seed must be a finite number', got: show(seed) });
    this.stream = new Random(this.seed);
  }
}

/** `seed` option of every `nr.random` function: none (the global stream), a number, or a SeedGenerator. */
export type Seed = number | SeedGenerator | null;

function stream(seed: Seed | undefined, op: string): Random {
  if (seed === undefined || seed === null) return globalRandom();
  if (seed instanceof SeedGenerator) return seed.stream;
  if (typeof seed !== 'number' || !Number.isFinite(seed)) {
    throw configError(op, { expected: 'seed must be a finite number, a nr.random.SeedGenerator or null', got: show(seed) });
  }
  return new Random(seed);
}

function sample(op: string, shape: readonly number[], dtype: DType | undefined, float = true): Tensor {
  checkShape(shape, op);
  const d = parseDType(dtype ?? (float ? 'float32' : 'int32'), op);
  if (float && !isFloat(d)) throw dtypeError(op, { expected: 'a float dtype (float32 or float64)', got: d });
  return new Tensor(allocate(d, sizeOf(shape), `${op}: shape ${show(shape)}`), [...shape], d);
}

function finite(op: string, values: Record<string, number>): void {
  for (const [name, v] of Object.entries(values)) {
    if (typeof v !== 'number' || !Number.isFinite(v)) throw configError(op, { expected: `${name} must be a finite number`, got: show(v) });
  }
}

export interface NormalOptions {
  mean?: number;
  stddev?: number;
  dtype?: DType;
  seed?: Seed;
}

/**
 * Normal samples `mean + stddev * N(0, 1)` (defaults 0 and 1, float32).
 *
 * ```ts
 * nr.random.normal([2, 3], { stddev: 0.1, seed: 1 }).shape; // [2, 3], the same values on every call
 * ```
 */
export function normal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  const { mean = 0, stddev = 1 } = options;
  finite('random.normal', { mean, stddev });
  const t = sample('random.normal', shape, options.dtype);
  kernels().fillNormal(t._data, mean, stddev, stream(options.seed, 'random.normal'));
  return t;
}

/** {@link normal} with every value farther than two standard deviations from the mean drawn again (Keras's truncation). */
export function truncatedNormal(shape: readonly number[], options: NormalOptions = {}): Tensor {
  const op = 'random.truncatedNormal';
  const { mean = 0, stddev = 1 } = options;
  finite(op, { mean, stddev });
  const t = sample(op, shape, options.dtype);
  const random = stream(options.seed, op);
  const data = t._data;
  for (let i = 0; i < data.length; i++) {
    let z = random.nextNormal();
    while (Math.abs(z) > 2) z = random.nextNormal();
    data[i] = mean + stddev * z;
  }
  return t;
}

export interface UniformOptions {
  minval?: number;
  maxval?: number;
  dtype?: DType;
  seed?: Seed;
}

/** Uniform samples in `[minval, maxval)` (defaults 0 and 1, float32). */
export function uniform(shape: readonly number[], options: UniformOptions = {}): Tensor {
  const op = 'random.uniform';
  const { minval = 0, maxval = 1 } = options;
  finite(op, { minval, maxval });
  if (!(maxval > minval)) throw configError(op, { expected: `maxval must be greater than minval ${minval}`, got: show(maxval) });
  const t = sample(op, shape, options.dtype);
  kernels().fillUniform(t._data, minval, maxval, stream(options.seed, op));
  return t;
}

/** Uniform integers in `[minval, maxval)`, int32 by default (Keras's `randint`). */
export function randint(shape: readonly number[], minval: number, maxval: number, options: { dtype?: DType; seed?: Seed } = {}): Tensor {
  const op = 'random.randint';
  if (!Number.isInteger(minval) || !Number.isInteger(maxval) || maxval <= minval) {
    throw configError(op, { expected: 'minval and maxval must be integers with maxval > minval', got: `${show(minval)}, ${show(maxval)}` });
  }
  const t = sample(op, shape, options.dtype ?? 'int32', false);
  const random = stream(options.seed, op);
  for (let i = 0; i < t._data.length; i++) t._data[i] = minval + random.nextInt(maxval - minval);
  return t;
}

/**
 * `numSamples` class indices per row of `logits` (`[batch, classes]`, unnormalized log-probabilities),
 * drawn with replacement: `[batch, numSamples]` int32.
 *
 * ```ts
 * nr.random.categorical([[0, 0, 10]], 4, { seed: 3 }).toArray(); // [[2, 2, 2, 2]] (almost surely)
 * ```
 */
export function categorical(logits: Operand, numSamples: number, options: { dtype?: DType; seed?: Seed } = {}): Tensor {
  const op = 'random.categorical';
  const x = toTensor(logits);
  requireFloat(x, op, 'logits');
  if (x.rank !== 2) throw configError(op, { expected: 'logits must have shape [batch, classes]', got: show(x.shape) });
  if (!Number.isInteger(numSamples) || numSamples < 0)
    throw configError(op, { expected: 'numSamples must be an integer >= 0', got: show(numSamples) });
  const [batch, classes] = x.shape as [number, number];
  const logp = logSoftmax(cast(x, 'float64')).data();
  const t = sample(op, [batch, numSamples], options.dtype ?? 'int32', false);
  const random = stream(options.seed, op);
  for (let b = 0; b < batch; b++) {
    for (let s = 0; s < numSamples; s++) {
      const u = random.next();
      let k = 0;
      for (let acc = Math.exp(logp[b * classes]!); acc <= u && k < classes - 1; ) acc += Math.exp(logp[b * classes + ++k]!);
      t._data[b * numSamples + s] = k;
    }
  }
  return t;
}

/**
 * Binomial counts: each value is the number of successes in `counts` trials of probability
 * `probabilities` (numbers, or tensors broadcast to `shape`); float32 by default as Keras. Counts of
 * 1 give Bernoulli draws.
 */
export function binomial(
  shape: readonly number[],
  counts: Operand,
  probabilities: Operand,
  options: { dtype?: DType; seed?: Seed } = {},
): Tensor {
  const op = 'random.binomial';
  const t = sample(op, shape, options.dtype ?? 'float32', false);
  const n = broadcastValues(op, counts, shape, 'counts');
  const p = broadcastValues(op, probabilities, shape, 'probabilities');
  const random = stream(options.seed, op);
  for (let i = 0; i < t._data.length; i++) {
    if (!Number.isInteger(n[i]) || n[i]! < 0 || !(p[i]! >= 0 && p[i]! <= 1)) {
      throw configError(op, { expected: 'counts must be integers >= 0 and probabilities in [0, 1]', got: `${show(n[i])}, ${show(p[i])}` });
    }
    let k = 0;
    for (let j = 0; j < n[i]!; j++) if (random.next() < p[i]!) k++;
    t._data[i] = k;
  }
  return t;
}

function broadcastValues(op: string, value: Operand, shape: readonly number[], role: string): ArrayLike<number> {
  const v = toTensor(value);
  if (v.size === 1) return new Float64Array(sizeOf(shape)).fill(v.data()[0]!);
  try {
    return mul(cast(v, 'float64'), new Tensor(new Float64Array(sizeOf(shape)).fill(1), [...shape], 'float64')).data();
  } catch {
    throw configError(op, { expected: `${role} must broadcast to the shape ${show(shape)}`, got: show(v) });
  }
}

/**
 * Inverted dropout with this module's seeds (Keras's `keras.random.dropout`): each value is kept with
 * probability `1 - rate` and scaled by `1 / (1 - rate)`; differentiable with respect to the input.
 */
export function dropout(inputs: Operand, rate: number, options: { seed?: Seed } = {}): Tensor {
  const x = toTensor(inputs);
  requireFloat(x, 'random.dropout');
  if (!(rate >= 0 && rate < 1)) throw configError('random.dropout', { expected: 'rate must be in [0, 1)', got: show(rate) });
  const keep = cast(greaterEqual(uniform(x.shape, { dtype: x.dtype, seed: options.seed }), rate), x.dtype);
  return mul(x, mul(keep, 1 / (1 - rate)));
}

/**
 * A random permutation of `x` along `axis` (default 0), differentiable (a gather).
 *
 * ```ts
 * nr.random.shuffle(nr.arange(5), { seed: 2 }).toArray(); // the 5 values in another order
 * ```
 */
export function shuffle(x: Operand, options: { axis?: number; seed?: Seed } = {}): Tensor {
  const t = toTensor(x);
  const axis = options.axis ?? 0;
  const length = t.shape.at(axis);
  if (length === undefined) throw configError('random.shuffle', { expected: `axis ${axis} out of range for shape ${show(t.shape)}` });
  const order = Int32Array.from({ length }, (_, i) => i);
  const random = stream(options.seed, 'random.shuffle');
  for (let i = length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return gather(t, new Tensor(order, [length], 'int32'), axis);
}
