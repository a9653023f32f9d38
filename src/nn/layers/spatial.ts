import { configError, is, show } from '../../core/index.js';
import { IMAGE_AXES, checkImageRank, imageRankHint, type Dims } from '../../core/geometry.js';
import type { Tensor } from '../../tensor/index.js';
import * as ops from '../../ops/index.js';
import { Layer, declareLayerOptions, type InputSpec, type LayerOptions, type LayerShape, type OwnOptionChecks } from '../layer.js';

/*
 * What the image layers (conv, pooling, padding, augmentation) share beyond the geometry of their
 * windows, which is src/core/geometry.ts's: the NHWC input spec, the dataFormat option and the cast
 * of raw pixels, so that every one of them accepts the same forms and words its errors the same way.
 */

export type { Padding, Pair as IntPair, PairOfPairs } from '../../core/geometry.js';

/** Rejects `dataFormat: 'channels_first'` clearly (images are NHWC throughout). */
export function checkDataFormat(value: unknown, where: string): void {
  if (value !== undefined && value !== null && value !== 'channels_last') {
    throw configError(where, {
      expected: "only dataFormat 'channels_last' (NHWC) is supported",
      got: show(value),
      hint: 'transpose the images to [batch, height, width, channels]',
    });
  }
}

/** The input spec of the image layers: NHWC batches. */
export const IMAGE_INPUT_SPEC: InputSpec = {
  rank: 4,
  axes: IMAGE_AXES,
  hint: (rank) => {
    const hint = imageRankHint(rank, 'layer');
    return hint === undefined ? '' : `; ${hint}`;
  },
};

/** The shape of a batch of images `[batch, height, width, channels]` (a layer shape or a tensor's), checked. */
export function imageShape(shape: LayerShape | Tensor, where: string): LayerShape {
  const dims: Dims = Array.isArray(shape) ? shape : (shape as Tensor).shape;
  checkImageRank(dims, where, 'layer');
  return dims;
}

/** Integer or bool images (raw pixels) as the layer's float dtype, as Keras casts inputs to the compute dtype. */
export function floatInput(inputs: Tensor, dtype: 'float32' | 'float64'): Tensor {
  return inputs.dtype === 'float32' || inputs.dtype === 'float64' ? inputs : ops.cast(inputs, dtype);
}

/** The options every image layer takes besides its own. */
export interface ImageLayerOptions extends LayerOptions {
  /** Only 'channels_last' (NHWC), Keras's default; 'channels_first' is refused with a hint. */
  dataFormat?: 'channels_last';
}

/**
 * The base of the layers over NHWC images: the input spec (which `apply` checks before build and
 * call), the dataFormat option, and `where`, the name errors give the layer.
 */
export abstract class ImageLayer extends Layer {
  private whereName = '';
  private whereText = '';

  override get inputSpec(): InputSpec {
    return IMAGE_INPUT_SPEC;
  }

  constructor(...args: unknown[]) {
    super(...args);
    checkDataFormat(this.options<ImageLayerOptions>().dataFormat, this.where);
  }

  /** `Conv2D "conv2d"`; kept between calls (the ops take it on every call) until the layer is renamed. */
  protected get where(): string {
    if (this.whereName !== this.name) {
      this.whereName = this.name;
      this.whereText = `${this.className} "${this.name}"`;
    }
    return this.whereText;
  }
}
declareLayerOptions(ImageLayer, { keys: { dataFormat: is.any } satisfies OwnOptionChecks<ImageLayerOptions, LayerOptions> });
