// Pooling and batch-normalization kernels, compiled once per ISA (included by isa_table.h after
// elementwise_impl.h and conv_impl.h, whose helpers they use). They follow the js kernels in
// src/backend/js/pool.ts and norm.ts: the same tap rules, the same first-maximum and NaN choices, the
// same float64 statistics; loops run over channels innermost (contiguous in NHWC), so they vectorize.
//
// Determinism: pooling splits output rows (forward) or whole images (backward, whose writes overlap
// within an image) over threads. Batch normalization sums each channel over a fixed number of groups
// of rows, each in float64, and combines the groups in order, so any thread count gives the same bits.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include elementwise_impl.h and conv_impl.h before pool_norm_impl.h"
#endif

#include <cmath>
#include <cstring>
#include <vector>

#include "thread_pool.h"
#include "window.h"

namespace neurona {
namespace NEURONA_ISA {

// Channels handled per pass over a window: the float64 sums of an average fit on the stack.
constexpr long kChannelBlock = 256;
// The most taps a window may have for the vector paths of max pooling (their offsets are listed first).
constexpr long kTiledTapsMax = 64;

struct PoolJob {
  bool max;
  const float* x;
  const float* dy;
  float* out;
  const ConvGeometry* g;
};

// Whether v replaces best: `v > best`, or a NaN replacing a number. The first maximum wins, and NaN
// propagates (as in js).
inline bool max_takes(float v, float best) { return v > best || (v != v && best == best); }
inline float max_step(float v, float best) { return max_takes(v, best) ? v : best; }

// The offsets of window (oy, ox)'s taps inside the image (at most kTiledTapsMax); returns their count.
inline long window_offsets(const ConvGeometry& g, long oy, long ox, long* offsets) {
  long count = 0;
  for_each_window_tap(g, oy, ox, [&](long offset, long) { offsets[count++] = offset; });
  return count;
}

// max_step on kLanes channels at once (max_takes' test, lane by lane).
inline void max_step_lanes(FloatLanes& best, const FloatLanes& v, IntLanes* take_out = nullptr) {
  const IntLanes take = (v > best) | ((v != v) & (best == best));
  best = (FloatLanes)(((IntLanes)v & take) | ((IntLanes)best & ~take));
  if (take_out != nullptr) *take_out = take;
}

inline void pool_forward_part(void* context, int thread, int threads) {
  const PoolJob& job = *static_cast<const PoolJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  long begin, end;
  split_range(g.batch * g.out_height, threads, thread, &begin, &end);
  double sums[kChannelBlock];
  long offsets[kTiledTapsMax];
  const bool vector_max = job.max && g.filter_height * g.filter_width <= kTiledTapsMax && channels >= kLanes;
  for (long row = begin; row < end; row++) {
    const long b = row / g.out_height;
    const long oy = row - b * g.out_height;
    for (long ox = 0; ox < g.out_width; ox++) {
      float* out = job.out + (row * g.out_width + ox) * channels;
      long c_start = 0;
      if (vector_max) {
        // Max pooling, kLanes channels at a time in vector registers.
        const long count = window_offsets(g, oy, ox, offsets);
        const float* x_image = job.x + b * g.in_height * g.in_width * channels;
        for (; count > 0 && c_start + kLanes <= channels; c_start += kLanes) {
          FloatLanes best, v;
          load_lanes(best, x_image + offsets[0] + c_start);
          for (long t = 1; t < count; t++) {
            load_lanes(v, x_image + offsets[t] + c_start);
            max_step_lanes(best, v);
          }
          std::memcpy(out + c_start, &best, sizeof best);
        }
      }
      for (long c0 = c_start; c0 < channels; c0 += kChannelBlock) {
        const long width = min_long(kChannelBlock, channels - c0);
        float* __restrict dst = out + c0;
        long count = 0;
        const float* x_image = job.x + b * g.in_height * g.in_width * channels + c0;
        for_each_window_tap(g, oy, ox, [&](long offset, long) {
          const float* __restrict src = x_image + offset;
          if (job.max) {
            if (count == 0) copy_floats(dst, src, width);
            else for (long c = 0; c < width; c++) dst[c] = max_step(src[c], dst[c]);
          } else {
            if (count == 0) for (long c = 0; c < width; c++) sums[c] = src[c];
            else for (long c = 0; c < width; c++) sums[c] += src[c];
          }
          count++;
        });
        if (count == 0) zero_floats(dst, width);
        else if (!job.max) for (long c = 0; c < width; c++) dst[c] = static_cast<float>(sums[c] / count);
      }
    }
  }
}

// Whether max pooling's windows tile the image without overlapping (pool size = stride, no dilation,
// no padding before; windows at the bottom and right may be cut off by the edge): every input pixel
// then lies in at most one window (and windows of at most kTiledTapsMax taps take this path).
inline bool windows_tile(const ConvGeometry& g) {
  return g.filter_height == g.stride_height && g.filter_width == g.stride_width && g.dilation_height == 1 &&
         g.dilation_width == 1 && g.pad_top == 0 && g.pad_left == 0 && g.filter_height * g.filter_width <= kTiledTapsMax;
}

// One window's gradient over channels [c0, c0 + width): the gradient at the window's first maximum
// (max_step's rule; 0 + dy, as the general path's zeroed image plus one addition gives) and zeros at
// its other pixels.
inline void max_window_gradient(const float* x_image, const long* offsets, long count, const float* d, float* image,
                                long c0, long width) {
  float best[kChannelBlock];
  int32_t winner[kChannelBlock];
  copy_floats(best, x_image + offsets[0] + c0, width);
  for (long c = 0; c < width; c++) winner[c] = 0;
  for (int32_t t = 1; t < count; t++) {
    const float* src = x_image + offsets[t] + c0;
    for (long c = 0; c < width; c++) {
      if (max_takes(src[c], best[c])) {
        best[c] = src[c];
        winner[c] = t;
      }
    }
  }
  for (int32_t t = 0; t < count; t++) {
    float* target = image + offsets[t] + c0;
    for (long c = 0; c < width; c++) {
      const float g = d[c0 + c];  // read before the test: see unary_grad_range
      target[c] = winner[c] == t ? 0.0f + g : 0.0f;
    }
  }
}

// max_window_gradient for kLanes channels in vector types (see FloatLanes).
inline void max_window_gradient_lanes(const float* x_image, const long* offsets, long count, const float* d,
                                      float* image, long c0) {
  FloatLanes best, v, dy;
  load_lanes(best, x_image + offsets[0] + c0);
  IntLanes winner = {};
  for (int32_t t = 1; t < count; t++) {
    load_lanes(v, x_image + offsets[t] + c0);
    IntLanes take;
    max_step_lanes(best, v, &take);
    winner = (take & t) | (winner & ~take);
  }
  load_lanes(dy, d + c0);
  const IntLanes g = (IntLanes)(dy + 0.0f);
  for (int32_t t = 0; t < count; t++) {
    const FloatLanes out = (FloatLanes)(g & (winner == t));
    std::memcpy(image + offsets[t] + c0, &out, sizeof out);
  }
}

// Max pooling's gradient for windows that tile the image: each window writes its pixels once (see
// max_window_gradient), and only pixels outside every window are cleared. The general path zeroes
// the whole image first and then scatters, with a scalar index per channel (W5's pooling gradients on 2
// threads: 190 -> 50 us at 28x28x16, 62 -> 29 us at 14x14x32, the same 16 us at 7x7x64).
inline void max_pool_backward_tiled(const PoolJob& job, long b) {
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long row_floats = g.in_width * channels;
  float* image = job.out + b * g.in_height * row_floats;
  const float* x_image = job.x + b * g.in_height * row_floats;
  const long covered_height = min_long(g.out_height * g.stride_height, g.in_height);
  const long covered_width = min_long(g.out_width * g.stride_width, g.in_width);
  for (long iy = 0; iy < covered_height; iy++) {
    zero_floats(image + iy * row_floats + covered_width * channels, (g.in_width - covered_width) * channels);
  }
  zero_floats(image + covered_height * row_floats, (g.in_height - covered_height) * row_floats);
  long offsets[kTiledTapsMax];
  for (long oy = 0; oy < g.out_height; oy++) {
    for (long ox = 0; ox < g.out_width; ox++) {
      const float* d = job.dy + ((b * g.out_height + oy) * g.out_width + ox) * channels;
      const long count = window_offsets(g, oy, ox, offsets);
      if (count == 0) continue;
      long c0 = 0;
      for (; c0 + kLanes <= channels; c0 += kLanes) max_window_gradient_lanes(x_image, offsets, count, d, image, c0);
      for (; c0 < channels; c0 += kChannelBlock) {
        max_window_gradient(x_image, offsets, count, d, image, c0, min_long(kChannelBlock, channels - c0));
      }
    }
  }
}

inline void pool_backward_part(void* context, int thread, int threads) {
  const PoolJob& job = *static_cast<const PoolJob*>(context);
  const ConvGeometry& g = *job.g;
  const long channels = g.in_channels;
  const long image_size = g.in_height * g.in_width * channels;
  long begin, end;
  split_range(g.batch, threads, thread, &begin, &end);
  if (job.max && windows_tile(g)) {
    for (long b = begin; b < end; b++) max_pool_backward_tiled(job, b);
    return;
  }
  float best[kChannelBlock];
  long where[kChannelBlock];
  for (long b = begin; b < end; b++) {
    float* image = job.out + b * image_size;
    const float* x_image = job.x + b * image_size;
    zero_floats(image, image_size);
    for (long oy = 0; oy < g.out_height; oy++) {
      for (long ox = 0; ox < g.out_width; ox++) {
        const float* d = job.dy + ((b * g.out_height + oy) * g.out_width + ox) * channels;
        if (!job.max) {
          long count = 0;
          for_each_window_tap(g, oy, ox, [&](long, long) { count++; });
          if (count == 0) continue;
          const double scale = 1.0 / static_cast<double>(count);
          for_each_window_tap(g, oy, ox, [&](long offset, long) {
            float* __restrict target = image + offset;
            for (long c = 0; c < channels; c++) target[c] += static_cast<float>(d[c] * scale);
          });
          continue;
        }
        for (long c0 = 0; c0 < channels; c0 += kChannelBlock) {
          const long width = min_long(kChannelBlock, channels - c0);
          long count = 0;
          for_each_window_tap(g, oy, ox, [&](long offset, long) {
            const long local = offset + c0;
            const float* __restrict src = x_image + local;
            if (count == 0) {
              for (long c = 0; c < width; c++) {
                best[c] = src[c];
                where[c] = local + c;
              }
            } else {
              for (long c = 0; c < width; c++) {
                const float v = src[c];
                const bool take = max_takes(v, best[c]);
                best[c] = take ? v : best[c];
                where[c] = take ? local + c : where[c];
              }
            }
            count++;
          });
          if (count > 0) for (long c = 0; c < width; c++) image[where[c]] += d[c0 + c];
        }
      }
    }
  }
}

inline long pool_work(const ConvGeometry& g) {
  return g.batch * g.out_height * g.out_width * g.filter_height * g.filter_width * g.in_channels;
}

inline void pool2d(int op, const float* x, float* out, const ConvGeometry& g, int threads) {
  PoolJob job{op == static_cast<int>(PoolKernel::kMax), x, nullptr, out, &g};
  const long rows = g.batch * g.out_height;
  if (rows == 0 || g.out_width == 0 || g.in_channels == 0) return;
  int n = threads_for(pool_work(g), threads);
  if (n > rows) n = static_cast<int>(rows);
  parallel_run(n, pool_forward_part, &job);
}

inline void pool2d_backward(int op, const float* x, const float* dy, float* dx, const ConvGeometry& g, int threads) {
  PoolJob job{op == static_cast<int>(PoolKernel::kMax), x, dy, dx, &g};
  if (g.batch == 0 || g.in_channels == 0) return;
  int n = threads_for(pool_work(g) + g.batch * g.in_height * g.in_width * g.in_channels, threads);
  if (n > g.batch) n = static_cast<int>(g.batch);
  parallel_run(n, pool_backward_part, &job);
}

// ---- batch normalization over [outer, length, inner] ----------------------------------------------

struct NormJob {
  const float* x;
  const float* dy;
  long outer;
  long length;
  long inner;
  long groups;
  // Per channel, float64: the statistics the current pass reads (mean; or mean and invStd as saved).
  const double* center;
  const double* scale;
  // groups * length float64 partial sums for each of the two sums a pass takes.
  double* first;
  double* second;
  // The elementwise pass: out = x * a + c (forward), or dx = k * (n * dy - s - (x - m) * r * t).
  const double* a;
  const double* c;
  float* out;
  const double* sum_dy;
  const double* sum_dy_xhat;
  const double* coefficient;
  double n;
};

enum class NormPass { kMean, kSquares, kOutput, kGradientSums, kGradient };

// Channels per block of norm_sums_block: two 512-bit vectors of float64 per sum.
constexpr long kNormBlock = 16;
// Floats per row chunk (64 KB) where the batch-norm passes take a row's channels in several blocks,
// and the rows of `length` floats such a chunk holds (at least one).
constexpr long kNormChunkFloats = 16384;
inline long norm_chunk_rows(long length) { return length < kNormChunkFloats ? kNormChunkFloats / length : 1; }

// norm_sums_rows for channels [l0, l0 + kNormBlock * blocks) of channels-last rows [o0, o1), in vector
// types of one 512-bit register each (see FloatLanes), so that the sums stay in registers while the rows
// stream past once.
using Floats8 = float __attribute__((vector_size(32)));
using Doubles8 = double __attribute__((vector_size(64)));

// Eight floats widened to float64 (through a reference, as load_lanes).
inline void load_doubles8(Doubles8& out, const float* p) {
  Floats8 v;
  std::memcpy(&v, p, sizeof v);
  out = __builtin_convertvector(v, Doubles8);
}

// With `resume`, the sums go on from those in first and second (the rows before o0, summed by an
// earlier call), else from zero.
template <NormPass pass, int blocks>
inline void norm_sums_block(const NormJob& job, long o0, long o1, long l0, double* first, double* second, bool resume) {
  static_assert(kNormBlock == 16, "two vectors of 8 per block");
  constexpr int V = 2 * blocks;
  const long length = job.length;
  Doubles8 f[V], t[V], center[V], scale[V];
  for (int v = 0; v < V; v++) {
    f[v] = Doubles8{};
    t[v] = Doubles8{};
    if (resume) std::memcpy(&f[v], first + 8 * v, sizeof f[v]);
    if (resume && pass == NormPass::kGradientSums) std::memcpy(&t[v], second + 8 * v, sizeof t[v]);
    center[v] = Doubles8{};
    scale[v] = Doubles8{};
    if (pass != NormPass::kMean) std::memcpy(&center[v], job.center + l0 + 8 * v, sizeof center[v]);
    if (pass == NormPass::kGradientSums) std::memcpy(&scale[v], job.scale + l0 + 8 * v, sizeof scale[v]);
  }
  for (long o = o0; o < o1; o++) {
    const float* x = job.x + o * length + l0;
    const float* dy = job.dy + o * length + l0;
    for (int v = 0; v < V; v++) {
      Doubles8 xv;
      load_doubles8(xv, x + 8 * v);
      if (pass == NormPass::kMean) {
        f[v] += xv;
      } else if (pass == NormPass::kSquares) {
        const Doubles8 d = xv - center[v];
        f[v] += d * d;
      } else {
        Doubles8 g;
        load_doubles8(g, dy + 8 * v);
        f[v] += g;
        t[v] += g * (xv - center[v]) * scale[v];
      }
    }
  }
  for (int v = 0; v < V; v++) {
    std::memcpy(first + 8 * v, &f[v], sizeof f[v]);
    if (pass == NormPass::kGradientSums) std::memcpy(second + 8 * v, &t[v], sizeof t[v]);
  }
}

template <NormPass pass>
inline void norm_sums_rows(const NormJob& job, long o0, long o1, double* first, double* second) {
  const long length = job.length;
  const long inner = job.inner;
  for (long l = 0; l < length; l++) {
    first[l] = 0.0;
    if (pass == NormPass::kGradientSums) second[l] = 0.0;
  }
  // Channels last in blocks of kNormBlock channels: each block's sums stay in registers over all the
  // rows (the same additions in the same order as the row loop below, which kept them in memory and
  // waited on each store before the next row's add); the channels past the last block take that loop.
  long blocked = 0;
  if (inner == 1) {
    // Up to four blocks (64 channels) at once: the gradient sums' two sums, centres and scales fill
    // AVX-512's 32 vector registers (AVX2 and wasm, with fewer and narrower ones, spill some).
    const long span = length % (4 * kNormBlock) == 0 ? 4 * kNormBlock : length % (2 * kNormBlock) == 0 ? 2 * kNormBlock : kNormBlock;
    blocked = length / span * span;
    // Rows in chunks of about 64 KB, every block of channels over a chunk before the next chunk, so
    // that rows wider than one block come from memory once rather than once per block (each block's
    // sums stored after a chunk and taken up again for the next: the same additions in the same order).
    const long chunk = blocked > span ? norm_chunk_rows(length) : o1 - o0;
    for (long c0 = o0; c0 < o1; c0 += chunk) {
      const long c1 = min_long(c0 + chunk, o1);
      for (long l0 = 0; l0 < blocked; l0 += span) {
        if (span == 4 * kNormBlock) norm_sums_block<pass, 4>(job, c0, c1, l0, first + l0, second + l0, c0 > o0);
        else if (span == 2 * kNormBlock) norm_sums_block<pass, 2>(job, c0, c1, l0, first + l0, second + l0, c0 > o0);
        else norm_sums_block<pass, 1>(job, c0, c1, l0, first + l0, second + l0, c0 > o0);
      }
    }
    if (blocked == length) return;
  }
  for (long o = o0; o < o1; o++) {
    const float* __restrict x = job.x + o * length * inner;
    const float* __restrict dy = job.dy + o * length * inner;
    if (inner == 1) {
      // Channels last: one row of `length` channels, summed channel-wise (vectorized across channels).
      if (pass == NormPass::kMean) {
        for (long l = blocked; l < length; l++) first[l] += x[l];
      } else if (pass == NormPass::kSquares) {
        for (long l = blocked; l < length; l++) {
          const double d = x[l] - job.center[l];
          first[l] += d * d;
        }
      } else {
        for (long l = blocked; l < length; l++) {
          const double g = dy[l];
          first[l] += g;
          second[l] += g * (x[l] - job.center[l]) * job.scale[l];
        }
      }
      continue;
    }
    for (long l = 0; l < length; l++) {
      const float* __restrict xs = x + l * inner;
      const float* __restrict gs = dy + l * inner;
      double s = 0.0, t = 0.0;
      if (pass == NormPass::kMean) {
        for (long i = 0; i < inner; i++) s += xs[i];
      } else if (pass == NormPass::kSquares) {
        const double m = job.center[l];
        for (long i = 0; i < inner; i++) {
          const double d = xs[i] - m;
          s += d * d;
        }
      } else {
        const double m = job.center[l];
        const double r = job.scale[l];
        for (long i = 0; i < inner; i++) {
          const double g = gs[i];
          s += g;
          t += g * (xs[i] - m) * r;
        }
      }
      first[l] += s;
      if (pass == NormPass::kGradientSums) second[l] += t;
    }
  }
}

// norm_part's elementwise passes for channels [l0, l0 + 8 V) of channels-last rows [o0, o1), the
// per-channel factors held in registers over the rows (the same expressions as there).
template <NormPass pass, int V>
inline void norm_rows_block(const NormJob& job, long o0, long o1, long l0) {
  const long length = job.length;
  Doubles8 a[V], c[V], k[V], m[V], r[V], s[V], t[V];
  const auto load = [&](Doubles8* to, const double* from) {
    for (int v = 0; v < V; v++) std::memcpy(&to[v], from + l0 + 8 * v, sizeof to[v]);
  };
  if (pass == NormPass::kOutput) {
    load(a, job.a);
    load(c, job.c);
  } else {
    load(k, job.coefficient);
    load(m, job.center);
    load(r, job.scale);
    load(s, job.sum_dy);
    load(t, job.sum_dy_xhat);
  }
  const double n = job.n;
  for (long o = o0; o < o1; o++) {
    const float* x = job.x + o * length + l0;
    const float* dy = job.dy + o * length + l0;
    float* out = job.out + o * length + l0;
    for (int v = 0; v < V; v++) {
      Doubles8 xv;
      load_doubles8(xv, x + 8 * v);
      Doubles8 result;
      if (pass == NormPass::kOutput) {
        result = xv * a[v] + c[v];
      } else {
        Doubles8 g;
        load_doubles8(g, dy + 8 * v);
        result = k[v] * (n * g - s[v] - (xv - m[v]) * r[v] * t[v]);
      }
      const Floats8 narrow = __builtin_convertvector(result, Floats8);
      std::memcpy(out + 8 * v, &narrow, sizeof narrow);
    }
  }
}

template <NormPass pass>
inline void norm_part(void* context, int thread, int threads) {
  const NormJob& job = *static_cast<const NormJob*>(context);
  const long length = job.length;
  const long inner = job.inner;
  if (pass == NormPass::kOutput || pass == NormPass::kGradient) {
    long begin, end;
    split_range(job.outer, threads, thread, &begin, &end);
    // Rows read once: 64 channels at a time where they divide, else 32, in row chunks of about 64 KB
    // when a row takes several blocks (see norm_sums_rows).
    if (inner == 1 && length % 32 == 0) {
      const long span = length % 64 == 0 ? 64 : 32;
      const long chunk = length > span ? norm_chunk_rows(length) : end - begin;
      for (long c0 = begin; c0 < end; c0 += chunk) {
        const long c1 = min_long(c0 + chunk, end);
        for (long l0 = 0; l0 < length; l0 += span) {
          if (span == 64) norm_rows_block<pass, 8>(job, c0, c1, l0);
          else norm_rows_block<pass, 4>(job, c0, c1, l0);
        }
      }
      return;
    }
    for (long o = begin; o < end; o++) {
      const long base = o * length * inner;
      const float* __restrict x = job.x + base;
      const float* __restrict dy = job.dy + base;
      float* __restrict out = job.out + base;
      if (inner == 1) {
        // Channels last: one vectorized pass over the row's channels.
        if (pass == NormPass::kOutput) {
          for (long l = 0; l < length; l++) out[l] = static_cast<float>(x[l] * job.a[l] + job.c[l]);
        } else {
          for (long l = 0; l < length; l++) {
            out[l] = static_cast<float>(job.coefficient[l] * (job.n * dy[l] - job.sum_dy[l] -
                                                              (x[l] - job.center[l]) * job.scale[l] * job.sum_dy_xhat[l]));
          }
        }
        continue;
      }
      for (long l = 0; l < length; l++) {
        const float* __restrict xs = x + l * inner;
        float* __restrict outs = out + l * inner;
        if (pass == NormPass::kOutput) {
          const double a = job.a[l], c = job.c[l];
          for (long i = 0; i < inner; i++) outs[i] = static_cast<float>(xs[i] * a + c);
        } else {
          const float* __restrict gs = dy + l * inner;
          const double k = job.coefficient[l], m = job.center[l], r = job.scale[l], s = job.sum_dy[l],
                       t = job.sum_dy_xhat[l];
          for (long i = 0; i < inner; i++) outs[i] = static_cast<float>(k * (job.n * gs[i] - s - (xs[i] - m) * r * t));
        }
      }
    }
    return;
  }
  long group_begin, group_end;
  split_range(job.groups, threads, thread, &group_begin, &group_end);
  for (long group = group_begin; group < group_end; group++) {
    long begin, end;
    split_range(job.outer, static_cast<int>(job.groups), static_cast<int>(group), &begin, &end);
    norm_sums_rows<pass>(job, begin, end, job.first + group * length, job.second + group * length);
  }
}

// Sums the groups' partials in group order into partials[0 .. length).
inline void combine_groups(double* partials, long groups, long length) {
  for (long group = 1; group < groups; group++) {
    for (long l = 0; l < length; l++) partials[l] += partials[group * length + l];
  }
}

// Reserves the float64 scratch of a batch-norm call: `arrays` per-channel arrays after the two
// groups * length partial buffers. Returns null when memory runs out.
inline double* reserve_norm(ScratchLock& lock, NormJob& job, long arrays) {
  const long doubles = 2 * job.groups * job.length + arrays * job.length;
  float* base = lock.reserve(kSharedScratchSlot, 2 * doubles);
  if (base == nullptr) return nullptr;
  double* d = reinterpret_cast<double*>(base);
  job.first = d;
  job.second = d + job.groups * job.length;
  return d + 2 * job.groups * job.length;
}

inline void norm_groups(NormJob& job, int threads, long work, int* threads_out) {
  job.groups = min_long(16, job.outer);
  if (job.groups < 1) job.groups = 1;
  int n = threads_for(work, threads);
  if (n > job.groups) n = static_cast<int>(job.groups);
  *threads_out = n;
}

// A NormJob over [outer, length, inner] with its groups chosen, plus the thread counts of the
// reduction passes (`threads_out`) and of the elementwise pass (`elementwise_out`, at most `outer`).
inline NormJob norm_job(const float* x, const float* dy, long outer, long length, long inner, float* out, int threads,
                        int* threads_out, int* elementwise_out) {
  NormJob job{};
  job.x = x;
  job.dy = dy;
  job.outer = outer;
  job.length = length;
  job.inner = inner;
  job.out = out;
  const long size = outer * length * inner;
  norm_groups(job, threads, size, threads_out);
  const int elementwise = threads_for(size, threads);
  *elementwise_out = elementwise > outer ? static_cast<int>(outer) : elementwise;
  return job;
}

inline bool batch_norm_training(const float* x, long outer, long length, long inner, const float* gamma,
                                const float* beta, double epsilon, float* out, float* mean, float* inv_std,
                                int threads) {
  if (length == 0) return true;
  int n, elementwise_threads;
  NormJob job = norm_job(x, x, outer, length, inner, out, threads, &n, &elementwise_threads);
  ScratchLock lock;
  double* arrays = reserve_norm(lock, job, 3);
  if (arrays == nullptr) return false;
  double* mu = arrays;
  double* a = arrays + length;
  double* c = arrays + 2 * length;
  const double count = static_cast<double>(outer * inner);
  parallel_run(n, norm_part<NormPass::kMean>, &job);
  combine_groups(job.first, job.groups, length);
  for (long l = 0; l < length; l++) mu[l] = job.first[l] / count;
  job.center = mu;
  parallel_run(n, norm_part<NormPass::kSquares>, &job);
  combine_groups(job.first, job.groups, length);
  for (long l = 0; l < length; l++) {
    const double r = 1.0 / std::sqrt(job.first[l] / count + epsilon);
    mean[l] = static_cast<float>(mu[l]);
    inv_std[l] = static_cast<float>(r);
    // out = (x - mean) * r * gamma + beta, folded into one multiply-add per element (as js).
    a[l] = r * gamma[l];
    c[l] = beta[l] - mu[l] * a[l];
  }
  job.a = a;
  job.c = c;
  parallel_run(elementwise_threads, norm_part<NormPass::kOutput>, &job);
  return true;
}

// With n = outer * inner and xhat = (x - mean) * invStd: dBeta = sum(dy), dGamma = sum(dy * xhat),
// dx = gamma * invStd / n * (n * dy - dBeta - xhat * dGamma), as the js kernel.
inline bool batch_norm_backward(const float* x, const float* dy, long outer, long length, long inner,
                                const float* gamma, const float* mean, const float* inv_std, float* dx, float* dgamma,
                                float* dbeta, int threads) {
  if (length == 0) return true;
  int n, elementwise_threads;
  NormJob job = norm_job(x, dy, outer, length, inner, dx, threads, &n, &elementwise_threads);
  ScratchLock lock;
  double* arrays = reserve_norm(lock, job, 5);
  if (arrays == nullptr) return false;
  double* m = arrays;
  double* r = arrays + length;
  double* coefficient = arrays + 2 * length;
  double* sum_dy = arrays + 3 * length;
  double* sum_dy_xhat = arrays + 4 * length;
  for (long l = 0; l < length; l++) {
    m[l] = mean[l];
    r[l] = inv_std[l];
  }
  job.center = m;
  job.scale = r;
  parallel_run(n, norm_part<NormPass::kGradientSums>, &job);
  combine_groups(job.first, job.groups, length);
  combine_groups(job.second, job.groups, length);
  const double count = static_cast<double>(outer * inner);
  for (long l = 0; l < length; l++) {
    sum_dy[l] = job.first[l];
    sum_dy_xhat[l] = job.second[l];
    dbeta[l] = static_cast<float>(sum_dy[l]);
    dgamma[l] = static_cast<float>(sum_dy_xhat[l]);
    coefficient[l] = static_cast<double>(gamma[l]) * r[l] / count;
  }
  job.sum_dy = sum_dy;
  job.sum_dy_xhat = sum_dy_xhat;
  job.coefficient = coefficient;
  job.n = count;
  parallel_run(elementwise_threads, norm_part<NormPass::kGradient>, &job);
  return true;
}

// ---- layer normalization over rows ---------------------------------------------------------------
// As the js kernel: per-row float64 statistics in index order. Rows are independent, so the forward
// pass and dx split rows between threads; dGamma and dBeta split columns instead, each column summed
// over the rows in row order, so any thread count gives the js kernel's order and the same bits.

inline void layer_norm(const float* x, long rows, long width, const float* gamma, const float* beta, double epsilon,
                       bool rms, float* out, float* mean, float* inv_std, int threads) {
  parallel_chunks(rows, 1, threads_for(rows * width, threads), [&](long begin, long end) {
    for (long r = begin; r < end; r++) {
      const float* xr = x + r * width;
      float* o = out + r * width;
      double m = 0;
      if (!rms) {
        for (long j = 0; j < width; j++) m += xr[j];
        m /= static_cast<double>(width);
      }
      double squares = 0;
      for (long j = 0; j < width; j++) {
        const double d = xr[j] - m;
        squares += d * d;
      }
      const double inv = 1.0 / std::sqrt(squares / static_cast<double>(width) + epsilon);
      mean[r] = static_cast<float>(m);
      inv_std[r] = static_cast<float>(inv);
      for (long j = 0; j < width; j++) {
        const double v = (xr[j] - m) * inv;
        o[j] = static_cast<float>((gamma ? v * gamma[j] : v) + (beta ? beta[j] : 0.0));
      }
    }
  });
}

inline bool layer_norm_backward(const float* x, const float* dy, long rows, long width, const float* gamma,
                                const float* mean, const float* inv_std, bool rms, float* dx, float* dgamma,
                                float* dbeta, int threads) {
  const int n = threads_for(rows * width, threads);
  parallel_chunks(rows, 1, n, [&](long begin, long end) {
    for (long r = begin; r < end; r++) {
      const float* xr = x + r * width;
      const float* g = dy + r * width;
      const double m = mean[r];
      const double inv = inv_std[r];
      double sum_dxhat = 0, sum_dxhat_xhat = 0;
      for (long j = 0; j < width; j++) {
        const double dxhat = gamma ? static_cast<double>(g[j]) * gamma[j] : g[j];
        sum_dxhat += dxhat;
        sum_dxhat_xhat += dxhat * ((xr[j] - m) * inv);
      }
      const double a = rms ? 0.0 : sum_dxhat / static_cast<double>(width);
      const double b = sum_dxhat_xhat / static_cast<double>(width);
      for (long j = 0; j < width; j++) {
        const double dxhat = gamma ? static_cast<double>(g[j]) * gamma[j] : g[j];
        dx[r * width + j] = static_cast<float>(inv * (dxhat - a - (xr[j] - m) * inv * b));
      }
    }
  });
  if (dgamma == nullptr && dbeta == nullptr) return true;
  ScratchLock lock;
  double* sums = reinterpret_cast<double*>(lock.reserve(kSharedScratchSlot, 4 * static_cast<std::size_t>(width)));
  if (sums == nullptr) return false;
  double* sum_gamma = sums;
  double* sum_beta = sums + width;
  parallel_chunks(width, 16, n, [&](long begin, long end) {
    for (long j = begin; j < end; j++) sum_gamma[j] = sum_beta[j] = 0;
    for (long r = 0; r < rows; r++) {
      const float* xr = x + r * width;
      const float* g = dy + r * width;
      const double m = mean[r];
      const double inv = inv_std[r];
      for (long j = begin; j < end; j++) {
        sum_gamma[j] += g[j] * ((xr[j] - m) * inv);
        sum_beta[j] += g[j];
      }
    }
    for (long j = begin; j < end; j++) {
      if (dgamma) dgamma[j] = static_cast<float>(sum_gamma[j]);
      if (dbeta) dbeta[j] = static_cast<float>(sum_beta[j]);
    }
  });
  return true;
}

// ---- group normalization, channels last ----------------------------------------------------------
// As the js kernel: each image walked position by position with per-channel float64 sums (contiguous
// channels, so the loops vectorize), added in channel order into each group's sums; images split
// between threads. dGamma and dBeta are the per-image channel sums (kept in scratch) added over the
// images in order, so any thread count gives the js bits.

inline bool group_norm(const float* x, long batch, long spatial, long channels, long groups, const float* gamma,
                       const float* beta, double epsilon, float* out, float* mean, float* inv_std, int threads) {
  const long size = channels / groups;
  const double count = static_cast<double>(spatial * size);
  // Each image's float64 sums, means and inverse deviations in its own part of one scratch buffer,
  // reserved here: a kernel part must not allocate (the wasm build's malloc is the calling thread's only).
  ScratchLock lock;
  double* scratch = reinterpret_cast<double*>(lock.reserve(kSharedScratchSlot, 6 * static_cast<std::size_t>(batch * channels)));
  if (scratch == nullptr) return false;
  parallel_chunks(batch, 1, threads_for(batch * spatial * channels * 3, threads), [&](long begin, long end) {
    double* __restrict sums = scratch + begin * 3 * channels;
    double* __restrict m = sums + channels;
    double* __restrict inv = m + channels;
    for (long n = begin; n < end; n++) {
      const float* xs = x + n * spatial * channels;
      float* os = out + n * spatial * channels;
      for (long c = 0; c < channels; c++) sums[c] = 0;
      for (long s = 0; s < spatial; s++) {
        const float* __restrict row = xs + s * channels;
        for (long c = 0; c < channels; c++) sums[c] += row[c];
      }
      for (long g = 0; g < groups; g++) {
        double total = 0;
        for (long c = g * size; c < (g + 1) * size; c++) total += sums[c];
        for (long c = g * size; c < (g + 1) * size; c++) m[c] = total / count;
      }
      for (long c = 0; c < channels; c++) sums[c] = 0;
      for (long s = 0; s < spatial; s++) {
        const float* __restrict row = xs + s * channels;
        for (long c = 0; c < channels; c++) {
          const double d = row[c] - m[c];
          sums[c] += d * d;
        }
      }
      for (long g = 0; g < groups; g++) {
        double total = 0;
        for (long c = g * size; c < (g + 1) * size; c++) total += sums[c];
        const double r = 1.0 / std::sqrt(total / count + epsilon);
        for (long c = g * size; c < (g + 1) * size; c++) inv[c] = r;
        mean[n * groups + g] = static_cast<float>(m[g * size]);
        inv_std[n * groups + g] = static_cast<float>(r);
      }
      for (long s = 0; s < spatial; s++) {
        const float* __restrict row = xs + s * channels;
        float* __restrict o = os + s * channels;
        for (long c = 0; c < channels; c++) {
          const double v = (row[c] - m[c]) * inv[c];
          o[c] = static_cast<float>((gamma ? v * gamma[c] : v) + (beta ? beta[c] : 0.0));
        }
      }
    }
  });
  return true;
}

inline bool group_norm_backward(const float* x, const float* dy, long batch, long spatial, long channels, long groups,
                                const float* gamma, const float* mean, const float* inv_std, float* dx, float* dgamma,
                                float* dbeta, int threads) {
  const long size = channels / groups;
  const double count = static_cast<double>(spatial * size);
  ScratchLock lock;
  // Per image: its channel sums for dGamma and dBeta, then its own means, inverse deviations and the two
  // group terms, reserved here (a kernel part must not allocate: the wasm build's malloc is the caller's only).
  double* partial = reinterpret_cast<double*>(lock.reserve(kSharedScratchSlot, 12 * static_cast<std::size_t>(batch * channels)));
  if (partial == nullptr) return false;
  double* image_gamma = partial;
  double* image_beta = partial + batch * channels;
  parallel_chunks(batch, 1, threads_for(batch * spatial * channels * 4, threads), [&](long begin, long end) {
    double* __restrict m = partial + 2 * batch * channels + begin * 4 * channels;
    double* __restrict inv = m + channels;
    double* __restrict a = inv + channels;
    double* __restrict b = a + channels;
    for (long n = begin; n < end; n++) {
      const long offset = n * spatial * channels;
      double* __restrict sum_dy = image_beta + n * channels;
      double* __restrict sum_dy_xhat = image_gamma + n * channels;
      for (long g = 0; g < groups; g++) {
        for (long c = g * size; c < (g + 1) * size; c++) {
          m[c] = mean[n * groups + g];
          inv[c] = inv_std[n * groups + g];
        }
      }
      for (long c = 0; c < channels; c++) sum_dy[c] = sum_dy_xhat[c] = 0;
      for (long s = 0; s < spatial; s++) {
        const float* __restrict xr = x + offset + s * channels;
        const float* __restrict gr = dy + offset + s * channels;
        for (long c = 0; c < channels; c++) {
          const double d = gr[c];
          sum_dy[c] += d;
          sum_dy_xhat[c] += d * ((xr[c] - m[c]) * inv[c]);
        }
      }
      for (long g = 0; g < groups; g++) {
        double sum_dxhat = 0, sum_dxhat_xhat = 0;
        for (long c = g * size; c < (g + 1) * size; c++) {
          sum_dxhat += gamma ? gamma[c] * sum_dy[c] : sum_dy[c];
          sum_dxhat_xhat += gamma ? gamma[c] * sum_dy_xhat[c] : sum_dy_xhat[c];
        }
        for (long c = g * size; c < (g + 1) * size; c++) {
          a[c] = sum_dxhat / count;
          b[c] = sum_dxhat_xhat / count;
        }
      }
      for (long s = 0; s < spatial; s++) {
        const float* __restrict xr = x + offset + s * channels;
        const float* __restrict gr = dy + offset + s * channels;
        float* __restrict d = dx + offset + s * channels;
        for (long c = 0; c < channels; c++) {
          const double xhat = (xr[c] - m[c]) * inv[c];
          const double dxhat = gamma ? static_cast<double>(gr[c]) * gamma[c] : gr[c];
          d[c] = static_cast<float>(inv[c] * (dxhat - a[c] - xhat * b[c]));
        }
      }
    }
  });
  for (long c = 0; c < channels; c++) {
    double sg = 0, sb = 0;
    for (long n = 0; n < batch; n++) {
      sg += image_gamma[n * channels + c];
      sb += image_beta[n * channels + c];
    }
    if (dgamma) dgamma[c] = static_cast<float>(sg);
    if (dbeta) dbeta[c] = static_cast<float>(sb);
  }
  return true;
}

}  // namespace NEURONA_ISA
}  // namespace neurona
