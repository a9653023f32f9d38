// Convolution kernels over NHWC images, compiled once per ISA: each isa_*.cc includes this file after
// gemm_impl.h and elementwise_impl.h (whose helpers it uses) and instantiates Conv<Micro> with its
// GEMM micro-kernel.
//
// conv2d and its two backprops are matrix products over im2col's matrix `col` [pixels, taps] (row p
// holds output pixel p's receptive field in the filter's (ky, kx, c) order, zeros for padding), with
// the Keras filter [fh, fw, inC, outC] read as a [taps, outC] matrix:
//   forward          out  = col @ filter
//   backprop input   dcol = dy @ filter^T, then col2im adds each row back onto its pixels
//   backprop filter  dF   = col^T @ dy
// The pixels are cut into chunks whose im2col block (about 256 KB) stays in L2 while the GEMM driver
// packs it; each thread fills its own im2col buffer (kept between calls, grown when needed, never
// freed per call) and runs the single-threaded GEMM block on it. A 1x1 filter with stride 1 and no
// padding needs no im2col: x (or dx) already is `col`.
//
// Determinism: the chunking depends only on the geometry, never on the thread count. Forward, every
// output element is one GEMM sum whatever chunk it falls in. Backprop input, threads take whole
// images, and within an image the chunks add onto dx in order. Backprop filter, the chunks form a
// fixed number of groups, each summed in order into its own float32 partial, and the partials are
// combined in group order in float64. So 1, 2 or any number of threads give the same bits.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include gemm_impl.h and elementwise_impl.h before conv_impl.h"
#endif

#include <cstring>

#include "thread_pool.h"
#include "training.h"

namespace neurona {
namespace NEURONA_ISA {

inline void copy_floats(float* __restrict dst, const float* __restrict src, long count) {
  for (long i = 0; i < count; i++) dst[i] = src[i];
}

inline void add_floats(float* __restrict dst, const float* __restrict src, long count) {
  for (long i = 0; i < count; i++) dst[i] += src[i];
}

inline void zero_floats(float* dst, long count) {
  if (count > 0) std::memset(dst, 0, sizeof(float) * count);
}

// The filter-gradient partial sums (groups * taps * outC floats) are held to this many floats; more
// groups would only add memory, not parallelism on the machines this targets.
constexpr long kMaxGroupFloats = 1L << 24;
constexpr long kMaxGroups = 8;

// Walks output pixels [p0, p1) (global index (b * outH + oy) * outW + ox) and calls
// body(b, oy, ox) for each, without a division per pixel.
template <class F>
inline void for_pixels(const ConvGeometry& g, long p0, long p1, F&& body) {
  const long image_pixels = g.out_height * g.out_width;
  long b = p0 / image_pixels;
  const long rest = p0 - b * image_pixels;
  long oy = rest / g.out_width;
  long ox = rest - oy * g.out_width;
  for (long p = p0; p < p1; p++) {
    body(b, oy, ox);
    if (++ox == g.out_width) {
      ox = 0;
      if (++oy == g.out_height) {
        oy = 0;
        b++;
      }
    }
  }
}

// Fills col [p1 - p0, taps] with the receptive fields of output pixels [p0, p1).
inline void im2col(const float* x, const ConvGeometry& g, long p0, long p1, float* col) {
  const long c = g.in_channels;
  const long tap_row = g.filter_width * c;
  for_pixels(g, p0, p1, [&](long b, long oy, long ox) {
    const float* image = x + b * g.in_height * g.in_width * c;
    const long ix0 = ox * g.stride_width - g.pad_left;
    // A filter row that lies inside the image with dilation 1 is one contiguous run of x.
    const bool row_inside = g.dilation_width == 1 && ix0 >= 0 && ix0 + g.filter_width <= g.in_width;
    for (long ky = 0; ky < g.filter_height; ky++) {
      const long iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
      if (iy < 0 || iy >= g.in_height) {
        zero_floats(col, tap_row);
        col += tap_row;
        continue;
      }
      const float* source = image + iy * g.in_width * c;
      if (row_inside) {
        copy_floats(col, source + ix0 * c, tap_row);
        col += tap_row;
        continue;
      }
      for (long kx = 0; kx < g.filter_width; kx++) {
        const long ix = ix0 + kx * g.dilation_width;
        if (ix < 0 || ix >= g.in_width) zero_floats(col, c);
        else copy_floats(col, source + ix * c, c);
        col += c;
      }
    }
  });
}

// The adjoint of im2col: adds each row of col onto the input pixels it was read from, in pixel order.
inline void col2im(const float* col, const ConvGeometry& g, long p0, long p1, float* dx) {
  const long c = g.in_channels;
  const long tap_row = g.filter_width * c;
  for_pixels(g, p0, p1, [&](long b, long oy, long ox) {
    float* image = dx + b * g.in_height * g.in_width * c;
    const long ix0 = ox * g.stride_width - g.pad_left;
    const bool row_inside = g.dilation_width == 1 && ix0 >= 0 && ix0 + g.filter_width <= g.in_width;
    for (long ky = 0; ky < g.filter_height; ky++) {
      const long iy = oy * g.stride_height - g.pad_top + ky * g.dilation_height;
      if (iy < 0 || iy >= g.in_height) {
        col += tap_row;
        continue;
      }
      float* target = image + iy * g.in_width * c;
      if (row_inside) {
        add_floats(target + ix0 * c, col, tap_row);
        col += tap_row;
        continue;
      }
      for (long kx = 0; kx < g.filter_width; kx++) {
        const long ix = ix0 + kx * g.dilation_width;
        if (ix >= 0 && ix < g.in_width) add_floats(target + ix * c, col, c);
        col += c;
      }
    }
  });
}

template <class Micro>
struct Conv {
  using Engine = Gemm<Micro>;
  using Operands = typename Engine::Operands;
  static constexpr long MR = Micro::MR;
  static constexpr long NR = Micro::NR;
  static constexpr long KC = Micro::KC;
  static constexpr long MC = Micro::MC;
  static constexpr long NC = Micro::NC;

