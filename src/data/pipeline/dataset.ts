import { Random, configError, globalRandom, is, parseOptions, show } from '../../core/index.js';
import { Tensor, tensor } from '../../tensor/index.js';
import { type Element, leaves, rebuild, row, sharedLength, stackElements } from './structure.js';

/*
 * nr.data.Dataset: a tf.data-like input pipeline. A Dataset is a recipe, not a buffer: every method
 * returns a new Dataset that wraps its source, nothing runs until someone iterates, and each
 * `for await` (each epoch of fit) starts over from the constructors. Iterators are pulled one
 * element at a time (each `next()` awaited before the next one is asked for); `prefetch` and
 * `map({numParallelCalls})` are the only places that run ahead, and they keep that rule towards
 * their own source.
 */

/** `cardinality()` of a dataset that never ends (tf.data's INFINITE_CARDINALITY). */
export const INFINITE = -1;
/** `cardinality()` of a dataset whose length is not known without iterating it (tf.data's UNKNOWN_CARDINALITY). */
export const UNKNOWN = -2;

/** How many elements `prefetch('auto')` and `map({numParallelCalls: 'auto'})` keep in flight. */
const AUTO_BUFFER = 2;

/** Starts an iteration; `recycle` is true only when fit's own loop reads it (see recyclable). */
type Source<T> = (recycle: boolean) => AsyncIterator<T>;

/**
 * Batches that batch() stacked for an iteration fit started, and that reach fit through stages that
 * only pass elements on (shuffle, prefetch, take, skip, repeat, zip, concatenate): no user code saw
 * them and nothing else holds them, so fit may give their storage to the buffer pool after the step
 * that read them. Marked when made, not later, because a batch that left through toArray(), a user's
 * `for await`, map, filter or cache may come back to fit (fromGenerator over kept batches) and must
 * keep its values; such iterations, and the stages below map, filter and cache, never mark.
 */
const recyclable = new WeakSet<Tensor>();

/** @internal Whether fit may recycle `t`'s storage after the step that read it (see recyclable). */
export function isRecyclable(t: Tensor): boolean {
  return recyclable.has(t);
}

function count(value: unknown, name: string, where: string, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw configError(where, { expected: `${name} must be an integer >= ${min}`, got: show(value) });
  }
  return value;
}

function inFlight(value: unknown, where: string): number {
  return value === 'auto' ? AUTO_BUFFER : count(value, 'the buffer size', where, 1);
}

/** Adds two cardinalities (concatenate). */
function sum(a: number, b: number): number {
  if (a === INFINITE || b === INFINITE) return INFINITE;
  return a === UNKNOWN || b === UNKNOWN ? UNKNOWN : a + b;
}

export interface MapOptions {
  /** Calls of `fn` running at once (for async functions); results keep the input order. 'auto' is 2. Default 1. */
  numParallelCalls?: number | 'auto';
}

export interface BatchOptions {
  /** Drop the last batch when it has fewer than batchSize elements. Default false. */
  dropRemainder?: boolean;
}

export interface ShuffleOptions {
  /** Seed of this shuffle's own stream; without it the order is drawn from nr.setSeed's stream. */
  seed?: number;
  /** A new order on every iteration (epoch). Default true. */
  reshuffleEachIteration?: boolean;
}

/**
 * An input pipeline: an async iterable of elements (Tensors, or arrays or objects of them) with
 * tf.data's methods. `model.fit`, `evaluate` and `predict` accept one in place of tensors; its
 * elements are then batches `[x, y]` or `[x, y, sampleWeight]`.
 *
 * ```ts
 * const x = nr.randn([10, 3]);
 * const y = nr.randn([10, 1]);
 * const ds = nr.data.Dataset.fromTensorSlices([x, y]).shuffle(10, { seed: 1 }).batch(4).prefetch(1);
 * ds.cardinality(); // 3
 * for await (const [xb, yb] of ds) console.log(xb.shape, yb.shape); // [4, 3] [4, 1], [4, 3] ..., [2, 3] [2, 1]
 * ```
 */
