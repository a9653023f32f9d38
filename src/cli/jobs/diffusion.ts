/*
 * A denoising diffusion probabilistic model on MNIST (Ho et al. 2020): noise is added to digits over
 * T steps of a linear beta schedule, and a small U-Net (GroupNormalization, a sinusoidal timestep
 * embedding added in every residual block, skip connections by Concatenate, down- and up-sampling)
 * learns to predict that noise (epsilon prediction, mean squared error) in an overridden trainStep.
 * Samples by the ancestral sampler (T network calls) or, with --ddim-steps, by DDIM's deterministic
 * sampler on fewer steps (Song et al. 2021); writes a sample grid and the denoising chain x_T ... x_0,
 * and prints the judge's class coverage and confidence.
 */
import { join } from 'node:path';
import * as nr from '../../index.js';
import { configError, show } from '../../core/index.js';
import { program } from './example.js';

type Symbolic = nr.layers.SymbolicTensor;
import { GENERATIVE_FLAGS, fitGenerative, judgeGenerator, mnistImages, saveDigits } from './generative-output.js';
import { epochLines } from './generative-plots.js';

/**
 * Ho et al.'s linear beta schedule (1e-4 to 0.02 over 1,000 steps) and the products the sampler and
 * the loss read, as float64 arrays. For T other than 1,000 both ends scale by 1000 / T (Nichol and
 * Dhariwal's rule), so that x_T is noise whatever T: unscaled, 20 steps would keep 82 % of the digit.
 */
export function linearSchedule(timesteps: number) {
  const scale = 1000 / timesteps;
  const betaStart = Math.min(0.5, 1e-4 * scale);
  const betaEnd = Math.min(0.999, 0.02 * scale);
  const betas = Float64Array.from({ length: timesteps }, (_, t) => betaStart + ((betaEnd - betaStart) * t) / Math.max(1, timesteps - 1));
  const alphaBars = new Float64Array(timesteps);
  let product = 1;
  betas.forEach((beta, t) => (alphaBars[t] = product *= 1 - beta));
  return { betas, alphaBars };
}

/** Two 3x3 convolutions, each after GroupNormalization and swish, the timestep's projection added between them, and a residual. */
function residualBlock(x: Symbolic, embedding: Symbolic, channels: number, groups: number): Symbolic {
  const norm = () => new nr.layers.GroupNormalization({ groups });
  const conv = (h: Symbolic) => new nr.layers.Conv2D({ filters: channels, kernelSize: 3, padding: 'same' }).apply(h);
  const swish = (h: Symbolic) => new nr.layers.Activation('swish').apply(h);
  let h = conv(swish(norm().apply(x)));
  const step = new nr.layers.Dense({ units: channels }).apply(embedding);
  h = new nr.layers.Add().apply([h, new nr.layers.Reshape([1, 1, channels]).apply(step)]);
  h = conv(swish(norm().apply(h)));
  const skip = x.shape.at(-1) === channels ? x : new nr.layers.Conv2D({ filters: channels, kernelSize: 1 }).apply(x);
  return new nr.layers.Add().apply([h, skip]);
}

/**
 * The noise predictor: inputs x_t [n, 28, 28, 1] and the timestep's sinusoidal embedding
 * [n, embeddingDim]; output the predicted noise [n, 28, 28, 1]. Resolutions 28 -> 14 -> 7 -> 14 -> 28
 * with `width` and 2 * `width` channels, the encoder's activations concatenated into the decoder.
 */
export function smallUNet(width: number, embeddingDim: number, groups = 8): nr.Model {
  const image = nr.Input({ shape: [28, 28, 1], name: 'x_t' });
  const time = nr.Input({ shape: [embeddingDim], name: 'timestep_embedding' });
  const embedding = new nr.layers.Dense({ units: 4 * width, activation: 'swish' }).apply(time);
  const down = (h: Symbolic, channels: number) =>
    new nr.layers.Conv2D({ filters: channels, kernelSize: 3, strides: 2, padding: 'same' }).apply(h);
  const up = (h: Symbolic, skip: Symbolic) => new nr.layers.Concatenate().apply([new nr.layers.UpSampling2D({ size: 2 }).apply(h), skip]);
  const stem = new nr.layers.Conv2D({ filters: width, kernelSize: 3, padding: 'same' }).apply(image);
  const full = residualBlock(stem, embedding, width, groups);
  const half = residualBlock(down(full, width), embedding, 2 * width, groups);
  const quarter = residualBlock(down(half, 2 * width), embedding, 2 * width, groups);
  const halfUp = residualBlock(up(quarter, half), embedding, 2 * width, groups);
  const fullUp = residualBlock(up(halfUp, full), embedding, width, groups);
  const h = new nr.layers.Activation('swish').apply(new nr.layers.GroupNormalization({ groups }).apply(fullUp));
  const noise = new nr.layers.Conv2D({ filters: 1, kernelSize: 3, padding: 'same' }).apply(h);
  return new nr.Model({ inputs: [image, time], outputs: noise, name: 'unet' });
}

