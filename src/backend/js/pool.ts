import type { FloatArray } from '../../core/index.js';
import type { Conv2DGeometry, PoolOp } from '../kernels.js';
import { tapBuffers, windowTaps } from './window.js';

/*
 * 2-D max and average pooling over NHWC images. Each output pixel visits the taps of its window that
 * fall inside the image (padded taps are skipped, as in TensorFlow), with the channel loop innermost
 * because channels are contiguous. A window with no tap inside the image (impossible with the
 * 'valid'/'same' rules the ops use) gives 0.
 *
 * Max picks the first maximum in window order (row by row), and a NaN wins over any number so that
 * NaN propagates as in PyTorch; the backward pass recomputes the same choice from x, so the forward
 * and backward always agree without storing indices.
 */

export function pool2d(op: PoolOp, x: FloatArray, out: FloatArray, g: Conv2DGeometry): void {
  const { batch, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = g;
  const acc = new Float64Array(channels);
  const { offsets, taps } = tapBuffers(g);
  for (let b = 0; b < batch; b++) {
    const imageStart = b * inHeight * inWidth * channels;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const count = windowTaps(g, oy, ox, offsets, taps);
        for (let t = 0; t < count; t++) {
          const xBase = imageStart + offsets[t]!;
          if (t === 0) {
            for (let c = 0; c < channels; c++) acc[c] = x[xBase + c]!;
          } else if (op === 'max') {
            for (let c = 0; c < channels; c++) {
              const v = x[xBase + c]!;
              const best = acc[c]!;
              if (v > best || (v !== v && best === best)) acc[c] = v;
            }
          } else {
            for (let c = 0; c < channels; c++) acc[c] += x[xBase + c]!;
          }
        }
        const outBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        if (count === 0) out.fill(0, outBase, outBase + channels);
        else if (op === 'max') for (let c = 0; c < channels; c++) out[outBase + c] = acc[c]!;
        else for (let c = 0; c < channels; c++) out[outBase + c] = acc[c]! / count;
      }
    }
  }
}

export function pool2dBackward(op: PoolOp, x: FloatArray, dy: FloatArray, dx: FloatArray, g: Conv2DGeometry): void {
  const { batch, inHeight, inWidth, inChannels: channels, outHeight, outWidth } = g;
  // One image's gradient is accumulated in float64 (windows overlap when strides < pool size).
  const image = new Float64Array(inHeight * inWidth * channels);
  const best = new Float64Array(channels);
  const where = new Int32Array(channels);
  const { offsets, taps } = tapBuffers(g);
  for (let b = 0; b < batch; b++) {
    image.fill(0);
    const imageStart = b * image.length;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        const count = windowTaps(g, oy, ox, offsets, taps);
        if (count === 0) continue;
        if (op === 'avg') {
          const scale = 1 / count;
          for (let t = 0; t < count; t++) {
            const local = offsets[t]!;
            for (let c = 0; c < channels; c++) image[local + c] += dy[dyBase + c]! * scale;
          }
          continue;
        }
        for (let t = 0; t < count; t++) {
          const local = offsets[t]!;
          const xBase = imageStart + local;
          if (t === 0) {
            for (let c = 0; c < channels; c++) {
              best[c] = x[xBase + c]!;
              where[c] = local + c;
            }
          } else {
            for (let c = 0; c < channels; c++) {
              const v = x[xBase + c]!;
              const current = best[c]!;
              if (v > current || (v !== v && current === current)) {
                best[c] = v;
                where[c] = local + c;
              }
            }
          }
        }
        for (let c = 0; c < channels; c++) image[where[c]!] += dy[dyBase + c]!;
      }
    }
    for (let i = 0; i < image.length; i++) dx[imageStart + i] = image[i]!;
  }
}
