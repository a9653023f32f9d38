import * as nr from '../../index.js';

export interface JobOptions {
  epochs?: number;
  batchSize?: number;
  seed?: number;
  /** Use only the first N training and N/6 test images (for quick runs and CI). */
  limit?: number;
  verbose?: 0 | 1 | 2;
  print?: (line: string) => void;
}

/**
 * The model of the course's first deck on full MNIST: Flatten(28x28) -> Dense(8, relu) ->
 * Dense(10, softmax), Adam, sparse categorical crossentropy. Prints Keras-style progress, the test
 * accuracy and the summary; returns the test metrics.
 */
export async function mnistMlp(options: JobOptions = {}): Promise<{ loss: number; accuracy: number }> {
  const print = options.print ?? ((line: string) => console.log(line));
  nr.setSeed(options.seed ?? 42);
  const { train, test } = await nr.datasets.mnist.loadData();
  let [xTrain, yTrain] = train;
  let [xTest, yTest] = test;
  if (options.limit) {
    xTrain = xTrain.slice(0, options.limit);
    yTrain = yTrain.slice(0, options.limit);
    const testLimit = Math.max(1, Math.floor(options.limit / 6));
    xTest = xTest.slice(0, testLimit);
    yTest = yTest.slice(0, testLimit);
  }
  // Pixels arrive as 0..255 like Keras's loader; scale them to [0, 1].
  const scale = (x: nr.Tensor) => x.cast('float32').div(255);
  const model = new nr.Sequential([
    new nr.layers.Flatten({ inputShape: [28, 28] }),
    new nr.layers.Dense({ units: 8, activation: 'relu' }),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  await model.fit(scale(xTrain), yTrain, { epochs: options.epochs ?? 5, batchSize: options.batchSize ?? 32, verbose: options.verbose ?? 1 });
  const result = await model.evaluate(scale(xTest), yTest, { verbose: 0 });
  print(`Test accuracy: ${result.accuracy!.toFixed(4)} - test loss: ${result.loss!.toFixed(4)}`);
  model.summary(print);
  return { loss: result.loss!, accuracy: result.accuracy! };
}