export class Dataset<T = Element> implements AsyncIterable<T> {
  /** `cardinality()` of an endless dataset. */
  static readonly INFINITE = INFINITE;
  /** `cardinality()` of a dataset whose length is known only by iterating it. */
  static readonly UNKNOWN = UNKNOWN;

  private constructor(
    private readonly source: Source<T>,
    private readonly size: number,
  ) {}

  /** @internal Builds a dataset from an iterator factory and a cardinality. */
  static of<T>(source: Source<T>, cardinality: number): Dataset<T> {
    return new Dataset(source, cardinality);
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.source(false);
  }

  /** @internal fit's iteration: its batches may be recycled after their step (see recyclable). */
  static iterateForFit<T>(dataset: Dataset<T>): AsyncIterator<T> {
    return dataset.source(true);
  }

  /** The number of elements, INFINITE (-1) or UNKNOWN (-2), as tf.data's `cardinality()`. */
  cardinality(): number {
    return this.size;
  }

  /**
   * One element per index along axis 0 of every tensor in `data` (a Tensor, or an array or object of
   * them, all with the same length on axis 0). The rows share the tensors' storage.
   */
  static fromTensorSlices<E extends Element>(data: E): Dataset<E> {
    const n = sharedLength(data, 'Dataset.fromTensorSlices');
    const columns = leaves(data, 'Dataset.fromTensorSlices');
    return new Dataset(async function* () {
      for (let i = 0; i < n; i++)
        yield rebuild(
          data,
          columns.map((t) => row(t, i)),
        ) as E;
    }, n);
  }

  /**
   * The elements of the iterable `generator()` returns (sync or async, e.g. a generator function);
   * it is called again for each iteration. The length is UNKNOWN.
   */
  static fromGenerator<E>(generator: () => Iterable<E> | AsyncIterable<E>): Dataset<E> {
    if (typeof generator !== 'function') {
      throw configError('Dataset.fromGenerator', { expected: 'a function that returns an iterable', got: show(generator) });
    }
    return new Dataset(async function* () {
      const iterable = generator();
      if (iterable === null || typeof iterable !== 'object' || !(Symbol.asyncIterator in iterable || Symbol.iterator in iterable)) {
        throw configError('Dataset.fromGenerator', {
          expected: 'the generator function must return an iterable (sync or async)',
          got: show(iterable),
          hint: 'pass a generator function, e.g. function* () { yield ... }',
        });
      }
      yield* iterable;
    }, UNKNOWN);
  }

  /** Scalar int32 tensors start, start + step, ... before stop (Python's range; `range(n)` is 0..n-1). */
  static range(start: number, stop?: number, step = 1): Dataset<Tensor> {
    if (stop === undefined) [start, stop] = [0, start];
    for (const [name, v] of [
      ['start', start],
      ['stop', stop],
      ['step', step],
    ] as const) {
      if (!Number.isInteger(v)) throw configError('Dataset.range', { expected: `${name} must be an integer`, got: show(v) });
    }
    if (step === 0) throw configError('Dataset.range', { expected: 'step must not be 0', got: '0' });
    const n = Math.max(0, Math.ceil((stop - start) / step));
    return new Dataset(async function* () {
      for (let i = 0; i < n; i++) yield tensor([start + i * step], [], 'int32');
    }, n);
  }

