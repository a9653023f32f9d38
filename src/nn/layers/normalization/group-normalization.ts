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

export interface GroupNormalizationOptions extends LayerOptions {
  /** Number of channel groups, a divisor of the channel count (default 32, Keras's). */
  groups?: number;
  /** The channel axis (default -1, channels last). */
  axis?: number;
  /** Added to the variance before the square root (default 1e-3; PyTorch's GroupNorm uses 1e-5). */
  epsilon?: number;
  /** Learn an offset beta per channel (default true). */
  center?: boolean;
  /** Learn a scale gamma per channel (default true). */
  scale?: boolean;
  betaInitializer?: InitializerIdentifier;
  gammaInitializer?: InitializerIdentifier;
  betaRegularizer?: RegularizerIdentifier;
  gammaRegularizer?: RegularizerIdentifier;
}

/**
 * Group normalization (Wu and He, 2018), as Keras 3: the channels are split into `groups` groups and
 * each sample is normalized per group over its channels and every other non-batch axis, then scaled
 * and shifted per channel, the same in training and inference (no batch statistics, so it suits small
 * batches and diffusion U-Nets). `groups` equal to the channels is instance normalization, 1 is layer
 * normalization over all axes. Weights `gamma` then `beta`, `[channels]` each. Runs the fused
 * {@link ops.groupNorm} op.
 *
 * ```ts
 * const norm = new nr.layers.GroupNormalization({ groups: 4 });
 * norm.apply(nr.randn([2, 8, 8, 16])).shape; // [2, 8, 8, 16]
 * norm.weights.map((w) => w.shape); // [[16], [16]]: gamma, beta
 * ```
 */
export class GroupNormalization extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  readonly groups: number;
  readonly axis: number;
  readonly epsilon: number;
  readonly center: boolean;
  readonly scale: boolean;
  private readonly initializers: { beta: InitializerIdentifier; gamma: InitializerIdentifier };
  private readonly betaRegularizer: Regularizer | null;
  private readonly gammaRegularizer: Regularizer | null;
  gamma: Variable | null = null;
  beta: Variable | null = null;

  constructor(options?: GroupNormalizationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<GroupNormalizationOptions>();
    const where = `GroupNormalization "${this.name}"`;
    this.groups = options.groups ?? 32;
    if (!Number.isInteger(this.groups) || this.groups < 1) {
      throw configError(where, { expected: 'groups must be a positive integer', got: show(options.groups) });
    }
    this.axis = options.axis ?? -1;
    this.epsilon = options.epsilon ?? 1e-3;
    if (!(this.epsilon >= 0) || !Number.isFinite(this.epsilon)) {
      throw configError(where, { expected: 'epsilon must be a finite number >= 0', got: show(options.epsilon) });
    }
    this.center = options.center ?? true;
    this.scale = options.scale ?? true;
    this.initializers = { beta: options.betaInitializer ?? 'zeros', gamma: options.gammaInitializer ?? 'ones' };
    this.betaRegularizer = getRegularizer(options.betaRegularizer);
    this.gammaRegularizer = getRegularizer(options.gammaRegularizer);
  }

  /** The channel axis for an input of this shape, checked with its size against groups. */
  private channelAxis(shape: LayerShape): number {
    const where = `GroupNormalization "${this.name}"`;
    const rank = shape.length;
    if (rank < 2 || !(this.axis >= 1 - rank && this.axis < rank) || this.axis === 0 || this.axis === -rank) {
      throw shapeError(where, {
        expected: `axis ${this.axis} must name a channel axis of the input ${formatLayerShape(shape)}`,
        hint: `use 1..${rank - 1} or -${rank - 1}..-1 (not the batch axis)`,
      });
    }
    const [axis] = normalizeAxes(this.axis, rank, where);
    const channels = shape[axis!];
    if (channels === null || channels === undefined || channels % this.groups !== 0) {
      throw shapeError(where, {
        expected: `the ${channels ?? 'unknown'} channels of axis ${axis} must be a known multiple of groups = ${this.groups}`,
        got: formatLayerShape(shape),
        hint: 'pick groups dividing the channel count (Keras defaults to 32)',
      });
    }
    return axis!;
  }

  override build(inputShape: LayerShape): void {
    const shape = [inputShape[this.channelAxis(inputShape)]!];
    if (this.scale) {
      this.gamma = this.addWeight({ name: 'gamma', shape, initializer: this.initializers.gamma, regularizer: this.gammaRegularizer });
    }
    if (this.center) {
      this.beta = this.addWeight({ name: 'beta', shape, initializer: this.initializers.beta, regularizer: this.betaRegularizer });
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor): Tensor {
    const axis = this.channelAxis(inputs.shape);
    const expected = (this.gamma ?? this.beta)?.shape[0];
    if (expected !== undefined && inputs.shape[axis] !== expected) {
      throw shapeError(`GroupNormalization "${this.name}"`, {
        expected: `expected ${expected} channels on axis ${axis}`,
        got: formatShape(inputs.shape),
        hint: 'the layer was built for another input shape; use a new layer',
      });
    }
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    return ops.groupNorm(x, this.groups, this.gamma, this.beta, { axis, epsilon: this.epsilon });
  }

  override getConfig(): Record<string, unknown> {
    return {
      ...super.getConfig(),
      groups: this.groups,
      axis: this.axis,
      epsilon: this.epsilon,
      center: this.center,
      scale: this.scale,
      betaInitializer: this.initializers.beta,
      gammaInitializer: this.initializers.gamma,
      ...regularizerConfig('betaRegularizer', this.betaRegularizer),
      ...regularizerConfig('gammaRegularizer', this.gammaRegularizer),
    };
  }
}
declareLayerOptions(GroupNormalization, {
  keys: {
    groups: is.integer,
    axis: is.integer,
    epsilon: is.number,
    center: is.boolean,
    scale: is.boolean,
    betaInitializer: is.identifier,
    gammaInitializer: is.identifier,
    betaRegularizer: is.nullable(is.identifier),
    gammaRegularizer: is.nullable(is.identifier),
  } satisfies OwnOptionChecks<GroupNormalizationOptions, LayerOptions>,
});
registerLayer(GroupNormalization, 'GroupNormalization');

