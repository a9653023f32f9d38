import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { SeedGenerator, normal } from '../../../ops/random.js';
import { Layer, declareLayerOptions, registerLayer, type CallOptions, type LayerOptions, type OwnOptionChecks } from '../../layer.js';

/** What GaussianNoise and GaussianDropout share: a seed (own stream) or the global stream, masks passed on. */
abstract class NoiseLayer extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly seed: number | null;
  private readonly generator: SeedGenerator | null;

  constructor(...args: unknown[]) {
    super(...args);
    this.seed = this.options<LayerOptions & { seed?: number | null }>().seed ?? null;
    if (this.seed !== null && !Number.isFinite(this.seed)) {
      throw configError(`${this.className} "${this.name}"`, { expected: 'seed must be a finite number', got: show(this.seed) });
    }
    this.generator = this.seed === null ? null : new SeedGenerator(this.seed);
  }

  /** Normal noise shaped like x, from this layer's stream when seeded (as Keras's SeedGenerator), else the global one. */
  protected noise(x: Tensor, mean: number, stddev: number): Tensor {
    return normal(x.shape, { mean, stddev, dtype: x.dtype === 'float64' ? 'float64' : 'float32', seed: this.generator });
  }

  protected checkFraction(value: unknown, name: string, max: number, rule: string): number {
    if (typeof value !== 'number' || !(value >= 0 && value < max)) {
      throw configError(`${this.className} "${this.name}"`, { expected: `${name} must be ${rule}`, got: show(value) });
    }
    return value;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), seed: this.seed };
  }
}

export interface GaussianNoiseOptions extends LayerOptions {
  /** Standard deviation of the added noise (>= 0). */
  stddev: number;
  /** Seed of this layer's own random stream (default: the global stream set by `nr.setSeed`). */
  seed?: number | null;
}

/**
 * Keras 3's GaussianNoise: adds zero-mean normal noise of `stddev` in training (a regularizer, and the
 * corruption of a denoising autoencoder); the identity in inference.
 *
 * ```ts
 * const noisy = new nr.layers.GaussianNoise({ stddev: 0.1, seed: 1 });
 * noisy.apply(nr.zeros([2, 3]), { training: true }); // small random values
 * noisy.apply(nr.zeros([2, 3])).toArray(); // zeros
 * ```
 */
export class GaussianNoise extends NoiseLayer {
  readonly stddev: number;

  constructor(stddev: number, options?: Omit<GaussianNoiseOptions, 'stddev'>);
  constructor(options: GaussianNoiseOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.stddev = this.checkFraction(
      this.options<GaussianNoiseOptions>().stddev,
      'stddev',
      Number.POSITIVE_INFINITY,
      'a finite number >= 0',
    );
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.stddev === 0) return inputs;
    return ops.add(inputs, this.noise(inputs, 0, this.stddev));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), stddev: this.stddev };
  }
}
declareLayerOptions(GaussianNoise, {
  positional: ['stddev'],
  keys: { stddev: is.any, seed: is.nullable(is.number) } satisfies OwnOptionChecks<GaussianNoiseOptions, LayerOptions>,
});
registerLayer(GaussianNoise, 'GaussianNoise');

export interface GaussianDropoutOptions extends LayerOptions {
  /** Drop probability of the equivalent dropout, in [0, 1): the noise has stddev `sqrt(rate / (1 - rate))`. */
  rate: number;
  /** Seed of this layer's own random stream (default: the global stream set by `nr.setSeed`). */
  seed?: number | null;
}

/**
 * Keras 3's GaussianDropout: multiplies by normal noise of mean 1 and stddev `sqrt(rate / (1 - rate))`
 * in training (dropout's mean and variance, without zeros); the identity in inference.
 *
 * ```ts
 * new nr.layers.GaussianDropout({ rate: 0.2, seed: 1 }).apply(nr.ones([2, 3]), { training: true }); // values around 1
 * ```
 */
export class GaussianDropout extends NoiseLayer {
  readonly rate: number;

  constructor(rate: number, options?: Omit<GaussianDropoutOptions, 'rate'>);
  constructor(options: GaussianDropoutOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.rate = this.checkFraction(this.options<GaussianDropoutOptions>().rate, 'rate', 1, 'a number in [0, 1)');
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    return ops.mul(inputs, this.noise(inputs, 1, Math.sqrt(this.rate / (1 - this.rate))));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate };
  }
}
declareLayerOptions(GaussianDropout, {
  positional: ['rate'],
  keys: { rate: is.any, seed: is.nullable(is.number) } satisfies OwnOptionChecks<GaussianDropoutOptions, LayerOptions>,
});
registerLayer(GaussianDropout, 'GaussianDropout');