  struct Job {
    const float* x;       // x, or dy for the backprop input
    const float* filter;  // the filter, or dy for the backprop filter
    float* out;
    const ConvGeometry* g;
    long taps;
    long n;  // outC
    long pixels;
    long chunk;
    long chunks;
    long groups;
    bool pointwise;
    float* group_sums;
    const MatmulEpilogue* epilogue;  // forward only: null, or bias + activation applied as tiles are stored
  };

  static long taps_of(const ConvGeometry& g) { return g.filter_height * g.filter_width * g.in_channels; }

  static bool is_pointwise(const ConvGeometry& g) {
    return g.filter_height == 1 && g.filter_width == 1 && g.stride_height == 1 && g.stride_width == 1 &&
           g.pad_top == 0 && g.pad_left == 0 && g.out_height == g.in_height && g.out_width == g.in_width;
  }

  // Pixels per chunk: about 64K floats of col, in whole micro-tile rows. A function of the
  // geometry only (see Determinism above).
  static long chunk_pixels(long taps) {
    long pixels = (1L << 16) / (taps > 0 ? taps : 1);
    pixels = pixels / MR * MR;
    return pixels < MR ? MR : pixels;
  }

  static Job make_job(const ConvGeometry& g) {
    Job job{};
    job.g = &g;
    job.taps = taps_of(g);
    job.n = g.out_channels;
    job.pixels = g.batch * g.out_height * g.out_width;
    job.pointwise = is_pointwise(g);
    job.chunk = chunk_pixels(job.taps);
    job.chunks = (job.pixels + job.chunk - 1) / job.chunk;
    return job;
  }

  static int threads_for_work(long multiply_adds, long units, int threads) {
    if (multiply_adds < Engine::kParallelWork || threads < 1) threads = 1;
    if (threads > units) threads = static_cast<int>(units < 1 ? 1 : units);
    return threads;
  }

