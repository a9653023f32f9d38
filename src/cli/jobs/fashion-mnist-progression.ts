/*
 * Deck 004's five-step progression on real data that is available offline: the CIFAR-10 versions
 * v1..v5 adapted to 28x28x1 Fashion-MNIST images. Prints train and test accuracy per version, so the
 * deck's lessons can be seen: the linear v1 stalls, ReLU helps, depth overfits (train >> test), and
 * augmentation plus BatchNormalization and Dropout narrow the gap.
 */
import * as nr from '../../index.js';
import { configError, show } from '../../core/index.js';
import { program } from './example.js';
import { loadFashionMnist, syntheticData, trainAndEvaluate, VERSIONS, type ImageData, type VersionName } from './deck004.js';

const NAMES = Object.keys(VERSIONS) as VersionName[];

export const fashionMnistProgression = program({
  description: 'deck 004: v1..v5 on Fashion-MNIST, one after another, with a table of train and test accuracy',
  flags: {
    epochs: { kind: 'positive', default: 5, help: 'epochs of each version' },
    batchSize: { kind: 'positive', default: 32, help: 'batch size' },
    limit: { kind: 'positive', default: Infinity, help: 'train on the first N images and test on the first N/6' },
    seed: { kind: 'count', default: 1, help: 'nr.setSeed before each version' },
    versions: { kind: 'text', default: NAMES.join(','), help: 'the versions to train, separated by commas' },
    data: { kind: 'text', help: "Fashion-MNIST's directory (default: cache, package or download)" },
    synthetic: { kind: 'switch', help: 'random images of the same shape instead of Fashion-MNIST' },
  },
  async run(options, print) {
    const versions = options.versions.split(',').filter((v) => v !== '');
    const unknown = versions.find((v) => !(NAMES as string[]).includes(v));
    if (unknown !== undefined) {
      throw configError('fashion-mnist-progression', {
        expected: `unknown version ${show(unknown)} in --versions`,
        hint: `the versions are ${NAMES.join(', ')}`,
      });
    }
    nr.setSeed(options.seed); // the synthetic images too come from the seeded stream
    let data: ImageData;
    if (options.synthetic) {
      data = syntheticData([28, 28, 1], options.limit, 'synthetic Fashion-MNIST-shaped images');
    } else {
      const { train, test } = await loadFashionMnist({ data: options.data, limit: options.limit });
      data = { train, test, name: 'Fashion-MNIST' };
    }
    print(
      `Fashion-MNIST progression on ${data.name}: ${data.train[0].shape[0]} training and ${data.test[0].shape[0]} test images, ` +
        `${options.epochs} epochs each`,
    );

    const rows: string[] = [];
    for (const name of versions as VersionName[]) {
      nr.setSeed(options.seed);
      const model = VERSIONS[name]([28, 28, 1]);
      const result = await trainAndEvaluate(model, data, options, 0);
      const gap = (result.trainAccuracy - result.testAccuracy).toFixed(4).padStart(7);
      const row =
        `| ${name} | ${model.countParams().toLocaleString('en-US').padStart(9)} | ${result.trainAccuracy.toFixed(4)} | ` +
        `${result.testAccuracy.toFixed(4)} | ${gap} | ${result.seconds.toFixed(1).padStart(6)} |`;
      print(row);
      rows.push(row);
    }
    print('\n| version | params | train accuracy | test accuracy | gap | seconds |\n| --- | ---: | ---: | ---: | ---: | ---: |');
    for (const row of rows) print(row);
  },
});
