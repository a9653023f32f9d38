import { test } from 'node:test';
import { assert, nr } from '../helpers.js';

const R = nr.random;
const stats = (t: nr.Tensor) => {
  const v = Array.from(t.data());
  const mean = v.reduce((a, b) => a + b, 0) / v.length;
  return { mean, std: Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / v.length), min: Math.min(...v), max: Math.max(...v) };
};

test('nr.random seeds: a number repeats its draw and leaves the global stream alone; a SeedGenerator advances; none follows nr.setSeed', () => {
  nr.setSeed(5);
  const expected = nr.randn([4]).toArray();
  nr.setSeed(5);
  const a = R.normal([3], { seed: 11 }).toArray();
  assert.deepEqual(R.normal([3], { seed: 11 }).toArray(), a);
  assert.deepEqual(nr.randn([4]).toArray(), expected, 'a seeded draw must not move the global stream');
  const [g1, g2] = [new R.SeedGenerator(42), new R.SeedGenerator(42)];
  const first = R.uniform([3], { seed: g1 }).toArray();
  assert.notDeepEqual(R.uniform([3], { seed: g1 }).toArray(), first, 'a SeedGenerator gives new values on each call');
  assert.deepEqual(R.uniform([3], { seed: g2 }).toArray(), first, 'the same generator seed gives the same sequence');
  nr.setSeed(9);
  const b = R.normal([5]).toArray();
  nr.setSeed(9);
  assert.deepEqual(R.normal([5]).toArray(), b);
});

test('normal, truncatedNormal, uniform and randint: moments and ranges on 20,000 draws', () => {
  const n = stats(R.normal([20000], { mean: 2, stddev: 3, seed: 1 }));
  assert.ok(Math.abs(n.mean - 2) < 0.08 && Math.abs(n.std - 3) < 0.08, JSON.stringify(n));
  const t = stats(R.truncatedNormal([20000], { mean: 1, stddev: 0.5, seed: 2, dtype: 'float64' }));
  // A standard normal cut at +-2 has standard deviation 0.8796.
  assert.ok(t.min >= 0 && t.max <= 2 && Math.abs(t.std - 0.5 * 0.8796) < 0.01 && Math.abs(t.mean - 1) < 0.02, JSON.stringify(t));
  const u = stats(R.uniform([20000], { minval: -1, maxval: 3, seed: 3 }));
  assert.ok(u.min >= -1 && u.max < 3 && Math.abs(u.mean - 1) < 0.05, JSON.stringify(u));
  const r = R.randint([20000], -2, 3, { seed: 4 });
  assert.equal(r.dtype, 'int32');
  assert.deepEqual([...new Set(r.data())].sort(), [-1, -2, 0, 1, 2].sort());
});

test('categorical draws classes with the softmax frequencies of the logits; binomial has mean n p', () => {
  const logits = nr.tensor([
    [Math.log(0.2), Math.log(0.5), Math.log(0.3)],
    [0, 0, 50],
  ]);
  const s = R.categorical(logits, 10000, { seed: 5 });
  assert.deepEqual(s.shape, [2, 10000]);
  const counts = [0, 1, 2].map(
    (k) =>
      s
        .data()
        .slice(0, 10000)
        .filter((v) => v === k).length / 10000,
  );
  [0.2, 0.5, 0.3].forEach((p, k) => assert.ok(Math.abs(counts[k]! - p) < 0.02, `class ${k}: ${counts[k]} vs ${p}`));
  assert.ok(
    s
      .data()
      .slice(10000)
      .every((v) => v === 2),
  );
  const b = stats(R.binomial([5000], 10, 0.3, { seed: 6 }));
  assert.ok(Math.abs(b.mean - 3) < 0.08 && b.min >= 0 && b.max <= 10, JSON.stringify(b));
  const bern = R.binomial([2, 2000], 1, [[0], [1]], { seed: 7 }).data();
  assert.ok(bern.slice(0, 2000).every((v) => v === 0) && bern.slice(2000).every((v) => v === 1), 'probabilities broadcast per row');
});

test('shuffle permutes along an axis (differentiably); dropout keeps 1 - rate and rescales', () => {
  const x = nr.arange(12).reshape([3, 4]).cast('float64');
  const s = R.shuffle(x, { axis: 1, seed: 8 });
  const rows = s.toArray() as number[][];
  rows.forEach((row, i) =>
    assert.deepEqual(
      [...row].sort((a, b) => a - b),
      [0, 1, 2, 3].map((j) => 4 * i + j),
    ),
  );
  assert.deepEqual(
    rows.map((r) => r.map((v) => v % 4)),
    [0, 1, 2].map(() => rows[0]!.map((v) => v % 4)),
    'one permutation for every row',
  );
  const [g] = nr.grad((a) =>
    R.shuffle(a, { seed: 8 })
      .mul(nr.tensor([[1], [2], [3]], undefined, 'float64'))
      .sum(),
  )(x);
  assert.deepEqual(
    (g!.sum(1).toArray() as number[]).sort((a, b) => a - b),
    [4, 8, 12],
  );
  const d = R.dropout(nr.ones([10000]), 0.25, { seed: 9 }).data();
  const kept = d.filter((v) => v !== 0);
  assert.ok(Math.abs(kept.length / 10000 - 0.75) < 0.02 && kept.every((v) => Math.abs(v - 4 / 3) < 1e-6));
});

test('nr.random rejects bad shapes, seeds, bounds and dtypes, naming the function', () => {
  const fails = (fn: () => unknown, pattern: RegExp, kind: typeof nr.NeuronaError = nr.NeuronaError) =>
    assert.throws(fn, (e: Error) => e instanceof kind && pattern.test(e.message), String(pattern));
  fails(
    () => R.normal([2], { seed: Number.NaN }),
    /random\.normal: seed must be a finite number, a nr\.random\.SeedGenerator or null/,
    nr.ConfigError,
  );
  fails(() => R.normal([2], { dtype: 'int32' }), /random\.normal: .*float dtype/, nr.DTypeError);
  fails(() => R.normal([-1]), /random\.normal/);
  fails(() => R.uniform([2], { minval: 1, maxval: 1 }), /random\.uniform: maxval must be greater than minval 1/, nr.ConfigError);
  fails(() => R.randint([2], 0, 0.5), /random\.randint: minval and maxval must be integers/, nr.ConfigError);
  fails(() => R.categorical([1, 2], 3), /random\.categorical: logits must have shape \[batch, classes\]/, nr.ConfigError);
  fails(() => R.binomial([2], 3, 1.5), /random\.binomial: counts must be integers >= 0 and probabilities in \[0, 1\]/, nr.ConfigError);
  fails(() => R.binomial([2], 3, [0.1, 0.2, 0.3]), /random\.binomial: probabilities must broadcast to the shape \[2\]/, nr.ConfigError);
  fails(() => R.dropout(nr.ones([2]), 1), /random\.dropout: rate must be in \[0, 1\)/, nr.ConfigError);
});
