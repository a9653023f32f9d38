import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr, randomFloat64 } from '../helpers.js';

interface TripletCase {
  margin: number;
  p: number;
  swap: boolean;
  shape: number[];
  anchor: number[];
  positive: number[];
  negative: number[];
  perTriplet: number[];
  loss: number;
  gradAnchor: number[];
  gradPositive: number[];
  gradNegative: number[];
}
interface ContrastiveCase {
  margin: number;
  labels: number[];
  distances: number[];
  loss: number;
  grad: number[];
}
interface MiningCase {
  kind: 'hard' | 'all';
  margin: number;
  squared: boolean;
  soft: boolean;
  labels: number[];
  shape: number[];
  embeddings: number[];
  loss: number;
  grad: number[];
}
const fixture = JSON.parse(readFileSync('test/fixtures/siamese/losses_torch.json', 'utf8')) as {
  triplet: TripletCase[];
  contrastive: ContrastiveCase[];
  mining: MiningCase[];
};

const leaf = (values: number[], shape: number[]) => {
  const t = nr.tensor(values, shape, 'float64');
  t.requiresGrad = true;
  return t;
};

test('contrastive loss: the closed form on a hand-made batch, with both spellings of its name', () => {
  // similar at 0.5: 0.25; dissimilar at 0.25 under margin 1: 0.75^2; dissimilar at 1.5: 0.
  const y = nr.tensor([[1], [0], [0]]);
  const d = nr.tensor([[0.5], [0.25], [1.5]]);
  assertClose(nr.losses.contrastive(y, d), [0.25, 0.5625, 0]);
  assertClose([nr.losses.getLoss('contrastive').call(y, d).item()], [(0.25 + 0.5625) / 3]);
  assert.equal(nr.losses.getLoss('contrastive_loss').name, 'contrastive');
  assertClose([new nr.losses.ContrastiveLoss({ margin: 2 }).call(y, d).item()], [(0.25 + 1.75 ** 2 + 0.25) / 3]);
});

test('contrastive loss equals the PyTorch reference, value and gradient', () => {
  assert.equal(fixture.contrastive.length, 2);
  for (const c of fixture.contrastive) {
    const d = leaf(c.distances, [c.distances.length, 1]);
    const loss = new nr.losses.ContrastiveLoss({ margin: c.margin }).call(nr.tensor(c.labels, [c.labels.length], 'float64'), d);
    assertClose([loss.item()], [c.loss], { rtol: 1e-12, atol: 1e-14 });
    loss.backward();
    assertClose(d.grad!, c.grad, { rtol: 1e-12, atol: 1e-14 });
  }
});

test('TripletMarginLoss equals torch.nn.TripletMarginLoss (p = 1, 2, 3, swap), values and gradients', () => {
  assert.equal(fixture.triplet.length, 4);
  for (const c of fixture.triplet) {
    const [a, p, n] = [c.anchor, c.positive, c.negative].map((v) => leaf(v, c.shape)) as [nr.Tensor, nr.Tensor, nr.Tensor];
    const options = { margin: c.margin, p: c.p, swap: c.swap };
    const label = JSON.stringify(options);
    assertClose(nr.losses.tripletMarginLoss(a, p, n, options), c.perTriplet, { rtol: 1e-12, atol: 1e-14, message: label });
    const loss = new nr.losses.TripletMarginLoss(options).call(a, p, n);
    assertClose([loss.item()], [c.loss], { rtol: 1e-12, atol: 1e-14, message: label });
    loss.backward();
    assertClose(a.grad!, c.gradAnchor, { rtol: 1e-10, atol: 1e-13, message: `${label} anchor` });
    assertClose(p.grad!, c.gradPositive, { rtol: 1e-10, atol: 1e-13, message: `${label} positive` });
    assertClose(n.grad!, c.gradNegative, { rtol: 1e-10, atol: 1e-13, message: `${label} negative` });
  }
});

test('batch-hard and batch-all triplet losses equal a triplet-by-triplet PyTorch reference, values and gradients', () => {
  assert.equal(fixture.mining.length, 5);
  for (const c of fixture.mining) {
    const e = leaf(c.embeddings, c.shape);
    const options = { margin: c.margin, squared: c.squared };
    const loss = (
      c.kind === 'hard' ? new nr.losses.BatchHardTripletLoss({ ...options, soft: c.soft }) : new nr.losses.BatchAllTripletLoss(options)
    ).call(nr.tensor(c.labels), e);
    const label = JSON.stringify({ kind: c.kind, ...options, soft: c.soft });
    assertClose([loss.item()], [c.loss], { rtol: 1e-10, atol: 1e-13, message: label });
    loss.backward();
    assertClose(e.grad!, c.grad, { rtol: 1e-8, atol: 1e-12, message: label });
  }
});

