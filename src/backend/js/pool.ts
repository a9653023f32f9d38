import type { FloatArray } from '../../core/index.js';
import type { Conv2DGeometry, PoolOp } from '../kernels.js';

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
  const { batch, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = g;
  const acc = new Float64Array(channels);
  for (let b = 0; b < batch; b++) {
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        let count = 0;
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            const xBase = ((b * inHeight + iy) * inWidth + ix) * channels;
            if (count === 0) {
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
            count++;
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
  const { batch, inHeight, inWidth, inChannels: channels, outHeight, outWidth, filterHeight, filterWidth } = g;
  // One image's gradient is accumulated in float64 (windows overlap when strides < pool size).
  const image = new Float64Array(inHeight * inWidth * channels);
  const best = new Float64Array(channels);
  const where = new Int32Array(channels);
  for (let b = 0; b < batch; b++) {
    image.fill(0);
    const imageStart = b * image.length;
    for (let oy = 0; oy < outHeight; oy++) {
      for (let ox = 0; ox < outWidth; ox++) {
        const dyBase = ((b * outHeight + oy) * outWidth + ox) * channels;
        if (op === 'avg') {
          let rows = 0;
          let cols = 0;
          for (let ky = 0; ky < filterHeight; ky++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            if (iy >= 0 && iy < inHeight) rows++;
          }
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix >= 0 && ix < inWidth) cols++;
          }
          if (rows * cols === 0) continue;
          const scale = 1 / (rows * cols);
          for (let ky = 0; ky < filterHeight; ky++) {
            const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
            if (iy < 0 || iy >= inHeight) continue;
            for (let kx = 0; kx < filterWidth; kx++) {
              const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
              if (ix < 0 || ix >= inWidth) continue;
              const xBase = (iy * inWidth + ix) * channels;
              for (let c = 0; c < channels; c++) image[xBase + c] += dy[dyBase + c]! * scale;
            }
          }
          continue;
        }
        let count = 0;
        for (let ky = 0; ky < filterHeight; ky++) {
          const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
          if (iy < 0 || iy >= inHeight) continue;
          for (let kx = 0; kx < filterWidth; kx++) {
            const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
            if (ix < 0 || ix >= inWidth) continue;
            const local = (iy * inWidth + ix) * channels;
            const xBase = imageStart + local;
            if (count === 0) {
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
            count++;
          }
        }
        if (count > 0) for (let c = 0; c < channels; c++) image[where[c]!] += dy[dyBase + c]!;
      }
    }
    for (let i = 0; i < image.length; i++) dx[imageStart + i] = image[i]!;
  }
}
