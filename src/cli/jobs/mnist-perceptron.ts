/*
 * Deck 003: scikit-learn's Perceptron on MNIST in six steps.
 *   1. read the data      2. look at sample digits (PNG grid)      3. split train / test
 *   4. train              5. predict: accuracy and confusion matrix  6. look at the mistakes (PNG grid)
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { program } from './example.js';

export const mnistPerceptron = program({
  description: "deck 003: scikit-learn's Perceptron on MNIST in six steps, with PNG grids of samples and mistakes",
  flags: {
    samples: { kind: 'positive', default: 10000, help: 'the first N training digits, split 80 / 20' },
    out: { kind: 'text', default: 'out/mnist-perceptron', help: 'directory for samples.png and misclassified.png' },
  },
  async run({ samples, out }, print) {
    // 1. Read the data: 28x28 digits with pixel values 0..255, and their labels.
    const { train } = await nr.datasets.mnist.loadData();
    const images = train[0].slice(0, samples);
    const labels = train[1].slice(0, samples);
    print(`1. read ${images.shape[0]} digits of ${images.shape[1]}x${images.shape[2]} pixels`);

    // 2. Look at the first 20 digits with their labels.
    await nr.saveImageGrid(join(out, 'samples.png'), images.slice(0, 20), {
      columns: 10,
      scale: 2,
      captions: Array.from(labels.slice(0, 20).data(), String),
    });
    print(`2. wrote ${join(out, 'samples.png')}`);

    // 3. Split 80 / 20: train_test_split(X, y, test_size=0.2, random_state=40).
    const X = images.reshape([-1, 784]).cast('float32').div(255);
    const [xTrain, xTest, yTrain, yTest] = nr.trainTestSplit(X, labels, { testSize: 0.2, randomState: 40 });
    print(`3. ${xTrain.shape[0]} digits to train on, ${xTest.shape[0]} to test`);

    // 4. Train: Perceptron(max_iter=2000, random_state=40, n_jobs=-1), one-vs-rest over the 10 digits.
    const started = performance.now();
    const perceptron = new nr.Perceptron({ maxIter: 2000, randomState: 40, nJobs: -1 }).fit(xTrain, yTrain);
    print(
      `4. trained in ${((performance.now() - started) / 1000).toFixed(2)} s, ${perceptron.nIter} epochs; ` +
        `coef shape [${perceptron.coef.shape.join(', ')}], intercept shape [${perceptron.intercept.shape.join(', ')}]`,
    );

    // 5. Predict the test digits: accuracy and confusion matrix (rows: true digit, columns: predicted).
    const predicted = nr.tensor(perceptron.predict(xTest) as number[], undefined, 'int32');
    const accuracy = predicted.equal(yTest).cast('float32').mean().item();
    print(`5. test accuracy ${accuracy.toFixed(4)}; confusion matrix:`);
    const matrix = nr.metrics.confusionMatrix(yTest, predicted, 10).toArray() as number[][];
    matrix.forEach((row, digit) => print(`   ${digit}: ${row.map((n) => String(n).padStart(4)).join('')}`));

    // 6. The first 30 mistakes, captioned "true -> predicted".
    const truth = yTest.data();
    const guess = predicted.data();
    const wrong: number[] = [];
    for (let i = 0; i < truth.length && wrong.length < 30; i++) if (truth[i] !== guess[i]) wrong.push(i);
    await nr.saveImageGrid(join(out, 'misclassified.png'), xTest.reshape([-1, 28, 28]).gather(wrong), {
      columns: 10,
      scale: 2,
      range: 'unit',
      captions: wrong.map((i) => `${truth[i]} -> ${guess[i]}`),
    });
    print(`6. wrote ${join(out, 'misclassified.png')} (${wrong.length} mistakes shown)`);
  },
});
