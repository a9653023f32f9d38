/*
 * Deck 002's MLP exercise: a 784-256-256-10 ReLU network on MNIST (Adam, batch 128), with 10 % of
 * the training digits held out for validation. Full data and 10 epochs reach about 0.98 test accuracy.
 */
import * as nr from '../../index.js';
import { program } from './example.js';

export const mnistMlpDeep = program({
  description: 'deck 002: a 784-256-256-10 ReLU MLP on MNIST with Adam, batch 128 (about 0.98)',
  flags: {
    epochs: { kind: 'positive', default: 10, help: 'epochs to train' },
    limit: { kind: 'positive', default: 60000, help: 'train on the first N digits (the test set is always all 10,000)' },
  },
  async run({ epochs, limit }, print) {
    nr.setSeed(1);
    const { train, test } = await nr.datasets.mnist.loadData();
    const prepare = (x: nr.Tensor) => x.cast('float32').div(255).reshape([-1, 784]);
    const xTrain = prepare(train[0].slice(0, limit));
    const yTrain = train[1].slice(0, limit);
    const model = new nr.Sequential([
      new nr.layers.Dense(256, { activation: 'relu', inputShape: [784] }),
      new nr.layers.Dense(256, { activation: 'relu' }),
      new nr.layers.Dense(10, { activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    await model.fit(xTrain, yTrain, { epochs, batchSize: 128, validationSplit: 0.1, verbose: 2 });
    const result = await model.evaluate(prepare(test[0]), test[1], { batchSize: 512, verbose: 0 });
    print(`test accuracy: ${result.accuracy!.toFixed(4)}`);
  },
});
