// Convolution kernels over NHWC images, compiled once per ISA: isa_table.h includes this file after
// gemm_impl.h and elementwise_impl.h (whose helpers it uses) and instantiates Conv<Micro> with the
// ISA's GEMM micro-kernel.
//
// conv2d and its two backprops are matrix products over im2col's matrix `col` [pixels, taps] (row p
// holds output pixel p's receptive field in the filter's (ky, kx, c) order, zeros for padding), with
// the Keras filter [fh, fw, inC, outC] read as a [taps, outC] matrix:
//   forward          out  = col @ filter
//   backprop input   dcol = dy @ filter^T, then col2im adds each row back onto its pixels
//   backprop filter  dF   = col^T @ dy
// Where the filters come in whole vectors and the filter bank fits in L2, the forward pass and the
// filter gradient skip the im2col matrix and run direct kernels on the (padded) images instead, and
// so does the input gradient of a stride-1 convolution, as a convolution of dy (see direct_serves);
// 3x3 stride-1 convolutions with whole vectors of channels and even output sizes run all three passes
// through Winograd F(2x2, 3x3) instead (see winograd_serves). Otherwise:
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

#include <cstdlib>
#include <cstring>
#include <type_traits>
#include <vector>

#include "thread_pool.h"
#include "window.h"

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
  static constexpr long KC = Micro::KC;
  static constexpr long MC = Micro::MC;

  struct PackedB;

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
    const PackedB* packed_b;  // the packed paths only: op(B) packed once for the call
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

  // A thread's scratch, as reserve() sized it: packed A, packed B, im2col columns.
  struct Scratch {
    float* pa;
    float* pb;
    float* col;
  };
  static Scratch scratch_of(int thread) {
    const int slot = thread * kScratchSlotsPerThread;
    return {scratch_buffer(slot), scratch_buffer(slot + 1), scratch_buffer(slot + 2)};
  }

  static void forward_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const auto [pa, pb, col] = scratch_of(thread);
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

  // The GEMM paths with the filter packed once per call. Packing it per chunk, as block() does,
  // cost more than the multiply-adds where the filter is large and the chunks short: a 3x3
  // convolution over 512 channels (4,608 taps) had chunks of 8 pixels, each packing all 9.4 MB of
  // the filter (ResNet50's last stage ran at 8-35 GFLOP/s). Here the threads first pack op(B) (the
  // filter, or its transpose for the input gradient) together, every NC block and KC slice in
  // oriented_block's panel layout, then take chunks of up to MC pixels, pack only their own rows of
  // each k slice and multiply. Every element is the sum oriented_block computes (KC slices in turn,
  // each from zero), so the bits do not change.
  struct PackedB {
    const float* b;
    long b_row;
    long b_col;
    long k;
    long n;
    float* packed;
    const float* at(long jc, long pc) const { return packed + jc * k + pc * round_up(min_long(Engine::NC, n - jc), Micro::NR); }
    static long floats(long k, long n) { return round_up(n, Micro::NR) * k; }
  };

  static void pack_b_part(void* context, int thread, int threads) {
    const PackedB& p = *static_cast<const PackedB*>(context);
    const long slices = (p.k + KC - 1) / KC;
    const long blocks = (p.n + Engine::NC - 1) / Engine::NC;
    long begin, end;
    split_range(blocks * slices, threads, thread, &begin, &end);
    for (long unit = begin; unit < end; unit++) {
      const long jc = unit / slices * Engine::NC;
      const long pc = unit % slices * KC;
      Engine::pack_b(p.b + pc * p.b_row + jc * p.b_col, p.b_row, p.b_col, min_long(KC, p.k - pc), min_long(Engine::NC, p.n - jc),
                     const_cast<float*>(p.at(jc, pc)));
    }
  }

  // C (o.c) = rows [0, rows) of op(A) (o.a, at most MC rows) times the packed op(B).
  static void multiply_prepacked(const Operands& o, long rows, const PackedB& b, float* pa) {
    for (long jc = 0; jc < b.n; jc += Engine::NC) {
      const long nc = min_long(Engine::NC, b.n - jc);
      for (long pc = 0; pc < b.k; pc += KC) {
        const long kc = min_long(KC, b.k - pc);
        Engine::pack_a(o.a + pc * o.a_col, o.a_row, o.a_col, rows, kc, pa);
        Engine::multiply_packed(o, 0, rows, jc, nc, pc, kc, pa, b.at(jc, pc), false);
      }
    }
  }

  // Chunks of at most MC pixels out of `pixels`, as many as `threads` can share evenly (their size
  // does not change any sum, so it may depend on the thread count).
  static long packed_chunk(long pixels, int threads) {
    long chunks = (pixels + MC - 1) / MC;
    if (threads > 1 && chunks > 1) chunks = round_up(chunks, threads);
    return round_up((pixels + chunks - 1) / chunks, MR);
  }

  // Reserves the packed op(B) and each thread's packed A and im2col rows, then packs op(B); returns
  // the threads it can serve, 0 when the memory cannot be had (the caller then takes block()'s path).
  static int prepare_packed(ScratchLock& lock, PackedB& b, int threads, long col_floats) {
    b.packed = lock.reserve(kSharedScratchSlot, PackedB::floats(b.k, b.n));
    if (b.packed == nullptr) return 0;
    for (int t = 0; t < threads; t++) {
      const int slot = t * kScratchSlotsPerThread;
      if (!lock.reserve(slot, MC * KC) || (col_floats > 0 && !lock.reserve(slot + 2, col_floats))) {
        threads = t;
        break;
      }
    }
    if (threads > 0) parallel_run(threads, pack_b_part, &b);
    return threads;
  }

  static void forward_packed_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const Scratch scratch = scratch_of(thread);
    long begin, end;
    split_range(job.chunks, threads, thread, &begin, &end);
    for (long chunk = begin; chunk < end; chunk++) {
      const long p0 = chunk * job.chunk;
      const long rows = min_long(job.chunk, job.pixels - p0);
      const float* a = job.x + p0 * job.taps;
      if (!job.pointwise) {
        im2col(job.x, *job.g, p0, p0 + rows, scratch.col);
        a = scratch.col;
      }
      Operands o{a, job.taps, 1, job.filter, job.n, 1, job.out + p0 * job.n, job.n, job.taps};
      if (job.epilogue) {
        o.epilogue = true;
        o.bias = job.epilogue->bias;
        o.activation = job.epilogue->activation;
      }
      multiply_prepacked(o, rows, *job.packed_b, scratch.pa);
    }
  }

  static bool forward_packed(Job& job, int threads) {
    job.chunk = packed_chunk(job.pixels, threads);
    job.chunks = (job.pixels + job.chunk - 1) / job.chunk;
    threads = threads_for_work(job.pixels * job.taps * job.n, job.chunks, threads);
    ScratchLock lock;
    PackedB b{job.filter, job.n, 1, job.taps, job.n, nullptr};
    threads = prepare_packed(lock, b, threads, job.pointwise ? 0 : job.chunk * job.taps);
    if (threads == 0) return false;
    job.packed_b = &b;
    parallel_run(threads, forward_packed_part, &job);
    return true;
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
    if (direct_serves(g)) return direct_conv2d(x, filter, out, g, epilogue, threads);
    if (!Engine::prefer_transposed(min_long(MC, job.pixels), job.n)) {
      Job packed = job;
      if (forward_packed(packed, threads)) return true;
    }
    threads = threads_for_work(job.pixels * job.taps * job.n, job.chunks, threads);
    ScratchLock lock;
    threads = reserve(lock, threads, job.pointwise ? 0 : job.chunk * job.taps, 0);
    if (threads == 0) return false;
    parallel_run(threads, forward_part, &job);
    return true;
  }

  // Direct convolution: no im2col matrix and no packing. A run of R consecutive output pixels (in
  // the global (image, row, column) order, so a run may cross rows and images) times V vectors of
  // filters stays in registers while the taps stream by: per tap, V loads of the filter row and one
  // broadcast of the input per pixel feed R x V fused multiply-adds. The input is read in place, or
  // from a zero-padded copy of the batch when the windows reach into the padding, so no tap needs a
  // bounds check. Wider filter banks run in passes of two vectors.
  //
  // Through im2col + GEMM, the products that CNN training at small batches makes (k = taps in the
  // hundreds, n = 16 to 64 filters) spend as long writing and packing the im2col matrix as
  // multiplying it; here the only traffic besides the FMAs is the filter, which stays in L2.
  //
  // Every output element is the same chain of fused multiply-adds, in the same tap order and KC-long
  // tap slices (each summed from zero, then added to the partial stored before), as the GEMM path
  // computes. Filter rows that reach only padding for the whole run are skipped (tap_reach); the
  // other padding taps multiply a zero, as im2col's zeros do. A skipped product is +-0, so for finite
  // values the choice of path does not change a bit, up to the sign of a zero result (a sum that
  // underflowed to -0 stays -0 where adding a +0 product would have made it +0).
  static constexpr long kDirectMaxFilterFloats = 1L << 17;
  // The largest padded copy of a batch the direct kernels make; beyond it the GEMM path runs.
  static constexpr long kDirectMaxPaddedBatchFloats = 1L << 24;

  // The extent of all receptive fields of an image, padding included.
  static long padded_height(const ConvGeometry& g) {
    return (g.out_height - 1) * g.stride_height + (g.filter_height - 1) * g.dilation_height + 1;
  }
  static long padded_width(const ConvGeometry& g) {
    return (g.out_width - 1) * g.stride_width + (g.filter_width - 1) * g.dilation_width + 1;
  }

  // Whether the receptive fields all lie inside the image, so that x serves without a padded copy.
  static bool needs_no_padding(const ConvGeometry& g) {
    return g.pad_top == 0 && g.pad_left == 0 && padded_height(g) <= g.in_height && padded_width(g) <= g.in_width;
  }

  // One image with its padding, as the direct kernels read it.
  static long padded_image_floats(const ConvGeometry& g) { return padded_height(g) * padded_width(g) * g.in_channels; }

  static long padded_batch_floats(const ConvGeometry& g) { return needs_no_padding(g) ? 0 : g.batch * padded_image_floats(g); }

  // Whether the direct forward serves this geometry: whole vectors of filters, a filter bank that
  // stays in L2, and a padded copy of bounded size.
  static bool direct_serves(const ConvGeometry& g) {
    if constexpr (!Micro::kDirect) {
      return false;
    } else {
      return g.out_channels % Micro::kVector == 0 && taps_of(g) * g.out_channels <= kDirectMaxFilterFloats &&
             padded_batch_floats(g) <= kDirectMaxPaddedBatchFloats;
    }
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

  // The batch as the direct kernels read it: x itself, or its padded copy in `padded`.
  struct Images {
    const float* data;
    long image_floats;
    long row_floats;
    // 0: `data` holds the whole batch. Otherwise `data` is a ring of `slots` padded images, image b in
    // slot b % slots (per-image padding: the forward pass uses one slot, the filter gradient several).
    long slots = 0;
  };

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

  // Pads the batch into `padded` (padded_batch_floats(g) of room) when the geometry needs it; with
  // `per_image`, pads nothing and gives the layout of one padded image, which each thread fills for the
  // image it takes.
  static Images prepare_images(const float* x, const ConvGeometry& g, float* padded, int threads,
                               bool per_image = false) {
    if (per_image) return Images{nullptr, padded_image_floats(g), padded_width(g) * g.in_channels};
    if (needs_no_padding(g)) return Images{x, g.in_height * g.in_width * g.in_channels, g.in_width * g.in_channels};
    const long image_floats = padded_image_floats(g);
    PadJob pad{x, &g, padded, image_floats};
    parallel_run(threads_for(g.batch * image_floats, threads), pad_part, &pad);
    return Images{padded, image_floats, padded_width(g) * g.in_channels};
  }

  // The offset of each tap (ky, kx, c) from its window's origin in `images`.
  static std::vector<long> tap_offsets(const ConvGeometry& g, const Images& images) {
    std::vector<long> offsets(static_cast<size_t>(taps_of(g)));
    long t = 0;
    for (long ky = 0; ky < g.filter_height; ky++) {
      for (long kx = 0; kx < g.filter_width; kx++) {
        for (long ci = 0; ci < g.in_channels; ci++) {
          offsets[t++] = ky * g.dilation_height * images.row_floats + kx * g.dilation_width * g.in_channels + ci;
        }
      }
    }
    return offsets;
  }

  // The window origins of output pixels [p0, p0 + count) in `images`, row by row. (A remainder per
  // pixel took a tenth of a first layer's forward time, whose runs have only 27 taps; a walk pixel by
  // pixel a twentieth of a one-channel first layer's filter gradient.)
  static void window_origins(const ConvGeometry& g, const Images& images, long p0, long count, long* origins) {
    const long image_pixels = g.out_height * g.out_width;
    const long step = g.stride_width * g.in_channels;
    const long row_step = g.stride_height * images.row_floats;
    long b = p0 / image_pixels;
    long oy = (p0 - b * image_pixels) / g.out_width;
    long ox = p0 - b * image_pixels - oy * g.out_width;
    for (long left = count; left > 0;) {
      const long base = (images.slots > 0 ? b % images.slots : b) * images.image_floats + oy * row_step;
      const long run = min_long(g.out_width - ox, left);
      for (long i = 0; i < run; i++) origins[i] = base + (ox + i) * step;
      origins += run;
      left -= run;
      ox = 0;
      if (++oy == g.out_height) {
        oy = 0;
        b++;
      }
    }
  }

  // A range of taps in (ky, kx, c) order.
  struct TapRange {
    long begin;
    long end;
  };

  // The filter rows that reach inside the image for some output row in [low, high] (a run's), as a range
  // of taps: the rows above and below it read only the padding's zeros in every window of the run.
  // Their products are +-0, which leave every sum of finite values as it is (up to the sign of a zero
  // result), so skipping them keeps the bits. With an infinite or NaN filter value in a skipped row
  // the outputs may stay finite where the im2col path gives NaN (0 x inf); which ones depends on how
  // the pixels are grouped into runs. W5's 5x5 filters on 7x7 images: a fifth of the taps of a
  // two-row run at the edge.
  static TapRange tap_reach(const ConvGeometry& g, long low, long high) {
    const long row_taps = g.filter_width * g.in_channels;
    // Filter row ky reads input row oy * stride + ky * dilation - pad_top; the highest output row
    // bounds the first filter row in the image from below, the lowest bounds the last from above.
    const long d = g.dilation_height;
    const long first_gap = g.pad_top - high * g.stride_height;   // ky * d must be at least this
    const long last_room = g.in_height + g.pad_top - low * g.stride_height;  // ky * d must be below this
    long ky0 = first_gap <= 0 ? 0 : (first_gap + d - 1) / d;
    long ky1 = last_room <= 0 ? 0 : (last_room + d - 1) / d;
    ky1 = ky1 > g.filter_height ? g.filter_height : ky1;
    if (ky0 > ky1) ky0 = ky1;
    return TapRange{ky0 * row_taps, ky1 * row_taps};
  }

  // Sets a ROWS x V tile of accumulators to zero, in registers (the start of every register-tile
  // kernel below; its pair is store_tile).
  template <int ROWS, int V, class Vec>
  __attribute__((always_inline)) static inline void zero_tile(Vec (&acc)[ROWS][V]) {
#pragma GCC unroll 32
    for (int r = 0; r < ROWS; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) acc[r][v] = Micro::zero();
    }
  }

  // Stores a ROWS x V tile of accumulators at `out` (rows n floats apart), or adds it onto what is there
  // (a later KC slice, a later chunk of a group). Inlined into the register-tile kernels below, so the
  // tile goes from registers straight to its store.
  template <int ROWS, int V, class Vec>
  __attribute__((always_inline)) static inline void store_tile(Vec (&acc)[ROWS][V], float* out, long n, bool add) {
#pragma GCC unroll 32
    for (int r = 0; r < ROWS; r++) {
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) {
        float* target = out + r * n + v * Micro::kVector;
        Micro::store(target, add ? Micro::add(Micro::load(target), acc[r][v]) : acc[r][v]);
      }
    }
  }

  // How a run's R windows are addressed: from R pointers; in one row, step floats apart (origins[r] =
  // origins[0] + r * step), from one pointer (R pointers would not all stay in registers); or in two
  // such rows of R / 2, the second `delta` floats after the first.
  enum class Windows { kPointers, kInRow, kTwoRows };

  // R pixels x V filter vectors: out[r * n + ...] = sum over taps t of images[origins[r] + offsets[t]] * filter[t].
  // Only taps [reach.begin, reach.end) are multiplied: the others read padding in every window of
  // the run (see tap_reach); each KC slice is still summed from zero and stored or added.
  // STEP, when not 0, is `step` known at compile time: the R windows then sit at fixed displacements
  // from one address per tap (per row of a two-row run), with no integer work per pixel.
  template <int V, int R, Windows WINDOWS = Windows::kPointers, long STEP = 0>
  static void direct_pixels(const float* images, const long* origins, const long* offsets, long taps, TapRange reach,
                            const float* filter, long n, float* out, long step = 0, long delta = 0) {
    using Vec = typename Micro::Vec;
    if (STEP != 0) step = STEP;
    const float* source[R];
#pragma GCC unroll 32
    for (int r = 0; r < R; r++) source[r] = images + origins[r];
    for (long t0 = 0; t0 < taps; t0 += KC) {
      const long t1 = min_long(t0 + KC, taps);
      Vec acc[R][V];
      zero_tile(acc);
      const long end = min_long(t1, reach.end);
      for (long t = t0 > reach.begin ? t0 : reach.begin; t < end; t++) {
        const long offset = offsets[t];
        Vec f[V];
#pragma GCC unroll 2
        for (int v = 0; v < V; v++) f[v] = Micro::load(filter + t * n + v * Micro::kVector);
#pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
          const float* at = WINDOWS == Windows::kInRow     ? source[0] + offset + r * step
                            : WINDOWS == Windows::kTwoRows ? source[0] + offset + (r < R / 2 ? r * step : delta + (r - R / 2) * step)
                                                           : source[r] + offset;
          const Vec a = Micro::broadcast(at);
#pragma GCC unroll 2
          for (int v = 0; v < V; v++) acc[r][v] = Micro::fma(a, f[v], acc[r][v]);
        }
      }
      store_tile(acc, out, n, t0 > 0);
    }
  }

  // direct_pixels with R = count (1 <= count <= R_MAX), chosen at run time.
  template <int V, int R_MAX, Windows WINDOWS, long STEP = 0>
  static void direct_pixels_any(long count, const float* images, const long* origins, const long* offsets, long taps,
                                TapRange reach, const float* filter, long n, float* out, long step, long delta) {
    if constexpr (R_MAX >= 1) {
      if (count == R_MAX) {
        direct_pixels<V, R_MAX, WINDOWS, STEP>(images, origins, offsets, taps, reach, filter, n, out, step, delta);
      } else {
        direct_pixels_any<V, R_MAX - 1, WINDOWS, STEP>(count, images, origins, offsets, taps, reach, filter, n, out,
                                                       step, delta);
      }
    }
  }

  struct DirectJob {
    Images images;
    const float* x;  // per_image: the unpadded batch, each image padded by the thread that takes it
    bool per_image;
    const long* offsets;
    const float* filter;
    float* out;
    const ConvGeometry* g;
    const MatmulEpilogue* epilogue;
    long taps;
    long pixels;
    bool by_rows;
  };

  // Output pixels [p0, p0 + count), count <= R, for every pass of filters, then the epilogue.
  template <int R>
  static void direct_run(const DirectJob& job, long p0, long count) {
    const ConvGeometry& g = *job.g;
    const long n = g.out_channels;
    const long vectors = n / Micro::kVector;
    long origins[R];
    const long step = g.stride_width * g.in_channels;
    // Whether origins [a, b) are step floats apart, pixel by pixel: the end points alone can agree across
    // a row's and an image's boundary (strides [1, 2] over 3x3 images gave origins 0, 2, 3, 5, 9, ...).
    auto evenly = [&](long a, long b) {
      for (long r = a + 1; r < b; r++) {
        if (origins[r] - origins[r - 1] != step) return false;
      }
      return true;
    };
    window_origins(g, job.images, p0, count, origins);
    // The run's lowest and highest output rows (for a run that crosses images, rows 0 and
    // out_height - 1). A run inside one row (every run of direct_rows but the two-row ones) is evenly
    // spaced without checking.
    const long image_pixels = g.out_height * g.out_width;
    const long first = p0 % image_pixels;
    const long last = first + count - 1;
    const long low = last < image_pixels ? first / g.out_width : 0;
    const long high = last < image_pixels ? last / g.out_width : g.out_height - 1;
    const bool in_row = (last < image_pixels && low == high) || evenly(0, count);
    // A full run of two rows of R / 2 (see direct_rows), each in a row.
    constexpr long kHalf = R / 2;
    const bool two_rows = R % 2 == 0 && count == R && !in_row && evenly(0, kHalf) && evenly(kHalf, R);
    const long delta = two_rows ? origins[kHalf] - origins[0] : 0;
    const long* offsets = job.offsets;
    const float* images = job.images.data;
    const TapRange reach = tap_reach(g, low, high);
    // One pass of V filter vectors (V a std::integral_constant) over the run, its windows addressed as found.
    const auto pass = [&](auto vectors_per_pass, const float* filter, float* out) {
      constexpr int V = decltype(vectors_per_pass)::value;
      // The common channel counts at stride 1 with the step fixed at compile time.
      const auto stepped = [&](auto fixed) {
        constexpr long S = decltype(fixed)::value;
        if (two_rows) {
          direct_pixels<V, R, Windows::kTwoRows, S>(images, origins, offsets, job.taps, reach, filter, n, out, step, delta);
        } else {
          direct_pixels_any<V, R, Windows::kInRow, S>(count, images, origins, offsets, job.taps, reach, filter, n, out,
                                                      step, 0);
        }
      };
      if (two_rows || in_row) {
        if (step == 16) stepped(std::integral_constant<long, 16>{});
        else if (step == 32) stepped(std::integral_constant<long, 32>{});
        else if (step == 64) stepped(std::integral_constant<long, 64>{});
        else stepped(std::integral_constant<long, 0>{});
      } else {
        direct_pixels_any<V, R, Windows::kPointers>(count, images, origins, offsets, job.taps, reach, filter, n, out, step,
                                                    0);
      }
    };
    for (long v0 = 0; v0 < vectors; v0 += 2) {
      const float* filter = job.filter + v0 * Micro::kVector;
      float* out = job.out + p0 * n + v0 * Micro::kVector;
      if (vectors - v0 >= 2) pass(std::integral_constant<int, 2>{}, filter, out);
      else pass(std::integral_constant<int, 1>{}, filter, out);
    }
    if (job.epilogue) finish_pixels(job.out + p0 * n, count, n, *job.epilogue);
  }

  // The epilogue of `count` output pixels of n (whole vectors of) filters at `out`, while the run is in
  // L1, as the GEMM's epilogue does: bias and ReLU (or none) in vector registers, x + bias then
  // max(0, x), which keeps NaN and -0 as finish_run's `x < 0 ? 0 : x` does, so the bits are its bits;
  // other activations through finish_run. (finish_run called per pixel took about a sixth of a first
  // layer's forward time, whose runs have only 27 taps.)
  static void finish_pixels(float* out, long count, long n, const MatmulEpilogue& epilogue) {
    const bool relu = epilogue.activation == Activation::kRelu;
    if (!relu && epilogue.activation != Activation::kLinear) {
      for (long r = 0; r < count; r++) Engine::finish_run(out + r * n, epilogue.bias, n, epilogue.activation);
      return;
    }
    using Vec = typename Micro::Vec;
    for (long v = 0; v < n; v += Micro::kVector) {
      const Vec bias = epilogue.bias ? Micro::load(epilogue.bias + v) : Micro::zero();
      for (long r = 0; r < count; r++) {
        float* at = out + r * n + v;
        Vec x = Micro::load(at);
        if (epilogue.bias) x = Micro::add(x, bias);
        if (relu) x = Micro::relu(x);
        Micro::store(at, x);
      }
    }
  }

  // Output rows [row0, row1) (over the batch), each cut into near-equal runs that stay inside it; rows
  // of exactly R / 2 go two at a time, one run of R (W5's third convolution, rows of 7: 28
  // accumulators for two vectors of filters rather than 14).
  template <int R>
  static void direct_rows(const DirectJob& job, long row0, long row1) {
    const long width = job.g->out_width;
    const long runs = (width + R - 1) / R;
    if (R % 2 == 0 && 2 * width == R) {
      long row = row0;
      for (; row + 2 <= row1; row += 2) direct_run<R>(job, row * width, R);
      if (row < row1) direct_run<R>(job, row * width, width);
      return;
    }
    for (long row = row0; row < row1; row++) {
      long x0 = 0;
      for (long run = 0; run < runs; run++) {
        const long count = width / runs + (run < width % runs ? 1 : 0);
        direct_run<R>(job, row * width + x0, count);
        x0 += count;
      }
    }
  }

  // Output pixels [p0, p1) in runs of R that may cross rows.
  template <int R>
  static void direct_runs(const DirectJob& job, long p0, long p1) {
    for (long p = p0; p < p1; p += R) direct_run<R>(job, p, min_long(R, p1 - p));
  }

  // Rows at least R / 2 wide go row by row, each cut into near-equal runs that stay inside it (one
  // pointer addresses a run; a row narrower than R is one run); narrower rows go in runs of R
  // consecutive pixels across rows, whose R window pointers do not all stay in registers.
  template <int R>
  static void direct_part(void* context, int thread, int threads) {
    const DirectJob& shared = *static_cast<const DirectJob*>(context);
    const ConvGeometry& g = *shared.g;
    long begin, end;
    if (shared.per_image) {
      // Whole images, each padded into this thread's buffer (it stays in L2) just before its rows run.
      DirectJob job = shared;
      job.images.data = scratch_buffer(thread * kScratchSlotsPerThread + 2);
      job.images.slots = 1;
      const long image_pixels = g.out_height * g.out_width;
      split_range(g.batch, threads, thread, &begin, &end);
      for (long b = begin; b < end; b++) {
        pad_image(job.x, g, b, const_cast<float*>(job.images.data));
        if (job.by_rows) direct_rows<R>(job, b * g.out_height, (b + 1) * g.out_height);
        else direct_runs<R>(job, b * image_pixels, (b + 1) * image_pixels);
      }
    } else if (shared.by_rows) {
      split_range(g.batch * g.out_height, threads, thread, &begin, &end);
      direct_rows<R>(shared, begin, end);
    } else {
      split_range((shared.pixels + R - 1) / R, threads, thread, &begin, &end);
      direct_runs<R>(shared, begin * R, min_long(end * R, shared.pixels));
    }
  }

  // Runs direct_part<R> over the job: by rows when they are at least R / 2 wide, else in runs across
  // rows. (A 14-pixel row in one run, not 16-pixel runs that cross rows: W5's second input gradient
  // 0.51 -> 0.42 ms on 2 threads.)
  template <int R>
  static void launch_direct(DirectJob& job, int threads) {
    const ConvGeometry& g = *job.g;
    job.by_rows = 2 * g.out_width >= R;
    const long units = job.per_image ? g.batch : job.by_rows ? g.batch * g.out_height : (job.pixels + R - 1) / R;
    parallel_run(threads_for_work(job.pixels * job.taps * g.out_channels, units, threads), direct_part<R>, &job);
  }

  // Whether the direct passes pad image by image, each thread into its own scratch slot 2, rather than
  // the whole batch up front: padding is needed and the batch gives every thread several images; then
  // reserves `images` padded images in each thread's slot (false when the memory cannot be had).
  // Padding W3's second convolution's batch of 256 up front wrote 36 MB and read it back, as long as
  // the convolution itself on one thread (2 threads: 7.6 -> 4.7 ms; W3's four convolutions at batch
  // 256 about 27.5 -> 23.9 ms, at batch 32 3.1 -> 2.75). The sums are the same.
  static bool reserve_per_image(ScratchLock& lock, const ConvGeometry& g, int threads, long images = 1) {
    if (needs_no_padding(g) || g.batch < 4 * threads) return false;
    for (int t = 0; t < threads; t++) {
      if (!lock.reserve(t * kScratchSlotsPerThread + 2, images * padded_image_floats(g))) return false;
    }
    return true;
  }

  // The direct forward into `out`; `padded` has padded_batch_floats(g) of room, unless `per_image`.
  static void run_direct(const float* x, const float* filter, float* out, const ConvGeometry& g,
                         const MatmulEpilogue* epilogue, float* padded, int threads, bool per_image = false) {
    if constexpr (Micro::kDirect) {
      DirectJob job;
      job.x = x;
      job.per_image = per_image;
      job.images = prepare_images(x, g, padded, threads, per_image);
      const std::vector<long> offsets = tap_offsets(g, job.images);
      job.offsets = offsets.data();
      job.filter = filter;
      job.out = out;
      job.g = &g;
      job.epilogue = epilogue;
      job.taps = taps_of(g);
      job.pixels = g.batch * g.out_height * g.out_width;
      // One vector of filters: longer runs (more accumulators fit); else runs for two vectors.
      if (g.out_channels == Micro::kVector) {
        launch_direct<Micro::kDirectPixels1>(job, threads);
      } else {
        launch_direct<Micro::kDirectPixels2>(job, threads);
      }
    }
  }

  // Winograd F(2x2, 3x3): a 3x3 stride-1 convolution computes each 2x2 block of output pixels (a tile)
  // from the 4x4 block of input under it with 16 products per channel pair instead of 36. The filter
  // goes to U = G g G^T (16 values per input/output channel pair), each input tile to V = B^T d B (16
  // values per channel, additions only); for each of the 16 positions xi, M[xi] = V[xi] @ U[xi] is a
  // product over the input channels (tiles x in) @ (in x out), and each output tile is A^T M A
  // (additions only). Taken on AVX-512 and AVX2 (not the portable kernels or wasm, which have no direct
  // path) for 3x3 filters at stride and dilation 1 with input and output channels in whole vectors and
  // even output sizes, in the forward pass, the input gradient (a convolution of dy,
  // direct_backprop_input) and the filter gradient (winograd_backprop_filter): W3's 16x16x32 -> 64
  // convolution on 2 threads, AVX-512, 0.91-1.05 -> 0.58-0.63 ms, 0.91-0.98 -> 0.62-0.69 ms and
  // 1.14-1.18 -> 0.69-0.77 ms; AVX2 1.68-1.71 -> 0.93-0.97, 1.43-1.48 -> 1.12-1.18 and 1.97-2.02 ->
  // 1.30-1.34. The transforms round and the products are summed in another order, so results differ
  // from the direct path's (and js's) in the last bits, no farther from a float64 reference; an
  // infinite or NaN value can give NaN where the direct path does not (inf - inf in a transform).
  // Forward, each chunk of tile rows of an image is computed alone (the threads share the chunks, so a
  // batch of one uses them all): any thread count gives the same bits. NEURONA_WINOGRAD=0 turns it off.
  static bool winograd_serves(const ConvGeometry& g) {
    if constexpr (!Micro::kDirect) {
      return false;
    } else {
      return g.filter_height == 3 && g.filter_width == 3 && g.stride_height == 1 && g.stride_width == 1 &&
             g.dilation_height == 1 && g.dilation_width == 1 && g.in_channels % Micro::kVector == 0 &&
             g.out_height % 2 == 0 && g.out_width % 2 == 0 && g.out_height > 0 &&
             g.out_width > 0 && direct_serves(g);
    }
  }

  // Tiles per chunk of an image: whole rows of tiles, about 64 tiles (more only when one row is wider).
  static long winograd_chunk_rows(const ConvGeometry& g) {
    const long row_tiles = g.out_width / 2;
    const long rows = 64 / row_tiles;
    return rows < 1 ? 1 : rows;
  }

  // Chunks per image.
  static long winograd_chunks(const ConvGeometry& g) {
    return (g.out_height / 2 + winograd_chunk_rows(g) - 1) / winograd_chunk_rows(g);
  }

  // Per thread: slot 0 holds U (16 x in x out), slot 1 V and M (or dy's tiles) for one chunk of tiles.
  static long winograd_u_floats(const ConvGeometry& g) { return 16 * g.in_channels * g.out_channels; }
  static long winograd_vm_floats(const ConvGeometry& g) {
    return 16 * winograd_chunk_rows(g) * (g.out_width / 2) * (g.in_channels + g.out_channels);
  }

  // NEURONA_WINOGRAD=0 (read once) keeps these convolutions on the direct path, with its bits.
  static bool winograd_enabled() {
    static const bool on = [] {
      const char* value = std::getenv("NEURONA_WINOGRAD");
      return value == nullptr || std::strcmp(value, "0") != 0;
    }();
    return on;
  }

  // `ms`: how many 16 x in x out blocks slot 0 holds (U forward; the filter gradient's two Ms).
  static bool reserve_winograd(ScratchLock& lock, const ConvGeometry& g, int threads, long ms = 1) {
    for (int t = 0; t < threads; t++) {
      if (!lock.reserve(t * kScratchSlotsPerThread, ms * winograd_u_floats(g)) ||
          !lock.reserve(t * kScratchSlotsPerThread + 1, winograd_vm_floats(g))) {
        return false;
      }
    }
    return true;
  }

  // a - b as a fused multiply-add with -1 (exact product, one rounding: a - b's bits).
  template <class WVec>
  static WVec wsub(WVec a, WVec b) {
    return Micro::fma(b, Micro::broadcast(&kMinusOne), a);
  }
  static constexpr float kMinusOne = -1.0f;
  static constexpr float kOneHalf = 0.5f;

  // The 1-D transforms of Winograd F(2x2, 3x3), each applied to the columns of a block of vectors and
  // then to the rows of the result (transform_2d): G = [1 0 0; .5 .5 .5; .5 -.5 .5; 0 0 1] takes a
  // filter's 3 taps to 4, B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1] an input block's 4 values to 4,
  // A = [1 0; 1 1; 1 -1; 0 -1] a 2x2 block of dy to 4, A^T a product's 4 values to a tile's 2, and G^T
  // the filter gradient's 4 to 3 taps.
  struct TransformG {
    template <class W>
    static void apply(const W (&x)[3], W (&y)[4]) {
      const W half = Micro::broadcast(&kOneHalf);
      const W outer = Micro::add(x[0], x[2]);
      y[0] = x[0];
      y[1] = Micro::fma(Micro::add(outer, x[1]), half, Micro::zero());
      y[2] = Micro::fma(wsub(outer, x[1]), half, Micro::zero());
      y[3] = x[2];
    }
  };
  struct TransformBt {
    template <class W>
    static void apply(const W (&x)[4], W (&y)[4]) {
      y[0] = wsub(x[0], x[2]);
      y[1] = Micro::add(x[1], x[2]);
      y[2] = wsub(x[2], x[1]);
      y[3] = wsub(x[1], x[3]);
    }
  };
  struct TransformA {
    template <class W>
    static void apply(const W (&x)[2], W (&y)[4]) {
      y[0] = x[0];
      y[1] = Micro::add(x[0], x[1]);
      y[2] = wsub(x[0], x[1]);
      y[3] = wsub(Micro::zero(), x[1]);
    }
  };
  struct TransformAt {
    template <class W>
    static void apply(const W (&x)[4], W (&y)[2]) {
      y[0] = Micro::add(Micro::add(x[0], x[1]), x[2]);
      y[1] = wsub(wsub(x[1], x[2]), x[3]);
    }
  };
  struct TransformGt {
    template <class W>
    static void apply(const W (&x)[4], W (&y)[3]) {
      const W half = Micro::broadcast(&kOneHalf);
      const W inner = Micro::fma(Micro::add(x[1], x[2]), half, Micro::zero());
      y[0] = Micro::add(x[0], inner);
      y[1] = Micro::fma(wsub(x[1], x[2]), half, Micro::zero());
      y[2] = Micro::add(inner, x[3]);
    }
  };

  // T X T^T for an IN x IN block X of vectors, load(i, j) giving X[i][j]: T on each column, then on
  // each row of the result, whose OUT x OUT values go to store(i, j, value).
  template <int IN, int OUT, class T, class Load, class Store>
  __attribute__((always_inline)) static inline void transform_2d(Load&& load, Store&& store) {
    using WVec = typename Micro::Vec;
    WVec part[OUT][IN];
#pragma GCC unroll 4
    for (int j = 0; j < IN; j++) {
      WVec column[IN];
      WVec out[OUT];
#pragma GCC unroll 4
      for (int i = 0; i < IN; i++) column[i] = load(i, j);
      T::apply(column, out);
#pragma GCC unroll 4
      for (int i = 0; i < OUT; i++) part[i][j] = out[i];
    }
#pragma GCC unroll 4
    for (int i = 0; i < OUT; i++) {
      WVec out[OUT];
      T::apply(part[i], out);
#pragma GCC unroll 4
      for (int j = 0; j < OUT; j++) store(i, j, out[j]);
    }
  }

  // U[xi][c][n] = (G g G^T)[xi] for the filter g[ky][kx][c][n].
  static void winograd_filter(const float* filter, const ConvGeometry& g, float* u) {
    const long c_count = g.in_channels;
    const long n = g.out_channels;
    for (long c = 0; c < c_count; c++) {
      for (long v = 0; v < n; v += Micro::kVector) {
        transform_2d<3, 4, TransformG>(
            [&](int ky, int kx) { return Micro::load(filter + ((ky * 3 + kx) * c_count + c) * n + v); },
            [&](int i, int j, auto value) { Micro::store(u + ((i * 4 + j) * c_count + c) * n + v, value); });
      }
    }
  }

  // V[xi][t][c] = (B^T d B)[xi] of the 4x4 input block d under tile t (its top-left at `origin`);
  // `v` is V[0][t], the positions `stride` floats apart.
  static void winograd_input_tile(const float* origin, long row_floats, long c_count, float* v, long stride) {
    for (long c = 0; c < c_count; c += Micro::kVector) {
      transform_2d<4, 4, TransformBt>(
          [&](int i, int j) { return Micro::load(origin + i * row_floats + j * c_count + c); },
          [&](int i, int j, auto value) { Micro::store(v + (i * 4 + j) * stride + c, value); });
    }
  }

  // M[t][n] = sum over c of V[t][c] U[c][n] for R tiles and V_COUNT vectors of n, in registers. The
  // same product as a direct_pixels run whose windows are tiles and whose taps are channels, without
  // its per-tap offset table and KC slices: through direct_pixels the forward pass took 5-15 % longer
  // (a 16-channel layer, one vector of filters, is bound by loads, and the table adds one per tap).
  template <int V_COUNT, int R>
  static void winograd_product(const float* v, long c_count, const float* u, long n, float* m) {
    using WVec = typename Micro::Vec;
    WVec acc[R][V_COUNT];
    zero_tile(acc);
    for (long c = 0; c < c_count; c++) {
      WVec f[V_COUNT];
#pragma GCC unroll 2
      for (int k = 0; k < V_COUNT; k++) f[k] = Micro::load(u + c * n + k * Micro::kVector);
#pragma GCC unroll 32
      for (int r = 0; r < R; r++) {
        const WVec x = Micro::broadcast(v + r * c_count + c);
#pragma GCC unroll 2
        for (int k = 0; k < V_COUNT; k++) acc[r][k] = Micro::fma(x, f[k], acc[r][k]);
      }
    }
    store_tile(acc, m, n, false);
  }

  // winograd_product with R = count (1 <= count <= R_MAX), chosen at run time.
  template <int V_COUNT, int R_MAX>
  static void winograd_product_any(long count, const float* v, long c_count, const float* u, long n, float* m) {
    if constexpr (R_MAX >= 1) {
      if (count == R_MAX) {
        winograd_product<V_COUNT, R_MAX>(v, c_count, u, n, m);
      } else {
        winograd_product_any<V_COUNT, R_MAX - 1>(count, v, c_count, u, n, m);
      }
    }
  }

  // out[tile] = A^T M A for each tile of the chunk; `m` is M[0][first tile], the positions `stride` apart.
  static void winograd_output(const float* m, long tiles, long stride, long n, const ConvGeometry& g, float* out,
                              long row0, long row_tiles) {
    for (long t = 0; t < tiles; t++) {
      const long oy = 2 * (row0 + t / row_tiles);
      const long ox = 2 * (t % row_tiles);
      float* target = out + (oy * g.out_width + ox) * n;
      for (long v = 0; v < n; v += Micro::kVector) {
        transform_2d<4, 2, TransformAt>(
            [&](int i, int j) { return Micro::load(m + (i * 4 + j) * stride + t * n + v); },
            [&](int i, int j, auto value) { Micro::store(target + (i * g.out_width + j) * n + v, value); });
      }
    }
  }

  struct WinogradJob {
    Images images;
    const float* x;  // per_image: the unpadded batch
    bool per_image;
    const float* filter;
    float* out;
    const ConvGeometry* g;
    const MatmulEpilogue* epilogue;
  };

  static void winograd_part(void* context, int thread, int threads) {
    const WinogradJob& job = *static_cast<const WinogradJob*>(context);
    const ConvGeometry& g = *job.g;
    const long c_count = g.in_channels;
    const long n = g.out_channels;
    float* u = scratch_buffer(thread * kScratchSlotsPerThread);
    winograd_filter(job.filter, g, u);
    const long row_tiles = g.out_width / 2;
    const long tile_rows = g.out_height / 2;
    const long chunk_rows = winograd_chunk_rows(g);
    const long v_stride = chunk_rows * row_tiles * c_count;  // floats between positions of V
    const long m_stride = chunk_rows * row_tiles * n;        // and of M
    float* v = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    float* m = v + 16 * v_stride;
    Images images = job.images;
    if (job.per_image) images.data = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    // Units of work: one chunk of tile rows of one image (a batch of one still splits over threads).
    const long chunks = winograd_chunks(g);
    long begin, end;
    split_range(g.batch * chunks, threads, thread, &begin, &end);
    long padded = -1;
    for (long unit = begin; unit < end; unit++) {
      const long b = unit / chunks;
      const long row0 = unit % chunks * chunk_rows;
      if (job.per_image && b != padded) {
        pad_image(job.x, g, b, const_cast<float*>(images.data));
        padded = b;
      }
      const float* image = images.data + (job.per_image ? 0 : images.slots > 0 ? b % images.slots : b) * images.image_floats;
      float* out = job.out + b * g.out_height * g.out_width * n;
      const long tiles = min_long(chunk_rows, tile_rows - row0) * row_tiles;
      for (long t = 0; t < tiles; t++) {
        const long ty = row0 + t / row_tiles;
        const long tx = t % row_tiles;
        winograd_input_tile(image + 2 * ty * images.row_floats + 2 * tx * c_count, images.row_floats, c_count,
                            v + t * c_count, v_stride);
      }
      // Near-equal runs of at most kDirectPixels2 tiles, two vectors of filters at a time.
      constexpr int R = Micro::kDirectPixels2;
      const long runs = (tiles + R - 1) / R;
      for (int xi = 0; xi < 16; xi++) {
        long t0 = 0;
        for (long run = 0; run < runs; run++) {
          const long count = tiles / runs + (run < tiles % runs ? 1 : 0);
          for (long k = 0; k < n; k += 2 * Micro::kVector) {
            const float* vt = v + xi * v_stride + t0 * c_count;
            const float* ux = u + xi * c_count * n + k;
            float* mt = m + xi * m_stride + t0 * n + k;
            if (n - k >= 2 * Micro::kVector) {
              winograd_product_any<2, R>(count, vt, c_count, ux, n, mt);
            } else {
              winograd_product_any<1, R>(count, vt, c_count, ux, n, mt);
            }
          }
          t0 += count;
        }
      }
      winograd_output(m, tiles, m_stride, n, g, out, row0, row_tiles);
      // The chunk's output rows, while they are in cache.
      if (job.epilogue) finish_pixels(out + 2 * row0 * g.out_width * n, 4 * tiles, n, *job.epilogue);
    }
  }

  // The Winograd forward into `out`, as run_direct's arguments; the caller has reserve_winograd'ed.
  static void run_winograd(const float* x, const float* filter, float* out, const ConvGeometry& g,
                           const MatmulEpilogue* epilogue, float* padded, int threads, bool per_image) {
    if constexpr (Micro::kDirect) {
      WinogradJob job;
      job.x = x;
      job.per_image = per_image;
      job.images = prepare_images(x, g, padded, threads, per_image);
      job.filter = filter;
      job.out = out;
      job.g = &g;
      job.epilogue = epilogue;
      const long work = g.batch * g.out_height * g.out_width * taps_of(g) * g.out_channels;
      parallel_run(threads_for_work(work, g.batch * winograd_chunks(g), threads), winograd_part, &job);
    }
  }

  // Returns false when the scratch memory cannot be had.
  static bool direct_conv2d(const float* x, const float* filter, float* out, const ConvGeometry& g,
                            const MatmulEpilogue* epilogue, int threads) {
    ScratchLock lock;
    const bool winograd = winograd_serves(g) && winograd_enabled() && reserve_winograd(lock, g, threads);
    const auto run = winograd ? run_winograd : run_direct;
    if (reserve_per_image(lock, g, threads)) {
      run(x, filter, out, g, epilogue, nullptr, threads, true);
      return true;
    }
    const long padded_floats = padded_batch_floats(g);
    if (padded_floats > 0 && !lock.reserve(kSharedScratchSlot, padded_floats)) return false;
    run(x, filter, out, g, epilogue, padded_floats > 0 ? scratch_buffer(kSharedScratchSlot) : nullptr, threads, false);
    return true;
  }

  // The input gradient of a stride-1, dilation-1 convolution is itself such a convolution: of dy,
  // zero-padded by (filter - 1 - padding) before, with the filter turned by 180 degrees and its in
  // and out channels swapped. The direct forward then serves it whenever the input channels come in
  // whole vectors; it sums each dx element over its taps in (ky, kx, out channel) order, where the
  // im2col path adds the pixels' contributions in pixel order.
  static bool input_as_conv(const ConvGeometry& g, ConvGeometry* turned) {
    if (g.stride_height != 1 || g.stride_width != 1 || g.dilation_height != 1 || g.dilation_width != 1) return false;
    if (g.pad_top < 0 || g.pad_left < 0 || g.pad_top > g.filter_height - 1 || g.pad_left > g.filter_width - 1) return false;
    ConvGeometry t = g;
    t.in_height = g.out_height;
    t.in_width = g.out_width;
    t.in_channels = g.out_channels;
    t.out_height = g.in_height;
    t.out_width = g.in_width;
    t.out_channels = g.in_channels;
    t.pad_top = g.filter_height - 1 - g.pad_top;
    t.pad_left = g.filter_width - 1 - g.pad_left;
    if (!direct_serves(t)) return false;
    *turned = t;
    return true;
  }

  // 1 done, 0 out of scratch memory, -1 not taken.
  static int direct_backprop_input(const float* dy, const float* filter, float* dx, const ConvGeometry& g,
                                   int threads) {
    ConvGeometry t;
    if (!input_as_conv(g, &t)) return -1;
    const long filter_floats = round_up(taps_of(g) * g.out_channels, 16);
    ScratchLock lock;
    const bool winograd = winograd_serves(t) && winograd_enabled() && reserve_winograd(lock, t, threads);
    const bool per_image = reserve_per_image(lock, t, threads);
    const long padded_floats = per_image ? 0 : padded_batch_floats(t);
    if (!lock.reserve(kSharedScratchSlot, filter_floats + padded_floats)) return 0;
    float* turned_filter = scratch_buffer(kSharedScratchSlot);
    // turned[ky][kx][n][c] = filter[fh - 1 - ky][fw - 1 - kx][c][n]
    const long c = g.in_channels;
    const long n = g.out_channels;
    for (long ky = 0; ky < g.filter_height; ky++) {
      for (long kx = 0; kx < g.filter_width; kx++) {
        const float* source = filter + ((g.filter_height - 1 - ky) * g.filter_width + (g.filter_width - 1 - kx)) * c * n;
        float* target = turned_filter + (ky * g.filter_width + kx) * n * c;
        for (long ci = 0; ci < c; ci++) {
          for (long ni = 0; ni < n; ni++) target[ni * c + ci] = source[ci * n + ni];
        }
      }
    }
    (winograd ? run_winograd : run_direct)(dy, turned_filter, dx, t, nullptr, turned_filter + filter_floats, threads,
                                           per_image);
    return 1;
  }

  // Threads take whole images (col2im's writes overlap within an image, never across images); a
  // pointwise conv has no overlap and splits its chunks like the forward pass.
  static void input_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const ConvGeometry& g = *job.g;
    const auto [pa, pb, col] = scratch_of(thread);
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

  // input_part with filter^T packed once (see PackedB): pointwise, chunks of dy's rows straight into
  // dx; otherwise each thread's images, in chunks of up to MC pixels added onto dx in pixel order.
  static void input_packed_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const ConvGeometry& g = *job.g;
    const Scratch scratch = scratch_of(thread);
    long begin, end;
    if (job.pointwise) {
      split_range(job.chunks, threads, thread, &begin, &end);
      for (long chunk = begin; chunk < end; chunk++) {
        const long p0 = chunk * job.chunk;
        const Operands o{job.x + p0 * job.n, job.n, 1, job.filter, 1, job.n, job.out + p0 * job.taps, job.taps, job.n};
        multiply_prepacked(o, min_long(job.chunk, job.pixels - p0), *job.packed_b, scratch.pa);
      }
      return;
    }
    const long image_pixels = g.out_height * g.out_width;
    const long image_size = g.in_height * g.in_width * g.in_channels;
    split_range(g.batch, threads, thread, &begin, &end);
    for (long b = begin; b < end; b++) {
      zero_floats(job.out + b * image_size, image_size);
      for (long p0 = b * image_pixels; p0 < (b + 1) * image_pixels; p0 += job.chunk) {
        const long p1 = min_long(p0 + job.chunk, (b + 1) * image_pixels);
        const Operands o{job.x + p0 * job.n, job.n, 1, job.filter, 1, job.n, scratch.col, job.taps, job.n};
        multiply_prepacked(o, p1 - p0, *job.packed_b, scratch.pa);
        col2im(scratch.col, g, p0, p1, job.out);
      }
    }
  }

  static bool input_packed(Job& job, int threads) {
    const ConvGeometry& g = *job.g;
    job.chunk = job.pointwise ? packed_chunk(job.pixels, threads) : packed_chunk(g.out_height * g.out_width, 1);
    job.chunks = (job.pixels + job.chunk - 1) / job.chunk;
    threads = threads_for_work(job.pixels * job.taps * job.n, job.pointwise ? job.chunks : g.batch, threads);
    ScratchLock lock;
    PackedB b{job.filter, 1, job.n, job.n, job.taps, nullptr};
    threads = prepare_packed(lock, b, threads, job.pointwise ? 0 : job.chunk * job.taps);
    if (threads == 0) return false;
    job.packed_b = &b;
    parallel_run(threads, input_packed_part, &job);
    return true;
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
    const int direct = direct_backprop_input(dy, filter, dx, g, threads);
    if (direct >= 0) return direct == 1;
    if (!Engine::prefer_transposed(min_long(MC, job.pixels), job.taps)) {
      Job packed = job;
      if (input_packed(packed, threads)) return true;
    }
    const long units = job.pointwise ? job.chunks : g.batch;
    threads = threads_for_work(job.pixels * job.taps * job.n, units, threads);
    ScratchLock lock;
    threads = reserve(lock, threads, job.pointwise ? 0 : job.chunk * job.taps, 0);
    if (threads == 0) return false;
    parallel_run(threads, input_part, &job);
    return true;
  }

  // The filter gradient's fixed order, shared by the GEMM and direct paths: thread `thread` takes its
  // share of the groups, group g covers the chunks split_range(chunks, groups, g) and sums them in
  // order into its own partial. Calls body(sums, p0, p1, first) for each chunk, pixels [p0, p1), with
  // first set for a group's first chunk (store into sums rather than add).
  template <class Body>
  static void for_group_chunks(const Job& job, int thread, int threads, Body&& body) {
    long group_begin, group_end;
    split_range(job.groups, threads, thread, &group_begin, &group_end);
    for (long group = group_begin; group < group_end; group++) {
      float* sums = job.group_sums + group * job.taps * job.n;
      long begin, end;
      split_range(job.chunks, static_cast<int>(job.groups), static_cast<int>(group), &begin, &end);
      for (long chunk = begin; chunk < end; chunk++) {
        const long p0 = chunk * job.chunk;
        body(sums, p0, min_long(p0 + job.chunk, job.pixels), chunk == begin);
      }
    }
  }

  static void filter_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    // A struct, not structured bindings: C++17 lambdas cannot capture those (clang for wasm refuses).
    const Scratch scratch = scratch_of(thread);
    for_group_chunks(job, thread, threads, [&](float* sums, long p0, long p1, bool first) {
      const float* a = job.x + p0 * job.taps;
      if (!job.pointwise) {
        im2col(job.x, *job.g, p0, p1, scratch.col);
        a = scratch.col;
      }
      // col^T @ dy: op(A) is col read down its columns.
      const Operands o{a, 1, job.taps, job.filter + p0 * job.n, job.n, 1, sums, job.n, p1 - p0};
      Engine::block(o, 0, job.taps, 0, job.n, scratch.pa, scratch.pb, !first);
    });
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

  // Direct filter gradient, for the geometries the direct forward serves: dF[t, :] += x[pixel, tap t] *
  // dy[pixel, :] straight from the (padded) images, T taps x V vectors of dF in registers while the
  // pixels stream by (wider filter banks in passes of two vectors). Through im2col and the GEMM, such
  // a product (m = taps, n = 16 to 64, k = every pixel of the batch) is mostly im2col and packing.
  //
  // It reproduces the GEMM path's order exactly: the same chunks and groups, and within a chunk the
  // pixels in KC-long slices, each summed from zero in pixel order with one FMA per pixel and then
  // stored (the group's first slice) or added onto the group's partial; padding taps multiply the
  // zeros im2col would have written, or are skipped where a pixel meets a listed filter position only
  // in the padding (listed_positions; the product would be +-0). So for finite values its bits are the
  // GEMM path's up to the sign of a zero result (see direct_pixels), and as deterministic.
  // Whether the filter gradient's register blocks take 4 vectors of filters (T_MAX / 2 taps each): where
  // the filters come in fours and the registers hold 14 x 2 (AVX-512), else 2 or 1 vectors.
  static bool four_vector_blocks(long n) { return Micro::kDirectPixels2 >= 12 && n % (4 * Micro::kVector) == 0; }

  struct DirectFilterJob {
    const Job* job;
    Images images;  // x, or its zero-padded copy; with slots, each thread's own ring of padded images
    const long* tap_offsets;
    long tap_blocks;
    long block_taps;      // the first taps % tap_blocks blocks have one tap more than the others
    long block_extra;
    bool four;  // blocks of 4 filter vectors (see direct_filter_chunk)
    unsigned long long listed;  // listed_positions(g)
  };

  // The output rows [*begin, *end) whose windows read inside the image at filter row ky (or, with
  // the width's terms, columns at filter column kx).
  static void reaching_range(long out, long in, long stride, long dilation, long pad, long k, long* begin, long* end) {
    const long gap = pad - k * dilation;  // o * stride must be at least this, and below gap + in
    long b = gap <= 0 ? 0 : (gap + stride - 1) / stride;
    long e = gap + in <= 0 ? 0 : (gap + in + stride - 1) / stride;
    e = e > out ? out : e;
    *begin = b < e ? b : e;
    *end = e;
  }

  // The filter positions (bit ky * filter_width + kx) at which the filter gradient runs over a list
  // of the pixels whose windows read inside the image, skipping the rest: those where more than one
  // pixel in 8 meets only padding (their products are padding zeros, +-0, which change no sum of
  // finite values). A shorter list did not pay for its indirection; filters of more than 64
  // positions are not listed.
  static unsigned long long listed_positions(const ConvGeometry& g) {
    if (needs_no_padding(g) || g.filter_height * g.filter_width > 64) return 0;
    unsigned long long listed = 0;
    for (long ky = 0; ky < g.filter_height; ky++) {
      long y0, y1;
      reaching_range(g.out_height, g.in_height, g.stride_height, g.dilation_height, g.pad_top, ky, &y0, &y1);
      for (long kx = 0; kx < g.filter_width; kx++) {
        long x0, x1;
        reaching_range(g.out_width, g.in_width, g.stride_width, g.dilation_width, g.pad_left, kx, &x0, &x1);
        if (8 * (y1 - y0) * (x1 - x0) < 7 * g.out_height * g.out_width) listed |= 1ULL << (ky * g.filter_width + kx);
      }
    }
    return listed;
  }

  // The pixels of [s0, s1), as offsets from s0 in order, whose windows read inside the image at filter
  // position (ky, kx); returns how many.
  static long reaching_pixels(const ConvGeometry& g, long s0, long s1, long ky, long kx, unsigned short* list) {
    long y0, y1, x0, x1;
    reaching_range(g.out_height, g.in_height, g.stride_height, g.dilation_height, g.pad_top, ky, &y0, &y1);
    reaching_range(g.out_width, g.in_width, g.stride_width, g.dilation_width, g.pad_left, kx, &x0, &x1);
    const long image_pixels = g.out_height * g.out_width;
    long length = 0;
    for (long b = s0 / image_pixels; b * image_pixels < s1; b++) {
      for (long oy = y0; oy < y1; oy++) {
        const long row = b * image_pixels + oy * g.out_width;
        const long begin = row + x0 > s0 ? row + x0 : s0;
        const long end = row + x1 < s1 ? row + x1 : s1;
        for (long p = begin; p < end; p++) list[length++] = static_cast<unsigned short>(p - s0);
      }
    }
    return length;
  }

  // sums[t * n + v * kVector ...] (+)= sum over `count` pixels of images[bases[i] + offsets[t]] * dy[i * n + ...],
  // for i = j, or i = pixels[j] when pixels is given (the pixels whose windows reach the image at these taps).
  template <int V, int T>
  static void filter_taps(const float* images, const long* bases, const unsigned short* pixels, long count,
                          const long* offsets, const float* dy, long n, float* sums, bool first) {
    // Taps at consecutive offsets (offsets only increase, so the span says it; every block that does
    // not cross a filter row) are read at fixed displacements from one address register, instead of
    // from T offsets held in registers, which spilled for T = 13 and 14.
    if (offsets[T - 1] - offsets[0] == T - 1) {
      if (pixels) filter_taps_over<V, T, true, true>(images, bases, pixels, count, offsets, dy, n, sums, first);
      else filter_taps_over<V, T, false, true>(images, bases, pixels, count, offsets, dy, n, sums, first);
    } else {
      if (pixels) filter_taps_over<V, T, true, false>(images, bases, pixels, count, offsets, dy, n, sums, first);
      else filter_taps_over<V, T, false, false>(images, bases, pixels, count, offsets, dy, n, sums, first);
    }
  }

  template <int V, int T, bool LISTED, bool CONSECUTIVE>
  static void filter_taps_over(const float* images, const long* bases, const unsigned short* pixels, long count,
                               const long* offsets, const float* dy, long n, float* sums, bool first) {
    using Vec = typename Micro::Vec;
    if (CONSECUTIVE) images += offsets[0];
    Vec acc[T][V];
    zero_tile(acc);
    for (long j = 0; j < count; j++) {
      const long i = LISTED ? pixels[j] : j;
      const float* source = images + bases[i];
      Vec d[V];
#pragma GCC unroll 4
      for (int v = 0; v < V; v++) d[v] = Micro::load(dy + i * n + v * Micro::kVector);
#pragma GCC unroll 16
      for (int t = 0; t < T; t++) {
        const Vec a = Micro::broadcast(CONSECUTIVE ? source + t : source + offsets[t]);
#pragma GCC unroll 4
        for (int v = 0; v < V; v++) acc[t][v] = Micro::fma(a, d[v], acc[t][v]);
      }
    }
    store_tile(acc, sums, n, !first);
  }

  // filter_taps with T = taps (1 <= taps <= T_MAX), chosen at run time.
  template <int V, int T_MAX>
  static void filter_taps_any(long taps, const float* images, const long* bases, const unsigned short* pixels,
                              long count, const long* offsets, const float* dy, long n, float* sums, bool first) {
    if constexpr (T_MAX >= 1) {
      if (taps == T_MAX) {
        filter_taps<V, T_MAX>(images, bases, pixels, count, offsets, dy, n, sums, first);
      } else {
        filter_taps_any<V, T_MAX - 1>(taps, images, bases, pixels, count, offsets, dy, n, sums, first);
      }
    }
  }

  // A thread's ring of padded images for the filter gradient: which image each slot holds (-1: none).
  static constexpr long kMaxRingSlots = 64;
  struct Ring {
    Images images;
    long resident[kMaxRingSlots];
  };

  // One chunk, pixels [p0, p1), of the direct filter gradient into a group's partial `sums`. Kept out
  // of line: inlined into the group walk's lambda, its tap-block loop compiled about 10 % slower.
  template <int T_MAX>
  __attribute__((noinline)) static void direct_filter_chunk(const DirectFilterJob& d, Ring& ring, float* sums, long p0,
                                                           long p1, bool first_chunk) {
    const Job& job = *d.job;
    const ConvGeometry& g = *job.g;
    const long vectors = job.n / Micro::kVector;
    const long image_pixels = g.out_height * g.out_width;
    long bases[KC];
    static_assert(KC <= 65536, "pixel lists hold offsets within a KC slice");
    unsigned short listed[64][KC];
    long listed_count[64];
    for (long s0 = p0; s0 < p1; s0 += KC) {
      const long s1 = min_long(s0 + KC, p1);
      // The images this slice reads, padded into the ring unless they are there already.
      if (ring.images.slots > 0) {
        for (long b = s0 / image_pixels; b <= (s1 - 1) / image_pixels; b++) {
          const long slot = b % ring.images.slots;
          if (ring.resident[slot] == b) continue;
          pad_image(job.x, g, b, const_cast<float*>(ring.images.data) + slot * ring.images.image_floats);
          ring.resident[slot] = b;
        }
      }
      window_origins(g, ring.images, s0, s1 - s0, bases);
      const bool first = first_chunk && s0 == p0;
      unsigned long long made = 0;  // bit q: listed[q] holds this slice's pixels for position q
      // Four vectors of filters at a time (half the taps per block) where they divide and the register
      // file is wide: dy read once per block rather than once per pair of vectors.
      const long step = d.four ? 4 : 2;
      for (long v0 = 0; v0 < vectors; v0 += step) {
        const float* dy = job.filter + s0 * job.n + v0 * Micro::kVector;
        long t0 = 0;
        for (long block = 0; block < d.tap_blocks; block++) {
          const long count = d.block_taps + (block < d.block_extra ? 1 : 0);
          float* target = sums + t0 * job.n + v0 * Micro::kVector;
          const long* offsets = d.tap_offsets + t0;
          const float* images = ring.images.data;
          // A block within one listed filter position runs over the pixels that reach the image there.
          const unsigned short* pixels = nullptr;
          long pixel_count = s1 - s0;
          const long q = t0 / g.in_channels;
          if (q < 64 && (d.listed >> q & 1) && q == (t0 + count - 1) / g.in_channels) {
            if (!(made >> q & 1)) {
              made |= 1ULL << q;
              listed_count[q] = reaching_pixels(g, s0, s1, q / g.filter_width, q % g.filter_width, listed[q]);
            }
            pixels = listed[q];
            pixel_count = listed_count[q];
          }
          if (d.four) filter_taps_any<4, T_MAX / 2>(count, images, bases, pixels, pixel_count, offsets, dy, job.n, target, first);
          else if (vectors - v0 >= 2) filter_taps_any<2, T_MAX>(count, images, bases, pixels, pixel_count, offsets, dy, job.n, target, first);
          else filter_taps_any<1, T_MAX>(count, images, bases, pixels, pixel_count, offsets, dy, job.n, target, first);
          t0 += count;
        }
      }
    }
  }

  template <int T_MAX>
  static void direct_filter_part(void* context, int thread, int threads) {
    const DirectFilterJob& d = *static_cast<const DirectFilterJob*>(context);
    Ring ring;
    ring.images = d.images;
    if (d.images.slots > 0) {
      ring.images.data = scratch_buffer(thread * kScratchSlotsPerThread + 2);
      for (long slot = 0; slot < kMaxRingSlots; slot++) ring.resident[slot] = -1;
    }
    for_group_chunks(*d.job, thread, threads, [&](float* sums, long p0, long p1, bool first) {
      direct_filter_chunk<T_MAX>(d, ring, sums, p0, p1, first);
    });
  }

  // The filter gradient through Winograd F(2x2, 3x3) where the forward pass takes it (winograd_serves):
  // with U = G g G^T, V = B^T d B and each output tile A^T (U . V) A, the gradient of a tile's U is
  // (A dy A^T) . V, so dF = G^T M G with M[xi] = sum over tiles of V[xi]^T (A dy A^T)[xi], a product over
  // the tiles (in x tiles) @ (tiles x out) for each of the 16 positions. The images (for a batch of one,
  // two halves of its chunks of tile rows) form up to job.groups groups (fixed by the geometry, as the
  // direct path's groups of pixel chunks): threads take whole groups; each group adds its chunks' Ms into a
  // float32 M, turns it into its dF partial, and the partials are added in group order in float64
  // (Combine), so any thread count gives the same bits. A tap that meets only padding gets a sum of
  // rounding errors (about 1e-7 of the other taps' sums) rather than an exact 0; 'same' and 'valid'
  // padding give no such tap.
  struct WinogradFilterJob {
    const float* x;
    const float* dy;
    const ConvGeometry* g;
    float* group_sums;  // groups x taps x out
    long groups;
    // V^T @ dy's tiles as direct_filter_chunk's tap blocks: tile t's channels at t * in_channels
    // (bases), channel c at offset c.
    const long* bases;
    const long* channels;
  };

  // (A dy A^T)[xi][t][n] of the 2x2 block of dy at `origin` (rows row_floats apart).
  static void winograd_dy_tile(const float* origin, long row_floats, long n, float* target, long stride) {
    for (long v = 0; v < n; v += Micro::kVector) {
      transform_2d<2, 4, TransformA>(
          [&](int i, int j) { return Micro::load(origin + i * row_floats + j * n + v); },
          [&](int i, int j, auto value) { Micro::store(target + (i * 4 + j) * stride + v, value); });
    }
  }

  // dF[ky][kx][c][n] = (G^T M G) of M[xi][c][n].
  static void winograd_filter_out(const float* m, long c_count, long n, float* df) {
    const long stride = c_count * n;
    for (long e = 0; e < stride; e += Micro::kVector) {
      transform_2d<4, 3, TransformGt>([&](int i, int j) { return Micro::load(m + (i * 4 + j) * stride + e); },
                                      [&](int ky, int kx, auto value) { Micro::store(df + (ky * 3 + kx) * stride + e, value); });
    }
  }

  static void winograd_filter_part(void* context, int thread, int threads) {
    const WinogradFilterJob& job = *static_cast<const WinogradFilterJob*>(context);
    const ConvGeometry& g = *job.g;
    const long c_count = g.in_channels;
    const long n = g.out_channels;
    const long row_tiles = g.out_width / 2;
    const long tile_rows = g.out_height / 2;
    const long chunk_rows = winograd_chunk_rows(g);
    const long v_stride = chunk_rows * row_tiles * c_count;
    const long d_stride = chunk_rows * row_tiles * n;
    // M of the group (its first chunk's products go straight there), then M of each later chunk, each
    // summed from zero over the chunk's tiles and then added onto the group's, as the direct path adds
    // KC-long slices: one running sum over a group's thousands of tiles lost 2-10x more to rounding.
    float* m = scratch_buffer(thread * kScratchSlotsPerThread);
    float* m_chunk = m + 16 * c_count * n;
    float* v = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    float* dyt = v + 16 * v_stride;
    const bool padded = !needs_no_padding(g);
    float* image_buffer = scratch_buffer(thread * kScratchSlotsPerThread + 2);
    const long row_floats = padded ? padded_width(g) * c_count : g.in_width * c_count;
    // Blocks of rows of M: 7 rows x 4 vectors, else 14 x 2 or 14 x 1 (AVX2: 6 x 2 or 6 x 1), near-equal.
    const long vectors = n / Micro::kVector;
    const bool four = four_vector_blocks(n);
    const long max_rows = four ? Micro::kDirectPixels2 / 2 : Micro::kDirectPixels2;
    const long blocks = (c_count + max_rows - 1) / max_rows;
    const long chunks = winograd_chunks(g);
    long group_begin, group_end;
    split_range(job.groups, threads, thread, &group_begin, &group_end);
    for (long group = group_begin; group < group_end; group++) {
      // The group's units, chunks of tile rows of an image in (image, chunk) order: whole images (each
      // padded once), or for a batch of one, halves of its chunks.
      long u0, u1;
      if (g.batch > 1) {
        split_range(g.batch, static_cast<int>(job.groups), static_cast<int>(group), &u0, &u1);
        u0 *= chunks;
        u1 *= chunks;
      } else {
        split_range(chunks, static_cast<int>(job.groups), static_cast<int>(group), &u0, &u1);
      }
      long loaded = -1;
      const float* image = nullptr;
      for (long unit = u0; unit < u1; unit++) {
        const long b = unit / chunks;
        const long row0 = unit % chunks * chunk_rows;
        if (b != loaded) {
          image = g.in_height * g.in_width * c_count * b + job.x;
          if (padded) {
            pad_image(job.x, g, b, image_buffer);
            image = image_buffer;
          }
          loaded = b;
        }
        const float* dy_image = job.dy + b * g.out_height * g.out_width * n;
        const long tiles = min_long(chunk_rows, tile_rows - row0) * row_tiles;
        for (long t = 0; t < tiles; t++) {
          const long ty = row0 + t / row_tiles;
          const long tx = t % row_tiles;
          winograd_input_tile(image + 2 * ty * row_floats + 2 * tx * c_count, row_floats, c_count, v + t * c_count, v_stride);
          winograd_dy_tile(dy_image + (2 * ty * g.out_width + 2 * tx) * n, g.out_width * n, n, dyt + t * n, d_stride);
        }
        float* target = unit == u0 ? m : m_chunk;
        for (int xi = 0; xi < 16; xi++) {
          long r0 = 0;
          for (long block = 0; block < blocks; block++) {
            const long rows = c_count / blocks + (block < c_count % blocks ? 1 : 0);
            for (long k = 0; k < vectors;) {
              const float* vx = v + xi * v_stride;
              const float* dx = dyt + xi * d_stride + k * Micro::kVector;
              float* mx = target + (xi * c_count + r0) * n + k * Micro::kVector;
              const long* offsets = job.channels + r0;
              if (four) {
                filter_taps_any<4, Micro::kDirectPixels2 / 2>(rows, vx, job.bases, nullptr, tiles, offsets, dx, n, mx, true);
                k += 4;
              } else if (vectors - k >= 2) {
                filter_taps_any<2, Micro::kDirectPixels2>(rows, vx, job.bases, nullptr, tiles, offsets, dx, n, mx, true);
                k += 2;
              } else {
                filter_taps_any<1, Micro::kDirectPixels2>(rows, vx, job.bases, nullptr, tiles, offsets, dx, n, mx, true);
                k += 1;
              }
            }
            r0 += rows;
          }
        }
        if (unit != u0) add_floats(m, m_chunk, 16 * c_count * n);
      }
      winograd_filter_out(m, c_count, n, job.group_sums + group * 9 * c_count * n);
    }
  }

  // 1 done, -1 not taken (also when the scratch memory cannot be had).
  static int winograd_backprop_filter(const Job& job, int threads) {
    if constexpr (!Micro::kDirect) {
      return -1;
    } else {
      const ConvGeometry& g = *job.g;
      if (!winograd_serves(g) || !winograd_enabled()) return -1;
      const long size = job.taps * job.n;
      const long groups = min_long(job.groups, g.batch > 1 ? g.batch : min_long(winograd_chunks(g), 2));
      // Without the memory, the direct path (or the GEMM path) runs instead.
      ScratchLock lock;
      if (!reserve_winograd(lock, g, threads, 2)) return -1;
      for (int t = 0; t < threads; t++) {
        if (!needs_no_padding(g) && !lock.reserve(t * kScratchSlotsPerThread + 2, padded_image_floats(g))) return -1;
      }
      if (!lock.reserve(kSharedScratchSlot, groups * size)) return -1;
      const long chunk_tiles = winograd_chunk_rows(g) * (g.out_width / 2);
      std::vector<long> bases(static_cast<size_t>(chunk_tiles));
      for (long t = 0; t < chunk_tiles; t++) bases[t] = t * g.in_channels;
      std::vector<long> channels(static_cast<size_t>(g.in_channels));
      for (long c = 0; c < g.in_channels; c++) channels[c] = c;
      WinogradFilterJob w{job.x, job.filter, &g, scratch_buffer(kSharedScratchSlot), groups, bases.data(), channels.data()};
      parallel_run(threads_for_work(job.pixels * size, groups, threads), winograd_filter_part, &w);
      Combine combine{w.group_sums, job.out, size, groups};
      parallel_run(threads_for(size * groups, threads), combine_part, &combine);
      return 1;
    }
  }

  // The direct filter gradient of `job` (whose groups are set): 1 done, 0 out of scratch memory, -1 not
  // taken (a padded copy of the batch would be too large; the GEMM path runs instead).
  static int direct_backprop_filter(Job& job, int threads) {
    if constexpr (!Micro::kDirect) {
      return -1;
    } else {
      const ConvGeometry& g = *job.g;
      if (!direct_serves(g)) return -1;
      const long size = job.taps * job.n;
      ScratchLock lock;
      const long sums_floats = round_up(job.groups * size, 16);
      // Per-image padding as in the forward pass (reserve_per_image), into a ring per thread of as many
      // images as one KC slice of pixels can touch: where the padded batch would pass 1 MB a thread
      // (W3's stride-2 filter gradients at batch 32: 0.84-0.87 -> 0.70-0.75 ms and 0.79-0.92 ->
      // 0.77-0.81 ms); a batch that stays in cache ran 0.02-0.05 ms slower through the ring.
      const long image_floats = padded_image_floats(g);
      const long slots = (KC + g.out_height * g.out_width - 1) / (g.out_height * g.out_width) + 1;
      const bool per_image = padded_batch_floats(g) >= (1L << 18) * threads && slots <= kMaxRingSlots &&
                             slots * image_floats <= (1L << 20) && reserve_per_image(lock, g, threads, slots);
      if (!lock.reserve(kSharedScratchSlot, sums_floats + (per_image ? 0 : padded_batch_floats(g)))) return 0;
      job.group_sums = scratch_buffer(kSharedScratchSlot);
      DirectFilterJob d;
      d.job = &job;
      d.images = per_image ? Images{nullptr, image_floats, padded_width(g) * g.in_channels, slots}
                           : prepare_images(job.x, g, job.group_sums + sums_floats, threads);
      const std::vector<long> offsets = tap_offsets(g, d.images);
      d.tap_offsets = offsets.data();
      // Balanced blocks of at most the register budget's taps.
      const bool one_vector = job.n == Micro::kVector;
      d.four = four_vector_blocks(job.n);
      d.listed = listed_positions(g);
      const long max_taps = one_vector ? Micro::kDirectPixels1 : d.four ? Micro::kDirectPixels2 / 2 : Micro::kDirectPixels2;
      d.tap_blocks = (job.taps + max_taps - 1) / max_taps;
      d.block_taps = job.taps / d.tap_blocks;
      d.block_extra = job.taps % d.tap_blocks;
      parallel_run(threads, one_vector ? direct_filter_part<Micro::kDirectPixels1> : direct_filter_part<Micro::kDirectPixels2>, &d);
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
    const int winograd = winograd_backprop_filter(job, threads);
    if (winograd >= 0) return winograd == 1;
    const int direct = direct_backprop_filter(job, threads);
    if (direct >= 0) return direct == 1;
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
