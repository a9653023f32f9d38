/*
 * W6 of ../shared/bench/peers/README.md: `new Perceptron({maxIter: 2000, randomState: 40})` on the
 * fixed MNIST split (8,000 train / 2,000 test, pixels in [0, 1]); fit wall time (median of `runs`
 * fits) and test accuracy, as sklearn/perceptron.py measures scikit-learn's.
 */
import * as nr from '../src/index.js';
import { Perceptron } from '../src/classic/index.js';
import { median, type Mnist, type Row } from './util.js';

export function perceptronW6(mnist: Mnist, runs: number): Row[] {
  const trainX = nr.tensor(mnist.trainX, [mnist.trainY.length, 784]);
  const testX = nr.tensor(mnist.testX, [mnist.testY.length, 784]);
  const trainY = Array.from(mnist.trainY);
  const testY = Array.from(mnist.testY);
  const times: number[] = [];
  const accuracies: number[] = [];
  let clf: Perceptron | undefined;
  for (let r = 0; r < runs; r++) {
    clf = new Perceptron({ maxIter: 2000, randomState: 40 });
    const t0 = performance.now();
    clf.fit(trainX, trainY);
    times.push((performance.now() - t0) / 1000);
    accuracies.push(clf.score(testX, testY));
  }
  return [
    {
      workload: 'W6',
      library: 'neurona',
      model: 'Perceptron',
      threads: 1,
      runs,
      fit_s_median: +median(times).toFixed(4),
      fit_s_all: times.map((t) => +t.toFixed(4)),
      test_acc: accuracies[0],
      test_acc_all: accuracies,
      n_iter: clf!.nIter,
      train_acc: clf!.score(trainX, trainY),
    },
  ];
}
