import { checkTensorSize, is } from '../../../core/index.js';
import { pairOption } from '../../../core/geometry.js';
import type { Tensor } from '../../../tensor/index.js';
import * as ops from '../../../ops/index.js';
import { registerLayer, type CallOptions, type LayerShape, declareLayerOptions, type OwnOptionChecks } from '../../layer.js';
import { gatherWeighted, packTaps } from '../preprocessing/resizing.js';
import { ImageLayer, floatInput, imageShape, type ImageLayerOptions, type IntPair } from '../spatial.js';

export interface AdaptiveAveragePooling2DOptions extends ImageLayerOptions {
  /** Output height and width: an int or `[height, width]`. */
  outputSize: IntPair;
}

/** The mean of each output's window along one axis: [floor(o * in / out), ceil((o + 1) * in / out)). */
function averageAxis(images: Tensor, axis: 1 | 2, outSize: number): Tensor {
  const inSize = images.shape[axis]!;
  if (inSize === outSize) return images;
  const perOutput = Array.from({ length: outSize }, (_, o) => {
    const start = Math.floor((o * inSize) / outSize);
    const end = Math.ceil(((o + 1) * inSize) / outSize);
    const indices = Array.from({ length: end - start }, (_, k) => start + k);
    return [indices, indices.map(() => 1 / (end - start))] as const;
  });
  return gatherWeighted(images, axis, packTaps(perOutput, outSize));
}

/**
 * Average pooling to a fixed output size, whatever the input's (Keras 3's AdaptiveAveragePooling2D,
 * PyTorch's AdaptiveAvgPool2d): output pixel (i, j) averages rows `floor(i * H / outH)` to
 * `ceil((i + 1) * H / outH) - 1` and the columns likewise, so windows may differ in size by one and
 * overlap. `[N, H, W, C]` -> `[N, outH, outW, C]`. torchvision's AlexNet ends its features with
 * `AdaptiveAvgPool2d((6, 6))`, which makes any input of 63 pixels or more fit its classifier.
 * When the sizes divide evenly it is plain average pooling (and runs as one).
 *
 * ```ts
 * const pool = new nr.layers.AdaptiveAveragePooling2D({ outputSize: [6, 6] });
 * pool.apply(nr.ones([1, 13, 13, 256])).shape; // [1, 6, 6, 256]
 * ```
 */
export class AdaptiveAveragePooling2D extends ImageLayer {
  readonly outputSize: readonly [number, number];

  constructor(outputSize: IntPair, options?: Omit<AdaptiveAveragePooling2DOptions, 'outputSize'>);
  constructor(options: AdaptiveAveragePooling2DOptions);
  constructor(...args: unknown[]) {
    super(...args);
    this.outputSize = Object.freeze(pairOption(this.options<AdaptiveAveragePooling2DOptions>().outputSize, this.where, 'outputSize'));
  }

  override call(inputs: Tensor, _options: CallOptions): Tensor {
    const images = floatInput(inputs, this.dtype);
    const [n, h, w, c] = images.shape as [number, number, number, number];
    const [outH, outW] = this.outputSize;
    checkTensorSize(n * outH * outW * c, images.dtype, `the output [${n}, ${outH}, ${outW}, ${c}]`);
    if (h % outH === 0 && w % outW === 0) {
      const window = [h / outH, w / outW] as const;
      return window[0] === 1 && window[1] === 1 ? images : ops.avgPool2d(images, { poolSize: window, strides: window });
    }
    return averageAxis(averageAxis(images, 1, outH), 2, outW);
  }

  override computeOutputShape(inputShape: LayerShape): LayerShape {
    const [n, , , c] = imageShape(inputShape, this.where);
    return [n!, this.outputSize[0], this.outputSize[1], c!];
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), outputSize: [...this.outputSize] };
  }
}
declareLayerOptions(AdaptiveAveragePooling2D, {
  positional: ['outputSize'],
  keys: { outputSize: is.any } satisfies OwnOptionChecks<AdaptiveAveragePooling2DOptions, ImageLayerOptions>,
});
registerLayer(AdaptiveAveragePooling2D, 'AdaptiveAveragePooling2D');
