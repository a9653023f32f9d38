/*
 * A convolutional variational autoencoder on MNIST, after Keras 3's VAE guide: an encoder gives the
 * mean and log-variance of q(z|x), z is drawn by the reparameterisation trick, a decoder gives
 * Bernoulli logits per pixel, and a custom trainStep minimises the negative ELBO (reconstruction +
 * KL to N(0, I)) with Mean trackers total_loss / reconstruction_loss / kl_loss. The pixels are
 * binarised (> 0.5), so the Bernoulli likelihood is a proper one and the negative ELBO is an upper
 * bound on -log p(x) in nats per image. Trains one model per --latents entry (2 and 16 by default),
 * prints each one's test negative ELBO, and for the 2-D one writes manifold.png (digits decoded from
 * a grid of latent points) and latent.png (test digits' latent means coloured by class).
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError } from '../../core/index.js';
import { saveImageGrid } from '../../vis/grid.js';
import { Report } from '../../vis/report.js';
import { program } from './example.js';
import { epochLines, mnistImages, saveScatter } from './generative-plots.js';

/** Bernoulli negative log-likelihood of binary pixels `x` under `logits`, summed over each image's pixels: `[n]`. */
export const bernoulliNll = (x: nr.Tensor, logits: nr.Tensor) => logits.softplus().sub(x.mul(logits)).reshape([x.shape[0]!, -1]).sum(-1);

/** KL(N(mean, exp(logVar)) || N(0, I)) per row, in closed form: `[n]`. */
export const gaussianKl = (mean: nr.Tensor, logVar: nr.Tensor) => logVar.exp().add(mean.square()).sub(logVar).sub(1).sum(-1).mul(0.5);

export class VAE extends nr.Model {
  encoder: nr.Model;
  decoder: nr.Sequential;
  totalLoss = new nr.metrics.Mean({ name: 'total_loss' });
  reconstructionLoss = new nr.metrics.Mean({ name: 'reconstruction_loss' });
  klLoss = new nr.metrics.Mean({ name: 'kl_loss' });