  // Reserves each thread's packed panels and im2col buffer of `col_floats`, plus `shared_floats` for
  // the job; returns the thread count it could serve (0: out of memory). The B panels get the GEMM's
  // full size: a narrow product turned around (Gemm::block) packs the long side as B.
  static int reserve(ScratchLock& lock, int threads, long col_floats, long shared_floats) {
    if (shared_floats > 0 && !lock.reserve(kSharedScratchSlot, shared_floats)) return 0;
    for (int t = 0; t < threads; t++) {
      const int slot = t * kScratchSlotsPerThread;
      if (!lock.reserve(slot, MC * KC) || !lock.reserve(slot + 1, Engine::kPackedBFloats) ||
          (col_floats > 0 && !lock.reserve(slot + 2, col_floats))) {
        return t;
      }
    }
    return threads;
  }

  static void forward_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    float* pa = scratch_buffer(thread * kScratchSlotsPerThread);
    float* pb = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    float* col = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    long begin, end;
    split_range(job.chunks, threads, thread, &begin, &end);
    for (long chunk = begin; chunk < end; chunk++) {
      const long p0 = chunk * job.chunk;
      const long p1 = min_long(p0 + job.chunk, job.pixels);
      const float* a = job.x + p0 * job.taps;
      if (!job.pointwise) {
        im2col(job.x, *job.g, p0, p1, col);
        a = col;
      }
      Operands o{a, job.taps, 1, job.filter, job.n, 1, job.out + p0 * job.n, job.n, job.taps};
      if (job.epilogue) {
        o.epilogue = true;
        o.bias = job.epilogue->bias;
        o.activation = job.epilogue->activation;
      }
      Engine::block(o, 0, p1 - p0, 0, job.n, pa, pb);
    }
  }

  // Returns false when the scratch memory cannot be had (nothing was written then).
  static bool conv2d(const float* x, const float* filter, float* out, const ConvGeometry& g,
                     const MatmulEpilogue* epilogue, int threads) {
    Job job = make_job(g);
    job.x = x;
    job.filter = filter;
    job.out = out;
    job.epilogue = epilogue;
    if (job.pixels == 0 || job.n == 0) return true;
    if (job.taps == 0) {
      zero_floats(out, job.pixels * job.n);
      if (epilogue) {
        for (long p = 0; p < job.pixels; p++) Engine::finish_run(out + p * job.n, epilogue->bias, job.n, epilogue->activation);
      }
      return true;
    }
    if (direct_width(g) > 0) return direct_conv2d(x, filter, out, g, epilogue, threads);
    threads = threads_for_work(job.pixels * job.taps * job.n, job.chunks, threads);
    ScratchLock lock;
    threads = reserve(lock, threads, job.pointwise ? 0 : job.chunk * job.taps, 0);
    if (threads == 0) return false;
    parallel_run(threads, forward_part, &job);
    return true;
  }

  // Direct convolution for the first layer of a network: few input channels (an image's 1 or 3) and
  // one or two vectors of filters. Through im2col and the GEMM, such a layer is mostly overhead: its
  // k (the taps, 25 or 27) is too short to amortize packing, and the im2col matrix is written and
  // packed for only a few multiply-adds per element. Here each output row is computed straight from
  // a zero-padded copy of its image: R pixels x V vectors of filters stay in registers while the
  // taps stream by, each tap one broadcast of the input per pixel and one load of the filter row.
  //
  // Every output element is the same chain of fused multiply-adds, in the same tap order, as the
  // GEMM path computes (taps <= KC: one k slice; padding taps multiply a zero, as im2col's zeros do),
  // so the choice of path does not change a bit.
  static constexpr long kDirectMaxChannels = 4;
  static constexpr long kDirectMaxPaddedFloats = 1L << 20;

  // The number of filter vectors (1 or 2) when the direct path serves this geometry, else 0.
  static long direct_width(const ConvGeometry& g) {
    if constexpr (!Micro::kDirect) {
      return 0;
    } else {
      const long v = g.out_channels / Micro::kVector;
      if (v < 1 || v > 2 || g.out_channels % Micro::kVector != 0) return 0;
      if (g.in_channels > kDirectMaxChannels || taps_of(g) > KC) return 0;
      if (g.out_width < (v == 1 ? Micro::kDirectPixels1 : Micro::kDirectPixels2)) return 0;
      if (padded_height(g) * padded_width(g) * g.in_channels > kDirectMaxPaddedFloats) return 0;
      return v;
    }
  }

