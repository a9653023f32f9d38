import { test } from 'node:test';
import { nr, assert } from '../helpers.js';

/*
 * nr.data.Dataset, method by method, against closed forms: the orders and counts each method must
 * give on a range, tf.data's cardinality rules, the seeded shuffle's guarantees, and the errors.
 */

const { Dataset } = nr.data;

/** The scalar values of a dataset of scalar tensors. */
async function values(ds: nr.data.Dataset<nr.Tensor>): Promise<number[]> {
  return (await ds.toArray()).map((t) => t.item());
}

const range = (start: number, stop: number, step = 1) =>
  Array.from({ length: Math.max(0, Math.ceil((stop - start) / step)) }, (_, i) => start + i * step);

test('range follows Python: one, two and three arguments, negative steps, empty ranges', async () => {
  assert.deepEqual(await values(Dataset.range(5)), [0, 1, 2, 3, 4]);
  assert.deepEqual(await values(Dataset.range(2, 9, 3)), [2, 5, 8]);
  assert.deepEqual(await values(Dataset.range(5, 0, -2)), [5, 3, 1]);
  assert.deepEqual(await values(Dataset.range(3, 3)), []);
  assert.equal(Dataset.range(2, 9, 3).cardinality(), 3);
  assert.equal(Dataset.range(5, 0).cardinality(), 0);
  const [first] = await Dataset.range(1).toArray();
  assert.deepEqual([first!.shape, first!.dtype], [[], 'int32']);
});

test('fromTensorSlices slices every tensor of a tuple or object along axis 0, sharing storage', async () => {
  const x = nr.tensor([
    [1, 2],
    [3, 4],
    [5, 6],
  ]);
  const y = nr.tensor([7, 8, 9], undefined, 'int32');
  const tuple = await Dataset.fromTensorSlices([x, y]).toArray();
  assert.deepEqual(
    tuple.map(([a, b]) => [a.toArray(), b.item()]),
    [
      [[1, 2], 7],
      [[3, 4], 8],
      [[5, 6], 9],
    ],
  );
  assert.equal(tuple[1]![0].data().buffer, x.data().buffer);
  const named = await Dataset.fromTensorSlices({ image: x, label: { id: y } }).toArray();
  assert.deepEqual(Object.keys(named[2]!), ['image', 'label']);
  assert.equal(named[2]!.label.id.item(), 9);
  assert.equal(Dataset.fromTensorSlices({ image: x, label: y }).cardinality(), 3);
});

test('batch stacks runs of elements; the last is shorter unless dropRemainder; unbatch undoes it', async () => {
  const batches = await Dataset.range(7).batch(3).toArray();
  assert.deepEqual(
    batches.map((b) => b.toArray()),
    [[0, 1, 2], [3, 4, 5], [6]],
  );
  assert.equal(Dataset.range(7).batch(3).cardinality(), 3);
  assert.deepEqual(
    (await Dataset.range(7).batch(3, { dropRemainder: true }).toArray()).map((b) => b.toArray()),
    [
      [0, 1, 2],
      [3, 4, 5],
    ],
  );
  assert.equal(Dataset.range(7).batch(3, { dropRemainder: true }).cardinality(), 2);
  // Keras's spelling is accepted as everywhere in neurona.
  assert.equal(
    (
      await Dataset.range(7)
        .batch(3, { drop_remainder: true } as never)
        .toArray()
    ).length,
    2,
  );
  assert.deepEqual(await values(Dataset.range(7).batch(3).unbatch()), range(0, 7));
  const x = nr.arange(0, 24).reshape([6, 2, 2]);
  const pairs = await Dataset.fromTensorSlices([x, nr.arange(0, 6)])
    .batch(4)
    .toArray();
  assert.deepEqual(pairs[0]![0].shape, [4, 2, 2]);
  assert.deepEqual(pairs[1]![0].toArray(), x.slice([4], [2]).toArray());
  assert.deepEqual(pairs[1]![1].toArray(), [4, 5]);
  assert.equal(Dataset.range(4).batch(2).unbatch().cardinality(), Dataset.UNKNOWN);
});

test('map applies sync and async functions in order; parallel calls overlap but keep the order', async () => {
  assert.deepEqual(await values(Dataset.range(4).map((t) => t.mul(10))), [0, 10, 20, 30]);
  let running = 0;
  let most = 0;
  const slowFirst = Dataset.range(8).map(
    async (t) => {
      running++;
      most = Math.max(most, running);
      // Early elements take longest, so finishing order is the reverse of the input order.
      await new Promise((resolve) => setTimeout(resolve, 2 * (8 - t.item())));
      running--;
      return t.add(1);
    },
    { numParallelCalls: 4 },
  );
  assert.deepEqual(await values(slowFirst), range(1, 9));
  assert.equal(most, 4);
  assert.equal(slowFirst.cardinality(), 8);
});

