/*
 * What deck 004's examples share: command-line flags, the data (CIFAR-10, Fashion-MNIST or synthetic
 * images of the same shape) and one training run that reports train and test accuracy.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import * as nr from '../../src/index.js';
import { compiled, loadCifar10, loadFashionMnist } from '../../src/cli/jobs/deck004.js';

export interface Flags {
  epochs: number;
  batchSize: number;
  /** Use at most this many training images (and a sixth as many test images). */
  limit: number;
  seed: number;
  data?: string;
  synthetic: boolean;
}

export function parseFlags(defaults: Partial<Flags> = {}): Flags {
  const argv = process.argv.slice(2);
  const value = (flag: string) => { const i = argv.indexOf(flag); return i >= 0 ? argv[i + 1] : undefined; };
  const number = (flag: string, fallback: number) => { const v = Number(value(flag)); return Number.isFinite(v) && v > 0 ? v : fallback; };
  return {
    epochs: number('--epochs', defaults.epochs ?? 10),
    batchSize: number('--batch-size', defaults.batchSize ?? 32),
    limit: number('--limit', defaults.limit ?? Infinity),
    seed: number('--seed', defaults.seed ?? 1),
    data: value('--data'),
    synthetic: argv.includes('--synthetic'),
  };
}

export interface Split { x: nr.Tensor; y: nr.Tensor }
export interface Data { train: Split; test: Split; name: string }

/**
 * Random images of the given shape (from the global seed) whose class brightens one of ten horizontal
 * bands, so a CNN can learn them and CI sees accuracy move; only the shapes match the real data.
 */
export function syntheticImages(count: number, shape: [number, number, number]): Split {
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
  return { x: nr.tensor(x, [count, height, width, channels]), y };
}

const HOW_TO_GET_CIFAR = [
  'CIFAR-10 is not on this machine. To get it:',
  '  1. download https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz (about 160 MB),',
  '  2. run this example with --data <the .tar.gz, or the directory with data_batch_1.bin ... test_batch.bin>,',
  `     or unpack the six .bin files into ${join(process.env.NEURONA_CACHE_DIR || join(homedir(), '.neurona'), 'datasets', 'cifar-10')}/ (an online machine downloads them there itself).`,
  'Or run on random images of the same shape: add --synthetic.',
].join('\n');

export async function loadCifar(flags: Flags): Promise<Data> {
  if (flags.synthetic) {
    const n = Number.isFinite(flags.limit) ? flags.limit : 2048;
    return { train: syntheticImages(n, [32, 32, 3]), test: syntheticImages(Math.max(10, Math.floor(n / 6)), [32, 32, 3]), name: 'synthetic CIFAR-shaped images' };
  }
  try {
    const { train: [x, y], test: [testX, testY] } = await loadCifar10({ data: flags.data, limit: flags.limit });
    return { train: { x, y }, test: { x: testX, y: testY }, name: 'CIFAR-10' };
  } catch (error) {
    console.error((error as Error).message);
    console.error(HOW_TO_GET_CIFAR);
    process.exit(2);
  }
}

export async function loadFashion(flags: Flags): Promise<Data> {
  if (flags.synthetic) {
    const n = Number.isFinite(flags.limit) ? flags.limit : 2048;
    return { train: syntheticImages(n, [28, 28, 1]), test: syntheticImages(Math.max(10, Math.floor(n / 6)), [28, 28, 1]), name: 'synthetic Fashion-MNIST-shaped images' };
  }
  const { train: [x, y], test: [testX, testY] } = await loadFashionMnist({ data: flags.data, limit: flags.limit });
  return { train: { x, y }, test: { x: testX, y: testY }, name: 'Fashion-MNIST' };
}

export interface Result { trainAccuracy: number; testAccuracy: number; seconds: number }

/** Adam and sparse categorical cross-entropy, as in the deck; accuracy on both splits after training. */
export async function train(model: nr.Model, data: Data, flags: Flags, verbose: 0 | 1 | 2 = 2): Promise<Result> {
  compiled(model);
  const start = performance.now();
  await model.fit(data.train.x, data.train.y, { epochs: flags.epochs, batchSize: flags.batchSize, validationData: [data.test.x, data.test.y], verbose });
  const seconds = (performance.now() - start) / 1000;
  const trainAccuracy = (await model.evaluate(data.train.x, data.train.y, { batchSize: 256, verbose: 0 })).accuracy!;
  const testAccuracy = (await model.evaluate(data.test.x, data.test.y, { batchSize: 256, verbose: 0 })).accuracy!;
  return { trainAccuracy, testAccuracy, seconds };
}