export interface UnitNormalizationOptions extends LayerOptions {
  /** The axis or axes whose L2 norm becomes 1 (default -1). */
  axis?: number | readonly number[];
}

/**
 * Keras 3's UnitNormalization: scales each sample to unit L2 norm over `axis`,
 * `x / sqrt(max(sum(x^2), 1e-12))`. No weights; masks pass through.
 *
 * ```ts
 * new nr.layers.UnitNormalization().apply(nr.tensor([[3, 4]])).toArray(); // [[0.6, 0.8]]
 * ```
 */
export class UnitNormalization extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  override get supportsMasking(): boolean {
    return true;
  }

  readonly axis: number | readonly number[];

  constructor(options?: UnitNormalizationOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.axis = this.options<UnitNormalizationOptions>().axis ?? -1;
    if (typeof this.axis !== 'number' && this.axis.length === 0) {
      throw configError(`UnitNormalization "${this.name}"`, { expected: 'axis must name at least one axis', got: '[]' });
    }
  }

  override call(inputs: Tensor): Tensor {
    const axes = normalizeAxes(this.axis, inputs.rank, `UnitNormalization "${this.name}"`);
    const x = inputs.dtype === this.dtype ? inputs : ops.cast(inputs, this.dtype);
    return ops.mul(x, ops.rsqrt(ops.maximum(ops.sum(ops.square(x), axes, true), 1e-12)));
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), axis: typeof this.axis === 'number' ? this.axis : [...this.axis] };
  }
}
declareLayerOptions(UnitNormalization, {
  keys: {
    axis: is.either('an integer or a list of integers', is.integer, is.arrayOf(is.integer, 'integers')),
  } satisfies OwnOptionChecks<UnitNormalizationOptions, LayerOptions>,
});
registerLayer(UnitNormalization, 'UnitNormalization');
