import { configError, formatShape, is, shapeError, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
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

/*
 * Shape-changing layers. Both keep the batch axis and share storage with their input (reshape is a
 * view), so they cost nothing.
 */

const product = (dims: readonly (number | null)[]): number | null =>
  dims.some((d) => d === null) ? null : (dims as number[]).reduce((a, b) => a * b, 1);

/**
 * Flattens each sample to one axis, keeping the batch axis: `[N, d1, d2, ...]` -> `[N, d1*d2*...]`
 * (as Keras, for the step from convolutional feature maps to Dense layers).
 *
 * ```ts
 * const layer = new nr.layers.Flatten();
 * layer.apply(nr.zeros([2, 3, 4])).shape; // [2, 12]
 * ```
 */
export class Flatten extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  constructor(options?: LayerOptions);
  constructor(...args: unknown[]) {
    super(...args);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (inputs.rank === 0) {
      throw shapeError(`Flatten "${this.name}"`, { expected: 'expected an input with a batch axis', got: 'a scalar' });
    }
    return ops.reshape(inputs, [inputs.shape[0]!, product(inputs.shape.slice(1))!]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [inputShape[0] ?? null, product(inputShape.slice(1))];
  }
}
declareLayerOptions(Flatten, { keys: {} });
registerLayer(Flatten, 'Flatten');

export interface ReshapeOptions extends LayerOptions {
  /** Shape of one sample after reshaping (no batch axis); one entry may be -1 (inferred). */
  targetShape: readonly number[];
}

/**
 * Reshapes each sample to `targetShape`, keeping the batch axis: `[N, ...]` -> `[N, ...targetShape]`.
 * One entry may be -1 and is inferred from the sample size. Checked against the input at build.
 *
 * ```ts
 * const layer = new nr.layers.Reshape({ targetShape: [3, -1] });
 * layer.apply(nr.zeros([2, 12])).shape; // [2, 3, 4]
 * ```
 */
export class Reshape extends Layer {
  /** @internal */
  override get keepsNoTensors(): boolean {
    return true;
  }

  readonly targetShape: readonly number[];

  constructor(targetShape: readonly number[], options?: Omit<ReshapeOptions, 'targetShape'>);
  constructor(options: ReshapeOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<ReshapeOptions>();
    const target = options.targetShape;
    if (
      !Array.isArray(target) ||
      target.some((d) => !Number.isInteger(d) || (d < 1 && d !== -1)) ||
      target.filter((d) => d === -1).length > 1
    ) {
      throw configError(`Reshape "${this.name}"`, {
        expected: 'targetShape must be an array of positive integers with at most one -1',
        got: show(target),
      });
    }
    this.targetShape = [...target];
  }

  /** The target shape with -1 resolved for a sample of `size` elements (throws when it cannot fit). */
  private resolve(sampleShape: LayerShape): LayerShape {
    const size = product(sampleShape);
    if (size === null) return this.targetShape.map((d) => (d === -1 ? null : d));
    const known = this.targetShape.reduce((a, d) => (d === -1 ? a : a * d), 1);
    const hasWildcard = this.targetShape.includes(-1);
    if (hasWildcard ? size % known !== 0 : size !== known) {
      throw shapeError(`Reshape "${this.name}"`, {
        expected:
          `cannot reshape a sample of shape ${formatLayerShape(sampleShape)} (${size} elements) ` +
          `to targetShape ${formatLayerShape(this.targetShape)}`,
        rule: hasWildcard ? `${size} is not a multiple of ${known}` : `${known} elements`,
        hint: 'the total size must stay the same',
      });
    }
    return this.targetShape.map((d) => (d === -1 ? size / known : d));
  }

  override build(inputShape: LayerShape): void {
    this.resolve(inputShape.slice(1));
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    if (inputs.rank === 0) {
      throw shapeError(`Reshape "${this.name}"`, { expected: 'expected an input with a batch axis', got: formatShape(inputs.shape) });
    }
    return ops.reshape(inputs, [inputs.shape[0]!, ...(this.resolve(inputs.shape.slice(1)) as number[])]);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return [inputShape[0] ?? null, ...this.resolve(inputShape.slice(1))];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), targetShape: [...this.targetShape] };
  }
}
declareLayerOptions(Reshape, {
  positional: ['targetShape'],
  keys: { targetShape: is.any } satisfies OwnOptionChecks<ReshapeOptions, LayerOptions>,
});
registerLayer(Reshape, 'Reshape');
