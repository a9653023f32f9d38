/*
 * A DCGAN on MNIST (Radford et al. 2015) written as Keras 3's GAN guide writes it: a Model subclass
 * holding the generator and the discriminator, an overridden trainStep that takes one discriminator
 * step and one generator step per batch with their own Adam optimizers, and Mean trackers whose
 * results fit shows like any metric. Writes a sample grid per epoch and prints the judge's class
 * coverage and confidence on 1,000 generated digits.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { program } from './example.js';
import { GENERATIVE_FLAGS, fitGenerative, judgeGenerator, mnistImages, sampleGridPerEpoch, saveDigits } from './generative-output.js';
import { epochLines } from './generative-plots.js';

/** z [n, latentDim] -> [n, 28, 28, 1] in [-1, 1]: Dense to 7x7, two stride-2 transposed convolutions. */
export function dcganGenerator(latentDim: number, width: number): nr.Sequential {
  return new nr.Sequential(
    [
      new nr.layers.Dense({ units: 7 * 7 * 2 * width, useBias: false, inputShape: [latentDim] }),
      new nr.layers.BatchNormalization(),
      new nr.layers.LeakyReLU({ negativeSlope: 0.2 }),
      new nr.layers.Reshape([7, 7, 2 * width]),
      new nr.layers.Conv2DTranspose({ filters: width, kernelSize: 4, strides: 2, padding: 'same', useBias: false }),
      new nr.layers.BatchNormalization(),
      new nr.layers.LeakyReLU({ negativeSlope: 0.2 }),
      new nr.layers.Conv2DTranspose({ filters: 1, kernelSize: 4, strides: 2, padding: 'same', activation: 'tanh' }),
    ],
    { name: 'generator' },
  );
}

/** [n, 28, 28, 1] -> one logit per image (real > 0); no normalization, so the WGAN-GP critic can use it too. */
export function dcganDiscriminator(width: number, name = 'discriminator'): nr.Sequential {
  return new nr.Sequential(
    [
      new nr.layers.Conv2D({ filters: width, kernelSize: 4, strides: 2, padding: 'same', inputShape: [28, 28, 1] }),
      new nr.layers.LeakyReLU({ negativeSlope: 0.2 }),
      new nr.layers.Conv2D({ filters: 2 * width, kernelSize: 4, strides: 2, padding: 'same' }),
      new nr.layers.LeakyReLU({ negativeSlope: 0.2 }),
      new nr.layers.Flatten(),
      new nr.layers.Dense({ units: 1 }),
    ],
    { name },
  );
}

/** Pairs each gradient with its variable for applyGradients. */
export const pairs = (grads: nr.Tensor[], vars: nr.Variable[]) => grads.map((g, i) => [g, vars[i]!] as const);

/** The real images of a batch (fit's x; there is no y). */
export const realImages = (data: nr.StepData): nr.Tensor => (Array.isArray(data[0]) ? data[0][0]! : data[0]);

/** A GAN as one Model: `fit(images)` trains both networks through trainStep; `call(z)` generates. */
export class DCGAN extends nr.Model {
  readonly dLoss = new nr.metrics.Mean({ name: 'd_loss' });
  readonly gLoss = new nr.metrics.Mean({ name: 'g_loss' });
  private readonly bce = new nr.losses.BinaryCrossentropy({ fromLogits: true });

  constructor(
    readonly generator: nr.Model,
    readonly discriminator: nr.Model,
    readonly latentDim: number,
    name = 'dcgan',
  ) {
    super({ name });
  }

  override call(z: nr.Tensor, { training = false } = {}): nr.Tensor {
    return this.generator.apply(z, { training });
  }

  override trainStep(data: nr.StepData): nr.StepLogs {
    const real = realImages(data);
    const n = real.shape[0]!;
    // The discriminator learns to tell the batch from as many generated images (labels 1 and 0).
    const fake = nr.noGrad(() => this.call(nr.randn([n, this.latentDim]), { training: true }));
    const labels = nr.concat([nr.ones([n, 1]), nr.zeros([n, 1])], 0);
    const dVars = this.discriminator.trainableWeights;
    const d = nr.valueAndGrad(() => {
      const logits = this.discriminator.apply(nr.concat([real, fake], 0), { training: true });
      return this.bce.call(labels, logits);
    })(...dVars);
    this.optimizers.discriminator!.applyGradients(pairs(d.grads, dVars));
    // The generator learns to make the discriminator answer "real" (the non-saturating loss).
    const z = nr.randn([n, this.latentDim]);
    const gVars = this.generator.trainableWeights;
    const g = nr.valueAndGrad(() => {
      const logits = this.discriminator.apply(this.call(z, { training: true }), { training: true });
      return this.bce.call(nr.ones([n, 1]), logits);
    })(...gVars);
    this.optimizers.generator!.applyGradients(pairs(g.grads, gVars));
    this.dLoss.updateState(d.value);
    this.gLoss.updateState(g.value);
    return { d_loss: this.dLoss.result(), g_loss: this.gLoss.result() };
  }
}

export const dcgan = program({
  description: 'a DCGAN on MNIST with a custom trainStep and two optimizers: sample grids per epoch, judged coverage and confidence',
  flags: {
    epochs: { kind: 'positive', default: 5, help: 'passes over the training digits' },
    batchSize: { kind: 'positive', default: 128, help: 'real digits per step' },
    latentDim: { kind: 'positive', default: 100, help: 'size of the noise vector z' },
    width: { kind: 'positive', default: 64, help: 'filters of the first convolution (the others are multiples)' },
    ...GENERATIVE_FLAGS,
    out: { kind: 'text', default: 'out/dcgan', help: 'directory for samples-epoch-<k>.png and samples.png' },
  },
  async run(options, print) {
    const { epochs, batchSize, latentDim, width, limit, out } = options;
    nr.setSeed(7);
    const images = await mnistImages(limit);
    const gan = new DCGAN(dcganGenerator(latentDim, width), dcganDiscriminator(width), latentDim);
    // Radford et al.'s Adam: learning rate 2e-4, beta1 0.5.
    gan.compile({
      optimizer: {
        generator: new nr.optimizers.Adam({ learningRate: 2e-4, beta1: 0.5 }),
        discriminator: new nr.optimizers.Adam({ learningRate: 2e-4, beta1: 0.5 }),
      },
    });
    const [generatorSize, discriminatorSize] = [gan.generator.countParams(), gan.discriminator.countParams()];
    print(`${images.shape[0]} training digits; generator ${generatorSize} and discriminator ${discriminatorSize} parameters`);
    const fixedZ = nr.randn([64, latentDim]);
    const sample = () => gan.generator.predict(fixedZ) as nr.Tensor;
    const callbacks = [epochLines(epochs, print), sampleGridPerEpoch(out, sample)];
    await fitGenerative('dcgan', gan, images, { epochs, batchSize, report: options.report, callbacks }, print);
    await saveDigits(join(out, 'samples.png'), sample());
    print(`wrote ${join(out, 'samples.png')} and one samples-epoch-<k>.png per epoch`);
    await judgeGenerator((n) => gan.generator.predict(nr.randn([n, latentDim])) as nr.Tensor, options, print);
  },
});
