/**
 * Deck 004's convolutional networks, as the deck builds them: the five CIFAR-10 versions (each a
 * function of the input shape, so the same progression also runs on 28x28x1 Fashion-MNIST) and the
 * LeNet-like MNIST CNN. `neurona train <name>` and the scripts in examples/ both use these.
 */
import * as nr from '../../index.js';
import type { DataOptions, ModelExample, ExampleData } from './example.js';
import { loadMnist } from './mnist-data.js';

type ImageShape = [number, number, number];

/** v1: two strided convolutions and no activation at all: the whole network is linear in its input. */
export function version1(inputShape: ImageShape): nr.Sequential {
  return new nr.Sequential([
    nr.Input({ shape: inputShape }),
    new nr.layers.Conv2D({ filters: 10, kernelSize: 4, strides: 2, padding: 'same' }),
    new nr.layers.Conv2D({ filters: 20, kernelSize: 3, strides: 2, padding: 'same' }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
}

/** v2: the same layers with ReLU after each convolution. */
export function version2(inputShape: ImageShape): nr.Sequential {
  return new nr.Sequential([
    nr.Input({ shape: inputShape }),
    new nr.layers.Conv2D({ filters: 10, kernelSize: 4, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Conv2D({ filters: 20, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
}

/** The deck's augmentation, as it types it: left-right flips and shifts of up to 10 %, only while training. */
export function augmentation(): nr.Sequential {
  return new nr.Sequential([new nr.layers.RandomFlip('horizontal'), new nr.layers.RandomTranslation(0.1, 0.1)], { name: 'augmentation' });
}

/**
 * v3-v5 share one functional graph: [augmentation] -> four 3x3 convolutions (32, 32/2, 64, 64/2,
 * each ReLU [-> BatchNormalization]) -> Flatten -> Dense(128, relu) [-> BatchNormalization ->
 * Dropout(0.5)] -> Dense(10, softmax).
 */
function deepVersion(inputShape: ImageShape, options: { augment: boolean; batchNorm: boolean }): nr.Model {
  const inputs = nr.Input({ shape: inputShape });
  let x = options.augment ? augmentation().apply(inputs) : inputs;
  for (const [filters, strides] of [
    [32, 1],
    [32, 2],
    [64, 1],
    [64, 2],
  ] as const) {
    x = new nr.layers.Conv2D({ filters, kernelSize: 3, strides, padding: 'same', activation: 'relu' }).apply(x);
    if (options.batchNorm) x = new nr.layers.BatchNormalization().apply(x);
  }
  x = new nr.layers.Flatten().apply(x);
  x = new nr.layers.Dense({ units: 128, activation: 'relu' }).apply(x);
  if (options.batchNorm) {
    x = new nr.layers.BatchNormalization().apply(x);
    x = new nr.layers.Dropout({ rate: 0.5 }).apply(x);
  }
  const outputs = new nr.layers.Dense({ units: 10, activation: 'softmax' }).apply(x);
  return new nr.Model({ inputs, outputs });
}

/** v3: deeper (four convolutions and a hidden Dense layer): more capacity, and it overfits. */
export const version3 = (inputShape: ImageShape) => deepVersion(inputShape, { augment: false, batchNorm: false });
/** v4: v3 behind a data-augmentation Sequential used as the first "layer" of the functional model. */
export const version4 = (inputShape: ImageShape) => deepVersion(inputShape, { augment: true, batchNorm: false });
/** v5: v4 with BatchNormalization after every convolution and the hidden Dense layer, and Dropout(0.5). */
export const version5 = (inputShape: ImageShape) => deepVersion(inputShape, { augment: true, batchNorm: true });

export const VERSIONS = { v1: version1, v2: version2, v3: version3, v4: version4, v5: version5 } as const;
export type VersionName = keyof typeof VERSIONS;

/** The LeNet-like MNIST CNN: 144,766 parameters. */
export function lenet(): nr.Sequential {
  return new nr.Sequential([
    nr.Input({ shape: [28, 28, 1] }),
    new nr.layers.ZeroPadding2D({ padding: 2 }),
    new nr.layers.Conv2D({ filters: 16, kernelSize: 5, padding: 'valid', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 32, kernelSize: 5, padding: 'same', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Conv2D({ filters: 64, kernelSize: 5, padding: 'same', activation: 'relu' }),
    new nr.layers.MaxPooling2D({ poolSize: 2 }),
    new nr.layers.Flatten(),
    new nr.layers.Dense({ units: 120, activation: 'relu' }),
    new nr.layers.Dense({ units: 84, activation: 'relu' }),
    new nr.layers.Dense({ units: 10, activation: 'softmax' }),
  ]);
}

/** Adam and sparse categorical cross-entropy with accuracy, as every deck-004 model is compiled. */
export function compiled<M extends nr.Model>(model: M): M {
  model.compile({ optimizer: 'adam', loss: 'sparse_categorical_crossentropy', metrics: ['accuracy'] });
  return model;
}

/** Pixels 0..255 -> [0, 1]; a channel axis is added to [N, 28, 28] images. */
function scaleImages(x: nr.Tensor): nr.Tensor {
  const scaled = x.cast('float32').div(255);
  return scaled.rank === 3 ? scaled.reshape([...scaled.shape, 1]) : scaled;
}

async function loadSplits(
  dataset: { loadData(o: { path?: string }): Promise<nr.datasets.Dataset>; classNames: readonly string[] },
  options: DataOptions,
): Promise<ExampleData> {
  const { train, test } = await dataset.loadData(options.data ? { path: options.data } : {});
  const take = ([x, y]: [nr.Tensor, nr.Tensor], n: number): [nr.Tensor, nr.Tensor] => {
    const count = Math.min(n, x.shape[0]!);
    return [scaleImages(x.slice(0, count)), y.slice(0, count)];
  };
  const limit = options.limit ?? Infinity;
  return { train: take(train, limit), test: take(test, Math.max(1, Math.floor(limit / 6))), classNames: [...dataset.classNames] };
}

export const loadFashionMnist = (options: DataOptions) => loadSplits(nr.datasets.fashionMnist, options);
export const loadCifar10 = (options: DataOptions) => loadSplits(nr.datasets.cifar10, options);

/** Train and test images with their labels, and what they are (printed by the scripts). */
export interface ImageData {
  train: [nr.Tensor, nr.Tensor];
  test: [nr.Tensor, nr.Tensor];
  name: string;
}

/**
 * Random images of the given shape (from the global seed) whose class brightens one of ten horizontal
 * bands, so a CNN can learn them and CI sees accuracy move; only the shapes match the real data.
 */
export function syntheticImages(count: number, shape: ImageShape): [nr.Tensor, nr.Tensor] {
  const [height, width, channels] = shape;
  const y = nr.randu([count], { low: 0, high: 10 }).floor().cast('int32');
  const x = nr.randu([count, height, width, channels], { low: 0, high: 0.5 }).data() as Float32Array;
  const labels = y.data() as Int32Array;
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < height; r++) {
      if (Math.floor((r * 10) / height) !== labels[i]) continue;
      for (let k = 0; k < width * channels; k++) x[(i * height + r) * width * channels + k]! += 0.5;
    }
  }
  return [nr.tensor(x, [count, height, width, channels]), y];
}

/** `limit` synthetic training images (2048 when unlimited) and a sixth as many test images. */
export function syntheticData(shape: ImageShape, limit: number, name: string): ImageData {
  const n = Number.isFinite(limit) ? limit : 2048;
  return { train: syntheticImages(n, shape), test: syntheticImages(Math.max(10, Math.floor(n / 6)), shape), name };
}

/** Compiles as the deck does, fits with the test split as validation data, and scores both splits. */
export async function trainAndEvaluate(
  model: nr.Model,
  data: ImageData,
  options: { epochs: number; batchSize: number },
  verbose: 0 | 1 | 2 = 2,
): Promise<{ trainAccuracy: number; testAccuracy: number; seconds: number }> {
  compiled(model);
  const start = performance.now();
  await model.fit(data.train[0], data.train[1], {
    epochs: options.epochs,
    batchSize: options.batchSize,
    validationData: data.test,
    verbose,
  });
  const seconds = (performance.now() - start) / 1000;
  const trainAccuracy = (await model.evaluate(data.train[0], data.train[1], { batchSize: 256, verbose: 0 })).accuracy!;
  const testAccuracy = (await model.evaluate(data.test[0], data.test[1], { batchSize: 256, verbose: 0 })).accuracy!;
  return { trainAccuracy, testAccuracy, seconds };
}

export const mnistLenet: ModelExample = {
  description: 'deck 004: LeNet-like CNN (ZeroPadding2D, three 5x5 convs with max pooling, Dense 120/84/10) on MNIST, about 0.99',
  epochs: 3,
  batchSize: 32,
  loadData: (options) => loadMnist({ ...options, channels: true }),
  buildModel: () => compiled(lenet()),
};

const LESSONS: Record<VersionName, string> = {
  v1: 'two strided convolutions, no activation (linear: it stalls)',
  v2: 'v1 with ReLU',
  v3: 'deeper: four convolutions and Dense(128) (overfits)',
  v4: 'v3 with data augmentation',
  v5: 'v4 with BatchNormalization and Dropout',
};

function versionExample(dataset: 'cifar10' | 'fashion-mnist', version: VersionName): ModelExample {
  const cifar = dataset === 'cifar10';
  return {
    description: `deck 004 ${version} on ${cifar ? 'CIFAR-10 (--data <dir or .tar.gz>)' : 'Fashion-MNIST'}: ${LESSONS[version]}`,
    epochs: cifar ? 10 : 5,
    batchSize: 32,
    loadData: cifar ? loadCifar10 : loadFashionMnist,
    buildModel: () => compiled(VERSIONS[version](cifar ? [32, 32, 3] : [28, 28, 1])),
  };
}

/** cifar10-v1..v5 and fashion-mnist-v1..v5, by name. */
export const DECK004_EXAMPLES: Record<string, ModelExample> = Object.fromEntries(
  (['cifar10', 'fashion-mnist'] as const).flatMap((dataset) =>
    (Object.keys(VERSIONS) as VersionName[]).map((v) => [`${dataset}-${v}`, versionExample(dataset, v)]),
  ),
);
