import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;
const int = (data: number[][]) => nr.tensor(data, undefined, 'int32');

test('Embedding passes the shared layer test (rank 2 and rank 3 indices)', () => {
  runLayerTest(() => new L.Embedding({ inputDim: 7, outputDim: 3 }), {
    inputShape: [2, 5],
    expectedOutputShape: [2, 5, 3],
    indicesBelow: 7,
  });
  runLayerTest(() => new L.Embedding(4, 2, { embeddingsInitializer: 'random_normal' }), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3, 2, 2],
    indicesBelow: 4,
  });
});

test('Embedding looks up rows; the gradient adds each output gradient into its row (repeats add up, padding rows too)', () => {
  L.resetLayerNames();
  const embed = new L.Embedding({ input_dim: 4, output_dim: 2, mask_zero: true } as nr.layers.EmbeddingOptions);
  assert.equal(embed.maskZero, true, 'snake_case options');
  const table = nr.tensor([
    [0, 1],
    [2, 3],
    [4, 5],
    [6, 7],
  ]);
  const x = int([
    [1, 3, 0],
    [3, 3, 2],
  ]);
  embed.apply(x);
  embed.setWeights([table]);
  assert.deepEqual(
    embed.weights.map((w) => [w.name, w.shape]),
    [['embedding/embeddings', [4, 2]]],
  );
  assertClose(embed.apply(x), [2, 3, 6, 7, 0, 1, 6, 7, 6, 7, 4, 5]);
  // Floats holding integers are indices too.
  assertClose(embed.apply(nr.tensor([[2, 0]])), [4, 5, 0, 1]);
  const upstream = nr.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [2, 3, 2]);
  embed.apply(x).mul(upstream).sum().backward();
  const grad = embed.embeddings!.grad;
  // Row 0 <- (5, 6) (maskZero does not stop its gradient, as Keras); row 1 <- (1, 2); row 2 <- (11, 12); row 3 <- three outputs.
  assertClose(grad!, [5, 6, 1, 2, 11, 12, 3 + 7 + 9, 4 + 8 + 10]);
});

test('Embedding with inputLength keeps Keras 2 meaning: the input shape, checked on every call', () => {
  const embed = new L.Embedding({ inputDim: 5, outputDim: 2, inputLength: 3 });
  assert.deepEqual(embed.batchInputShape, [null, 3]);
  const model = new nr.Sequential([embed, new L.Flatten(), new L.Dense({ units: 1 })]);
  assert.equal(model.countParams(), 5 * 2 + 6 + 1, 'built at construction, Flatten knowing its size');
  assert.throws(
    () => embed.apply(int([[1, 2]])),
    (e: Error) => e instanceof nr.ShapeError && /expected input of shape \[batch, 3\] \(inputLength 3\)/.test(e.message),
  );
  const clone = L.layerFromConfig({ className: 'Embedding', config: JSON.parse(JSON.stringify(embed.getConfig())) });
  assert.deepEqual(clone.getConfig(), embed.getConfig());
});

test('Embedding rejects indices outside the vocabulary and non-integer floats, naming the layer, the index and the range', () => {
  const embed = new L.Embedding({ inputDim: 10, outputDim: 2, name: 'tokens' });
  assert.throws(
    () => embed.apply(int([[1, 10]])),
    (e: Error) =>
      e instanceof nr.ShapeError &&
      /Embedding "tokens".*index 10 \(at flat position 1\).*valid indices: 0\.\.9 \(inputDim 10\)/s.test(e.message),
  );
  assert.throws(() => embed.apply(int([[-1]])), /index -1/);
  assert.throws(
    () => embed.apply(nr.tensor([[1.5, 2]])),
    (e: Error) =>
      e instanceof nr.DTypeError && /Embedding "tokens".*indices must be integers, got 1\.5 at flat position 0/s.test(e.message),
  );
  assert.throws(
    () => new L.Embedding({ outputDim: 3 }),
    (e: Error) => e instanceof nr.ConfigError && /inputDim is required/.test(e.message),
  );
  assert.throws(() => new L.Embedding({ inputDim: 3, outputDim: 0 }), nr.ConfigError);
  assert.throws(() => new L.Embedding({ inputDim: 3, outputDim: 2, embeddingsConstraint: 'non_neg' } as never), /embeddingsConstraint/);
  assert.throws(
    () => new L.Embedding({ inputDim: 3, outputDim: 2, inputLength: 4, inputShape: [5] }),
    /inputShape must be \[inputLength\]/,
  );
});

test('Embedding: the Keras default initializer is uniform in [-0.05, 0.05]', () => {
  const embed = new L.Embedding({ inputDim: 50, outputDim: 20 });
  embed.apply(int([[0]]));
  const values = Array.from(embed.embeddings!.data());
  assert.ok(values.every((v) => v >= -0.05 && v <= 0.05));
  assert.ok(Math.max(...values) > 0.04 && Math.min(...values) < -0.04);
  assert.equal(embed.getConfig().embeddingsInitializer, 'uniform');
});

test('Embedding saves and loads in a model with int32 input, with bitwise-equal predictions', async () => {
  nr.setSeed(18);
  const input = nr.Input({ shape: [6], dtype: 'int32' });
  const x = new L.Embedding({ inputDim: 20, outputDim: 4, maskZero: true }).apply(input);
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2 }).apply(new L.Flatten().apply(x)) });
  const probe = nr.randu([3, 6], { low: 0, high: 20 }).floor().cast('int32');
  const loaded = await assertSaveLoadSame(model, probe);
  assert.equal(loaded.predict(probe).size, 6);
});

test('Embedding with maskZero attaches a mask (1 where the index is not 0) that LayerNormalization passes on', () => {
  const ids = int([
    [3, 5, 0, 0],
    [1, 0, 2, 0],
  ]);
  const masked = new L.Embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(ids);
  assert.deepEqual(nr.getMask(masked)?.toArray(), [
    [1, 1, 0, 0],
    [1, 0, 1, 0],
  ]);
  assert.equal(nr.getMask(masked)?.dtype, 'float32');
  const normalized = new L.LayerNormalization().apply(masked);
  assert.deepEqual(nr.getMask(normalized)?.toArray(), nr.getMask(masked)?.toArray());
  assert.equal(nr.getMask(new L.Embedding({ inputDim: 6, outputDim: 3 }).apply(ids)), null, 'no mask without maskZero');
  // Through a functional model too: Dense passes the mask on to the output.
  const input = nr.Input({ shape: [4], dtype: 'int32' });
  const embedded = new L.Embedding({ inputDim: 6, outputDim: 3, maskZero: true }).apply(input);
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2 }).apply(new L.LayerNormalization().apply(embedded)) });
  assert.deepEqual(nr.getMask(model.apply(ids))?.toArray(), nr.getMask(masked)?.toArray());
});
