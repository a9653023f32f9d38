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

// The most taps a depthwise filter may have for the register blocks (larger filters take the
// loops through memory).
constexpr long kDepthwiseTapsMax = 64;

// The channels that go in register blocks: whole vectors of them with multiplier 1 and at most
// kDepthwiseTapsMax taps, else none.
inline long depthwise_blocked(const ConvGeometry& g) {
  const bool fits = g.out_channels == g.in_channels && g.filter_height * g.filter_width <= kDepthwiseTapsMax;
  return fits ? g.in_channels / kLanes * kLanes : 0;
}

// Channels [c0, c0 + V kLanes) of one pixel (multiplier 1): the sum over its `count` contributions
// of a[a_offsets[t] + c] * f[f_offsets[t] + c], in vector registers, stored once at `target` (the
// forward pass: a window's taps over x; the input gradient: the output pixels over an input pixel, of
// dy). Per channel the products the loops through memory add, in the same order, where those loops
// read and write the sum at every tap (MobileNetV2's 16x112x112x32 at 2 threads: forward 6.2 -> 2.9
// ms, input gradient 6.3 -> 3.5).
template <int V>
__attribute__((always_inline)) inline void depthwise_block(const float* a, const long* a_offsets, const float* f, const long* f_offsets, long count,
                            long c0, float* target) {
  FloatLanes acc[V] = {};
  for (long t = 0; t < count; t++) {
    for (int v = 0; v < V; v++) {
      FloatLanes x, w;
      load_lanes(x, a + a_offsets[t] + c0 + v * kLanes);
      load_lanes(w, f + f_offsets[t] + c0 + v * kLanes);
      acc[v] += x * w;
    }
  }
  for (int v = 0; v < V; v++) store_lanes(target + c0 + v * kLanes, acc[v]);
}

// A pixel's channels [0, blocked) in register blocks of 4 vectors, then 2, then 1 (depthwise_block).
__attribute__((always_inline)) inline void depthwise_blocks(const float* a, const long* a_offsets, const float* f, const long* f_offsets, long count,
                             long blocked, float* target) {
  long c0 = 0;
  for (; c0 + 4 * kLanes <= blocked; c0 += 4 * kLanes) depthwise_block<4>(a, a_offsets, f, f_offsets, count, c0, target);
  for (; c0 + 2 * kLanes <= blocked; c0 += 2 * kLanes) depthwise_block<2>(a, a_offsets, f, f_offsets, count, c0, target);
  for (; c0 < blocked; c0 += kLanes) depthwise_block<1>(a, a_offsets, f, f_offsets, count, c0, target);
}

// Output rows (b, oy) split over threads; each output pixel's channels are summed over its taps.
inline void depthwise_forward_part(void* context, int thread, int threads) {
  const DepthwiseJob& job = *static_cast<const DepthwiseJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long multiplier = g.out_channels / channels;
  // Channels in register blocks (depthwise_blocks), then the rest through depthwise_tap.
  const long blocked = depthwise_blocked(g);
  long x_offsets[kDepthwiseTapsMax], f_offsets[kDepthwiseTapsMax];
  long begin, end;
  split_range(g.batch * g.out_height, threads, thread, &begin, &end);
  for (long row = begin; row < end; row++) {
    const long b = row / g.out_height;
    const long oy = row - b * g.out_height;
    const float* x_image = job.x + b * g.in_height * g.in_width * channels;
    for (long ox = 0; ox < g.out_width; ox++) {
      float* acc = job.out + (row * g.out_width + ox) * g.out_channels;
      if (blocked > 0) {
        long count = 0;
        for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
          x_offsets[count] = offset;
          f_offsets[count++] = tap * g.out_channels;
        });
        depthwise_blocks(x_image, x_offsets, job.filter, f_offsets, count, blocked, acc);
      }
      const long c0 = blocked;
      if (c0 == g.out_channels) continue;
      zero_floats(acc + c0, g.out_channels - c0);
      for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
        depthwise_tap(acc + c0, x_image + offset + c0, job.filter + tap * g.out_channels + c0, channels - c0, multiplier);
      });
    }
  }
}

// The output positions along one axis whose windows hold input position i, with their taps, in the
// order the scatter below adds them (taps from the last, so that the output position ascends): pairs
// (output position, tap) into `pairs`; returns their count.
inline long depthwise_axis_sources(long i, long pad, long filter, long dilation, long stride, long out, long* pairs) {
  long count = 0;
  for (long k = filter - 1; k >= 0; k--) {
    const long t = i + pad - k * dilation;
    if (t < 0 || t % stride != 0 || t / stride >= out) continue;
    pairs[2 * count] = t / stride;
    pairs[2 * count + 1] = k;
    count++;
  }
  return count;
}

// Whole images per thread: with multiplier 1, each input pixel's channels in register blocks, gathered
// from the output pixels over it (depthwise_blocks); the channels past them, or every channel with a
// multiplier, by a scatter: each output pixel adds its taps' contributions onto dx in
// pixel order.
inline void depthwise_input_part(void* context, int thread, int threads) {
  const DepthwiseJob& job = *static_cast<const DepthwiseJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long multiplier = g.out_channels / channels;
  const long image_size = g.in_height * g.in_width * channels;
  const long blocked = depthwise_blocked(g);
  long rows[2 * kDepthwiseTapsMax], columns[2 * kDepthwiseTapsMax];
  long d_offsets[kDepthwiseTapsMax], f_offsets[kDepthwiseTapsMax];
  long begin, end;
  split_range(g.batch, threads, thread, &begin, &end);
  for (long b = begin; b < end; b++) {
    float* image = job.out + b * image_size;
    for (long iy = 0; iy < g.in_height; iy++) {
      const long row_count = blocked > 0 ? depthwise_axis_sources(iy, g.pad_top, g.filter_height, g.dilation_height,
                                                                  g.stride_height, g.out_height, rows)
                                         : 0;
      for (long ix = 0; ix < g.in_width; ix++) {
        float* target = image + (iy * g.in_width + ix) * channels;
        // The contributions in the scatter's order: output rows ascending, then columns.
        long count = 0;
        if (row_count > 0) {
          const long column_count = depthwise_axis_sources(ix, g.pad_left, g.filter_width, g.dilation_width,
                                                           g.stride_width, g.out_width, columns);
          for (long r = 0; r < row_count; r++) {
            for (long q = 0; q < column_count; q++) {
              d_offsets[count] = ((b * g.out_height + rows[2 * r]) * g.out_width + columns[2 * q]) * g.out_channels;
              f_offsets[count] = (rows[2 * r + 1] * g.filter_width + columns[2 * q + 1]) * g.out_channels;
              count++;
            }
          }
        }
        depthwise_blocks(job.dy, d_offsets, job.filter, f_offsets, count, blocked, target);
        zero_floats(target + blocked, channels - blocked);
      }
    }
    if (blocked == channels) continue;
    for (long oy = 0; oy < g.out_height; oy++) {
      for (long ox = 0; ox < g.out_width; ox++) {
        const float* d = job.dy + ((b * g.out_height + oy) * g.out_width + ox) * g.out_channels;
        for_each_window_tap(g, oy, ox, [&](long offset, long tap) {
          float* __restrict target = image + offset;
          const float* __restrict f = job.filter + tap * g.out_channels;
          if (multiplier == 1) {
            for (long c = blocked; c < channels; c++) target[c] += d[c] * f[c];
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