/** A DDPM as one Model: `fit(images)` trains the U-Net through trainStep; `sample` generates. */
export class DDPM extends nr.Model {
  readonly noiseLoss = new nr.metrics.Mean({ name: 'loss' });
  readonly betas: Float64Array;
  readonly alphaBars: Float64Array;

  constructor(
    readonly network: nr.Model,
    readonly timesteps: number,
    readonly embeddingDim: number,
  ) {
    super({ name: 'ddpm' });
    ({ betas: this.betas, alphaBars: this.alphaBars } = linearSchedule(timesteps));
  }

  /** The predicted noise of images x_t at the timesteps `t` (one per image). */
  predictNoise(x: nr.Tensor, t: readonly number[], training = false): nr.Tensor {
    const embedding = nr.timestepEmbedding(nr.tensor([...t]), this.embeddingDim);
    return this.network.apply([x, embedding], { training });
  }

  override call(inputs: nr.Tensor[], { training = false } = {}): nr.Tensor {
    return this.network.apply(inputs, { training });
  }

  /** Column [n, 1, 1, 1] of `values[t]` per image, to scale a batch by its timesteps' coefficients. */
  private perImage(values: readonly number[]): nr.Tensor {
    return nr.tensor([...values]).reshape([values.length, 1, 1, 1]);
  }

  override trainStep(data: nr.StepData): nr.StepLogs {
    const x0 = Array.isArray(data[0]) ? data[0][0]! : data[0];
    const n = x0.shape[0]!;
    const t = Array.from(nr.randu([n]).data(), (u) => Math.min(this.timesteps - 1, Math.floor(u * this.timesteps)));
    const noise = nr.randn(x0.shape);
    // x_t = sqrt(alphaBar_t) x_0 + sqrt(1 - alphaBar_t) epsilon, in closed form for any t.
    const signal = this.perImage(t.map((s) => Math.sqrt(this.alphaBars[s]!)));
    const spread = this.perImage(t.map((s) => Math.sqrt(1 - this.alphaBars[s]!)));
    const xt = x0.mul(signal).add(noise.mul(spread));
    const vars = this.network.trainableWeights;
    const { value, grads } = nr.valueAndGrad(() => this.predictNoise(xt, t, true).sub(noise).square().mean())(...vars);
    this.optimizer!.applyGradients(grads.map((g, i) => [g, vars[i]!] as const));
    this.noiseLoss.updateState(value);
    return { loss: this.noiseLoss.result() };
  }

  /**
   * `n` digits from pure noise: ancestral sampling over all T steps when `ddimSteps` is 0, else DDIM
   * (eta 0) over that many evenly spaced steps. `onStep(t, x)` sees every intermediate x_t.
   */
  sample(n: number, ddimSteps = 0, onStep?: (t: number, x: nr.Tensor) => void): nr.Tensor {
    return nr.noGrad(() => {
      let x = nr.randn([n, 28, 28, 1]);
      onStep?.(this.timesteps, x);
      const steps =
        ddimSteps > 0 ? ddimTimesteps(this.timesteps, ddimSteps) : Array.from({ length: this.timesteps }, (_, i) => this.timesteps - 1 - i);
      steps.forEach((t, i) => {
        const eps = this.predictNoise(x, new Array<number>(n).fill(t));
        const alphaBar = this.alphaBars[t]!;
        const previous = i + 1 < steps.length ? this.alphaBars[steps[i + 1]!]! : 1;
        // Both samplers go through the predicted x_0, clipped to the data's range as Ho et al.'s code
        // does: a poor noise estimate at a noisy step would otherwise be amplified by 1 / sqrt(alpha_t).
        const x0 = x
          .sub(eps.mul(Math.sqrt(1 - alphaBar)))
          .div(Math.sqrt(alphaBar))
          .clip(-1, 1);
        if (ddimSteps > 0) {
          x = x0.mul(Math.sqrt(previous)).add(eps.mul(Math.sqrt(1 - previous)));
        } else {
          // The mean of q(x_{t-1} | x_t, x_0), then Ho et al.'s sigma_t^2 = beta_t (no noise at the last step).
          const beta = this.betas[t]!;
          const mean = x0
            .mul((Math.sqrt(previous) * beta) / (1 - alphaBar))
            .add(x.mul((Math.sqrt(1 - beta) * (1 - previous)) / (1 - alphaBar)));
          x = t > 0 ? mean.add(nr.randn([n, 28, 28, 1]).mul(Math.sqrt(beta))) : mean;
        }
        onStep?.(i + 1 < steps.length ? steps[i + 1]! : 0, x);
      });
      return x;
    });
  }
}

