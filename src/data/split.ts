import { configError, globalRandom, is, isPlainObject, parseOptions, shapeError, show } from '../core/index.js';
import { Tensor, tensor } from '../tensor/index.js';
import { gather } from '../ops/index.js';

/*
 * scikit-learn's train_test_split, index for index: with an integer randomState the same split as
 * scikit-learn with the same random_state. That takes numpy's legacy generator (MT19937 seeded
 * with init_genrand, permutations by Fisher-Yates with masked rejection sampling), which is what
 * sklearn's check_random_state(int) returns; it is used for nothing else.
 */

/** numpy's legacy RandomState(seed): MT19937 and the two draws train_test_split needs. */
class LegacyNumpyRandom {
  private readonly mt = new Uint32Array(624);
  private index = 624;

  constructor(seed: number) {
    this.mt[0] = seed >>> 0;
    for (let i = 1; i < 624; i++) {
      const prev = this.mt[i - 1]! ^ (this.mt[i - 1]! >>> 30);
      // 1812433253 * prev + i in 32-bit arithmetic.
      this.mt[i] = (Math.imul(1812433253, prev) + i) >>> 0;
    }
  }

  private nextUint32(): number {
    const mt = this.mt;
    if (this.index >= 624) {
      for (let k = 0; k < 624; k++) {
        const y = (mt[k]! & 0x80000000) | (mt[(k + 1) % 624]! & 0x7fffffff);
        mt[k] = mt[(k + 397) % 624]! ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0);
      }
      this.index = 0;
    }
    let y = mt[this.index++]!;
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return y >>> 0;
  }

  /** A uniform integer in [0, max]: the smallest all-ones mask >= max, redrawn while above max. */
  private interval(max: number): number {
    if (max === 0) return 0;
    let mask = max;
    for (let shift = 1; shift <= 16; shift *= 2) mask |= mask >>> shift;
    for (;;) {
      const value = (this.nextUint32() & mask) >>> 0;
      if (value <= max) return value;
    }
  }

  /** `permutation(n)`: 0..n-1 shuffled from the end. */
  permutation(n: number): number[] {
    const out = Array.from({ length: n }, (_, i) => i);
    return this.shuffle(out);
  }

  /** `permutation(array)`: a shuffled copy. */
  shuffle<T>(values: T[]): T[] {
    const out = [...values];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.interval(i);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }
}

export interface TrainTestSplitOptions {
  /**
   * A fraction in (0, 1) of the samples, or a count (a whole number: 1.0 is one sample), for the test set
   * (default 0.25 when trainSize is also unset).
   */
  testSize?: number | null;
  /** A fraction in (0, 1) or a count for the training set (default: the rest). */
  trainSize?: number | null;
  /** Seed of the shuffle; the same integer gives scikit-learn's split. Default: drawn from nr.setSeed's stream. */
  randomState?: number | null;
  /** Shuffle before splitting (default true); false takes the first samples for training, in order. */
  shuffle?: boolean;
  /** Labels whose class proportions both parts keep (scikit-learn's StratifiedShuffleSplit); needs shuffle. */
  stratify?: Tensor | readonly (number | string)[] | null;
}

const SPLIT_OPTIONS = {
  keys: {
    testSize: is.nullable(is.number),
    trainSize: is.nullable(is.number),
    randomState: is.nullable((v: unknown, what: string) => {
      if (!Number.isInteger(v) || (v as number) < 0 || (v as number) > 0xffffffff) {
        throw configError('', { expected: `${what} must be an integer in [0, 2**32 - 1]`, got: show(v), rule: "numpy's seed range" });
      }
    }),
    shuffle: is.boolean,
    stratify: is.any,
  } satisfies Record<keyof TrainTestSplitOptions, unknown>,
};

/** The name every trainTestSplit error starts with. */
const SPLIT = 'trainTestSplit';

type Splittable = Tensor | readonly unknown[];
/** Each array's type twice (train, test), in order. */
type SplitOf<T extends readonly Splittable[]> = T extends readonly [infer A, ...infer R extends Splittable[]]
  ? [A, A, ...SplitOf<R>]
  : Splittable[];

function lengthOf(a: Splittable, i: number): number {
  if (a instanceof Tensor) {
    if (a.rank === 0) throw shapeError(SPLIT, { expected: `array ${i + 1} is a scalar`, hint: 'it needs a samples axis' });
    return a.shape[0]!;
  }
  if (Array.isArray(a)) return a.length;
  throw configError(SPLIT, { expected: `argument ${i + 1} must be a Tensor or an array`, got: show(a) });
}

