import { configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import { noGrad, type Tensor, type Variable } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import type { InitializerIdentifier } from '../../initializers.js';
import {
  Layer,
  formatLayerShape,
  registerLayer,
  type CallOptions,
  type LayerOptions,
  type LayerShape,
  declareLayerOptions,
  type OwnOptionChecks,
} from '../../layer.js';
import { getRegularizer, type Regularizer, type RegularizerIdentifier } from '../../regularizers.js';
import { regularizerConfig } from '../conv/base-conv.js';

export interface BatchNormalizationOptions extends LayerOptions {
  /** The features axis, normalized separately per entry (default -1: the channels of NHWC images). */
  axis?: number;
  /** Weight of the old value in the moving averages (default 0.99). */
  momentum?: number;
  /** Added to the variance before the square root (default 1e-3). */
  epsilon?: number;
  /** Learn an offset beta (default true). */
  center?: boolean;
  /** Learn a scale gamma (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  movingMeanInitializer?: InitializerIdentifier;
  movingVarianceInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
}

/**
 * Batch normalization (Ioffe and Szegedy, 2015): `gamma * (x - mean) / sqrt(variance + epsilon) + beta`
 * per entry of `axis`. In training (`fit`, or `{training: true}`) it uses the batch's mean and
 * (biased) variance over every other axis and updates the moving statistics,
 * `moving = moving * momentum + batch * (1 - momentum)`; in inference it uses the moving
 * statistics. As in Keras 3, a layer with `trainable = false` always runs in inference mode (what
 * fine-tuning wants). Weights: `gamma`, `beta` (trainable), `moving_mean`, `moving_variance`.
 *
 * ```ts
 * const bn = new nr.layers.BatchNormalization();
 * const x = nr.randn([8, 4, 4, 3]);
 * bn.apply(x, { training: true }).shape; // [8, 4, 4, 3]; the moving statistics moved 1 % toward the batch's
 * bn.weights.map((w) => w.name); // ['batch_normalization/gamma', 'batch_normalization/beta', '.../moving_mean', '.../moving_variance']
 * ```
 */
export class BatchNormalization extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly axis: number;
  readonly momentum: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly initializers: {
    beta: InitializerIdentifier;
    gamma: InitializerIdentifier;
    movingMean: InitializerIdentifier;
    movingVariance: InitializerIdentifier;
  };
  private readonly betaRegularizer: Regularizer | null;
  private readonly gammaRegularizer: Regularizer | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;
  movingMean: Variable | null = null;
  movingVariance: Variable | null = null;
  /** Rank of the input the layer was built for. */
  private builtRank = 0;

  constructor(
    axis?: number,
    momentum?: number,
    epsilon?: number,
    options?: Omit<BatchNormalizationOptions, 'axis' | 'momentum' | 'epsilon'>,
  );
  constructor(options?: BatchNormalizationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<BatchNormalizationOptions>();
    const where = `BatchNormalization "${this.name}"`;
    this.axis = options.axis ?? -1;
    if (!Number.isInteger(this.axis)) throw configError(where, { expected: 'axis must be an integer', got: show(options.axis) });
    this.momentum = options.momentum ?? 0.99;
    if (typeof this.momentum !== 'number' || !(this.momentum >= 0 && this.momentum <= 1)) {
      throw configError(where, { expected: 'momentum must be a number in [0, 1]', got: show(options.momentum) });
    }
    this.epsilon = options.epsilon ?? 1e-3;
    if (typeof this.epsilon !== 'number' || !(this.epsilon > 0) || !Number.isFinite(this.epsilon)) {
      throw configError(where, { expected: 'epsilon must be a positive number', got: show(options.epsilon) });
    }
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.initializers = {
      beta: options.betaInitializer ?? 'zeros',
      gamma: options.gammaInitializer ?? 'ones',
      movingMean: options.movingMeanInitializer ?? 'zeros',
      movingVariance: options.movingVarianceInitializer ?? 'ones',
    };
    this.betaRegularizer = getRegularizer(options.betaRegularizer);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer);
  }

  /** The axis as a non-negative index for an input of `rank`, or a ShapeError. */
  private resolveAxis(shape: LayerShape): number {
    const rank = shape.length;
    const axis = this.axis < 0 ? this.axis + rank : this.axis;
    if (axis < 1 || axis >= rank) {
      throw shapeError(`BatchNormalization "${this.name}"`, {
        expected: `axis ${this.axis} is out of range for an input of shape ${formatLayerShape(shape)}`,
        hint: `it must name a features axis, 1..${rank - 1} or -${rank - 1}..-1 (not the batch axis)`,
      });
    }
    return axis;
  }

  override build(inputShape: LayerShape): void {
    const axis = this.resolveAxis(inputShape);
    const size = inputShape[axis];
    if (size === null || size === undefined) {
      throw shapeError(`BatchNormalization "${this.name}"`, {
        expected: `axis ${this.axis} of the input ${formatLayerShape(inputShape)} must have a known size`,
      });
    }
    this.builtRank = inputShape.length;
    if (this.scale)
      this.gamma = this.addWeight({
        name: 'gamma',
        shape: [size],
        initializer: this.initializers.gamma,
        regularizer: this.gammaRegularizer,
      });
    if (this.center)
      this.beta = this.addWeight({ name: 'beta', shape: [size], initializer: this.initializers.beta, regularizer: this.betaRegularizer });
    this.movingMean = this.addWeight({ name: 'moving_mean', shape: [size], initializer: this.initializers.movingMean, trainable: false });
    this.movingVariance = this.addWeight({
      name: 'moving_variance',
      shape: [size],
      initializer: this.initializers.movingVariance,
      trainable: false,
    });
    super.build(inputShape);
  }

  /** @internal Neither batchNorm's nor batchNormInference's last op (add) reads its output in its gradient. */
  override get outputOverwritable(): boolean {
    return this.constructor === BatchNormalization;
  }

  /** @internal In inference (no gradients), batchNormInference writes over its input when offered it. */
  override get overwritesInput(): boolean {
    return this.constructor === BatchNormalization;
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    const size = this.movingMean!.shape[0]!;
    const axis = inputs.rank === this.builtRank ? this.resolveAxis(inputs.shape) : -1;
    if (axis < 0 || inputs.shape[axis] !== size) {
      throw shapeError(`BatchNormalization "${this.name}"`, {
        expected: `expected input of rank ${this.builtRank} with ${size} features on axis ${this.axis}`,
        got: formatShape(inputs.shape),
      });
    }
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    const settings = { axis, epsilon: this.epsilon };
    if (!options.training || !this.trainable) {
      return ops.batchNormInference(x, this.movingMean!, this.movingVariance!, this.gamma, this.beta, settings);
    }
    const { output, mean, variance } = ops.batchNorm(x, this.gamma, this.beta, settings);
    // The moving statistics are state, not part of the computation being differentiated: updated
    // in place outside the tape, so backward never sees them.
    noGrad(() => {
      for (const [moving, batch] of [
        [this.movingMean!, mean],
        [this.movingVariance!, variance],
      ] as const) {
        moving.assign(ops.add(ops.mul(moving, this.momentum), ops.mul(ops.detach(batch), 1 - this.momentum)));
      }
    });
    return output;
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      axis: this.axis,
      momentum: this.momentum,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      movingMeanInitializer: this.initializers.movingMean,
      movingVarianceInitializer: this.initializers.movingVariance,
      ...regularizerConfig('betaRegularizer', this.betaRegularizer),
      ...regularizerConfig('gammaRegularizer', this.gammaRegularizer),
    };
  }
}
declareLayerOptions(BatchNormalization, {
  positional: ['axis', 'momentum', 'epsilon'],
  keys: {
    axis: is.integer,
    momentum: is.number,
    epsilon: is.number,
    center: is.boolean,
    scale: is.boolean,
    betaInitializer: is.identifier,
    gammaInitializer: is.identifier,
    movingMeanInitializer: is.identifier,
    movingVarianceInitializer: is.identifier,
    betaRegularizer: is.nullable(is.identifier),
    gammaRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<BatchNormalizationOptions, LayerOptions>,
});
registerLayer(BatchNormalization, 'BatchNormalization');
