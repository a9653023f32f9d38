import * as nr from '../../index.js';
import type { ModelExample } from './example.js';
import { loadMnist } from './mnist-data.js';

/**
 * The model of the course's first deck on full MNIST: Flatten(28x28) -> Dense(8, relu) ->
 * Dense(10, softmax), Adam, sparse categorical crossentropy (about 0.91 test accuracy after 5 epochs).
 */
export const mnistMlp: ModelExample = {
  description: 'deck 001: Flatten -> Dense(8, relu) -> Dense(10, softmax) with Adam on MNIST',
  epochs: 5,
  batchSize: 32,
  loadData: (options) => loadMnist(options),
  buildModel() {
    const model = new nr.Sequential([
      new nr.layers.Flatten({ inputShape: [28, 28] }),
      new nr.layers.Dense({ units: 8, activation: 'relu' }),
      new nr.layers.Dense({ units: 10, activation: 'softmax' }),
    ]);
    model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
    return model;
  },
};
