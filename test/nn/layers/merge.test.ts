import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';

test('merge layers pass the shared layer test with lists of inputs', () => {
  runLayerTest(() => new nr.layers.Add(), {
    inputShape: [
      [2, 3],
      [2, 3],
      [2, 3],
    ],
    expectedOutputShape: [2, 3],
  });
  runLayerTest(() => new nr.layers.Subtract(), {
    inputShape: [
      [2, 3, 2],
      [2, 1, 2],
    ],
    expectedOutputShape: [2, 3, 2],
  });
  runLayerTest(() => new nr.layers.Multiply(), {
    inputShape: [
      [2, 4],
      [2, 4],
    ],
    expectedOutputShape: [2, 4],
  });
  runLayerTest(() => new nr.layers.Average(), {
    inputShape: [
      [3, 2],
      [3, 2],
    ],
    expectedOutputShape: [3, 2],
  });
  runLayerTest(() => new nr.layers.Maximum(), {
    inputShape: [
      [2, 5],
      [2, 5],
    ],
    expectedOutputShape: [2, 5],
  });
  runLayerTest(() => new nr.layers.Concatenate(), {
    inputShape: [
      [2, 2, 3],
      [2, 2, 1],
    ],
    expectedOutputShape: [2, 2, 4],
  });
  runLayerTest(() => new nr.layers.Concatenate({ axis: 1 }), {
    inputShape: [
      [2, 1, 3],
      [2, 2, 3],
    ],
    expectedOutputShape: [2, 3, 3],
  });
});

test('merge layers compute their values', () => {
  const a = nr.tensor([[1, -2, 3]]);
  const b = nr.tensor([[4, 5, -6]]);
  const c = nr.tensor([[0.5, 0.5, 0.5]]);
  assertClose(new nr.layers.Add().apply([a, b, c]), [5.5, 3.5, -2.5]);
  assertClose(new nr.layers.Subtract().apply([a, b]), [-3, -7, 9]);
  assertClose(new nr.layers.Multiply().apply([a, b, c]), [2, -5, -9]);
  assertClose(new nr.layers.Average().apply([a, b]), [2.5, 1.5, -1.5]);
  assertClose(new nr.layers.Maximum().apply([a, b, c]), [4, 5, 3]);
  assert.deepEqual(new nr.layers.Concatenate().apply([a, b]).toArray(), [[1, -2, 3, 4, 5, -6]]);
  // Broadcasting as Keras: a [2, 1] column against [2, 3].
  assertClose(new nr.layers.Add().apply([nr.tensor([[1], [2]]), nr.ones([2, 3])]), [2, 2, 2, 3, 3, 3]);
});

test('merge layers in a functional model: Add and Concatenate build a graph that trains and round-trips', async () => {
  nr.setSeed(2);
  nr.layers.resetLayerNames();
  const a = nr.Input({ shape: [3], name: 'a' });
  const b = nr.Input({ shape: [3], name: 'b' });
  const sum = new nr.layers.Add().apply([a, b]);
  const joined = new nr.layers.Concatenate().apply([sum, a]);
  assert.deepEqual(sum.shape, [null, 3]);
  assert.deepEqual(joined.shape, [null, 6]);
  const output = new nr.layers.Dense({ units: 1 }).apply(joined);
  const model = new nr.Model({ inputs: [a, b], outputs: output });
  assert.deepEqual(
    model.layers.map((l) => l.className),
    ['InputLayer', 'InputLayer', 'Add', 'Concatenate', 'Dense'],
  );
  const xa = nr.randn([8, 3]);
  const xb = nr.randn([8, 3]);
  const dense = model.getLayer('dense') as nr.layers.Dense;
  const manual = nr
    .concat([xa.add(xb), xa], 1)
    .matmul(dense.kernel!)
    .add(dense.bias!);
  assertClose(model.predict([xa, xb]), manual, { rtol: 1e-5, atol: 1e-6 });
  const rebuilt = nr.Model.fromConfig(JSON.parse(JSON.stringify(model.getConfig())) as Record<string, unknown>);
  rebuilt.setWeights(model.getWeights());
  assertClose(rebuilt.predict([xa, xb]), manual, { rtol: 1e-5, atol: 1e-6 });
  model.compile({ optimizer: 'adam', loss: 'mse' });
  const history = await model.fit([xa, xb], xa.sum(-1, true), { epochs: 3, batchSize: 4, verbose: 0 });
  assert.equal(history.history.loss!.length, 3);
});