  constructor(readonly latent: number) {
    super();
    const image = nr.Input({ shape: [28, 28, 1] });
    let h = new nr.layers.Conv2D({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(image);
    h = new nr.layers.Conv2D({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }).apply(h);
    h = new nr.layers.Dense({ units: 16, activation: 'relu' }).apply(new nr.layers.Flatten().apply(h));
    const zMean = new nr.layers.Dense({ units: latent, name: 'z_mean' }).apply(h);
    const zLogVar = new nr.layers.Dense({ units: latent, name: 'z_log_var' }).apply(h);
    this.encoder = new nr.Model({ inputs: image, outputs: [zMean, zLogVar], name: 'encoder' });
    this.decoder = new nr.Sequential(
      [
        new nr.layers.Dense({ units: 7 * 7 * 64, activation: 'relu', inputShape: [latent] }),
        new nr.layers.Reshape({ targetShape: [7, 7, 64] }),
        new nr.layers.Conv2DTranspose({ filters: 64, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        new nr.layers.Conv2DTranspose({ filters: 32, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu' }),
        // Logits rather than Keras's sigmoid: softplus(l) - x l is the Bernoulli NLL without log(0).
        new nr.layers.Conv2DTranspose({ filters: 1, kernelSize: 3, padding: 'same' }),
      ],
      { name: 'decoder' },
    );
  }

  /** The negative ELBO's two terms per image, with z drawn once per image by the reparameterisation trick. */
  elboTerms(x: nr.Tensor): { reconstruction: nr.Tensor; kl: nr.Tensor } {
    const [mean, logVar] = this.encoder.apply<nr.Tensor[]>([x]);
    const z = mean!.add(logVar!.mul(0.5).exp().mul(nr.randn(mean!.shape)));
    return { reconstruction: bernoulliNll(x, this.decoder.apply(z)), kl: gaussianKl(mean!, logVar!) };
  }

  /** Pixel probabilities of the decoded latent means. */
  override call(x: nr.Tensor): nr.Tensor {
    const [mean] = this.encoder.apply<nr.Tensor[]>([x]);
    return this.decoder.apply(mean!).sigmoid();
  }

  private track(reconstruction: nr.Tensor, kl: nr.Tensor): nr.StepLogs {
    this.reconstructionLoss.updateState(reconstruction.mean());
    this.klLoss.updateState(kl.mean());
    this.totalLoss.updateState(reconstruction.add(kl).mean());
    return { total_loss: this.totalLoss.result(), reconstruction_loss: this.reconstructionLoss.result(), kl_loss: this.klLoss.result() };
  }

  override trainStep([x]: nr.StepData): nr.StepLogs {
    const vars = this.trainableWeights;
    let terms: { reconstruction: nr.Tensor; kl: nr.Tensor } | null = null;
    const { grads } = nr.valueAndGrad(() => {
      const { reconstruction, kl } = this.elboTerms(x as nr.Tensor);
      terms = { reconstruction: reconstruction.detach(), kl: kl.detach() };
      return reconstruction.add(kl).mean();
    })(...vars);
    this.optimizer!.apply(grads, vars);
    return this.track(terms!.reconstruction, terms!.kl);
  }

  override testStep([x]: nr.StepData): nr.StepLogs {
    const { reconstruction, kl } = this.elboTerms(x as nr.Tensor);
    return this.track(reconstruction, kl);
  }
}

export const vae = program({
  description: 'convolutional VAE on binarised MNIST: test negative ELBO per image (2-D and 16-D latents), latent manifold and scatter',
  flags: {
    limit: { kind: 'positive', default: 60000, help: 'training images' },
    testLimit: { kind: 'positive', default: 10000, help: 'test images scored' },
    latents: { kind: 'text', default: '2,16', help: 'latent sizes, one model each (comma-separated)' },
    epochs: { kind: 'positive', default: 10, help: 'epochs for each model' },
    batchSize: { kind: 'positive', default: 128, help: 'batch size' },
    grid: { kind: 'positive', default: 20, help: 'digits per side of the manifold picture' },
    out: { kind: 'text', default: 'out/vae', help: 'directory for manifold.png and latent.png' },
    report: { kind: 'text', help: 'write a live HTML run report of each model into <dir>/latent-<size>' },
  },
  async run({ limit, testLimit, latents, epochs, batchSize, grid, out, report }, print) {
    const sizes = latents.split(',').map(Number);
    if (sizes.some((size) => !Number.isInteger(size) || size < 1)) {
      throw configError('vae', { expected: '--latents must list positive integers, e.g. 2,16', got: `--latents ${latents}` });
    }
    nr.setSeed(3);
    const images = await mnistImages(limit, testLimit);
    const [x, xTest] = [images.x, images.xTest].map((t) => t.greater(0.5).cast('float32')) as [nr.Tensor, nr.Tensor];
    print(`${x.shape[0]} training and ${xTest.shape[0]} test images, binarised at 0.5`);
    for (const size of sizes) {
      nr.setSeed(1);
      const model = new VAE(size);
      model.compile({ optimizer: new nr.optimizers.Adam({ learningRate: 1e-3 }) });
      const callbacks: nr.callbacks.Callback[] = [epochLines(epochs, print, `latent-${size}`)];
      if (report) callbacks.push(new Report({ dir: join(report, `latent-${size}`), title: `neurona train vae: ${size}-D latent` }));
      const start = performance.now();
      await model.fit(x, { epochs, batchSize, verbose: 0, callbacks, validationData: [xTest] });
      const seconds = (performance.now() - start) / 1000;
      const terms = { reconstruction: 0, kl: 0 };
      nr.noGrad(() => {
        for (let at = 0; at < xTest.shape[0]!; at += 500) {
          const { reconstruction, kl } = model.elboTerms(xTest.slice(at, Math.min(500, xTest.shape[0]! - at)));
          [terms.reconstruction, terms.kl] = [terms.reconstruction + reconstruction.sum().item(), terms.kl + kl.sum().item()];
        }
      });
      const [r, k] = [terms.reconstruction / xTest.shape[0]!, terms.kl / xTest.shape[0]!];
      print(
        `latent-${size}: test negative ELBO ${(r + k).toFixed(2)} nats per image (reconstruction ${r.toFixed(2)} + KL ${k.toFixed(2)}), ` +
          `${model.countParams()} parameters, ${seconds.toFixed(1)} s`,
      );
      if (size !== 2) continue;
      // Keras's plot_latent_space: decode an evenly spaced grid of z over [-2, 2]^2 (about 95 % of the prior per axis).
      const zs = new Float32Array(grid * grid * 2);
      for (let i = 0; i < grid; i++) {
        for (let j = 0; j < grid; j++)
          zs.set([-2 + (4 * j) / Math.max(1, grid - 1), 2 - (4 * i) / Math.max(1, grid - 1)], 2 * (i * grid + j));
      }
      const decoded = nr.noGrad(() => model.decoder.apply(nr.tensor(zs, [grid * grid, 2])).sigmoid());
      const spread = decoded.sub(decoded.mean(0, true)).square().mean(0).sqrt().mean().item();
      print(`manifold: pixel standard deviation across the ${grid * grid} digits ${spread.toFixed(4)}`);
      const manifold = join(out, 'manifold.png');
      await saveImageGrid(manifold, decoded, { columns: grid, padding: 0, range: 'unit' });
      const shown = Math.min(xTest.shape[0]!, 2000);
      const [means] = nr.noGrad(() => model.encoder.predict<nr.Tensor[]>(xTest.slice(0, shown)));
      const labels = [...images.yTest.slice(0, shown).data()].map(String);
      const scatter = join(out, 'latent.png');
      await saveScatter(scatter, means!, labels, `latent means of ${shown} test digits, by class`);
      print(`wrote ${manifold} and ${scatter}`);
    }
    if (report) print(`Reports: ${join(report, 'latent-<size>')}/index.html`);
  },
});
