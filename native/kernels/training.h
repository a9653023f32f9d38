// The shapes, codes and parameters of the training kernels (convolution, pooling, batch
// normalization, optimizer updates), shared by the addon and the per-ISA implementations in
// conv_impl.h, depthwise_impl.h, pool_norm_impl.h and optimizer_impl.h. They mirror
// src/backend/kernels.ts.
#pragma once

namespace neurona {

// A 2-D convolution or pooling window over NHWC images (Conv2DGeometry in kernels.ts). Input pixel of
// output (oy, ox) and tap (ky, kx): iy = oy * stride_height - pad_top + ky * dilation_height; taps
// outside the image read zero (convolution) or are skipped (pooling). Every kernel bounds-checks
// each tap, so any padding is memory-safe.
struct ConvGeometry {
  long batch;
  long in_height;
  long in_width;
  long in_channels;
  long out_height;
  long out_width;
  // conv2d: filters; depthwise: in_channels * depth multiplier; pooling: in_channels.
  long out_channels;
  long filter_height;
  long filter_width;
  long stride_height;
  long stride_width;
  long dilation_height;
  long dilation_width;
  long pad_top;
  long pad_left;
};

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

// The order in which the addon receives a geometry (an Int32Array), as in Conv2DGeometry.
constexpr int kConvGeometryFields = 15;

enum class PoolKernel { kMax, kAvg, kCount };
constexpr const char* kPoolNames[] = {"max", "avg"};

enum class UpdateKernel { kSgd, kAdam, kRmsprop, kAdagrad, kAdadelta, kCount };
constexpr const char* kUpdateNames[] = {"sgd", "adam", "rmsprop", "adagrad", "adadelta"};

static_assert(sizeof(kPoolNames) / sizeof(kPoolNames[0]) == static_cast<int>(PoolKernel::kCount), "pool names");
static_assert(sizeof(kUpdateNames) / sizeof(kUpdateNames[0]) == static_cast<int>(UpdateKernel::kCount),
              "update names");

// UpdateParams in kernels.ts; doubles, because the js kernel computes in float64 and the native one
// follows it term for term.
struct UpdateParams {
  double learning_rate;
  double momentum;
  bool nesterov;
  double beta1;
  double beta2;
  double rho;
  double epsilon;
  bool amsgrad;
  bool centered;
};

// How many slot arrays a rule reads (the order is applyUpdate's in kernels.ts).
inline int update_slot_count(UpdateKernel rule, const UpdateParams& p) {
  switch (rule) {
    case UpdateKernel::kSgd:
      return p.momentum == 0 ? 0 : 1;
    case UpdateKernel::kAdam:
      return p.amsgrad ? 3 : 2;
    case UpdateKernel::kRmsprop:
      return 1 + (p.momentum > 0 ? 1 : 0) + (p.centered ? 1 : 0);
    case UpdateKernel::kAdagrad:
      return 1;
    case UpdateKernel::kAdadelta:
      return 2;
    case UpdateKernel::kCount:
      break;
  }
  return 0;
}

}  // namespace neurona