test('merge layers reject bad lists with errors naming the layer and the shapes', () => {
  nr.layers.resetLayerNames();
  const add = new nr.layers.Add();
  assert.throws(
    () => add.apply([nr.ones([2, 3]), nr.ones([2, 4])]),
    (e: Error) => {
      assert.ok(e instanceof nr.ShapeError, e.constructor.name);
      assert.match(e.message, /^Add "add" \(input shapes \[2, 3\], \[2, 4\]\): inputs have incompatible shapes/);
      return true;
    },
  );
  assert.throws(
    () => new nr.layers.Add().apply(nr.Input({ shape: [3] })),
    (e: Error) => e instanceof nr.ConfigError && /expects a list of inputs, got one input of shape \(None, 3\)/.test(e.message),
  );
  assert.throws(() => new nr.layers.Add().apply([nr.ones([2, 3])]), /expects at least 2 inputs, got 1/);
  assert.throws(
    () => new nr.layers.Subtract().apply([nr.ones([1]), nr.ones([1]), nr.ones([1])]),
    /Subtract "subtract" .*expects exactly 2 inputs, got 3/,
  );
  assert.throws(() => new nr.layers.Add().apply([nr.ones([2, 3]), nr.ones([3, 3])]), /cannot merge inputs with different batch sizes/);
  const [x, y] = [nr.Input({ shape: [4, 2] }), nr.Input({ shape: [5, 3] })];
  assert.throws(
    () => new nr.layers.Concatenate().apply([x, y]),
    (e: Error) =>
      e instanceof nr.ShapeError &&
      new RegExp(
        String.raw`Concatenate "concatenate" \(input shapes \(None, 4, 2\), \(None, 5, 3\)\): ` +
          'inputs must have one rank and equal dimensions except along axis -1',
      ).test(e.message),
  );
  assert.throws(
    () => new nr.layers.Concatenate({ axis: 3 }).apply([nr.ones([1, 2]), nr.ones([1, 2])]),
    /axis 3 is out of range for inputs of rank 2/,
  );
  assert.throws(
    () => new nr.layers.Dense({ units: 1 }).apply([nr.ones([1, 2]), nr.ones([1, 2])]),
    (e: Error) => e instanceof nr.ConfigError && /^Dense "dense": takes one input, got a list of 2/.test(e.message),
  );
  assert.throws(() => new nr.layers.Add().apply([nr.ones([1, 2]), nr.Input({ shape: [2] })] as never), /all of one kind/);
});

test("Multiply broadcasts squeeze-and-excitation's [N, 1, 1, C] channel weights over [N, H, W, C] (EfficientNet's se_excite)", () => {
  for (const inputShape of [
    [
      [2, 3, 3, 4],
      [2, 1, 1, 4],
    ],
    [
      [2, 1, 1, 4],
      [2, 3, 3, 4],
    ],
  ]) {
    runLayerTest(() => new nr.layers.Multiply(), { inputShape, expectedOutputShape: [2, 3, 3, 4] });
  }
  const x = nr.arange(8).reshape([1, 2, 2, 2]).cast('float32');
  const scale = nr.tensor([10, -1], [1, 1, 1, 2]);
  assertClose(new nr.layers.Multiply().apply([x, scale]), [0, -1, 20, -3, 40, -5, 60, -7]);
  const image = nr.Input({ shape: [7, 7, 16] });
  const weights = nr.Input({ shape: [1, 1, 16] });
  assert.deepEqual(new nr.layers.Multiply().apply([image, weights]).shape, [null, 7, 7, 16]);
});
