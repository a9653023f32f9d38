import { test } from 'node:test';
import { assert, assertClose } from '../helpers.js';
import * as nr from '../../src/index.js';
import { Random } from '../../src/core/random.js';
import { SOM, type SOMOptions } from '../../src/classic/index.js';
import { decayed } from '../../src/classic/som.js';

/** 2,000 points uniform in the unit square, from a fixed seed. */
function unitSquare(samples = 2000, seed = 123): nr.Tensor {
  const random = new Random(seed);
  const values = new Float32Array(samples * 2);
  for (let i = 0; i < values.length; i++) values[i] = random.next();
  return nr.tensor(values, [samples, 2]);
}

const square = unitSquare();

// The bound: 100 prototypes spread evenly over the unit square sit on a lattice of spacing
// h = 0.1; the mean distance from a uniform point to the centre of its h x h cell is
// h * (sqrt(2) + ln(1 + sqrt(2))) / 6 = 0.0383. A trained SOM is a little worse, because the final
// neighbourhood (sigma = 1) pulls the border units inwards; we allow 0.055, a bit over half the grid
// spacing. (Measured: 0.047 to 0.052.) The QE bound alone would also hold for 100 random data points
// (about 0.05), so the topographic error < 5% is what shows the map is ordered; an unordered map
// has a topographic error near 1 (checked below).
const QUANTIZATION_BOUND = 0.055;

for (const mode of ['online', 'batch'] as const) {
  for (const topology of ['rectangular', 'hexagonal'] as const) {
    test(`${mode} ${topology} 10x10 map on the unit square: quantization error < ${QUANTIZATION_BOUND}, topographic error < 5%`, () => {
      const som = new SOM({ rows: 10, columns: 10, topology, mode, epochs: 10, randomState: 1 }).fit(square);
      const qe = som.quantizationError(square);
      const te = som.topographicError(square);
      assert.ok(qe < QUANTIZATION_BOUND, `quantization error ${qe}`);
      assert.ok(qe > 0.0383 * 0.9, `quantization error ${qe} is below what 100 points can achieve: the metric is wrong`);
      assert.ok(te < 0.05, `topographic error ${te}`);
      // Ordered along the grid (up to rotation and mirroring): along every row, one coordinate of the
      // prototypes moves the same way at almost every step.
      const w = som.codebook.toArray() as number[][][];
      const trend = [0, 1].map((axis) => {
        let sum = 0;
        for (let r = 0; r < 10; r++) for (let c = 0; c < 9; c++) sum += Math.sign(w[r]![c + 1]![axis]! - w[r]![c]![axis]!);
        return Math.abs(sum);
      });
      assert.ok(Math.max(...trend) > 80, `rows are not ordered: |sum of signs| ${trend.join(', ')} of 90`);
    });
  }
}

test('an unordered map (prototypes shuffled across the grid) has a large topographic error', () => {
  const som = new SOM({ randomState: 3, epochs: 5 }).fit(square);
  const weights = som.weights.toArray() as number[][];
  const random = new Random(9);
  for (let i = weights.length - 1; i > 0; i--) {
    const j = random.nextInt(i + 1);
    [weights[i], weights[j]] = [weights[j]!, weights[i]!];
  }
  som.setWeights(weights);
  assert.ok(som.topographicError(square) > 0.5, `topographic error ${som.topographicError(square)}`);
});

test('the same seed gives bitwise identical weights; another seed gives different ones', () => {
  for (const options of [
    { mode: 'online' },
    { mode: 'batch' },
    { mode: 'online', initialization: 'uniform', topology: 'hexagonal', neighborhood: 'bubble' },
  ] as SOMOptions[]) {
    const fit = (seed: number) => new SOM({ rows: 6, columns: 7, epochs: 3, randomState: seed, ...options }).fit(square).weights.data();
    assert.deepEqual(fit(5), fit(5), JSON.stringify(options));
    assert.notDeepEqual(fit(5), fit(6), JSON.stringify(options));
  }
  // Without randomState the stream comes from nr.setSeed.
  nr.setSeed(11);
  const a = new SOM({ rows: 4, columns: 4, epochs: 2 }).fit(square).weights.data();
  nr.setSeed(11);
  const b = new SOM({ rows: 4, columns: 4, epochs: 2 }).fit(square).weights.data();
  assert.deepEqual(a, b);
});

