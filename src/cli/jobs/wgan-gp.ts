/*
 * A Wasserstein GAN with gradient penalty on MNIST (Gulrajani et al. 2017): the critic scores images
 * (no sigmoid), takes several steps per generator step, and pays lambda * (||grad_x D(x_hat)|| - 1)^2
 * on random interpolates x_hat of real and generated digits. The penalty's gradient with respect to
 * the critic's weights is a second derivative through its convolutions: an nr.grad nested inside
 * nr.valueAndGrad. Writes sample grids and prints the judge's coverage and confidence.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { program } from './example.js';
import { DCGAN, dcganDiscriminator, dcganGenerator, pairs, realImages } from './dcgan.js';
import { GENERATIVE_FLAGS, fitGenerative, judgeGenerator, mnistImages, sampleGridPerEpoch, saveDigits } from './generative-output.js';
import { epochLines } from './generative-plots.js';

/** The DCGAN's networks trained with the Wasserstein loss and the gradient penalty. */
export class WGANGP extends DCGAN {
  readonly penalty = new nr.metrics.Mean({ name: 'gp' });
  readonly distance = new nr.metrics.Mean({ name: 'w_distance' });

  constructor(
    generator: nr.Model,
    critic: nr.Model,
    latentDim: number,
    readonly criticSteps: number,
    readonly lambda = 10,
  ) {
    super(generator, critic, latentDim, 'wgan_gp');
  }

  /** The mean over the batch of (||grad of the critic at x||_2 - 1)^2, differentiable in the critic's weights. */
  gradientPenalty(x: nr.Tensor): nr.Tensor {
    const [gradient] = nr.grad((xi: nr.Tensor) => this.discriminator.apply(xi, { training: true }).sum())(x);
    // The epsilon keeps sqrt's derivative finite should a gradient vanish.
    const norm = gradient!.square().sum([1, 2, 3]).add(1e-12).sqrt();
    return norm.sub(1).square().mean();
  }

  override trainStep(data: nr.StepData): nr.StepLogs {
    const real = realImages(data);
    const n = real.shape[0]!;
    const cVars = this.discriminator.trainableWeights;
    // As Keras's WGAN-GP guide, the critic steps reuse the batch's real digits with fresh noise.
    for (let step = 0; step < this.criticSteps; step++) {
      const fake = nr.noGrad(() => this.call(nr.randn([n, this.latentDim]), { training: true }));
      const epsilon = nr.randu([n, 1, 1, 1]);
      const interpolates = real.mul(epsilon).add(fake.mul(epsilon.neg().add(1)));
      let gp = 0;
      let distance = 0;
      const c = nr.valueAndGrad(() => {
        const scoreReal = this.discriminator.apply(real, { training: true }).mean();
        const scoreFake = this.discriminator.apply(fake, { training: true }).mean();
        const penalty = this.gradientPenalty(interpolates);
        gp = penalty.item();
        distance = scoreReal.sub(scoreFake).item();
        return scoreFake.sub(scoreReal).add(penalty.mul(this.lambda));
      })(...cVars);
      this.optimizers.discriminator!.applyGradients(pairs(c.grads, cVars));
      if (step === this.criticSteps - 1) {
        this.dLoss.updateState(c.value);
        this.penalty.updateState(gp);
        this.distance.updateState(distance);
      }
    }
    const z = nr.randn([n, this.latentDim]);
    const gVars = this.generator.trainableWeights;
    const g = nr.valueAndGrad(() =>
      this.discriminator
        .apply(this.call(z, { training: true }), { training: true })
        .mean()
        .neg(),
    )(...gVars);
    this.optimizers.generator!.applyGradients(pairs(g.grads, gVars));
    this.gLoss.updateState(g.value);
    return { d_loss: this.dLoss.result(), g_loss: this.gLoss.result(), gp: this.penalty.result(), w_distance: this.distance.result() };
  }
}

export const wganGp = program({
  description: 'a WGAN with gradient penalty (second derivatives) on MNIST: sample grids per epoch, judged coverage and confidence',
  flags: {
    epochs: { kind: 'positive', default: 5, help: 'passes over the training digits' },
    batchSize: { kind: 'positive', default: 64, help: 'real digits per step' },
    criticSteps: { kind: 'positive', default: 5, help: 'critic updates per generator update' },
    latentDim: { kind: 'positive', default: 100, help: 'size of the noise vector z' },
    width: { kind: 'positive', default: 32, help: 'filters of the first convolution (the others are multiples)' },
    ...GENERATIVE_FLAGS,
    out: { kind: 'text', default: 'out/wgan-gp', help: 'directory for samples-epoch-<k>.png and samples.png' },
  },
  async run(options, print) {
    const { epochs, batchSize, criticSteps, latentDim, width, limit, out } = options;
    nr.setSeed(7);
    const images = await mnistImages(limit);
    const gan = new WGANGP(dcganGenerator(latentDim, width), dcganDiscriminator(width, 'critic'), latentDim, criticSteps);
    // Gulrajani et al.'s Adam: learning rate 1e-4, beta1 0, beta2 0.9.
    const adam = () => new nr.optimizers.Adam({ learningRate: 1e-4, beta1: 0, beta2: 0.9 });
    gan.compile({ optimizer: { generator: adam(), discriminator: adam() } });
    print(`${images.shape[0]} training digits, ${criticSteps} critic steps per generator step, lambda ${gan.lambda}`);
    const fixedZ = nr.randn([64, latentDim]);
    const sample = () => gan.generator.predict(fixedZ) as nr.Tensor;
    const callbacks = [epochLines(epochs, print), sampleGridPerEpoch(out, sample)];
    await fitGenerative('wgan-gp', gan, images, { epochs, batchSize, report: options.report, callbacks }, print);
    await saveDigits(join(out, 'samples.png'), sample());
    print(`wrote ${join(out, 'samples.png')} and one samples-epoch-<k>.png per epoch`);
    await judgeGenerator((n) => gan.generator.predict(nr.randn([n, latentDim])) as nr.Tensor, options, print);
  },
});
