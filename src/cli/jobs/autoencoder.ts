/*
 * Autoencoders on MNIST, trained with plain fit(x, x): a dense one (784 -> code -> 784), a
 * convolutional one (strided convolutions down to 7x7, transposed convolutions back up), and the
 * same convolutional one trained as a denoiser (noisy inputs, clean targets). Prints each model's
 * test reconstruction loss beside the mean image's, and writes reconstructions.png: test digits
 * over each model's reconstructions (and the noisy inputs over the denoised ones).
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { saveImageGrid } from '../../vis/grid.js';
import { Report } from '../../vis/report.js';
import { program } from './example.js';
import { epochLines, mnistImages } from './generative-plots.js';

/** The images with Gaussian noise of this standard deviation added, clipped back into [0, 1]. */
const noisy = (x: nr.Tensor, std: number) => x.add(nr.randn(x.shape, { std })).clip(0, 1);

const dense = (code: number) =>
  new nr.Sequential([
    new nr.layers.Flatten({ inputShape: [28, 28, 1] }),
    new nr.layers.Dense({ units: code, activation: 'relu' }),
    new nr.layers.Dense({ units: 784, activation: 'sigmoid' }),
    new nr.layers.Reshape({ targetShape: [28, 28, 1] }),
  ]);

// Keras's convolutional autoencoder with strides in place of pooling: 28 -> 14 -> 7 and back.
const convolutional = () =>
  new nr.Sequential([
    new nr.layers.Conv2D({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', inputShape: [28, 28, 1] }),
    new nr.layers.Conv2D({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Conv2DTranspose({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Conv2DTranspose({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
    new nr.layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'same', activation: 'sigmoid' }),
  ]);

export const autoencoder = program({
  description: 'dense, convolutional and denoising autoencoders on MNIST: test reconstruction loss and a reconstructions grid',
  flags: {
    limit: { kind: 'positive', default: 20000, help: 'training images' },
    testLimit: { kind: 'positive', default: 10000, help: 'test images scored' },
    epochs: { kind: 'positive', default: 5, help: 'epochs for each model' },
    batchSize: { kind: 'positive', default: 128, help: 'batch size' },
    code: { kind: 'positive', default: 32, help: "units of the dense autoencoder's code" },
    noise: { kind: 'count', default: 50, help: "the denoiser's input noise, standard deviation in hundredths of the [0, 1] pixel range" },
    out: { kind: 'text', default: 'out/autoencoder', help: 'directory for reconstructions.png' },
    report: { kind: 'text', help: 'write a live HTML run report of each model into <dir>/<model>' },
  },
  async run({ limit, testLimit, epochs, batchSize, code, noise, out, report }, print) {
    if (code > 784)
      throw configError('autoencoder', { expected: '--code must be at most 784 (the pixels of an image)', got: `--code ${code}` });
    nr.setSeed(3);
    const { x, xTest } = await mnistImages(limit, testLimit);
    const std = noise / 100;
    const xTestNoisy = noisy(xTest, std);
    const mse = (target: nr.Tensor, y: nr.Tensor) =>
      nr.losses
        .meanSquaredError(target.reshape([target.shape[0]!, -1]), y.reshape([y.shape[0]!, -1]))
        .mean()
        .item();
    const bce = (target: nr.Tensor, y: nr.Tensor) => nr.losses.binaryCrossentropy(target, y).mean().item();
    const mean = x.mean(0, true).broadcastTo(xTest.shape);
    print(`${x.shape[0]} training and ${xTest.shape[0]} test images`);
    print('model          parameters   test BCE   test MSE   seconds');
    print(`${'mean image'.padEnd(15)}${'0'.padStart(10)}   ${bce(xTest, mean).toFixed(4)}     ${mse(xTest, mean).toFixed(4)}`);

    const shown = xTest.slice(0, 10);
    const rows: nr.Tensor[] = [shown];
    const models = [
      { name: 'dense', build: () => dense(code), input: x, testInput: xTest },
      { name: 'convolutional', build: convolutional, input: x, testInput: xTest },
      // Fresh noise every run of the job, but the same noise every epoch: a fixed noisy copy.
      { name: 'denoising', build: convolutional, input: noisy(x, std), testInput: xTestNoisy },
    ];
    for (const { name, build, input, testInput } of models) {
      nr.setSeed(1);
      const model = build();
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 2e-3 }), loss: 'binary_crossentropy' });
      const callbacks: nr.callbacks.Callback[] = [epochLines(epochs, print, name)];
      if (report) callbacks.push(new Report({ dir: join(report, name), title: `neurona train autoencoder: ${name}` }));
      const start = performance.now();
      await model.fit(input, x, { epochs, batchSize, verbose: 0, callbacks, validationData: [testInput, xTest] });
      const seconds = (performance.now() - start) / 1000;
      const y = model.predict(testInput, { batchSize: 500 }) as nr.Tensor;
      const figures = `${bce(xTest, y).toFixed(4)}     ${mse(xTest, y).toFixed(4)}   ${seconds.toFixed(1).padStart(7)}`;
      print(`${name.padEnd(15)}${String(model.countParams()).padStart(10)}   ${figures}`);
      if (name === 'denoising') rows.push(testInput.slice(0, 10));
      rows.push(y.slice(0, 10));
    }
    print(`noisy inputs (std ${std}) against the clean digits: test MSE ${mse(xTest, xTestNoisy).toFixed(4)}`);
    const path = join(out, 'reconstructions.png');
    await saveImageGrid(path, nr.concat(rows, 0), { columns: 10, scale: 2, range: 'unit' });
    print(`wrote ${path} (rows: test digits, dense, convolutional, noisy inputs, denoised)`);
    if (report) print(`Reports: ${join(report, '<model>')}/index.html for dense, convolutional, denoising`);
  },
});