/** scikit-learn's _validate_shuffle_split: the two sizes from fractions or counts. */
function splitSizes(n: number, testSize: number | null | undefined, trainSize: number | null | undefined): [number, number] {
  const test = testSize ?? (trainSize === undefined || trainSize === null ? 0.25 : null);
  const check = (value: number | null | undefined, name: string) => {
    if (value === null || value === undefined) return;
    // A JavaScript number cannot tell 1.0 from 1: whole numbers are counts, others fractions.
    const fraction = !Number.isInteger(value);
    if (fraction ? !(value > 0 && value < 1) : !(value > 0 && value < n)) {
      throw configError(SPLIT, {
        expected: `${name}=${show(value)} should be a fraction in (0, 1) or a count in [1, ${n - 1}] for ${n} samples`,
      });
    }
  };
  check(test, 'testSize');
  check(trainSize, 'trainSize');
  const isFraction = (v: number) => !Number.isInteger(v);
  if (
    test !== null &&
    test !== undefined &&
    trainSize !== null &&
    trainSize !== undefined &&
    isFraction(test) &&
    isFraction(trainSize) &&
    test + trainSize > 1
  ) {
    throw configError(SPLIT, {
      expected: `testSize + trainSize = ${test + trainSize} should be at most 1`,
      hint: 'give smaller fractions',
    });
  }
  let nTest = test === null || test === undefined ? null : isFraction(test) ? Math.ceil(test * n) : test;
  let nTrain = trainSize === null || trainSize === undefined ? null : isFraction(trainSize) ? Math.floor(trainSize * n) : trainSize;
  if (nTrain === null) nTrain = n - nTest!;
  if (nTest === null) nTest = n - nTrain;
  if (nTrain + nTest > n) {
    throw configError(SPLIT, {
      expected: `trainSize (${nTrain}) + testSize (${nTest}) samples are more than the ${n} there are`,
      hint: 'give smaller sizes',
    });
  }
  if (nTrain === 0) {
    throw configError(SPLIT, {
      expected: `with ${n} samples, testSize=${show(testSize)} and trainSize=${show(trainSize)} leave the training set empty`,
      hint: 'adjust them',
    });
  }
  return [nTrain, nTest];
}

/** scikit-learn's _approximate_mode: per-class counts summing to `draws`, remainders broken at random. */
function approximateMode(counts: number[], draws: number, random: LegacyNumpyRandom): number[] {
  const total = counts.reduce((a, b) => a + b, 0);
  const continuous = counts.map((c) => (c / total) * draws);
  const floored = continuous.map(Math.floor);
  let needToAdd = Math.trunc(draws - floored.reduce((a, b) => a + b, 0));
  if (needToAdd > 0) {
    const remainder = continuous.map((c, i) => c - floored[i]!);
    const values = [...new Set(remainder)].sort((a, b) => b - a);
    for (const value of values) {
      const inds = remainder.flatMap((r, i) => (r === value ? [i] : []));
      const addNow = Math.min(inds.length, needToAdd);
      // rng.choice(inds, addNow, replace=False) is permutation(len(inds))[:addNow].
      for (const k of random.permutation(inds.length).slice(0, addNow)) floored[inds[k]!]!++;
      needToAdd -= addNow;
      if (needToAdd === 0) break;
    }
  }
  return floored;
}

function labelsOf(stratify: Tensor | readonly (number | string)[], n: number): (number | string)[] {
  const labels =
    stratify instanceof Tensor ? Array.from(stratify.data() as ArrayLike<number>) : Array.isArray(stratify) ? [...stratify] : null;
  if (!labels || (stratify instanceof Tensor && stratify.rank !== 1)) {
    throw configError(SPLIT, { expected: 'stratify must be a 1-D Tensor or an array of labels (one per sample)', got: show(stratify) });
  }
  if (labels.length !== n) {
    throw shapeError(SPLIT, { expected: `stratify needs one label for each of the ${n} samples`, got: `${labels.length} labels` });
  }
  return labels;
}

