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
