// Windows over NHWC images, shared by convolution and pooling (conv_impl.h, depthwise_impl.h,
// pool_norm_impl.h): the geometry (ConvGeometry, generated in kernel_table.h from Conv2DGeometry in
// src/backend/kernels.ts), the walk over a window's taps, and the pooling codes.
#pragma once

#include "kernel_table.h"

namespace neurona {

// Input pixel of output (oy, ox) and tap (ky, kx): iy = oy * stride_height - pad_top + ky *
// dilation_height; taps outside the image read zero (convolution) or are skipped (pooling). Every
// kernel bounds-checks each tap, so any padding is memory-safe. out_channels is the filters of
// conv2d, in_channels * depth multiplier for depthwise, in_channels for pooling.
//
// The taps of output pixel (oy, ox)'s window that fall inside the image, in window order (row by
// row): calls visit(offset, tap) with the input pixel's element offset within its image,
// (iy * in_width + ix) * in_channels, and the tap index ky * filter_width + kx. Depthwise
// convolution and pooling walk their windows through this one loop.
template <typename Visit>
inline void for_each_window_tap(const ConvGeometry& g, long oy, long ox, Visit&& visit) {
  for (long ky = 0; ky < g.filter_height; ky++) {
    const long iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
    if (iy < 0 || iy >= g.in_height) continue;
    for (long kx = 0; kx < g.filter_width; kx++) {
      const long ix = ox * g.stride_width - g.pad_left + kx * g.dilation_width;
      if (ix < 0 || ix >= g.in_width) continue;
      visit((iy * g.in_width + ix) * g.in_channels, ky * g.filter_width + kx);
    }
  }
}

enum class PoolKernel { kMax, kAvg, kCount };
constexpr const char* kPoolNames[] = {"max", "avg"};
static_assert(sizeof(kPoolNames) / sizeof(kPoolNames[0]) == static_cast<int>(PoolKernel::kCount), "pool names");

}  // namespace neurona
