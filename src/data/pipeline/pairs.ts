import { Random, configError, formatShape, globalRandom, is, parseOptions, shapeError, show } from '../../core/index.js';
import { Tensor, tensor } from '../../tensor/index.js';
import { gather, type Operand } from '../../ops/index.js';

/*
 * Pairs and triplets drawn from a labelled set, for Siamese networks and metric learning. Classes are
 * drawn uniformly (then a member within the class), as the Keras examples do, so that a rare class
 * is not starved of positive pairs; the same seed gives the same draws.
 */

/** Options of makePairs. */
export interface MakePairsOptions {
  /** How many pairs (default: the number of samples). */
  numPairs?: number;
  /** The fraction of same-class pairs, rounded to a count (default 0.5). */
  positiveFraction?: number;
  /** Seed of the draws (default: drawn from nr.setSeed's stream). */
  seed?: number;
}

/** Options of makeTriplets. */
export interface MakeTripletsOptions {
  /** How many triplets (default: the number of samples). */
  numTriplets?: number;
  /** Seed of the draws (default: drawn from nr.setSeed's stream). */
  seed?: number;
}

/** Sample indices by class, after checking that x and labels describe the same samples. */
function byClass(x: Tensor, labels: Operand, owner: string): { groups: number[][]; labels: number[] } {
  const t = labels instanceof Tensor ? labels : tensor(labels as never);
  if (x.rank < 1 || t.size !== x.shape[0] || (t.rank > 1 && t.shape.slice(1).some((d) => d !== 1))) {
    throw shapeError(owner, {
      expected: 'labels must hold one class per sample of x: [n] or [n, 1]',
      got: `x ${formatShape(x.shape)} and labels ${formatShape(t.shape)}`,
    });
  }
  const values = Array.from(t.data() as ArrayLike<number>, Number);
  const index = new Map<number, number[]>();
  values.forEach((v, i) => {
    if (!Number.isInteger(v)) throw configError(owner, { expected: 'labels must be integer classes', got: `${v} at index ${i}` });
    const group = index.get(v) ?? [];
    group.push(i);
    index.set(v, group);
  });
  const groups = [...index.keys()].sort((a, b) => a - b).map((k) => index.get(k)!);
  if (groups.length < 2) throw configError(owner, { expected: 'labels must hold at least 2 classes', got: `${groups.length}` });
  if (!groups.some((g) => g.length >= 2)) {
    throw configError(owner, {
      expected: 'some class must have at least 2 samples to make a same-class pair',
      got: `${groups.length} singletons`,
    });
  }
  return { groups, labels: values };
}

const pick = <T>(random: Random, list: readonly T[]): T => list[random.nextInt(list.length)]!;

/** Two distinct members of one class (drawn among the classes with >= 2 members), and that class's index. */
function positivePair(random: Random, groups: number[][]): [number, number, number] {
  const eligible = groups.flatMap((g, k) => (g.length >= 2 ? [k] : []));
  const g = pick(random, eligible);
  const group = groups[g]!;
  const i = random.nextInt(group.length);
  const j = (i + 1 + random.nextInt(group.length - 1)) % group.length;
  return [group[i]!, group[j]!, g];
}

/** A member of `group` and a member of another class. */
function negativeOf(random: Random, groups: number[][], group: number): number {
  const other = random.nextInt(groups.length - 1);
  return pick(random, groups[other >= group ? other + 1 : other]!);
}

function count(value: number | undefined, fallback: number, owner: string, key: string): number {
  const n = value ?? fallback;
  if (!Number.isInteger(n) || n < 1) throw configError(owner, { expected: `${key} must be a positive integer`, got: show(n) });
  return n;
}

/**
 * Draws pairs of samples from x [n, ...] with integer labels [n]: `{a, b, same}` with a and b
 * [numPairs, ...] and `same` float32 [numPairs] (1 for a same-class pair, 0 otherwise: the target of
 * `ContrastiveLoss`), plus the classes of a and b (`labelsA`, `labelsB`, int32). A positive pair
 * takes a class uniformly and two distinct members of it; a negative pair two distinct classes
 * uniformly and a member of each. Positives and negatives are interleaved in a random order.
 *
 * ```ts
 * const x = nr.tensor([[0], [1], [10], [11]]);
 * const { a, b, same } = nr.data.makePairs(x, [0, 0, 1, 1], { numPairs: 6, seed: 1 });
 * same.sum().item(); // 3 (positiveFraction 0.5)
 * // Dataset-friendly: nr.data.Dataset.fromTensorSlices([[a, b], same]).batch(32)
 * ```
 */
