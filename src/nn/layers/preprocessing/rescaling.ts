import { configError, is, show } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { Layer, registerLayer, type CallOptions, type LayerOptions, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';

export interface RescalingOptions extends LayerOptions {
  /** Multiplier (e.g. 1 / 255). */
  scale: number;
  /** Added after scaling (default 0). */
  offset?: number;
}

/**
 * `inputs * scale + offset`, always (in training and inference, unlike augmentation): puts raw
 * pixel values in the range the model expects, e.g. `scale: 1 / 255` maps [0, 255] to [0, 1], and
 * `scale: 1 / 127.5, offset: -1` maps it to [-1, 1]. Any input shape.
 *
 * ```ts
 * const rescale = new nr.layers.Rescaling({ scale: 1 / 255 });
 * rescale.apply(nr.tensor([[0, 255]])).toArray(); // [[0, 1]]
 * ```
 */
export class Rescaling extends Layer {
  readonly scale: number;
  readonly offset: number;

  constructor(scale: number, offset?: number, options?: Omit<RescalingOptions, 'scale' | 'offset'>);
  constructor(options: RescalingOptions);
  constructor(...args: unknown[]) {
    super(...args);
    const options = this.options<RescalingOptions>();
    this.scale = options.scale;
    this.offset = options.offset ?? 0;
    for (const [key, value] of [
      ['scale', this.scale],
      ['offset', this.offset],
    ] as const) {
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw configError(`Rescaling "${this.name}"`, { expected: `${key} must be a finite number`, got: show(value) });
      }
    }
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const x = inputs.dtype === 'float32' || inputs.dtype === 'float64' ? inputs : ops.cast(inputs, this.dtype);
    const scaled = ops.mul(x, this.scale);
    return this.offset === 0 ? scaled : ops.add(scaled, this.offset);
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), scale: this.scale, offset: this.offset };
  }
}
declareLayerOptions(Rescaling, {
  positional: ['scale', 'offset'],
  keys: { scale: is.any, offset: is.any } satisfies OwnOptionChecks<RescalingOptions, LayerOptions>,
});
registerLayer(Rescaling);