  /**
   * Elements made of one element of each dataset (an array or object of datasets, as the element's
   * layout); it ends with the shortest.
   */
  static zip<E extends readonly Dataset<unknown>[] | Record<string, Dataset<unknown>>>(
    datasets: E,
  ): Dataset<{ [K in keyof E]: E[K] extends Dataset<infer U> ? U : never }> {
    const entries = Array.isArray(datasets) ? datasets.map((d, i) => [String(i), d] as const) : Object.entries(datasets);
    if (entries.length === 0 || entries.some(([, d]) => !(d instanceof Dataset))) {
      throw configError('Dataset.zip', { expected: 'an array or object of Datasets, at least one', got: show(datasets) });
    }
    const sizes = entries.map(([, d]) => (d as Dataset<unknown>).size);
    const finite = sizes.filter((s) => s >= 0);
    const size = sizes.includes(UNKNOWN) ? UNKNOWN : finite.length > 0 ? Math.min(...finite) : INFINITE;
    type Out = { [K in keyof E]: E[K] extends Dataset<infer U> ? U : never };
    return new Dataset<Out>(async function* (recycle) {
      const iterators = entries.map(([, d]) => (d as Dataset<unknown>).source(recycle));
      try {
        for (;;) {
          const parts: unknown[] = [];
          for (const it of iterators) {
            const r = await it.next();
            if (r.done) return;
            parts.push(r.value);
          }
          yield (Array.isArray(datasets) ? parts : Object.fromEntries(entries.map(([k], i) => [k, parts[i]]))) as Out;
        }
      } finally {
        await Promise.all(iterators.map((it) => it.return?.()));
      }
    }, size);
  }

  /** `fn` applied to every element (sync or async); with numParallelCalls > 1 several calls overlap, in order. */
  map<U>(fn: (element: T) => U | Promise<U>, options: MapOptions = {}): Dataset<U> {
    if (typeof fn !== 'function') throw configError('Dataset.map', { expected: 'fn must be a function', got: show(fn) });
    const { numParallelCalls = 1 } = parseOptions<MapOptions>('Dataset.map', options, { keys: { numParallelCalls: is.any } });
    const parallel = inFlight(numParallelCalls, 'Dataset.map (numParallelCalls)');
    if (parallel === 1)
      return this.deriveShown(async function* (source) {
        for await (const element of source) yield await fn(element);
      });
    // Sources are pulled one at a time; only the calls of fn overlap.
    return this.deriveShown((source) => ordered(source, parallel, (r) => Promise.resolve(fn(r))));
  }

  /** The elements for which `predicate` (sync or async) returns true (or a true scalar tensor). */
  filter(predicate: (element: T) => boolean | Tensor | Promise<boolean | Tensor>): Dataset<T> {
    if (typeof predicate !== 'function')
      throw configError('Dataset.filter', { expected: 'predicate must be a function', got: show(predicate) });
    return this.deriveShown(async function* (source) {
      for await (const element of source) {
        const verdict = await predicate(element);
        const pass = verdict instanceof Tensor && verdict.size === 1 ? verdict.item() !== 0 : verdict;
        if (typeof pass !== 'boolean') {
          throw configError('Dataset.filter', {
            expected: 'the predicate must return a boolean or a one-element tensor',
            got: show(verdict),
          });
        }
        if (pass) yield element;
      }
    }, UNKNOWN);
  }

  /**
   * Stacks runs of `batchSize` elements into one element (each tensor gains axis 0). The last batch
   * is shorter unless `dropRemainder`.
   */
  batch(batchSize: number, options: BatchOptions = {}): Dataset<T> {
    count(batchSize, 'batchSize', 'Dataset.batch', 1);
    const { dropRemainder = false } = parseOptions<BatchOptions>('Dataset.batch', options, { keys: { dropRemainder: is.boolean } });
    const n = this.size;
    const size = n < 0 ? n : dropRemainder ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
    return this.derive(async function* (source, recycle) {
      const emit = (run: T[]) => {
        const batch = stackElements(run as Element[], 'Dataset.batch');
        if (recycle) for (const t of leaves(batch, 'Dataset.batch')) recyclable.add(t);
        return batch as T;
      };
      let run: T[] = [];
      for await (const element of source) {
        run.push(element);
        if (run.length === batchSize) {
          yield emit(run);
          run = [];
        }
      }
      if (run.length > 0 && !dropRemainder) yield emit(run);
    }, size);
  }