test('batch-mining losses: closed forms on points of a line, per anchor and averaged', () => {
  // Points 0, 1 (class 0) and 1.5, 3 (class 1), margin 1.
  const y = nr.tensor([0, 0, 1, 1]);
  const e = nr.tensor([[0], [1], [1.5], [3]]);
  assertClose(new nr.losses.BatchHardTripletLoss({ reduction: 'none' }).call(y, e), [0.5, 1.5, 2, 0.5]);
  assertClose([nr.losses.getLoss('batch_hard_triplet').call(y, e).item()], [1.125]);
  // Five of the eight triplets have a loss > 0 (0.5, 1.5, 1, 2, 0.5): the mean is over those five.
  assertClose([nr.losses.getLoss('batchAllTriplet').call(y, e).item()], [1.1], { rtol: 1e-6 });
  assertClose(new nr.losses.BatchAllTripletLoss({ reduction: 'none' }).call(y, e), [0.5, 1.5, 1.5, 0.5]);
  // Squared distances: anchor 0 has d+ = 1, d- = 2.25.
  assertClose(new nr.losses.BatchHardTripletLoss({ squared: true, reduction: 'none' }).call(y, e).slice([0], [1]), [0]);
  // One class only: no triplet, a loss of 0 (not NaN).
  assert.equal(new nr.losses.BatchHardTripletLoss().call(nr.tensor([2, 2]), nr.tensor([[0], [1]])).item(), 0);
  assert.equal(new nr.losses.BatchAllTripletLoss().call(nr.tensor([2, 3]), nr.tensor([[0], [1]])).item(), 0);
  // Sample weights weight each anchor's terms.
  const w = nr.tensor([1, 0, 0, 0]);
  assertClose([new nr.losses.BatchHardTripletLoss().call(y, e, w).item()], [0.5]);
});

test('metric-learning losses: float64 finite-difference gradients', () => {
  const y = nr.tensor([1, 0, 1, 0]);
  gradCheck(
    (d) => new nr.losses.ContrastiveLoss({ margin: 1.5 }).call(y, d),
    [nr.tensor([[0.3], [0.7], [1.2], [2.1]], undefined, 'float64')],
  );
  const [a, p, n] = [randomFloat64([3, 4]), randomFloat64([3, 4]), randomFloat64([3, 4])];
  gradCheck((x, q, r) => new nr.losses.TripletMarginLoss({ margin: 2, swap: true }).call(x, q, r), [a, p, n]);
  gradCheck((x, q, r) => nr.losses.tripletMarginLoss(x, q, r, { p: 3, margin: 2 }), [a, p, n]);
  const labels = nr.tensor([0, 1, 0, 1, 2, 2]);
  const e = randomFloat64([6, 3]);
  gradCheck((x) => new nr.losses.BatchHardTripletLoss({ margin: 2 }).call(labels, x), [e]);
  gradCheck((x) => new nr.losses.BatchHardTripletLoss({ soft: true, squared: true }).call(labels, x), [e]);
  gradCheck((x) => new nr.losses.BatchAllTripletLoss({ margin: 2 }).call(labels, x), [e]);
});

test('metric-learning losses train through compile: batch hard separates two classes', async () => {
  nr.setSeed(3);
  const x = nr.concat([nr.randn([16, 2]).mul(0.3).add(1), nr.randn([16, 2]).mul(0.3).sub(1)], 0);
  const y = nr.tensor([...Array(16).fill(0), ...Array(16).fill(1)]);
  const model = new nr.Sequential([nr.Input({ shape: [2] }), new nr.layers.Dense(4, { activation: 'tanh' }), new nr.layers.Dense(2)]);
  model.compile({ optimizer: 'adam', loss: 'batch_hard_triplet' });
  const history = await model.fit(x, y, { epochs: 30, batchSize: 32, verbose: 0 });
  const losses = history.history.loss!;
  assert.ok(losses.at(-1)! < 0.5 * losses[0]!, `loss ${losses[0]} -> ${losses.at(-1)}`);
});

test('metric-learning losses reject misuse with messages that name the loss and the fix', () => {
  assert.throws(() => nr.losses.contrastive(nr.tensor([[3]]), nr.tensor([[1]])), /contrastive.*similar pair.*got 3 at flat index 0/s);
  assert.throws(
    () => new nr.losses.ContrastiveLoss({ margin: -1 }),
    (e: Error) => e instanceof nr.ConfigError && /margin/.test(e.message),
  );
  assert.throws(() => new nr.losses.TripletMarginLoss({ p: 0.5 }), /TripletMarginLoss.*p must be/s);
  assert.throws(
    () => nr.losses.tripletMarginLoss(nr.ones([2, 3]), nr.ones([2, 3]), nr.ones([2, 4])),
    (e: Error) => e instanceof nr.ShapeError && /tripletMarginLoss.*\[2, 4\]/s.test(e.message),
  );
  assert.throws(
    () => new nr.losses.BatchHardTripletLoss().call(nr.tensor([0, 1, 0]), nr.ones([4, 2])),
    (e: Error) => e instanceof nr.ShapeError && /BatchHardTripletLoss.*class labels \[batch\]/s.test(e.message),
  );
  assert.throws(() => new nr.losses.BatchAllTripletLoss({ reduction: 'sum' }), /BatchAllTripletLoss.*sum_over_batch_size/s);
  assert.throws(() => new nr.losses.BatchHardTripletLoss({ marign: 1 } as never), /margin/);
});