test('filter keeps the elements whose predicate is true (booleans or scalar tensors)', async () => {
  assert.deepEqual(await values(Dataset.range(10).filter((t) => t.item() % 3 === 0)), [0, 3, 6, 9]);
  assert.deepEqual(await values(Dataset.range(6).filter(async (t) => nr.tensor(t.item() > 3 ? 1 : 0))), [4, 5]);
  assert.equal(
    Dataset.range(6)
      .filter(() => true)
      .cardinality(),
    Dataset.UNKNOWN,
  );
  await assert.rejects(
    Dataset.range(2)
      .filter(() => 'yes' as unknown as boolean)
      .toArray(),
    /Dataset.filter: the predicate must return a boolean/,
  );
  await assert.rejects(
    Dataset.range(2)
      .filter(() => nr.tensor([1, 1]))
      .toArray(),
    /Dataset.filter: the predicate must return a boolean or a one-element tensor, got a float32 tensor of shape \[2\]/,
  );
});

test('take, skip, repeat and concatenate give the closed-form sequences and cardinalities', async () => {
  assert.deepEqual(await values(Dataset.range(10).take(3)), [0, 1, 2]);
  assert.deepEqual(await values(Dataset.range(10).skip(7)), [7, 8, 9]);
  assert.deepEqual(await values(Dataset.range(3).repeat(3)), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
  assert.deepEqual(await values(Dataset.range(3).repeat().skip(2).take(5)), [2, 0, 1, 2, 0]);
  assert.deepEqual(await values(Dataset.range(2).concatenate(Dataset.range(5, 7))), [0, 1, 5, 6]);
  assert.deepEqual(await values(Dataset.range(4).take(-1)), [0, 1, 2, 3]);
  assert.deepEqual(await values(Dataset.range(4).skip(-1)), []);
  const cases: [nr.data.Dataset<nr.Tensor>, number][] = [
    [Dataset.range(10).take(3), 3],
    [Dataset.range(2).take(3), 2],
    [Dataset.range(10).skip(3), 7],
    [Dataset.range(2).skip(3), 0],
    [Dataset.range(3).repeat(4), 12],
    [Dataset.range(3).repeat(), Dataset.INFINITE],
    [Dataset.range(0).repeat(), 0],
    [Dataset.range(3).repeat().take(7), 7],
    [Dataset.range(3).repeat().skip(7), Dataset.INFINITE],
    [Dataset.range(2).concatenate(Dataset.range(3)), 5],
    [Dataset.range(2).concatenate(Dataset.range(3).repeat()), Dataset.INFINITE],
    [
      Dataset.range(2)
        .filter(() => true)
        .repeat(2),
      Dataset.UNKNOWN,
    ],
    [
      Dataset.range(2)
        .filter(() => true)
        .repeat(),
      Dataset.INFINITE,
    ],
    [Dataset.range(9).repeat().batch(4), Dataset.INFINITE],
  ];
  for (const [i, [ds, expected]] of cases.entries()) assert.equal(ds.cardinality(), expected, `case ${i}`);
  // An empty dataset repeated forever ends instead of spinning.
  assert.deepEqual(await values(Dataset.range(0).repeat()), []);
});

test('zip pairs elements of an array or object of datasets and ends with the shortest', async () => {
  const pairs = await Dataset.zip([Dataset.range(3), Dataset.range(10, 20)]).toArray();
  assert.deepEqual(
    pairs.map(([a, b]) => [a.item(), b.item()]),
    [
      [0, 10],
      [1, 11],
      [2, 12],
    ],
  );
  const named = await Dataset.zip({ a: Dataset.range(2), b: Dataset.range(5, 9) }).toArray();
  assert.deepEqual(
    named.map((e) => [e.a.item(), e.b.item()]),
    [
      [0, 5],
      [1, 6],
    ],
  );
  assert.equal(Dataset.zip([Dataset.range(3), Dataset.range(5)]).cardinality(), 3);
  assert.equal(Dataset.zip([Dataset.range(3).repeat(), Dataset.range(5)]).cardinality(), 5);
  assert.equal(Dataset.zip([Dataset.range(3).repeat(), Dataset.range(5).repeat()]).cardinality(), Dataset.INFINITE);
  assert.equal(Dataset.zip([Dataset.range(3).filter(() => true), Dataset.range(5)]).cardinality(), Dataset.UNKNOWN);
});

test('shuffle: a permutation, seeded orders repeat, each iteration reshuffles unless told not to', async () => {
  const n = 50;
  const a = Dataset.range(n).shuffle(n, { seed: 42 });
  const first = await values(a);
  assert.deepEqual(
    [...first].sort((p, q) => p - q),
    range(0, n),
  );
  assert.notDeepEqual(first, range(0, n));
  const second = await values(a);
  assert.notDeepEqual(second, first);
  // A fresh dataset with the same seed walks the same sequence of orders.
  const b = Dataset.range(n).shuffle(n, { seed: 42 });
  assert.deepEqual(await values(b), first);
  assert.deepEqual(await values(b), second);
  assert.notDeepEqual(await values(Dataset.range(n).shuffle(n, { seed: 43 })), first);
  const fixed = Dataset.range(n).shuffle(n, { seed: 42, reshuffleEachIteration: false });
  assert.deepEqual(await values(fixed), await values(fixed));
  // Without a seed the orders follow nr.setSeed.
  nr.setSeed(5);
  const c = await values(Dataset.range(n).shuffle(n));
  nr.setSeed(5);
  assert.deepEqual(await values(Dataset.range(n).shuffle(n)), c);
  // A buffer of one keeps the order.
  assert.deepEqual(await values(Dataset.range(n).shuffle(1, { seed: 3 })), range(0, n));
});

test('shuffle draws from a window: element i cannot come out before position i - bufferSize + 1', async () => {
  const n = 200;
  const bufferSize = 8;
  for (const seed of [1, 2, 3]) {
    const order = await values(Dataset.range(n).shuffle(bufferSize, { seed }));
    assert.deepEqual(
      [...order].sort((p, q) => p - q),
      range(0, n),
    );
    for (const [position, i] of order.entries()) assert.ok(position >= i - bufferSize + 1, `element ${i} came out at ${position}`);
    assert.notDeepEqual(order, range(0, n));
  }
});

test('cache keeps the first complete iteration: the source runs once', async () => {
  let calls = 0;
  const ds = Dataset.fromGenerator(function* () {
    calls++;
    for (let i = 0; i < 4; i++) yield nr.tensor(Math.random());
  }).cache();
  const first = await values(ds);
  assert.deepEqual(await values(ds), first);
  assert.equal(calls, 1);
  // A partial first iteration caches nothing: the next one runs the source again.
  let partialCalls = 0;
  const partial = Dataset.fromGenerator(function* () {
    partialCalls++;
    for (let i = 0; i < 4; i++) yield nr.tensor(i);
  }).cache();
  assert.deepEqual(await values(partial.take(2)), [0, 1]);
  assert.deepEqual(await values(partial), [0, 1, 2, 3]);
  assert.deepEqual(await values(partial), [0, 1, 2, 3]);
  assert.equal(partialCalls, 2);
});

test('fromGenerator takes sync and async generators, calls them once per iteration, UNKNOWN length', async () => {
  const sync = Dataset.fromGenerator(function* () {
    yield nr.tensor(1);
    yield nr.tensor(2);
  });
  assert.deepEqual(await values(sync), [1, 2]);
  assert.deepEqual(await values(sync), [1, 2]);
  assert.equal(sync.cardinality(), Dataset.UNKNOWN);
  const asyncDs = Dataset.fromGenerator(async function* () {
    for (let i = 0; i < 3; i++) {
      await new Promise((resolve) => setTimeout(resolve, 1));
      yield nr.tensor(i);
    }
  });
  assert.deepEqual(await values(asyncDs.batch(2).unbatch()), [0, 1, 2]);
});

test('prefetch keeps the next elements in production while the consumer works', async () => {
  let produced = 0;
  const ds = Dataset.fromGenerator(async function* () {
    for (let i = 0; i < 6; i++) {
      produced++;
      yield nr.tensor(i);
    }
  });
  const seen: number[] = [];
  for await (const t of ds.prefetch(2)) {
    // Give the producer turns: with 2 in flight it stays 2 ahead of what has been consumed.
    for (let k = 0; k < 10; k++) await Promise.resolve();
    seen.push(produced - t.item() - 1);
  }
  assert.deepEqual(seen.slice(0, 4), [2, 2, 2, 2]);
  assert.deepEqual(await values(Dataset.range(5).prefetch('auto')), range(0, 5));
  assert.equal(Dataset.range(5).prefetch(3).cardinality(), 5);
});

test('a prefetched async map overlaps with the consumer: counted overlaps, not timings', async () => {
  /** How many elements had their map call started before the consumer finished with the one before. */
  const overlaps = async (prefetch: boolean) => {
    let started = 0;
    let overlapped = 0;
    const mapped = Dataset.range(6).map(async (t) => {
      started++;
      await new Promise((resolve) => setTimeout(resolve, 5));
      return t;
    });
    for await (const t of prefetch ? mapped.prefetch(1) : mapped) {
      // The consumer's own slow step: with prefetch the next element is under way meanwhile.
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (started > t.item() + 1) overlapped++;
    }
    return overlapped;
  };
  assert.equal(await overlaps(true), 5);
  assert.equal(await overlaps(false), 0);
});

test('stopping early closes the source (generators run their finally blocks)', async () => {
  let closed = 0;
  const ds = Dataset.fromGenerator(function* () {
    try {
      for (let i = 0; ; i++) yield nr.tensor(i);
    } finally {
      closed++;
    }
  });
  assert.deepEqual(await values(ds.take(3)), [0, 1, 2]);
  assert.deepEqual(await values(ds.prefetch(2).take(3)), [0, 1, 2]);
  assert.deepEqual(await values(ds.map(async (t) => t, { numParallelCalls: 3 }).take(2)), [0, 1]);
  assert.equal(closed, 3);
});

test('errors in a map surface at the element, with the pipeline closed', async () => {
  const failing = Dataset.range(5)
    .map(async (t) => {
      if (t.item() === 3) throw new Error('bad element 3');
      return t;
    })
    .prefetch(2);
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const t of failing) seen.push(t.item());
  }, /bad element 3/);
  assert.deepEqual(seen, [0, 1, 2]);
});