  /** The rows of each element (every tensor of an element must have the same length on axis 0). */
  unbatch(): Dataset<T> {
    return this.derive(
      async function* (source) {
        for await (const element of source) {
          const n = sharedLength(element as Element, 'Dataset.unbatch');
          const columns = leaves(element as Element, 'Dataset.unbatch');
          for (let i = 0; i < n; i++)
            yield rebuild(
              element as Element,
              columns.map((t) => row(t, i)),
            ) as T;
        }
      },
      this.size === INFINITE ? INFINITE : UNKNOWN,
    );
  }

  /**
   * Shuffles through a buffer of `bufferSize` elements (tf.data's rule: each output is drawn at random
   * from the buffer and its place refilled from the source), so a buffer at least as large as the
   * dataset gives a uniform permutation. With a seed, the same seed gives the same orders; without,
   * the orders follow nr.setSeed.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    count(bufferSize, 'bufferSize', 'Dataset.shuffle', 1);
    const { seed, reshuffleEachIteration = true } = parseOptions<ShuffleOptions>('Dataset.shuffle', options, {
      keys: { seed: is.integer, reshuffleEachIteration: is.boolean },
    });
    // One stream per dataset: iteration k draws its order from the k-th seed of that stream.
    const seeds = new Random(seed ?? globalRandom().nextUint32());
    const fixed = seeds.nextUint32();
    return this.derive(async function* (source) {
      const random = new Random(reshuffleEachIteration ? seeds.nextUint32() : fixed);
      const buffer: T[] = [];
      for await (const element of source) {
        if (buffer.length < bufferSize) {
          buffer.push(element);
          continue;
        }
        const j = random.nextInt(bufferSize);
        const out = buffer[j]!;
        buffer[j] = element;
        yield out;
      }
      while (buffer.length > 0) {
        const j = random.nextInt(buffer.length);
        const out = buffer[j]!;
        buffer[j] = buffer[buffer.length - 1]!;
        buffer.pop();
        yield out;
      }
    });
  }

  /**
   * Produces up to `bufferSize` elements ahead of the consumer ('auto' is 2), so that the source's
   * asynchronous work (decoding, workers, I/O) overlaps with what the consumer does meanwhile.
   */
  prefetch(bufferSize: number | 'auto'): Dataset<T> {
    const ahead = inFlight(bufferSize, 'Dataset.prefetch');
    return this.derive((source) => ordered(source, ahead, (r) => Promise.resolve(r)));
  }

  /**
   * Keeps the elements in memory on the first complete iteration and serves them from there after;
   * an iteration stopped early caches nothing.
   */
  cache(): Dataset<T> {
    let stored: T[] | null = null;
    const source = this;
    return new Dataset(async function* () {
      if (stored) {
        yield* stored;
        return;
      }
      const run: T[] = [];
      // Read as a user would: the kept batches are never marked recyclable.
      for await (const element of source) {
        run.push(element);
        yield element;
      }
      stored = run;
    }, this.size);
  }

  /** The first `n` elements (all of them when n is -1). */
  take(n: number): Dataset<T> {
    count(n, 'n', 'Dataset.take', -1);
    if (n === -1) return this;
    const m = this.size;
    return this.derive(
      async function* (source) {
        if (n === 0) return;
        let i = 0;
        for await (const element of source) {
          yield element;
          if (++i >= n) return;
        }
      },
      m === UNKNOWN ? UNKNOWN : m === INFINITE ? n : Math.min(m, n),
    );
  }

  /** All but the first `n` elements (none when n is -1). */
  skip(n: number): Dataset<T> {
    count(n, 'n', 'Dataset.skip', -1);
    const m = this.size;
    if (n === -1) return new Dataset(async function* () {}, m === INFINITE ? INFINITE : 0);
    return this.derive(
      async function* (source) {
        let i = 0;
        for await (const element of source) if (i++ >= n) yield element;
      },
      m < 0 ? m : Math.max(0, m - n),
    );
  }