  // The extent of all receptive fields of an image, padding included.
  static long padded_height(const ConvGeometry& g) {
    return (g.out_height - 1) * g.stride_height + (g.filter_height - 1) * g.dilation_height + 1;
  }
  static long padded_width(const ConvGeometry& g) {
    return (g.out_width - 1) * g.stride_width + (g.filter_width - 1) * g.dilation_width + 1;
  }

  // Copies image b into `padded` [padded_height, padded_width, C], zeros where the padding is.
  static void pad_image(const float* x, const ConvGeometry& g, long b, float* padded) {
    const long c = g.in_channels;
    const long height = padded_height(g);
    const long width = padded_width(g);
    const float* image = x + b * g.in_height * g.in_width * c;
    for (long py = 0; py < height; py++) {
      float* row = padded + py * width * c;
      const long iy = py - g.pad_top;
      if (iy < 0 || iy >= g.in_height) {
        zero_floats(row, width * c);
        continue;
      }
      // Columns [begin, end) of the padded row come from the image.
      const long begin = g.pad_left < 0 ? 0 : g.pad_left > width ? width : g.pad_left;
      long end = g.pad_left + g.in_width;
      end = end < begin ? begin : end > width ? width : end;
      zero_floats(row, begin * c);
      copy_floats(row + begin * c, image + (iy * g.in_width + begin - g.pad_left) * c, (end - begin) * c);
      zero_floats(row + end * c, (width - end) * c);
    }
  }

