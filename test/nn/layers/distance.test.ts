import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { assert, assertClose, gradCheck, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('distance layers pass the shared layer test', () => {
  const pair = [
    [3, 4],
    [3, 4],
  ];
  runLayerTest(() => new nr.layers.L1Distance(), { inputShape: pair, expectedOutputShape: [3, 1] });
  runLayerTest(() => new nr.layers.L2Distance(), { inputShape: pair, expectedOutputShape: [3, 1] });
  runLayerTest(() => new nr.layers.CosineSimilarity(), { inputShape: pair, expectedOutputShape: [3, 1] });
  runLayerTest(() => new nr.layers.CosineSimilarity({ axis: 1 }), {
    inputShape: [
      [2, 3, 2],
      [2, 3, 2],
    ],
    expectedOutputShape: [2, 1, 2],
  });
});

test('distance layers compute their closed forms', () => {
  const a = nr.tensor([
    [1, 2, 3],
    [0, 0, 0],
  ]);
  const b = nr.tensor([
    [4, -2, 3],
    [0, 0, 0],
  ]);
  assertClose(new nr.layers.L1Distance().apply([a, b]), [7, 0]);
  assertClose(new nr.layers.L2Distance({ epsilon: 0 }).apply([a, b]), [5, 0]);
  // The epsilon sits inside the root: sqrt(25 + 1e-7) and sqrt(1e-7) at a coincident pair.
  assertClose(new nr.layers.L2Distance().apply([a, b]), [Math.sqrt(25 + 1e-7), Math.sqrt(1e-7)], { rtol: 1e-6, atol: 1e-9 });
  // cos = (4 - 4 + 9) / (sqrt(14) * sqrt(29)); a zero vector gives 0, not NaN.
  assertClose(new nr.layers.CosineSimilarity().apply([a, b]), [9 / Math.sqrt(14 * 29), 0]);
  assert.deepEqual(new nr.layers.CosineSimilarity({ axis: 1 }).getConfig().axis, 1);
});

test('L2Distance has a finite gradient where the two embeddings coincide', () => {
  const a = nr.tensor([[1, 2]], undefined, 'float64');
  a.requiresGrad = true;
  new nr.layers.L2Distance()
    .apply([a, nr.tensor([[1, 2]], undefined, 'float64')])
    .sum()
    .backward();
  assert.deepEqual(a.grad!.toArray(), [[0, 0]]);
  gradCheck(
    (x, y) => new nr.layers.L2Distance().apply([x, y]),
    [nr.tensor([[1, 2.5, -1]], undefined, 'float64'), nr.tensor([[1, 2, 0]], undefined, 'float64')],
  );
});

test('a Siamese model with a shared encoder and a distance head saves and loads with bitwise-equal predictions', async () => {
  nr.setSeed(5);
  const encoder = new nr.Sequential([nr.Input({ shape: [4] }), new nr.layers.Dense(3, { activation: 'tanh' })]);
  const left = nr.Input({ shape: [4] });
  const right = nr.Input({ shape: [4] });
  const [ea, eb] = [encoder.apply(left), encoder.apply(right)];
  const outputs = [new nr.layers.L2Distance().apply([ea, eb]), new nr.layers.L1Distance().apply([ea, eb])];
  const model = new nr.Model({ inputs: [left, right], outputs: [...outputs, new nr.layers.CosineSimilarity().apply([ea, eb])] });
  model.compile({ optimizer: 'adam', loss: new nr.losses.ContrastiveLoss({ margin: 2 }) });
  const x = [nr.randn([5, 4]), nr.randn([5, 4])];
  const before = model.predict(x) as unknown as nr.Tensor[];
  const dir = mkdtempSync(join(tmpdir(), 'neurona-distance-'));
  try {
    await model.save(join(dir, 'm'));
    const loaded = await nr.loadModel(join(dir, 'm'));
    // The loss comes back with its margin, so training can go on where it stopped.
    assert.equal((loaded.compiled!.losses[0] as nr.losses.ContrastiveLoss).margin, 2);
    const after = loaded.predict(x) as unknown as nr.Tensor[];
    assert.equal(after.length, 3);
    after.forEach((t, i) => {
      assert.deepEqual(t.shape, [5, 1]);
      assert.deepEqual(Array.from(t.data()), Array.from(before[i]!.data()));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('distance layers reject misuse with messages that name the layer and the fix', () => {
  assert.throws(() => new nr.layers.L2Distance({ name: 'dist' }).apply(nr.ones([2, 3])), /L2Distance "dist".*(list|two inputs)/s);
  assert.throws(
    () => new nr.layers.L1Distance({ name: 'l1' }).apply([nr.ones([2, 3]), nr.ones([2, 4])]),
    (e: Error) => e instanceof nr.ShapeError && /L1Distance "l1".*one shape.*same encoder/s.test(e.message),
  );
  assert.throws(
    () => new nr.layers.CosineSimilarity({ axis: 0 }).apply([nr.ones([2, 3]), nr.ones([2, 3])]),
    /CosineSimilarity.*axis 0 is out of range/s,
  );
  assert.throws(() => new nr.layers.L2Distance({ epsilon: -1 }), /L2Distance.*epsilon must be >= 0/s);
  assert.throws(() => new nr.layers.L1Distance({ axes: 1 } as never), /axis/);
});