/** StratifiedShuffleSplit's first split. */
function stratifiedIndices(labels: (number | string)[], nTrain: number, nTest: number, random: LegacyNumpyRandom): [number[], number[]] {
  const classes = [...new Set(labels)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const classOf = new Map(classes.map((c, i) => [c, i]));
  const counts = classes.map(() => 0);
  const members: number[][] = classes.map(() => []);
  labels.forEach((label, i) => {
    const c = classOf.get(label)!;
    counts[c]!++;
    members[c]!.push(i); // ascending, as np.argsort(kind='mergesort') lists them
  });
  const smallest = Math.min(...counts);
  if (smallest < 2) {
    throw configError(SPLIT, {
      expected: `the least populated class in stratify (${show(classes[counts.indexOf(smallest)])}) has only 1 member`,
      rule: 'every class needs at least 2 to be stratified',
    });
  }
  if (nTrain < classes.length) {
    throw configError(SPLIT, {
      expected: `the training set (${nTrain}) must hold at least one sample of each of the ${classes.length} classes`,
    });
  }
  if (nTest < classes.length) {
    throw configError(SPLIT, {
      expected: `the test set (${nTest}) must hold at least one sample of each of the ${classes.length} classes`,
    });
  }
  const perClassTrain = approximateMode(counts, nTrain, random);
  const perClassTest = approximateMode(
    counts.map((c, i) => c - perClassTrain[i]!),
    nTest,
    random,
  );
  const train: number[] = [];
  const test: number[] = [];
  classes.forEach((_, c) => {
    const shuffled = random.permutation(counts[c]!).map((k) => members[c]![k]!);
    train.push(...shuffled.slice(0, perClassTrain[c]));
    test.push(...shuffled.slice(perClassTrain[c], perClassTrain[c]! + perClassTest[c]!));
  });
  return [random.shuffle(train), random.shuffle(test)];
}

function take<T extends Splittable>(a: T, indices: number[]): T {
  if (a instanceof Tensor) return gather(a, tensor(indices, [indices.length], 'int32'), 0) as T;
  return indices.map((i) => (a as readonly unknown[])[i]) as unknown as T;
}

/**
 * Splits arrays into random train and test subsets, as scikit-learn's `train_test_split`: every
 * array (Tensors along their first axis, or plain arrays) is split by the same indices, and the
 * result lists each array's train part then its test part: `[xTrain, xTest, yTrain, yTest]`.
 *
 * ```ts
 * const x = nr.arange(20).reshape([10, 2]);
 * const y = nr.tensor([0, 0, 0, 0, 0, 1, 1, 1, 1, 1]);
 * const [xTrain, xTest, yTrain, yTest] = nr.trainTestSplit(x, y, { testSize: 0.3, randomState: 42, stratify: y });
 * console.log(xTrain.shape, xTest.shape, yTest.toArray()); // [ 7, 2 ] [ 3, 2 ], both classes in the test set
 * ```
 */
export function trainTestSplit<T extends Splittable[]>(...args: [...T, TrainTestSplitOptions]): SplitOf<T>;
export function trainTestSplit<T extends Splittable[]>(...args: T): SplitOf<T>;
export function trainTestSplit(...args: unknown[]): Splittable[] {
  const last = args.at(-1);
  const hasOptions = isPlainObject(last);
  const arrays = (hasOptions ? args.slice(0, -1) : args) as Splittable[];
  const options = parseOptions<TrainTestSplitOptions>('trainTestSplit', hasOptions ? last : undefined, SPLIT_OPTIONS);
  if (arrays.length === 0) {
    throw configError(SPLIT, { expected: 'give at least one array to split, e.g. trainTestSplit(x, y, {testSize: 0.2})' });
  }
  const lengths = arrays.map(lengthOf);
  if (lengths.some((l) => l !== lengths[0])) {
    throw shapeError(SPLIT, {
      expected: `the arrays have different numbers of samples: [${lengths.join(', ')}]`,
      hint: 'each needs one entry per sample',
    });
  }
  const n = lengths[0]!;
  const [nTrain, nTest] = splitSizes(n, options.testSize, options.trainSize);
  const shuffle = options.shuffle ?? true;
  let trainIdx: number[];
  let testIdx: number[];
  if (!shuffle) {
    if (options.stratify !== undefined && options.stratify !== null) {
      throw configError(SPLIT, { expected: 'stratified splits need shuffle', hint: 'set shuffle: true or leave out stratify' });
    }
    trainIdx = Array.from({ length: nTrain }, (_, i) => i);
    testIdx = Array.from({ length: nTest }, (_, i) => nTrain + i);
  } else {
    const random = new LegacyNumpyRandom(options.randomState ?? globalRandom().nextUint32());
    if (options.stratify !== undefined && options.stratify !== null) {
      [trainIdx, testIdx] = stratifiedIndices(labelsOf(options.stratify, n), nTrain, nTest, random);
    } else {
      const permutation = random.permutation(n);
      testIdx = permutation.slice(0, nTest);
      trainIdx = permutation.slice(nTest, nTest + nTrain);
    }
  }
  return arrays.flatMap((a) => [take(a, trainIdx), take(a, testIdx)]);
}