export function makePairs(
  x: Tensor,
  labels: Operand,
  options: MakePairsOptions = {},
): { a: Tensor; b: Tensor; same: Tensor; labelsA: Tensor; labelsB: Tensor } {
  const o = parseOptions<MakePairsOptions>('makePairs', options, {
    keys: { numPairs: is.positiveInteger, positiveFraction: is.number, seed: is.number },
  });
  const { groups, labels: classes } = byClass(x, labels, 'makePairs');
  const numPairs = count(o.numPairs, x.shape[0]!, 'makePairs', 'numPairs');
  const fraction = o.positiveFraction ?? 0.5;
  if (!(fraction >= 0 && fraction <= 1))
    throw configError('makePairs', { expected: 'positiveFraction must be in [0, 1]', got: show(fraction) });
  const random = new Random(o.seed ?? globalRandom().nextUint32());
  const positives = Math.round(numPairs * fraction);
  // Which pairs are positive: a shuffled list of flags, so positives are spread through the set.
  const flags = Array.from({ length: numPairs }, (_, k) => k < positives);
  for (let k = numPairs - 1; k > 0; k--) {
    const j = random.nextInt(k + 1);
    [flags[k], flags[j]] = [flags[j]!, flags[k]!];
  }
  const left = new Int32Array(numPairs);
  const right = new Int32Array(numPairs);
  const same = new Float32Array(numPairs);
  flags.forEach((positive, k) => {
    if (positive) {
      [left[k], right[k]] = positivePair(random, groups);
      same[k] = 1;
    } else {
      const g = random.nextInt(groups.length);
      left[k] = pick(random, groups[g]!);
      right[k] = negativeOf(random, groups, g);
    }
  });
  const classOf = (idx: Int32Array) =>
    tensor(
      Int32Array.from(idx, (i) => classes[i]!),
      [numPairs],
      'int32',
    );
  return {
    a: gather(x, tensor(left, [numPairs], 'int32')),
    b: gather(x, tensor(right, [numPairs], 'int32')),
    same: tensor(same, [numPairs]),
    labelsA: classOf(left),
    labelsB: classOf(right),
  };
}

/**
 * Draws triplets from x [n, ...] with integer labels [n]: `{anchor, positive, negative}`, each
 * [numTriplets, ...], where the positive is another member of the anchor's class and the negative a
 * member of another class (the anchor's class is drawn uniformly among those with two members or more).
 * The input of `TripletMarginLoss`.
 *
 * ```ts
 * const x = nr.tensor([[0], [1], [10], [11]]);
 * const { anchor, positive, negative } = nr.data.makeTriplets(x, [0, 0, 1, 1], { numTriplets: 4, seed: 1 });
 * anchor.shape; // [4, 1]
 * ```
 */
export function makeTriplets(
  x: Tensor,
  labels: Operand,
  options: MakeTripletsOptions = {},
): { anchor: Tensor; positive: Tensor; negative: Tensor } {
  const o = parseOptions<MakeTripletsOptions>('makeTriplets', options, { keys: { numTriplets: is.positiveInteger, seed: is.number } });
  const { groups } = byClass(x, labels, 'makeTriplets');
  const n = count(o.numTriplets, x.shape[0]!, 'makeTriplets', 'numTriplets');
  const random = new Random(o.seed ?? globalRandom().nextUint32());
  const idx = [new Int32Array(n), new Int32Array(n), new Int32Array(n)] as const;
  for (let k = 0; k < n; k++) {
    const [i, j, g] = positivePair(random, groups);
    idx[0][k] = i;
    idx[1][k] = j;
    idx[2][k] = negativeOf(random, groups, g);
  }
  const [anchor, positive, negative] = idx.map((ix) => gather(x, tensor(ix, [n], 'int32'))) as [Tensor, Tensor, Tensor];
  return { anchor, positive, negative };
}
