/*
 * PixelCNN (van den Oord et al., 2016) on binarised MNIST, after Keras's PixelCNN example: a masked
 * 7x7 convolution of type A (each pixel sees only the pixels above it and to its left), residual
 * blocks around masked 3x3 convolutions of type B (which may also see the pixel's own features),
 * and 1x1 layers down to one Bernoulli logit per pixel. It is trained with plain fit(x, x): the
 * masks make the crossentropy of each pixel given the ones before it, so the summed crossentropy is
 * the exact -log p(x) in nats per image. Prints the test NLL and writes samples.png, digits drawn one
 * pixel at a time.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { saveImageGrid } from '../../vis/grid.js';
import { Report } from '../../vis/report.js';
import { program } from './example.js';
import { epochLines, mnistImages } from './generative-plots.js';

export function pixelCnn(filters: number, blocks: number): nr.Model {
  // Any number of rows, so that sampling can run the model on a band of rows (samplePixelCnn).
  const image = nr.Input({ shape: [null, 28, 1] });
  let h = new nr.layers.MaskedConv2D({ maskType: 'A', filters, kernelSize: 7, padding: 'same', activation: 'relu' }).apply(image);
  for (let b = 0; b < blocks; b++) {
    let r = new nr.layers.Conv2D({ filters: filters / 2, kernelSize: 1, activation: 'relu' }).apply(h);
    r = new nr.layers.MaskedConv2D({ maskType: 'B', filters: filters / 2, kernelSize: 3, padding: 'same', activation: 'relu' }).apply(r);
    r = new nr.layers.Conv2D({ filters, kernelSize: 1, activation: 'relu' }).apply(r);
    h = new nr.layers.Add().apply([h, r]);
  }
  h = new nr.layers.MaskedConv2D({ maskType: 'B', filters, kernelSize: 1, activation: 'relu' }).apply(h);
  const logits = new nr.layers.Conv2D({ filters: 1, kernelSize: 1 }).apply(h);
  return new nr.Model({ inputs: image, outputs: logits, name: 'pixelcnn' });
}

/**
 * Draws `count` images pixel by pixel, row-major. Row i's logits depend only on rows i - reach .. i
 * (the masks never look below; `reach` rows up is the model's receptive field: 3 for the 7x7 mask
 * A, one more per 3x3 mask B), so each step runs the model on that band of rows alone: the zero
 * padding that replaces the rows outside it is never read by row i.
 */
export function samplePixelCnn(model: nr.Model, count: number, reach: number): nr.Tensor {
  const pixels = new Float32Array(count * 784);
  nr.noGrad(() => {
    for (let i = 0; i < 28; i++) {
      const top = Math.max(0, i - reach);
      for (let j = 0; j < 28; j++) {
        const band = nr.tensor(pixels, [count, 28, 28, 1]).slice([0, top, 0, 0], [count, i + 1 - top, 28, 1]);
        const p = (model.apply(band) as nr.Tensor)
          .slice([0, i - top, j, 0], [count, 1, 1, 1])
          .sigmoid()
          .data();
        const u = nr.randu([count]).data();
        for (let n = 0; n < count; n++) pixels[n * 784 + i * 28 + j] = u[n]! < p[n]! ? 1 : 0;
      }
    }
  });
  return nr.tensor(pixels, [count, 28, 28, 1]);
}

export const pixelcnn = program({
  description: 'PixelCNN on binarised MNIST: test NLL in nats per image and digits sampled pixel by pixel',
  flags: {
    limit: { kind: 'positive', default: 60000, help: 'training images' },
    testLimit: { kind: 'positive', default: 10000, help: 'test images scored' },
    filters: { kind: 'positive', default: 32, help: 'channels of the masked layers (even)' },
    blocks: { kind: 'count', default: 2, help: 'residual blocks' },
    epochs: { kind: 'positive', default: 5, help: 'epochs' },
    batchSize: { kind: 'positive', default: 128, help: 'batch size' },
    samples: { kind: 'positive', default: 16, help: 'digits to sample' },
    out: { kind: 'text', default: 'out/pixelcnn', help: 'directory for samples.png' },
    report: { kind: 'text', help: 'write a live HTML run report there' },
  },
  async run({ limit, testLimit, filters, blocks, epochs, batchSize, samples, out, report }, print) {
    if (filters % 2 !== 0) {
      // The residual blocks narrow to filters / 2 channels and widen back.
      throw configError('pixelcnn', {
        expected: '--filters must be even',
        got: `--filters ${filters}`,
        hint: `use --filters ${filters + 1}`,
      });
    }
    nr.setSeed(3);
    const images = await mnistImages(limit, testLimit);
    const [x, xTest] = [images.x, images.xTest].map((t) => t.greater(0.5).cast('float32')) as [nr.Tensor, nr.Tensor];
    print(`${x.shape[0]} training and ${xTest.shape[0]} test images, binarised at 0.5`);
    nr.setSeed(1);
    const model = pixelCnn(filters, blocks);
    model.compile({
      optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }),
      loss: new nr.losses.BinaryCrossentropy({ fromLogits: true }),
    });
    // The loss is the mean over pixels; times 784 it is nats per image.
    const callbacks: nr.callbacks.Callback[] = [epochLines(epochs, print, 'pixelcnn')];
    if (report) callbacks.push(new Report({ dir: report, title: 'neurona train pixelcnn' }));
    const start = performance.now();
    await model.fit(x, x, { epochs, batchSize, verbose: 0, callbacks, validationData: [xTest, xTest] });
    const seconds = (performance.now() - start) / 1000;
    const { loss } = await model.evaluate(xTest, xTest, { batchSize: 500, verbose: 0 });
    print(`test NLL: ${(loss! * 784).toFixed(2)} nats per image (${model.countParams()} parameters, ${seconds.toFixed(1)} s)`);
    const started = performance.now();
    const drawn = samplePixelCnn(model, samples, 3 + blocks);
    const mean = drawn.mean().item();
    print(
      `sampled ${samples} digits in ${((performance.now() - started) / 1000).toFixed(1)} s: ${(mean * 100).toFixed(1)} % of pixels on ` +
        `(test digits: ${(xTest.mean().item() * 100).toFixed(1)} %)`,
    );
    const path = join(out, 'samples.png');
    await saveImageGrid(path, drawn, { columns: Math.ceil(Math.sqrt(samples)), scale: 2, range: 'unit' });
    print(`wrote ${path}`);
    if (report) print(`Report: ${report}/index.html`);
  },
});
