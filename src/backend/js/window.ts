import type { Conv2DGeometry } from '../kernels.js';

/*
 * The window walk that depthwise convolution and pooling share: for one output pixel, the filter
 * taps that land inside the image (padded taps are skipped), in window order (row by row). Computing
 * the list once per output pixel keeps the kernels' inner loops to the channel loop alone.
 */

/** Buffers for `windowTaps`, sized for the geometry's filter (allocate once per kernel call). */
export function tapBuffers(g: Conv2DGeometry): { offsets: Int32Array; taps: Int32Array } {
  const size = g.filterHeight * g.filterWidth;
  return { offsets: new Int32Array(size), taps: new Int32Array(size) };
}

/**
 * Writes the inside taps of output pixel (oy, ox): `offsets[i]` is the input pixel's element offset
 * within its image, `(iy * inWidth + ix) * inChannels`, and `taps[i]` the tap index
 * `ky * filterWidth + kx`. Returns how many taps there are.
 */
export function windowTaps(g: Conv2DGeometry, oy: number, ox: number, offsets: Int32Array, taps: Int32Array): number {
  let n = 0;
  for (let ky = 0; ky < g.filterHeight; ky++) {
    const iy = oy * g.strideHeight - g.padTop + ky * g.dilationHeight;
    if (iy < 0 || iy >= g.inHeight) continue;
    for (let kx = 0; kx < g.filterWidth; kx++) {
      const ix = ox * g.strideWidth - g.padLeft + kx * g.dilationWidth;
      if (ix < 0 || ix >= g.inWidth) continue;
      offsets[n] = (iy * g.inWidth + ix) * g.inChannels;
      taps[n] = ky * g.filterWidth + kx;
      n++;
    }
  }
  return n;
}
