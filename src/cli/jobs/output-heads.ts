/*
 * Deck 001: the four kinds of output layer, each trained on generated data.
 * - regression 3 -> 1: linear output, mean squared error
 * - multivariate regression 3 -> 2: two linear outputs, mean squared error
 * - binary classification: one sigmoid unit, binary crossentropy
 * - multi-class classification: softmax over 3 classes, categorical crossentropy
 */
import * as nr from '../../index.js';
import { program } from './example.js';

export const outputHeads = program({
  description: 'deck 001: the four output layers (regression, multivariate regression, binary, multi-class) on generated data',
  flags: {
    epochs: { kind: 'positive', default: 40, help: 'epochs of each model' },
    samples: { kind: 'positive', default: 512, help: 'generated examples' },
  },
  async run({ epochs, samples }, print) {
    nr.setSeed(11);
    const x = nr.randu([samples, 3], { low: -1, high: 1 });
    const wRegression = nr.tensor([[2], [-1], [0.5]]);
    const targets = {
      regression: x.matmul(wRegression).add(0.3),
      multivariate: x.matmul(
        nr.tensor([
          [1, 0],
          [0.5, -2],
          [0, 1],
        ]),
      ),
      binary: x.matmul(wRegression).greater(0).cast('float32'),
      multiclass: nr.oneHot(x.argmax(1), 3),
    };

    const heads: [string, nr.layers.Layer, nr.losses.LossName, nr.metrics.MetricName[], nr.Tensor][] = [
      ['regression 3->1', new nr.layers.Dense(1), 'mse', ['mae'], targets.regression],
      ['multivariate 3->2', new nr.layers.Dense(2), 'mse', ['mae'], targets.multivariate],
      ['binary (sigmoid)', new nr.layers.Dense(1, { activation: 'sigmoid' }), 'binary_crossentropy', ['accuracy'], targets.binary],
      [
        'multi-class (softmax)',
        new nr.layers.Dense(3, { activation: 'softmax' }),
        'categorical_crossentropy',
        ['accuracy'],
        targets.multiclass,
      ],
    ];

    for (const [title, head, loss, metrics, y] of heads) {
      const model = new nr.Sequential([new nr.layers.Dense(16, { activation: 'relu', inputShape: [3] }), head]);
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 0.01 }), loss, metrics });
      const history = await model.fit(x, y, { epochs, batchSize: 32, verbose: 0 });
      const last = Object.entries(history.history)
        .map(([k, v]) => `${k} ${v.at(-1)!.toFixed(4)}`)
        .join(', ');
      print(`${title.padEnd(24)} ${last}`);
    }
  },
});
