import { configError, is, shapeError, show } from '../../../core/index.js';
import { tensor, type Tensor } from '../../../tensor/index.js';
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

export interface RescalingOptions extends LayerOptions {
  /** Multiplier (e.g. 1 / 255), or one per channel (last axis), as EfficientNet's `[1 / sqrt(std) ...]`. */
  scale: number | readonly number[];
  /** Added after scaling (default 0); a number or one per channel. */
  offset?: number | readonly number[];
}

/**
 * `inputs * scale + offset`, always (in training and inference, unlike augmentation): puts raw
 * pixel values in the range the model expects, e.g. `scale: 1 / 255` maps [0, 255] to [0, 1], and
 * `scale: 1 / 127.5, offset: -1` maps it to [-1, 1]. A list gives one value per channel (the last
 * axis, whose size must match). Any input shape.
 *
 * ```ts
 * const rescale = new nr.layers.Rescaling({ scale: 1 / 255 });
 * rescale.apply(nr.tensor([[0, 255]])).toArray(); // [[0, 1]]
 * new nr.layers.Rescaling({ scale: [1, 2, 4] }).apply(nr.ones([1, 3])).toArray(); // [[1, 2, 4]]
 * ```
 */
export class Rescaling extends Layer {
  readonly scale: number | readonly number[];
  readonly offset: number | readonly number[];

  constructor(scale: number | readonly number[], offset?: number | readonly number[], options?: Omit<RescalingOptions, 'scale' | 'offset'>);
  constructor(options: RescalingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RescalingOptions>();
    this.scale = Array.isArray(options.scale) ? Object.freeze([...options.scale]) : options.scale;
    this.offset = Array.isArray(options.offset) ? Object.freeze([...options.offset]) : (options.offset ?? 0);
    for (const [key, value] of [
      ['scale', this.scale],
      ['offset', this.offset],
    ] as const) {
      const values = Array.isArray(value) ? value : [value];
      if (values.length === 0 || !values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
        throw configError(`Rescaling "${this.name}"`, {
          expected: `${key} must be a finite number or a non-empty list of them (one per channel)`,
          got: show(value),
        });
      }
    }
  }

  override build(inputShape: LayerShape): void {
    const channels = inputShape.at(-1);
    for (const [key, value] of [
      ['scale', this.scale],
      ['offset', this.offset],
    ] as const) {
      if (Array.isArray(value) && (inputShape.length === 0 || (channels !== null && channels !== value.length))) {
        throw shapeError(`Rescaling "${this.name}"`, {
          expected: `${key} has ${value.length} values, one per channel, so the last axis must have ${value.length}`,
          got: formatLayerShape(inputShape),
        });
      }
    }
    super.build(inputShape);
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const x = inputs.dtype === 'float32' || inputs.dtype === 'float64' ? inputs : ops.cast(inputs, this.dtype);
    const operand = (value: number | readonly number[]) =>
      typeof value === 'number' ? value : tensor([...value], [value.length], x.dtype);
    const scaled = ops.mul(x, operand(this.scale));
    return this.offset === 0 ? scaled : ops.add(scaled, operand(this.offset));
  }

  override getConfig(): Record<string, unknown> {
    const plain = (value: number | readonly number[]) => (typeof value === 'number' ? value : [...value]);
    return { ...super.getConfig(), scale: plain(this.scale), offset: plain(this.offset) };
  }
}
declareLayerOptions(Rescaling, {
  positional: ['scale', 'offset'],
  keys: { scale: is.any, offset: is.any } satisfies OwnOptionChecks<RescalingOptions, LayerOptions>,
});
registerLayer(Rescaling, 'Rescaling');
