import * as nr from '../../index.js';
import type { DataOptions, ExampleData } from './example.js';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

/**
 * MNIST for the examples: pixels scaled from 0..255 to [0, 1], images [N, 28, 28] (or
 * [N, 28, 28, 1] with `channels: true`, for convolutions), labels as class indices.
 */
export async function loadMnist(options: DataOptions & { channels?: boolean } = {}): Promise<ExampleData> {
  const { train, test } = await nr.datasets.mnist.loadData(options.data ? { path: options.data } : {});
  let [xTrain, yTrain] = train;
  let [xTest, yTest] = test;
  if (options.limit) {
    xTrain = xTrain.slice(0, options.limit);
    yTrain = yTrain.slice(0, options.limit);
    const testLimit = Math.max(1, Math.floor(options.limit / 6));
    xTest = xTest.slice(0, testLimit);
    yTest = yTest.slice(0, testLimit);
  }
  const scale = (x: nr.Tensor) => {
    const scaled = x.cast('float32').div(255);
    return options.channels ? scaled.reshape([...scaled.shape, 1]) : scaled;
  };
  return { train: [scale(xTrain), yTrain], test: [scale(xTest), yTest], classNames: DIGITS };
}
