// Depthwise convolution and its two backprops, compiled once per ISA (included by isa_table.h after
// conv_impl.h, whose helpers it uses). Each output channel c * multiplier + m reads input channel c
// only, so there is too little work per tap for a GEMM: direct loops with the channel loop innermost
// (contiguous in NHWC), which vectorize. Output rows (forward) or whole images (backprop input, whose
// writes overlap within an image) are split over threads; the filter gradient sums fixed groups of
// rows, so any thread count gives the same bits.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include conv_impl.h before depthwise_impl.h"
#endif

#include "thread_pool.h"
#include "window.h"

namespace neurona {
namespace NEURONA_ISA {

// Adds the products of one input pixel's channels with one filter tap onto an output pixel.
inline void depthwise_tap(float* __restrict acc, const float* __restrict source, const float* __restrict f,
                          long channels, long multiplier) {
  if (multiplier == 1) {
    for (long c = 0; c < channels; c++) acc[c] += source[c] * f[c];
    return;
  }
  for (long c = 0; c < channels; c++) {
    const float v = source[c];
    for (long m = 0; m < multiplier; m++) acc[c * multiplier + m] += v * f[c * multiplier + m];
  }
}

struct DepthwiseJob {
  const float* x;
  const float* filter;
  const float* dy;
  float* out;
  const ConvGeometry* g;
  long groups;
  double* group_sums;
};

// Output rows (b, oy) split over threads; each output pixel's channels are summed over its taps.
inline void depthwise_forward_part(void* context, int thread, int threads) {
  const DepthwiseJob& job = *static_cast<const DepthwiseJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long multiplier = g.out_channels / channels;
  long begin, end;
  split_range(g.batch * g.out_height, threads, thread, &begin, &end);
  for (long row = begin; row < end; row++) {
    const long b = row / g.out_height;
    const long oy = row - b * g.out_height;
    for (long ox = 0; ox < g.out_width; ox++) {
      float* acc = job.out + (row * g.out_width + ox) * g.out_channels;
      zero_floats(acc, g.out_channels);
      const float* x_image = job.x + b * g.in_height * g.in_width * channels;
      for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
        depthwise_tap(acc, x_image + offset, job.filter + tap * g.out_channels, channels, multiplier);
      });
    }
  }
}

// Whole images per thread: each output pixel adds its taps' contributions onto dx in pixel order.
inline void depthwise_input_part(void* context, int thread, int threads) {
  const DepthwiseJob& job = *static_cast<const DepthwiseJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long multiplier = g.out_channels / channels;
  const long image_size = g.in_height * g.in_width * channels;
  long begin, end;
  split_range(g.batch, threads, thread, &begin, &end);
  for (long b = begin; b < end; b++) {
    float* image = job.out + b * image_size;
    zero_floats(image, image_size);
    for (long oy = 0; oy < g.out_height; oy++) {
      for (long ox = 0; ox < g.out_width; ox++) {
        const float* d = job.dy + ((b * g.out_height + oy) * g.out_width + ox) * g.out_channels;
        for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
          float* __restrict target = image + offset;
          const float* __restrict f = job.filter + tap * g.out_channels;
          if (multiplier == 1) {
            for (long c = 0; c < channels; c++) target[c] += d[c] * f[c];
          } else {
            for (long c = 0; c < channels; c++) {
              float s = 0.0f;
              for (long m = 0; m < multiplier; m++) s += d[c * multiplier + m] * f[c * multiplier + m];
              target[c] += s;
            }
          }
        });
      }
    }
  }
}

// A fixed number of groups of output rows, each summed in float64 (products of two floats are exact
// there) into its own partial; the partials are combined in group order afterwards (the same bits
// for any thread count).
inline void depthwise_filter_part(void* context, int thread, int threads) {
  const DepthwiseJob& job = *static_cast<const DepthwiseJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long multiplier = g.out_channels / channels;
  const long size = g.filter_height * g.filter_width * g.out_channels;
  long group_begin, group_end;
  split_range(job.groups, threads, thread, &group_begin, &group_end);
  for (long group = group_begin; group < group_end; group++) {
    double* sums = job.group_sums + group * size;
    for (long i = 0; i < size; i++) sums[i] = 0.0;
    long begin, end;
    split_range(g.batch * g.out_height, static_cast<int>(job.groups), static_cast<int>(group), &begin, &end);
    for (long row = begin; row < end; row++) {
      const long b = row / g.out_height;
      const long oy = row - b * g.out_height;
      for (long ox = 0; ox < g.out_width; ox++) {
        const float* __restrict d = job.dy + (row * g.out_width + ox) * g.out_channels;
        const float* x_image = job.x + b * g.in_height * g.in_width * channels;
        for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
          const float* __restrict source = x_image + offset;
          double* __restrict acc = sums + tap * g.out_channels;
          if (multiplier == 1) {
            for (long c = 0; c < channels; c++) acc[c] += static_cast<double>(source[c]) * d[c];
          } else {
            for (long c = 0; c < channels; c++) {
              const float v = source[c];
              for (long m = 0; m < multiplier; m++) {
                acc[c * multiplier + m] += static_cast<double>(v) * d[c * multiplier + m];
              }
            }
          }
        });
      }
    }
  }
}

inline long depthwise_work(const ConvGeometry& g) {
  return g.batch * g.out_height * g.out_width * g.filter_height * g.filter_width * g.out_channels;
}

inline void depthwise_conv2d(const float* x, const float* filter, float* out, const ConvGeometry& g, int threads) {
  DepthwiseJob job{x, filter, nullptr, out, &g, 0, nullptr};
  const long rows = g.batch * g.out_height;
  if (rows == 0 || g.out_width == 0 || g.out_channels == 0) return;
  int n = threads_for(depthwise_work(g), threads);
  if (n > rows) n = static_cast<int>(rows);
  parallel_run(n, depthwise_forward_part, &job);
}

inline void depthwise_conv2d_backprop_input(const float* dy, const float* filter, float* dx, const ConvGeometry& g,
                                            int threads) {
  DepthwiseJob job{nullptr, filter, dy, dx, &g, 0, nullptr};
  if (g.batch == 0) return;
  int n = threads_for(depthwise_work(g), threads);
  if (n > g.batch) n = static_cast<int>(g.batch);
  parallel_run(n, depthwise_input_part, &job);
}

inline bool depthwise_conv2d_backprop_filter(const float* x, const float* dy, float* dfilter, const ConvGeometry& g,
                                             int threads) {
  const long size = g.filter_height * g.filter_width * g.out_channels;
  if (size == 0) return true;
  const long rows = g.batch * g.out_height;
  long groups = min_long(kMaxGroups, rows);
  if (groups < 1) groups = 1;
  ScratchLock lock;
  // Doubles, reserved as twice the floats.
  if (!lock.reserve(kSharedScratchSlot, 2 * groups * size)) return false;
  DepthwiseJob job{x, nullptr, dy, dfilter, &g, groups, reinterpret_cast<double*>(scratch_buffer(kSharedScratchSlot))};
  int n = threads_for(depthwise_work(g), threads);
  if (n > groups) n = static_cast<int>(groups);
  parallel_run(n, depthwise_filter_part, &job);
  for (long i = 0; i < size; i++) {
    double sum = job.group_sums[i];
    for (long group = 1; group < groups; group++) sum += job.group_sums[group * size + i];
    dfilter[i] = static_cast<float>(sum);
  }
  return true;
}

}  // namespace NEURONA_ISA
}  // namespace neurona
