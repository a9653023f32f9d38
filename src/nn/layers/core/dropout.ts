import { Random, configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import { randu, tensor, type Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';

export interface DropoutOptions extends LayerOptions {
  /** Fraction of inputs to drop, in [0, 1). */
  rate: number;
  /**
   * Shape of the binary mask, broadcast against the input (batch axis included); `null` entries
   * take the input's size. `[null, 1, 1, null]` drops whole channels of NHWC maps.
   */
  noiseShape?: readonly (number | null)[] | null;
  /** Seed of this layer's own random stream (default: the global stream set by `nr.setSeed`). */
  seed?: number | null;
}

/**
 * Inverted dropout (Srivastava et al., 2014): in training each element is kept with probability
 * `1 - rate` and scaled by `1 / (1 - rate)`, so the expected value is unchanged and inference is
 * the identity. Acts only when called with `{training: true}` (as inside `fit`). Any input shape;
 * output has the same shape.
 *
 * ```ts
 * const layer = new nr.layers.Dropout({ rate: 0.5 });
 * layer.apply(nr.ones([2, 4]), { training: true }).toArray(); // zeros and 2s
 * layer.apply(nr.ones([2, 4])).toArray(); // all 1s
 * ```
 */
export class Dropout extends Layer {
  override get supportsMasking(): boolean {
    return true;
  }

  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly rate: number;
  readonly noiseShape: readonly (number | null)[] | null;
  readonly seed: number | null;
  private readonly random: Random | null;

  constructor(rate: number, options?: Omit<DropoutOptions, 'rate'>);
  constructor(options: DropoutOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<DropoutOptions>();
    const rate = options.rate;
    if (typeof rate !== 'number' || !(rate >= 0 && rate < 1)) {
      throw configError(`${this.className} "${this.name}"`, { expected: 'rate must be a number in [0, 1)', got: show(rate) });
    }
    this.rate = rate;
    if (options.noiseShape !== undefined && options.noiseShape !== null && !Array.isArray(options.noiseShape)) {
      throw configError(`${this.className} "${this.name}"`, {
        expected: 'noiseShape must be an array of positive integers and nulls (or null)',
        got: show(options.noiseShape),
      });
    }
    this.noiseShape = options.noiseShape ? [...options.noiseShape] : this.defaultNoiseShape();
    if (this.noiseShape?.some((d) => d !== null && (!Number.isInteger(d) || d < 1))) {
      throw configError(`${this.className} "${this.name}"`, {
        expected: 'noiseShape entries must be positive integers or null',
        got: show(this.noiseShape),
      });
    }
    this.seed = options.seed ?? null;
    if (this.seed !== null && !Number.isFinite(this.seed)) {
      throw configError(`${this.className} "${this.name}"`, { expected: 'seed must be a finite number', got: show(this.seed) });
    }
    this.random = this.seed === null ? null : new Random(this.seed);
  }

  /** The mask's shape when no noiseShape is given (null: the input's). */
  protected defaultNoiseShape(): readonly (number | null)[] | null {
    return null;
  }

  private maskShape(inputs: Tensor): number[] {
    if (!this.noiseShape) return [...inputs.shape];
    if (this.noiseShape.length !== inputs.rank || this.noiseShape.some((d, i) => d !== null && d !== 1 && d !== inputs.shape[i])) {
      throw shapeError(`${this.className} "${this.name}"`, {
        expected: `noiseShape ${show(this.noiseShape)} does not broadcast to the input shape ${formatShape(inputs.shape)}`,
        rule: "each entry must be null, 1 or the input's size",
      });
    }
    return this.noiseShape.map((d, i) => d ?? inputs.shape[i]!);
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    if (!options.training || this.rate === 0) return inputs;
    const shape = this.maskShape(inputs);
    const dtype = inputs.dtype === 'float64' ? 'float64' : 'float32';
    const uniform = this.random ? this.ownUniform(shape, dtype) : randu(shape, { dtype });
    const keep = ops.cast(ops.greaterEqual(uniform, this.rate), dtype);
    return ops.mul(inputs, ops.mul(keep, 1 / (1 - this.rate)));
  }

  /** Uniform draws from this layer's seeded stream (so a seeded layer ignores nr.setSeed). */
  private ownUniform(shape: number[], dtype: 'float32' | 'float64'): Tensor {
    const values = new Float64Array(shape.reduce((a, b) => a * b, 1));
    for (let i = 0; i < values.length; i++) values[i] = this.random!.next();
    return tensor(values, shape, dtype);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), rate: this.rate, noiseShape: this.noiseShape ? [...this.noiseShape] : null, seed: this.seed };
  }
}
declareLayerOptions(Dropout, {
  positional: ['rate'],
  keys: { rate: is.any, noiseShape: is.nullable(is.any), seed: is.nullable(is.number) } satisfies OwnOptionChecks<
    DropoutOptions,
    LayerOptions
  >,
});
registerLayer(Dropout, 'Dropout');