  /** The dataset `count` times over (forever when count is undefined or -1). */
  repeat(count?: number): Dataset<T> {
    const times = count === undefined ? -1 : count;
    if (!Number.isInteger(times) || times < -1)
      throw configError('Dataset.repeat', { expected: 'count must be an integer >= -1', got: show(count) });
    const m = this.size;
    const size = times === -1 ? (m === 0 ? 0 : INFINITE) : times === 0 ? 0 : m < 0 ? m : m * times;
    const source = this;
    return new Dataset(async function* (recycle) {
      for (let k = 0; times === -1 || k < times; k++) {
        let any = false;
        for await (const element of source.iterable(recycle)) {
          any = true;
          yield element;
        }
        // An empty source repeated forever would spin without yielding.
        if (!any) return;
      }
    }, size);
  }

  /** This dataset's elements, then `other`'s. */
  concatenate(other: Dataset<T>): Dataset<T> {
    if (!(other instanceof Dataset)) throw configError('Dataset.concatenate', { expected: 'other must be a Dataset', got: show(other) });
    const source = this;
    return new Dataset(
      async function* (recycle) {
        yield* source.iterable(recycle);
        yield* other.iterable(recycle);
      },
      sum(this.size, other.size),
    );
  }

  /** Every element, in order, in an array (iterates once; an endless dataset never returns). */
  async toArray(): Promise<T[]> {
    if (this.size === INFINITE) {
      throw configError('Dataset.toArray', { expected: 'a finite dataset', got: 'an infinite one', hint: 'call take(n) first' });
    }
    const out: T[] = [];
    for await (const element of this) out.push(element);
    return out;
  }

  /** A dataset over this one through `step`, with this one's cardinality unless given. */
  private derive<U>(step: (source: AsyncIterable<T>, recycle: boolean) => AsyncIterator<U>, size = this.size): Dataset<U> {
    return new Dataset((recycle) => step(this.iterable(recycle), recycle), size);
  }

  /** derive for a stage that shows elements to user code (map, filter): its source's batches are never recyclable. */
  private deriveShown<U>(step: (source: AsyncIterable<T>) => AsyncIterator<U>, size = this.size): Dataset<U> {
    return new Dataset(() => step(this.iterable(false)), size);
  }

  private iterable(recycle: boolean): AsyncIterable<T> {
    return { [Symbol.asyncIterator]: () => this.source(recycle) };
  }
}

/**
 * The results of `work` on the source's elements, in the source's order, with up to `ahead` of them
 * in flight. Pulls from the source are chained, so the source still sees one `next()` at a time.
 */
async function* ordered<T, U>(source: AsyncIterable<T>, ahead: number, work: (element: T) => Promise<U>): AsyncGenerator<U> {
  const iterator = source[Symbol.asyncIterator]();
  const queue: Promise<IteratorResult<U>>[] = [];
  let chain: Promise<unknown> = Promise.resolve();
  let ended = false;
  const pull = () => {
    const next = chain.then(() => (ended ? { done: true as const, value: undefined } : iterator.next()));
    chain = next.then(
      (r) => {
        if (r.done) ended = true;
      },
      () => {
        ended = true;
      },
    );
    const result = next.then((r): Promise<IteratorResult<U>> | IteratorResult<U> =>
      r.done ? { done: true, value: undefined } : work(r.value).then((value) => ({ done: false, value })),
    );
    // Marked as handled here: a failure surfaces when the consumer reaches it, not as an unhandled rejection.
    result.catch(() => {});
    queue.push(result);
  };
  try {
    for (let i = 0; i < ahead; i++) pull();
    for (;;) {
      const r = await queue.shift()!;
      if (r.done) return;
      pull();
      yield r.value;
    }
  } finally {
    ended = true;
    await chain;
    await iterator.return?.();
  }
}
