import { configError, is } from '../../../core/index.js';
import type { Tensor } from '../../../tensor/index.js';
import { declareLayerOptions, registerLayer, type InputSpec, type CallOptions, type LayerOptions, type LayerShape } from '../../layer.js';
import { Dropout } from '../core/dropout.js';
import { IMAGE_INPUT_SPEC, checkDataFormat, imageShape } from '../spatial.js';

export interface SpatialDropout2DOptions extends LayerOptions {
  /** Fraction of channels to drop, in [0, 1). */
  rate: number;
  /** Seed of this layer's own random stream (default: the global stream set by `nr.setSeed`). */
  seed?: number | null;
  dataFormat?: 'channels_last';
}

/**
 * Dropout of whole feature maps (Tompson et al., 2015): in training each channel of each image is
 * kept with probability `1 - rate` and scaled by `1 / (1 - rate)`, or zeroed entirely. Neighbouring
 * pixels of a map are strongly correlated, so dropping single pixels (plain Dropout) regularizes
 * little. Input and output `[N, H, W, C]`; the identity outside training.
 *
 * ```ts
 * const layer = new nr.layers.SpatialDropout2D({ rate: 0.5, seed: 1 });
 * layer.apply(nr.ones([1, 2, 2, 4]), { training: true }); // each of the 4 channels all 0 or all 2
 * ```
 */
export class SpatialDropout2D extends Dropout {
  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  constructor(rate: number, options?: Omit<SpatialDropout2DOptions, 'rate'>);
  constructor(options: SpatialDropout2DOptions);
  constructor(...args: unknown[]) {
    super(...(args as [SpatialDropout2DOptions]));
    const options = this.options<SpatialDropout2DOptions & { noiseShape?: unknown }>();
    if (options.noiseShape !== undefined) {
      throw configError(`SpatialDropout2D "${this.name}"`, {
        expected: 'noiseShape is fixed to whole channels [null, 1, 1, null]',
        hint: 'use Dropout for another noiseShape',
      });
    }
    checkDataFormat(options.dataFormat, `SpatialDropout2D "${this.name}"`);
  }

  protected override defaultNoiseShape(): readonly (number | null)[] | null {
    return [null, 1, 1, null];
  }

  override call(inputs: Tensor, options: CallOptions): Tensor {
    imageShape(inputs, `SpatialDropout2D "${this.name}"`);
    return super.call(inputs, options);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    return imageShape(inputShape, `SpatialDropout2D "${this.name}"`);
  }

  override getConfig(): Record<string, unknown> {
    const { noiseShape: _noiseShape, ...config } = super.getConfig();
    return config;
  }
}
declareLayerOptions(SpatialDropout2D, { keys: { dataFormat: is.any } });
registerLayer(SpatialDropout2D, 'SpatialDropout2D');