test('online and batch training give different maps of similar quality', () => {
  const online = new SOM({ epochs: 10, randomState: 2, mode: 'online' }).fit(square);
  const batch = new SOM({ epochs: 10, randomState: 2, mode: 'batch' }).fit(square);
  assert.notDeepEqual(online.weights.data(), batch.weights.data());
  assert.ok(Math.abs(online.quantizationError(square) - batch.quantizationError(square)) < 0.01);
});

test('bubble neighbourhood and uniform initialization also organize the map', () => {
  const som = new SOM({ neighborhood: 'bubble', initialization: 'uniform', epochs: 10, randomState: 4 }).fit(square);
  assert.ok(som.quantizationError(square) < 0.06, `qe ${som.quantizationError(square)}`);
  assert.ok(som.topographicError(square) < 0.1, `te ${som.topographicError(square)}`);
});

test('predict, transform and quantizationError agree with a direct float64 computation', () => {
  const som = new SOM({ rows: 3, columns: 4, epochs: 2, randomState: 0 }).fit(square);
  const x = square.slice(0, 50);
  const w = som.weights.toArray() as number[][];
  const rows = x.toArray() as number[][];
  const direct = rows.map((p) => w.map((q) => Math.hypot(p[0]! - q[0]!, p[1]! - q[1]!)));
  const transformed = som.transform(x);
  assert.deepEqual(transformed.shape, [50, 12]);
  assertClose(transformed, direct.flat(), { atol: 2e-3, rtol: 1e-3 }); // float32 matmul expansion
  const predicted = som.predict(x);
  assert.equal(predicted.dtype, 'int32');
  assert.deepEqual(
    [...predicted.data()],
    direct.map((d) => d.indexOf(Math.min(...d))),
  );
  const qe = direct.reduce((s, d) => s + Math.min(...d), 0) / 50;
  assertClose([som.quantizationError(x)], [qe], { rtol: 1e-6 });
  assert.deepEqual(som.weights.shape, [12, 2]);
  assert.deepEqual(som.codebook.shape, [3, 4, 2]);
});

test('hexagonal adjacency: six neighbours for inner units, odd rows shifted right', () => {
  const hex = new SOM({ rows: 4, columns: 4, topology: 'hexagonal' });
  const neighbours = (unit: number, som: SOM) => Array.from({ length: 16 }, (_, j) => j).filter((j) => som.adjacent(unit, j));
  // Unit 5 is (row 1, col 1), an odd row: neighbours (1,0) (1,2), (0,1) (0,2), (2,1) (2,2).
  assert.deepEqual(neighbours(5, hex), [1, 2, 4, 6, 9, 10]);
  // Unit 10 is (row 2, col 2), an even row: neighbours (2,1) (2,3), (1,1) (1,2), (3,1) (3,2).
  assert.deepEqual(neighbours(10, hex), [5, 6, 9, 11, 13, 14]);
  assert.deepEqual(neighbours(0, hex), [1, 4]);
  const rect = new SOM({ rows: 4, columns: 4 });
  assert.deepEqual(neighbours(5, rect), [1, 4, 6, 9]);
  assert.ok(!rect.adjacent(0, 5), 'diagonals are not neighbours on a rectangular grid');
  assert.ok(!hex.adjacent(3, 3), 'a unit is not its own neighbour');
});