/** `count` timesteps from T - 1 down to 0, evenly spaced (DDIM's sub-sequence). */
export function ddimTimesteps(timesteps: number, count: number): number[] {
  const k = Math.min(count, timesteps);
  return Array.from({ length: k }, (_, i) => Math.round(((timesteps - 1) * (k - 1 - i)) / Math.max(1, k - 1)));
}

export const diffusion = program({
  description: 'a DDPM with a small U-Net on MNIST: sample grid, denoising chain, judged coverage and confidence; DDIM as an option',
  flags: {
    epochs: { kind: 'positive', default: 5, help: 'passes over the training digits' },
    batchSize: { kind: 'positive', default: 128, help: 'digits per step' },
    timesteps: { kind: 'positive', default: 1000, help: 'diffusion steps T' },
    width: { kind: 'positive', default: 32, help: "channels at the U-Net's full resolution (twice that below)" },
    ddimSteps: { kind: 'count', default: 0, help: 'sample by DDIM on this many steps (default 0: ancestral sampling on all T)' },
    learningRate: { kind: 'text', default: '2e-4', help: "Adam's learning rate (Ho et al.'s 2e-4)" },
    ema: {
      kind: 'text',
      default: '0.999',
      help: "momentum of the weights' moving average that sampling uses (Adam's useEma, as Ho et al.); 0 turns it off",
    },
    ...GENERATIVE_FLAGS,
    out: { kind: 'text', default: 'out/diffusion', help: 'directory for samples.png and chain.png' },
  },
  async run(options, print) {
    const { epochs, batchSize, timesteps, width, ddimSteps, limit, out } = options;
    const learningRate = Number(options.learningRate);
    if (!(learningRate > 0 && learningRate < 1)) {
      throw configError('diffusion', {
        expected: '--learning-rate must be a number in (0, 1)',
        got: show(options.learningRate),
        hint: 'e.g. 2e-4',
      });
    }
    const ema = Number(options.ema);
    if (!(ema >= 0 && ema < 1)) {
      throw configError('diffusion', {
        expected: '--ema must be a number in [0, 1) (0: no moving average)',
        got: show(options.ema),
        hint: 'e.g. 0.999',
      });
    }
    if (width % 8 !== 0) {
      // Every GroupNormalization has 8 groups, and the decoder's inputs have 3 x width channels.
      throw configError('diffusion', { expected: '--width must be a multiple of 8 (GroupNormalization uses 8 groups)', got: show(width) });
    }
    nr.setSeed(7);
    const images = await mnistImages(limit);
    const embeddingDim = 4 * width;
    const model = new DDPM(smallUNet(width, embeddingDim), timesteps, embeddingDim);
    // With useEma, fit ends by putting the weights' moving average into the network (Keras's finalize_variable_values).
    model.compile({ optimizer: new nr.optimizers.Adam({ learningRate, useEma: ema > 0, emaMomentum: ema }) });
    print(`${images.shape[0]} training digits, T = ${timesteps}, U-Net of ${model.network.countParams()} parameters`);
    if (ema > 0) print(`sampling uses the moving average of the weights (momentum ${ema})`);
    await fitGenerative(
      'diffusion',
      model,
      images,
      { epochs, batchSize, report: options.report, callbacks: [epochLines(epochs, print)] },
      print,
    );
    const sampler = ddimSteps > 0 ? `DDIM on ${Math.min(ddimSteps, timesteps)} steps` : `ancestral sampling on ${timesteps} steps`;
    // The chain: 8 digits at 10 evenly spaced moments from x_T (pure noise) to x_0.
    const states: nr.Tensor[] = [];
    const start = performance.now();
    const grid = model.sample(64, ddimSteps, (_, x) => states.push(x.slice(0, 8)));
    const chain = Array.from({ length: 10 }, (_, i) => states[Math.round(((states.length - 1) * i) / 9)]!);
    print(`sampled 64 digits by ${sampler} in ${((performance.now() - start) / 1000).toFixed(1)} s`);
    await saveDigits(join(out, 'samples.png'), grid);
    await saveDigits(join(out, 'chain.png'), nr.stack(chain, 1).reshape([80, 28, 28, 1]), 10);
    print(`wrote ${join(out, 'samples.png')} and ${join(out, 'chain.png')} (each row x_T to x_0, left to right)`);
    await judgeGenerator((n) => model.sample(n, ddimSteps), options, print);
  },
});