test('bad arguments are ConfigErrors and ShapeErrors that name the method', async () => {
  assert.throws(
    () => Dataset.fromTensorSlices([nr.ones([3, 2]), nr.ones([4])]),
    (e: Error) => {
      return e instanceof nr.ShapeError && /Dataset.fromTensorSlices: every tensor must have the same length on axis 0 \(3/.test(e.message);
    },
  );
  assert.throws(() => Dataset.fromTensorSlices(nr.tensor(1)), /Dataset.fromTensorSlices: .*scalar/);
  assert.throws(
    () => Dataset.fromTensorSlices([1, 2] as unknown as nr.Tensor),
    /Dataset.fromTensorSlices: dataset elements must be Tensors.*nr.tensor/,
  );
  assert.throws(
    () => Dataset.range(3).batch(0),
    (e: Error) => e instanceof nr.ConfigError && /Dataset.batch: batchSize must be an integer >= 1, got 0/.test(e.message),
  );
  assert.throws(() => Dataset.range(3).batch(2, { dropRemainders: true } as never), /dropRemainder/);
  assert.throws(() => Dataset.range(3).shuffle(0), /Dataset.shuffle: bufferSize must be an integer >= 1/);
  assert.throws(() => Dataset.range(3).shuffle(4, { seed: 1.5 }), /seed/);
  assert.throws(() => Dataset.range(3).prefetch(0), /Dataset.prefetch/);
  assert.throws(() => Dataset.range(3).take(-2), /Dataset.take: n must be an integer >= -1/);
  assert.throws(() => Dataset.range(3).repeat(1.5), /Dataset.repeat/);
  assert.throws(() => Dataset.range(3).map(3 as never), /Dataset.map: fn must be a function/);
  assert.throws(() => Dataset.range(3).map((t) => t, { numParallelCalls: 0 }), /Dataset.map \(numParallelCalls\)/);
  assert.throws(() => Dataset.range(1.5), /Dataset.range: stop must be an integer, got 1.5/);
  assert.throws(() => Dataset.range(0, 4, 0), /Dataset.range: step must not be 0/);
  assert.throws(() => Dataset.zip([]), /Dataset.zip/);
  assert.throws(() => Dataset.range(2).concatenate([] as never), /Dataset.concatenate: other must be a Dataset/);
  await assert.rejects(Dataset.range(3).repeat().toArray(), /Dataset.toArray: a finite dataset.*take\(n\)/);
  await assert.rejects(
    Dataset.fromGenerator(() => 5 as never).toArray(),
    /Dataset.fromGenerator: the generator function must return an iterable/,
  );
  const ragged = Dataset.fromGenerator(function* () {
    yield nr.ones([2]);
    yield nr.ones([3]);
  });
  await assert.rejects(ragged.batch(2).toArray(), (e: Error) => {
    return e instanceof nr.ShapeError && /Dataset.batch: .*float32\[2\].*got float32\[3\] for element 1/.test(e.message);
  });
});