  // R output pixels x V filter vectors: out[r * n + ...] = sum over taps t of x[t_offset[t] + r * step] * filter[t].
  template <int V, int R>
  static void direct_pixels(const float* x, long step, const long* tap_offsets, long taps, const float* filter, long n,
                            float* out) {
    using Vec = typename Micro::Vec;
    Vec acc[R][V];
#pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) acc[r][v] = Micro::zero();
    }
    for (long t = 0; t < taps; t++) {
      const float* source = x + tap_offsets[t];
      Vec f[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) f[v] = Micro::load(filter + t * n + v * Micro::kVector);
#pragma GCC unroll 32
      for (int r = 0; r < R; r++) {
        const Vec a = Micro::broadcast(source + r * step);
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) acc[r][v] = Micro::fma(a, f[v], acc[r][v]);
      }
    }
#pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) Micro::store(out + r * n + v * Micro::kVector, acc[r][v]);
    }
  }

  struct DirectJob {
    const float* x;
    const float* filter;
    float* out;
    const ConvGeometry* g;
    const MatmulEpilogue* epilogue;
    long taps;
    long tap_offsets[KC];
  };

  template <int V, int R>
  static void direct_part(void* context, int thread, int threads) {
    const DirectJob& job = *static_cast<const DirectJob*>(context);
    const ConvGeometry& g = *job.g;
    float* padded = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    const long n = g.out_channels;
    const long c = g.in_channels;
    const long width = padded_width(g);
    const long step = g.stride_width * c;
    long begin, end;
    split_range(g.batch * g.out_height, threads, thread, &begin, &end);
    long image = -1;
    for (long row = begin; row < end; row++) {
      const long b = row / g.out_height;
      const long oy = row - b * g.out_height;
      if (b != image) {
        pad_image(job.x, g, b, padded);
        image = b;
      }
      const float* origin = padded + oy * g.stride_height * width * c;
      float* out = job.out + row * g.out_width * n;
      // Runs of R pixels; the last one ends at the row's end and may overlap the one before it,
      // rewriting the same values.
      for (long ox = 0; ox < g.out_width; ox += R) {
        const long start = ox + R <= g.out_width ? ox : g.out_width - R;
        direct_pixels<V, R>(origin + start * step, step, job.tap_offsets, job.taps, job.filter, n, out + start * n);
        if (job.epilogue) {
          // Finished while the run is in L1, as the GEMM's epilogue does (an overlapping last run
          // recomputes its pixels from scratch, so finishing them again gives the same values).
          for (long r = 0; r < R; r++) {
            Engine::finish_run(out + (start + r) * n, job.epilogue->bias, n, job.epilogue->activation);
          }
        }
      }
    }
  }

  static bool direct_conv2d(const float* x, const float* filter, float* out, const ConvGeometry& g,
                            const MatmulEpilogue* epilogue, int threads) {
    if constexpr (!Micro::kDirect) {
      return false;
    } else {
      DirectJob job;
      job.x = x;
      job.filter = filter;
      job.out = out;
      job.g = &g;
      job.epilogue = epilogue;
      job.taps = taps_of(g);
      const long c = g.in_channels;
      const long width = padded_width(g);
      long t = 0;
      for (long ky = 0; ky < g.filter_height; ky++) {
        for (long kx = 0; kx < g.filter_width; kx++) {
          for (long ci = 0; ci < c; ci++) {
            job.tap_offsets[t++] = (ky * g.dilation_height * width + kx * g.dilation_width) * c + ci;
          }
        }
      }
      const long rows = g.batch * g.out_height;
      threads = threads_for_work(rows * g.out_width * job.taps * g.out_channels, rows, threads);
      ScratchLock lock;
      const long padded_floats = padded_height(g) * width * c;
      int reserved = 0;
      while (reserved < threads && lock.reserve(reserved * kScratchSlotsPerThread + 2, padded_floats)) reserved++;
      if (reserved == 0) return false;
      if (direct_width(g) == 1) {
        parallel_run(reserved, direct_part<1, Micro::kDirectPixels1>, &job);
      } else {
        parallel_run(reserved, direct_part<2, Micro::kDirectPixels2>, &job);
      }
      return true;
    }
  }

  // Threads take whole images (col2im's writes overlap within an image, never across images); a
  // pointwise conv has no overlap and splits its chunks like the forward pass.
  static void input_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const ConvGeometry& g = *job.g;
    float* pa = scratch_buffer(thread * kScratchSlotsPerThread);
    float* pb = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    float* col = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    const float* dy = job.x;
    float* dx = job.out;
    long begin, end;
    if (job.pointwise) {
      split_range(job.chunks, threads, thread, &begin, &end);
      for (long chunk = begin; chunk < end; chunk++) {
        const long p0 = chunk * job.chunk;
        const long p1 = min_long(p0 + job.chunk, job.pixels);
        const Operands o{dy + p0 * job.n, job.n, 1, job.filter, 1, job.n, dx + p0 * job.taps, job.taps, job.n};
        Engine::block(o, 0, p1 - p0, 0, job.taps, pa, pb);
      }
      return;
    }
    const long image_pixels = g.out_height * g.out_width;
    const long image_size = g.in_height * g.in_width * g.in_channels;
    split_range(g.batch, threads, thread, &begin, &end);
    for (long b = begin; b < end; b++) {
      zero_floats(dx + b * image_size, image_size);
      for (long p0 = b * image_pixels; p0 < (b + 1) * image_pixels; p0 += job.chunk) {
        const long p1 = min_long(p0 + job.chunk, (b + 1) * image_pixels);
        const Operands o{dy + p0 * job.n, job.n, 1, job.filter, 1, job.n, col, job.taps, job.n};
        Engine::block(o, 0, p1 - p0, 0, job.taps, pa, pb);
        col2im(col, g, p0, p1, dx);
      }
    }
  }

  static bool conv2d_backprop_input(const float* dy, const float* filter, float* dx, const ConvGeometry& g,
                                    int threads) {
    Job job = make_job(g);
    job.x = dy;
    job.filter = filter;
    job.out = dx;
    const long dx_size = g.batch * g.in_height * g.in_width * g.in_channels;
    if (dx_size == 0) return true;
    if (job.pixels == 0 || job.n == 0) {
      zero_floats(dx, dx_size);
      return true;
    }
    const long units = job.pointwise ? job.chunks : g.batch;
    threads = threads_for_work(job.pixels * job.taps * job.n, units, threads);
    ScratchLock lock;
    threads = reserve(lock, threads, job.pointwise ? 0 : job.chunk * job.taps, 0);
    if (threads == 0) return false;
    parallel_run(threads, input_part, &job);
    return true;
  }

  // Thread `thread` sums its groups of chunks; group g covers the chunks split_range(chunks, groups, g).
  static void filter_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    float* pa = scratch_buffer(thread * kScratchSlotsPerThread);
    float* pb = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    float* col = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    const float* dy = job.filter;
    long group_begin, group_end;
    split_range(job.groups, threads, thread, &group_begin, &group_end);
    for (long group = group_begin; group < group_end; group++) {
      float* sums = job.group_sums + group * job.taps * job.n;
      long begin, end;
      split_range(job.chunks, static_cast<int>(job.groups), static_cast<int>(group), &begin, &end);
      for (long chunk = begin; chunk < end; chunk++) {
        const long p0 = chunk * job.chunk;
        const long p1 = min_long(p0 + job.chunk, job.pixels);
        const float* a = job.x + p0 * job.taps;
        if (!job.pointwise) {
          im2col(job.x, *job.g, p0, p1, col);
          a = col;
        }
        // col^T @ dy: op(A) is col read down its columns.
        const Operands o{a, 1, job.taps, dy + p0 * job.n, job.n, 1, sums, job.n, p1 - p0};
        Engine::block(o, 0, job.taps, 0, job.n, pa, pb, chunk > begin);
      }
    }
  }

  struct Combine {
    const float* group_sums;
    float* out;
    long size;
    long groups;
  };

  static void combine_part(void* context, int thread, int threads) {
    const Combine& c = *static_cast<const Combine*>(context);
    long begin, end;
    split_range(c.size, threads, thread, &begin, &end);
    for (long i = begin; i < end; i++) {
      double sum = c.group_sums[i];
      for (long group = 1; group < c.groups; group++) sum += c.group_sums[group * c.size + i];
      c.out[i] = static_cast<float>(sum);
    }
  }

  // Direct filter gradient for the first layers the direct forward serves (1-4 input channels, one or
  // two vectors of filters): dF[t, :] += x[pixel, tap t] * dy[pixel, :] straight from the (padded)
  // images, T taps x V vectors of dF in registers while the pixels stream by. Through im2col and the
  // GEMM, such a product (m = taps ~ 25, n = 16 or 32, k = every pixel of the batch) is mostly
  // im2col and packing.
  //
  // It reproduces the GEMM path's order exactly: the same chunks and groups, and within a chunk the
  // pixels in KC-long slices, each summed from zero in pixel order with one FMA per pixel and then
  // stored (the group's first slice) or added onto the group's partial; padding taps multiply the
  // zeros im2col would have written. So its bits are the GEMM path's, and as deterministic.
  struct DirectFilterJob {
    const Job* job;
    const float* images;  // x, or its zero-padded copy
    long image_floats;    // per image in `images`
    long row_floats;      // per row of an image in `images`
    long tap_offsets[KC];
    long tap_blocks;
    long block_taps;      // the first taps % tap_blocks blocks have one tap more than the others
    long block_extra;
  };

  static long direct_filter_width(const ConvGeometry& g) {
    if constexpr (!Micro::kDirect) {
      return 0;
    } else {
      const long v = g.out_channels / Micro::kVector;
      if (v < 1 || v > 2 || g.out_channels % Micro::kVector != 0) return 0;
      if (g.in_channels > kDirectMaxChannels || taps_of(g) > KC) return 0;
      return v;
    }
  }

  // Whether the receptive fields all lie inside the image, so that x serves without a padded copy.
  static bool needs_no_padding(const ConvGeometry& g) {
    return g.pad_top == 0 && g.pad_left == 0 && padded_height(g) <= g.in_height && padded_width(g) <= g.in_width;
  }

  // sums[t * n + v * kVector ...] (+)= sum over `count` pixels of images[bases[i] + offsets[t]] * dy[i * n + ...].
  template <int V, int T>
  static void filter_taps(const float* images, const long* bases, long count, const long* offsets, const float* dy,
                          long n, float* sums, bool first) {
    using Vec = typename Micro::Vec;
    Vec acc[T][V];
#pragma GCC unroll 16
    for (int t = 0; t < T; t++) {
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) acc[t][v] = Micro::zero();
    }
    for (long i = 0; i < count; i++) {
      const float* source = images + bases[i];
      Vec d[V];
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) d[v] = Micro::load(dy + i * n + v * Micro::kVector);
#pragma GCC unroll 16
      for (int t = 0; t < T; t++) {
        const Vec a = Micro::broadcast(source + offsets[t]);
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) acc[t][v] = Micro::fma(a, d[v], acc[t][v]);
      }
    }