test('uMatrix on a hand-made codebook', () => {
  // 2x3 rectangular map, 1 feature: prototypes [[0, 1, 3], [0, 1, 7]].
  const som = new SOM({ rows: 2, columns: 3 }).setWeights(nr.tensor([0, 1, 3, 0, 1, 7], [6, 1]));
  const u = som.uMatrix();
  assert.deepEqual(u.shape, [2, 3]);
  // (0,0): |0-1|, |0-0| -> 0.5; (0,1): |1-0|, |1-3|, |1-1| -> 1; (0,2): |3-1|, |3-7| -> 3;
  // (1,0): |0-0|, |0-1| -> 0.5; (1,1): |1-0|, |1-7|, |1-1| -> 7/3; (1,2): |7-1|, |7-3| -> 5.
  assertClose(u, [0.5, 1, 3, 0.5, 7 / 3, 5], { rtol: 1e-6 });
  // Hexagonal 2x2, 2 features: every pair but (0,0)-(1,1)... in odd-r layout unit 2 (1,0) touches 0 and 1.
  const hex = new SOM({ rows: 2, columns: 2, topology: 'hexagonal' }).setWeights([
    [0, 0],
    [3, 4],
    [0, 0],
    [0, 0],
  ]);
  // Neighbours: 0-1, 0-2, 1-2, 1-3, 2-3 (not 0-3). Unit 1 at (3,4) is 5 from each of 0, 2, 3.
  assertClose(hex.uMatrix(), [2.5, 5, 5 / 3, 2.5], { rtol: 1e-6 });
});

test('the decay schedule: initial value at the first step, final value at the last, exponential between', () => {
  assert.equal(decayed(5, 1, 0, 101), 5);
  assertClose([decayed(5, 1, 100, 101)], [1], { rtol: 1e-12 });
  assertClose([decayed(5, 1, 50, 101)], [Math.sqrt(5)], { rtol: 1e-12 }); // geometric mean halfway
  assertClose([decayed(0.5, 0.01, 37, 100)], [0.5 * Math.exp(-37 / (99 / Math.log(50)))], { rtol: 1e-12 });
  assert.equal(decayed(3, 3, 7, 10), 3);
  assert.equal(decayed(3, 1, 0, 1), 3);
});

test('bad input and bad options are NeuronaErrors that say what to change', () => {
  const som = new SOM({ rows: 3, columns: 3, epochs: 1, randomState: 0 });
  assert.throws(
    () => som.predict(square),
    (e: unknown) => e instanceof nr.ConfigError && /not fitted/.test((e as Error).message),
  );
  assert.throws(() => som.uMatrix(), nr.ConfigError);
  assert.throws(() => som.weights, nr.ConfigError);
  som.fit(square);
  assert.throws(
    () => som.predict(nr.zeros([4, 3])),
    (e: unknown) => e instanceof nr.ShapeError && /fitted on 2 features, got X of shape \[4, 3\]/.test((e as Error).message),
  );
  assert.throws(() => som.transform(nr.zeros([4])), nr.ShapeError);
  assert.throws(() => som.fit(nr.zeros([0, 2])), nr.ShapeError);
  assert.throws(
    () =>
      som.fit(
        nr.tensor([
          [0, 1],
          [NaN, 2],
        ]),
      ),
    (e: unknown) => e instanceof nr.NumericsError && /row 1, column 0/.test((e as Error).message),
  );
  assert.throws(() => som.quantizationError(nr.tensor([[0, Infinity]])), nr.NumericsError);
  const bad: SOMOptions[] = [
    { rows: 0 },
    { columns: 2.5 },
    { sigma: -1 },
    { learningRate: 0 },
    { epochs: 0 },
    { sigma: 2, finalSigma: 3 },
    { learningRate: 0.1, finalLearningRate: 0.2 },
    { topology: 'square' as 'hexagonal' },
    { neighborhood: 'mexican' as 'bubble' },
    { mode: 'minibatch' as 'batch' },
    { initialization: 'pca' as 'sample' },
    { randomState: NaN },
  ];
  for (const options of bad) assert.throws(() => new SOM(options), nr.ConfigError, JSON.stringify(options));
  assert.throws(() => new SOM({ rows: 2, columns: 2 }).setWeights(nr.zeros([3, 2])), nr.ShapeError);
});
