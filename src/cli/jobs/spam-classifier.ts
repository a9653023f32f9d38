/*
 * E-mail spam filtering on the SpamAssassin public corpus, two ways from the same token ids: an
 * Embedding + bidirectional LSTM, and a one-block Transformer encoder (token and position
 * embeddings, multi-head self-attention, feed-forward, masked mean over the words). Prints the test
 * accuracy and the confusion matrix of each.
 */
import * as nr from '../../index.js';
import { program } from './example.js';

/** Embedding -> Bidirectional(LSTM) -> Dense(1, sigmoid); padding is masked from the LSTM. */
function biLstm(tokens: number, length: number, width: number): nr.Model {
  return new nr.Sequential(
    [
      new nr.layers.Embedding({ inputDim: tokens, outputDim: width, maskZero: true, inputShape: [length] }),
      new nr.layers.Bidirectional(new nr.layers.LSTM({ units: width })),
      new nr.layers.Dense({ units: 1, activation: 'sigmoid' }),
    ],
    { name: 'bilstm' },
  );
}

/** One post-norm encoder block as in "Attention is all you need", then the mean over the real words. */
function transformer(tokens: number, length: number, width: number, heads: number): nr.Model {
  const ids = nr.Input({ shape: [length], dtype: 'int32' });
  const x = new nr.layers.TokenAndPositionEmbedding({
    vocabularySize: tokens,
    sequenceLength: length,
    embeddingDim: width,
    maskZero: true,
  }).apply(ids);
  const attended = new nr.layers.MultiHeadAttention({ numHeads: heads, keyDim: width / heads }).apply([x, x]);
  const y = new nr.layers.LayerNormalization().apply(new nr.layers.Add().apply([x, attended]));
  const hidden = new nr.layers.Dense({ units: 2 * width, activation: 'relu' }).apply(y);
  const z = new nr.layers.LayerNormalization().apply(new nr.layers.Add().apply([y, new nr.layers.Dense({ units: width }).apply(hidden)]));
  const pooled = new nr.layers.Dropout({ rate: 0.1 }).apply(new nr.layers.GlobalAveragePooling1D().apply(z));
  const spam = new nr.layers.Dense({ units: 1, activation: 'sigmoid' }).apply(pooled);
  return new nr.Model({ inputs: ids, outputs: spam, name: 'transformer' });
}

export const spamClassifier = program({
  description: 'SpamAssassin e-mails: Embedding + bidirectional LSTM vs a small Transformer encoder, test accuracy and confusion matrices',
  flags: {
    limit: { kind: 'positive', default: 6046, help: 'read only N of the 6,046 messages (a seeded random subset)' },
    headers: { kind: 'switch', help: 'keep the mail headers (default: the message bodies only)' },
    maxTokens: { kind: 'positive', default: 10_000, help: 'vocabulary size (the most frequent words of the training messages)' },
    sequenceLength: { kind: 'positive', default: 200, help: 'words read from the start of each message' },
    width: { kind: 'positive', default: 32, help: 'embedding size, LSTM units and Transformer width' },
    heads: { kind: 'positive', default: 2, help: 'attention heads (width is split between them)' },
    epochs: { kind: 'positive', default: 3, help: 'epochs for each model' },
    batchSize: { kind: 'positive', default: 32, help: 'batch size' },
  },
  async run({ limit, headers, maxTokens, sequenceLength, width, heads, epochs, batchSize }, print) {
    nr.setSeed(1);
    const { train, test, classNames } = nr.datasets.spamAssassin({ limit, headers, seed: 0 });
    const vectorizer = new nr.layers.TextVectorization({ maxTokens, outputSequenceLength: sequenceLength });
    vectorizer.adapt(train[0]);
    const [xTrain, xTest] = [vectorizer.apply(train[0]), vectorizer.apply(test[0])];
    const yTrain = train[1].cast('float32').reshape([-1, 1]);
    const spam = train[1].sum().item();
    print(`${train[0].length} training messages (${spam} spam), ${test[0].length} test messages`);
    print(`${vectorizer.vocabularySize()} words in the vocabulary, the first ${sequenceLength} of each message read`);

    for (const build of [() => biLstm(maxTokens, sequenceLength, width), () => transformer(maxTokens, sequenceLength, width, heads)]) {
      nr.setSeed(2); // the same shuffling for both
      const model = build();
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.002 }), loss: 'binary_crossentropy', metrics: ['accuracy'] });
      const start = performance.now();
      await model.fit(xTrain, yTrain, { epochs, batchSize, verbose: 0 });
      const seconds = (performance.now() - start) / 1000;
      const predicted = (model.predict(xTest, { batchSize: 256 }) as nr.Tensor).greater(0.5).cast('int32').reshape([-1]);
      const accuracy = predicted.equal(test[1]).cast('float32').mean().item();
      const matrix = nr.metrics.confusionMatrix(test[1], predicted, 2).toArray() as number[][];
      print(`${model.name} (${model.countParams()} parameters, ${seconds.toFixed(1)} s): test accuracy ${accuracy.toFixed(4)}`);
      print(`  confusion matrix (rows: true ${classNames.join(', ')}; columns: predicted)`);
      matrix.forEach((row, i) => print(`  ${classNames[i]!.padEnd(5)} ${row.map((n) => String(n).padStart(6)).join('')}`));
    }
  },
});