#pragma GCC unroll 16
    for (int t = 0; t < T; t++) {
#pragma GCC unroll 2
      for (int v = 0; v < V; v++) {
        float* target = sums + t * n + v * Micro::kVector;
        Micro::store(target, first ? acc[t][v] : Micro::add(Micro::load(target), acc[t][v]));
      }
    }
  }

  // filter_taps with T = taps (1 <= taps <= T_MAX), chosen at run time.
  template <int V, int T_MAX>
  static void filter_taps_any(long taps, const float* images, const long* bases, long count, const long* offsets,
                              const float* dy, long n, float* sums, bool first) {
    if constexpr (T_MAX >= 1) {
      if (taps == T_MAX) {
        filter_taps<V, T_MAX>(images, bases, count, offsets, dy, n, sums, first);
      } else {
        filter_taps_any<V, T_MAX - 1>(taps, images, bases, count, offsets, dy, n, sums, first);
      }
    }
  }

  template <int V>
  static void direct_filter_part(void* context, int thread, int threads) {
    constexpr int kMaxTaps = V == 1 ? Micro::kDirectPixels1 : Micro::kDirectPixels2;
    const DirectFilterJob& d = *static_cast<const DirectFilterJob*>(context);
    const Job& job = *d.job;
    const ConvGeometry& g = *job.g;
    const long c = g.in_channels;
    long bases[KC];
    long group_begin, group_end;
    split_range(job.groups, threads, thread, &group_begin, &group_end);
    for (long group = group_begin; group < group_end; group++) {
      float* sums = job.group_sums + group * job.taps * job.n;
      long begin, end;
      split_range(job.chunks, static_cast<int>(job.groups), static_cast<int>(group), &begin, &end);
      for (long chunk = begin; chunk < end; chunk++) {
        const long p1 = min_long(chunk * job.chunk + job.chunk, job.pixels);
        for (long s0 = chunk * job.chunk; s0 < p1; s0 += KC) {
          const long s1 = min_long(s0 + KC, p1);
          long* base = bases;
          for_pixels(g, s0, s1, [&](long b, long oy, long ox) {
            *base++ = b * d.image_floats + oy * g.stride_height * d.row_floats + ox * g.stride_width * c;
          });
          const bool first = chunk == begin && s0 == chunk * job.chunk;
          long t0 = 0;
          for (long block = 0; block < d.tap_blocks; block++) {
            const long count = d.block_taps + (block < d.block_extra ? 1 : 0);
            filter_taps_any<V, kMaxTaps>(count, d.images, bases, s1 - s0, d.tap_offsets + t0, job.filter + s0 * job.n,
                                         job.n, sums + t0 * job.n, first);
            t0 += count;
          }
        }
      }
    }
  }

  struct PadJob {
    const float* x;
    const ConvGeometry* g;
    float* padded;
    long image_floats;
  };

  static void pad_part(void* context, int thread, int threads) {
    const PadJob& p = *static_cast<const PadJob*>(context);
    long begin, end;
    split_range(p.g->batch, threads, thread, &begin, &end);
    for (long b = begin; b < end; b++) pad_image(p.x, *p.g, b, p.padded + b * p.image_floats);
  }

  // The largest padded copy of a batch the direct filter gradient makes; beyond it the GEMM path runs.
  static constexpr long kDirectMaxPaddedBatchFloats = 1L << 24;

  // The direct filter gradient of `job` (whose groups are set): 1 done, 0 out of scratch memory, -1 not
  // taken (a padded copy of the batch would be too large; the GEMM path runs instead).
  static int direct_backprop_filter(Job& job, long direct, int threads) {
    if constexpr (!Micro::kDirect) {
      return -1;
    } else {
      const ConvGeometry& g = *job.g;
      const long size = job.taps * job.n;
      const bool padded = !needs_no_padding(g);
      const long padded_image = padded_height(g) * padded_width(g) * g.in_channels;
      if (padded && g.batch * padded_image > kDirectMaxPaddedBatchFloats) return -1;
      ScratchLock lock;
      const long sums_floats = round_up(job.groups * size, 16);
      if (!lock.reserve(kSharedScratchSlot, sums_floats + (padded ? g.batch * padded_image : 0))) return 0;
      job.group_sums = scratch_buffer(kSharedScratchSlot);
      DirectFilterJob d;
      d.job = &job;
      if (padded) {
        PadJob pad{job.x, &g, job.group_sums + sums_floats, padded_image};
        parallel_run(threads_for(g.batch * padded_image, threads), pad_part, &pad);
        d.images = pad.padded;
        d.image_floats = padded_image;
        d.row_floats = padded_width(g) * g.in_channels;
      } else {
        d.images = job.x;
        d.image_floats = g.in_height * g.in_width * g.in_channels;
        d.row_floats = g.in_width * g.in_channels;
      }
      long t = 0;
      for (long ky = 0; ky < g.filter_height; ky++) {
        for (long kx = 0; kx < g.filter_width; kx++) {
          for (long ci = 0; ci < g.in_channels; ci++) {
            d.tap_offsets[t++] = ky * g.dilation_height * d.row_floats + kx * g.dilation_width * g.in_channels + ci;
          }
        }
      }
      // Balanced blocks of at most the register budget's taps.
      const long max_taps = direct == 1 ? Micro::kDirectPixels1 : Micro::kDirectPixels2;
      d.tap_blocks = (job.taps + max_taps - 1) / max_taps;
      d.block_taps = job.taps / d.tap_blocks;
      d.block_extra = job.taps % d.tap_blocks;
      parallel_run(threads, direct == 1 ? direct_filter_part<1> : direct_filter_part<2>, &d);
      Combine combine{job.group_sums, job.out, size, job.groups};
      parallel_run(threads_for(size * job.groups, threads), combine_part, &combine);
      return 1;
    }
  }

  static bool conv2d_backprop_filter(const float* x, const float* dy, float* dfilter, const ConvGeometry& g,
                                     int threads) {
    Job job = make_job(g);
    job.x = x;
    job.filter = dy;
    job.out = dfilter;
    const long size = job.taps * job.n;
    if (size == 0) return true;
    if (job.pixels == 0) {
      zero_floats(dfilter, size);
      return true;
    }
    job.groups = min_long(min_long(kMaxGroups, job.chunks), kMaxGroupFloats / size);
    if (job.groups < 1) job.groups = 1;
    threads = threads_for_work(job.pixels * size, job.groups, threads);
    const long direct = direct_filter_width(g);
    if (direct > 0) {
      const int result = direct_backprop_filter(job, direct, threads);
      if (result >= 0) return result == 1;
    }
    ScratchLock lock;
    threads = reserve(lock, threads, job.pointwise ? 0 : job.chunk * job.taps, job.groups * size);
    if (threads == 0) return false;
    job.group_sums = scratch_buffer(kSharedScratchSlot);
    parallel_run(threads, filter_part, &job);
    Combine combine{job.group_sums, dfilter, size, job.groups};
    parallel_run(threads_for(size * job.groups, threads), combine_part, &combine);
    return true;
  }
};

}  // namespace NEURONA_ISA
}  // namespace neurona
