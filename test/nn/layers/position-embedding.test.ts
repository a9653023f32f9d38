import { test } from 'node:test';
import { assert, assertClose, nr } from '../../helpers.js';
import { runLayerTest } from '../layer-test-helper.js';
import { assertSaveLoadSame } from './save-load-helper.js';

const L = nr.layers;

test('PositionEmbedding and TokenAndPositionEmbedding pass the shared layer test', () => {
  runLayerTest(() => new L.PositionEmbedding({ sequenceLength: 6 }), { inputShape: [2, 4, 3], expectedOutputShape: [2, 4, 3] });
  runLayerTest(() => new L.PositionEmbedding(3, { initializer: 'random_normal' }), {
    inputShape: [2, 3, 2],
    expectedOutputShape: [2, 3, 2],
  });
  runLayerTest(() => new L.TokenAndPositionEmbedding({ vocabularySize: 9, sequenceLength: 5, embeddingDim: 3 }), {
    inputShape: [2, 4],
    expectedOutputShape: [2, 4, 3],
    indicesBelow: 9,
  });
});

test('PositionEmbedding returns rows 0..T-1 broadcast over the batch; TokenAndPositionEmbedding adds them to the tokens', () => {
  L.resetLayerNames();
  const position = new L.PositionEmbedding({ sequence_length: 4 } as nr.layers.PositionEmbeddingOptions);
  position.apply(nr.zeros([1, 2, 2]));
  const table = nr.tensor([1, 2, 3, 4, 5, 6, 7, 8], [4, 2]);
  position.setWeights([table]);
  assertClose(position.apply(nr.randn([2, 3, 2])), [1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6]);
  assert.deepEqual(
    position.weights.map((w) => w.name),
    ['position_embedding/embeddings'],
  );

  const embed = new L.TokenAndPositionEmbedding({ vocabulary_size: 3, sequence_length: 4, embedding_dim: 2 } as never);
  const ids = nr.tensor([[2, 0, 1]], undefined, 'int32');
  embed.apply(ids);
  assert.deepEqual(
    embed.weights.map((w) => [w.name, w.shape]),
    [
      ['token_and_position_embedding/token_embedding/embeddings', [3, 2]],
      ['token_and_position_embedding/position_embedding/embeddings', [4, 2]],
    ],
  );
  embed.setWeights([nr.tensor([10, 20, 30, 40, 50, 60], [3, 2]), table]);
  const y = embed.apply(ids);
  assertClose(y, [51, 62, 13, 24, 35, 46]);
  // Gradients: each token row gets its positions' gradients, each position row its tokens' (summed over the batch).
  const twice = nr.tensor([[1, 1, 1]], undefined, 'int32');
  embed
    .apply(nr.concat([twice, twice], 0))
    .sum()
    .backward();
  assertClose(embed.tokenEmbeddings!.grad!, [0, 0, 6, 6, 0, 0]);
  assertClose(embed.positionEmbeddings!.grad!, [2, 2, 2, 2, 2, 2, 0, 0]);
});

test('position embeddings reject sequences longer than sequenceLength and missing options, naming the layer', () => {
  const embed = new L.TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 3, embeddingDim: 2, name: 'tpe' });
  assert.throws(
    () => embed.apply(nr.tensor([[1, 2, 3, 4]], undefined, 'int32')),
    (e: Error) => e instanceof nr.ShapeError && /"tpe".*at most sequenceLength 3 positions, got 4/s.test(e.message),
  );
  assert.throws(() => embed.apply(nr.tensor([[7]], undefined, 'int32')), /"tpe".*index 7.*valid indices: 0\.\.4/s);
  const position = new L.PositionEmbedding({ sequenceLength: 2, name: 'pos' });
  assert.throws(() => position.apply(nr.zeros([1, 3, 4])), /"pos".*at most sequenceLength 2 positions, got 3/s);
  assert.throws(() => new L.PositionEmbedding().apply(nr.zeros([1, 2, 2])), /sequenceLength is required/);
  assert.throws(() => new L.PositionEmbedding({ sequenceLength: 4 }).apply(nr.zeros([2, 3])), /expected input of rank >= 3/);
  assert.throws(() => new L.TokenAndPositionEmbedding({ vocabularySize: 5, sequenceLength: 3 }), /embeddingDim is required/);
});

test('TokenAndPositionEmbedding and PositionEmbedding save and load with bitwise-equal predictions', async () => {
  nr.setSeed(18);
  const input = nr.Input({ shape: [5], dtype: 'int32' });
  const tokens = new L.TokenAndPositionEmbedding({ vocabularySize: 11, sequenceLength: 8, embeddingDim: 4, maskZero: true }).apply(input);
  const x = new L.Add().apply([tokens, new L.PositionEmbedding({ sequenceLength: 6 }).apply(tokens)]);
  const model = new nr.Model({ inputs: input, outputs: new L.Dense({ units: 2 }).apply(x) });
  const probe = nr.randu([3, 5], { low: 0, high: 11 }).floor().cast('int32');
  const loaded = await assertSaveLoadSame(model, probe);
  assert.equal(loaded.predict(probe).size, 30);
});

test('startIndex (start_index) picks the positions of a later step; maskZero masks padding tokens', () => {
  const embed = new L.TokenAndPositionEmbedding({ vocabularySize: 4, sequenceLength: 3, embeddingDim: 1, maskZero: true });
  const ids = nr.tensor([[1, 0]], undefined, 'int32');
  embed.apply(ids);
  embed.setWeights([nr.tensor([[0], [10], [20], [30]]), nr.tensor([[1], [2], [3]])]);
  assertClose(embed.apply(ids), [11, 2]);
  assertClose(embed.apply(ids, { start_index: 1 }), [12, 3]);
  assert.deepEqual(nr.getMask(embed.apply(ids))?.toArray(), [[1, 0]]);
  assert.throws(
    () => embed.apply(ids, { startIndex: 2 }),
    (e: Error) => e instanceof nr.ShapeError && /got 2 in an input of shape \[1, 2\] from startIndex 2/.test(e.message),
  );
  assert.throws(() => embed.apply(ids, { startIndex: -1 }), /startIndex must be an integer >= 0, got -1/);
  assert.throws(() => embed.apply(ids, { start: 1 }), /apply\(\) takes the options training, mask, startIndex/);
  const position = new L.PositionEmbedding({ sequenceLength: 3 });
  const x = nr.zeros([1, 1, 1]);
  position.apply(x);
  position.setWeights([nr.tensor([[1], [2], [3]])]);
  assertClose(position.apply(x, { startIndex: 2 }), [3]);
});
