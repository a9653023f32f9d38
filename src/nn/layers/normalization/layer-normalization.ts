import { configError, formatShape, is, normalizeAxes, shapeError, show } from '../../../core/index.js';
import type { Tensor, Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import {
  Layer,
  declareLayerOptions,
  formatLayerShape,
  registerLayer,
  type LayerOptions,
  type LayerShape,
  type OwnOptionChecks,
} from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { regularizerConfig } from '../conv/base-conv.js';

export interface LayerNormalizationOptions extends LayerOptions {
  /** The axis or axes normalized together, never the batch axis (default -1, the features). */
  axis?: number | readonly number[];
  /** Added to the variance before the square root (default 1e-3; PyTorch's LayerNorm uses 1e-5). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  /**
   * Keras's deprecated flag (default false): `x * gamma / sqrt(variance + epsilon)`, the variance
   * taken about the mean but x not centred, and no beta. Kept for Keras models that set it; for
   * RMS normalization use `nr.layerNorm(x, gamma, null, {rms: true})`.
   */
  rmsScaling?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
}

/**
 * Layer normalization (Ba et al., 2016), as Keras 3: each sample is normalized over `axis` by its
 * own mean and biased variance, `(x - mean) / sqrt(variance + epsilon) * gamma + beta`, the same in
 * training and inference. Weights `gamma` then `beta`, each of the shape of the normalized axes
 * (`scale: false` or `center: false` leaves one out). Masks pass through unchanged.
 *
 * ```ts
 * const norm = new nr.layers.LayerNormalization();
 * norm.apply(nr.randn([2, 5, 8])).shape; // [2, 5, 8]: every [8] row has mean 0, variance ~1
 * norm.weights.map((w) => w.shape); // [[8], [8]]: gamma, beta
 * ```
 */
export class LayerNormalization extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly axis: number | readonly number[];
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  readonly rmsScaling: boolean;
  private readonly initializers: { beta: InitializerIdentifier; gamma: InitializerIdentifier };
  private readonly betaRegularizer: Regularizer | null;
  private readonly gammaRegularizer: Regularizer | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  /** The normalized axes, sorted, for the rank the layer was built for. */
  private axes: number[] = [];

  constructor(axis?: number | readonly number[], epsilon?: number, options?: Omit<LayerNormalizationOptions, 'axis' | 'epsilon'>);
  constructor(options?: LayerNormalizationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<LayerNormalizationOptions>();
    const where = `LayerNormalization "${this.name}"`;
    this.axis = options.axis ?? -1;
    const list = typeof this.axis === 'number' ? [this.axis] : this.axis;
    if (list.length === 0) throw configError(where, { expected: 'axis must name at least one axis', got: '[]' });
    this.epsilon = options.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon >= 0) || !Number.isFinite(this.epsilon)) {
      throw configError(where, { expected: 'epsilon must be a finite number >= 0', got: show(options.epsilon) });
    }
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.rmsScaling = options.rmsScaling ?? false;
    this.initializers = { beta: options.betaInitializer ?? 'zeros', gamma: options.gammaInitializer ?? 'ones' };
    this.betaRegularizer = getRegularizer(options.betaRegularizer);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer);
  }

  /** The normalized axes for an input of this shape, checked: in range, known sizes, not the batch axis. */
  private resolveAxes(shape: LayerShape): number[] {
    const where = `LayerNormalization "${this.name}"`;
    const rank = shape.length;
    const list = typeof this.axis === 'number' ? [this.axis] : [...this.axis];
    const outOfRange = list.find((a) => !(a >= 1 - rank && a < rank) || a === 0 || a === -rank);
    if (outOfRange !== undefined) {
      throw shapeError(where, {
        expected: `axis ${outOfRange} is out of range for an input of shape ${formatLayerShape(shape)}`,
        hint: `name feature axes, 1..${rank - 1} or -${rank - 1}..-1 (not the batch axis)`,
      });
    }
    const axes = normalizeAxes(list, rank, where);
    if (axes.some((a) => shape[a] === null)) {
      throw shapeError(where, { expected: `axes [${axes.join(', ')}] of the input ${formatLayerShape(shape)} must have known sizes` });
    }
    return axes;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  override build(inputShape: LayerShape): void {
    this.axes = this.resolveAxes(inputShape);
    const shape = this.axes.map((a) => inputShape[a]!);
    // As Keras: rms_scaling keeps gamma even with scale false, and drops beta.
    if (this.scale || this.rmsScaling) {
      this.gamma = this.addWeight({ name: 'gamma', shape, initializer: this.initializers.gamma, regularizer: this.gammaRegularizer });
    }
    if (this.center && !this.rmsScaling) {
      this.beta = this.addWeight({ name: 'beta', shape, initializer: this.initializers.beta, regularizer: this.betaRegularizer });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor): Tensor {
    const axes = this.resolveAxes(inputs.shape);
    const expected = this.gamma?.shape ?? this.beta?.shape;
    if (axes.join() !== this.axes.join() || (expected && axes.some((a, i) => inputs.shape[a] !== expected[i]))) {
      throw shapeError(`LayerNormalization "${this.name}"`, {
        expected: `expected an input whose axes [${this.axes.join(', ')}] have sizes ${formatShape(expected ?? [])}`,
        got: formatShape(inputs.shape),
        hint: 'the layer was built for another input shape; use a new layer',
      });
    }
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    if (!this.rmsScaling) return ops.layerNorm(x, this.gamma, this.beta, { axis: axes, epsilon: this.epsilon });
    const centred = ops.sub(x, ops.mean(x, axes, true));
    const inverse = ops.rsqrt(ops.add(ops.mean(ops.square(centred), axes, true), this.epsilon));
    return ops.mul(
      ops.mul(x, inverse),
      ops.reshape(
        this.gamma!,
        x.shape.map((d, i) => (axes.includes(i) ? d : 1)),
      ),
    );
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: typeof this.axis === 'number' ? this.axis : [...this.axis],
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      rmsScaling: this.rmsScaling,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      ...regularizerConfig('betaRegularizer', this.betaRegularizer),
      ...regularizerConfig('gammaRegularizer', this.gammaRegularizer),
    };
  }
}
declareLayerOptions(LayerNormalization, {
  positional: ['axis', 'epsilon'],
  keys: {
    axis: is.either('an integer or a list of integers', is.integer, is.arrayOf(is.integer, 'integers')),
    epsilon: is.number,
    center: is.boolean,
    scale: is.boolean,
    rmsScaling: is.boolean,
    betaInitializer: is.identifier,
    gammaInitializer: is.identifier,
    betaRegularizer: is.nullable(is.identifier),
    gammaRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<LayerNormalizationOptions, LayerOptions>,
});
registerLayer(LayerNormalization, 'LayerNormalization');
