// The blocked GEMM driver, after the Goto/BLIS scheme, written once and compiled once per ISA: each
// isa_*.cc defines NEURONA_ISA (its namespace) and a micro-kernel type, then includes isa_table.h,
// which includes this file, so every function here is built with that translation unit's target flags. Everything lives in the
// per-ISA namespace; nothing inline is shared between the differently compiled units (an inline
// function compiled for AVX-512 must never be what the portable path links to).
//
// For each NC-wide slice of op(B) and each KC-deep slice of k, the B block is packed into column
// panels NR wide and the A block (MC rows) into row panels MR high, in exactly the order the
// micro-kernel reads them, zero-padded at ragged edges. Packing absorbs the transposes, so one
// micro-kernel serves all four cases. The micro-kernel keeps an MR x NR tile of C in registers for
// the whole KC loop.
//
// Determinism: every element of C is summed over k in the same order (KC slices in turn, each slice
// summed from zero in the micro-kernel's order and then added to C) whatever the thread count,
// because threads split C into whole tiles and never split k; where a tile starts, and whether the
// product is computed transposed (block()), does not change that order.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA and include elementwise_impl.h (its activations) before gemm_impl.h"
#endif

#include <cstring>

#if defined(__AVX2__)
#include <immintrin.h>
#endif

#include "isa.h"
#include "thread_pool.h"

namespace neurona {
namespace NEURONA_ISA {

inline long min_long(long a, long b) { return a < b ? a : b; }
inline long round_up(long x, long unit) { return (x + unit - 1) / unit * unit; }

template <class Micro>
struct Gemm {
  static constexpr long MR = Micro::MR;
  static constexpr long NR = Micro::NR;
  static constexpr long KC = Micro::KC;
  static constexpr long MC = Micro::MC;
  static constexpr long NC = Micro::NC;

  // Element (i, p) of op(A) is a[i * a_row + p * a_col]; element (p, j) of op(B) is b[p * b_row + j * b_col];
  // element (i, j) of the product goes to c[i * ldc + j], or to c[j * ldc + i] when c_transposed.
  struct Operands {
    const float* a;
    long a_row;
    long a_col;
    const float* b;
    long b_row;
    long b_col;
    float* c;
    long ldc;
    long k;
    // The epilogue (MatmulEpilogue), applied to each tile once its last k slice is stored; bias is
    // indexed by the column of c in memory.
    bool epilogue = false;
    const float* bias = nullptr;
    Activation activation = Activation::kLinear;
    bool c_transposed = false;
  };

  // dst[q * dst_stride + r] = src[r * src_stride + q] for r, q < 8: one 8 x 8 block turned over, the
  // packing step that would otherwise be a strided scalar store per element (it dominated thin
  // products such as a Dense layer's 32 x 784 x 8).
  static void transpose8(const float* src, long src_stride, float* dst, long dst_stride) {
#if defined(__AVX2__)
    const __m256 r0 = _mm256_loadu_ps(src);
    const __m256 r1 = _mm256_loadu_ps(src + src_stride);
    const __m256 r2 = _mm256_loadu_ps(src + 2 * src_stride);
    const __m256 r3 = _mm256_loadu_ps(src + 3 * src_stride);
    const __m256 r4 = _mm256_loadu_ps(src + 4 * src_stride);
    const __m256 r5 = _mm256_loadu_ps(src + 5 * src_stride);
    const __m256 r6 = _mm256_loadu_ps(src + 6 * src_stride);
    const __m256 r7 = _mm256_loadu_ps(src + 7 * src_stride);
    // Pairs of rows interleaved, then quadruples: u0 holds column 0 (rows 0-3) and column 4, ...
    const __m256 t0 = _mm256_unpacklo_ps(r0, r1), t1 = _mm256_unpackhi_ps(r0, r1);
    const __m256 t2 = _mm256_unpacklo_ps(r2, r3), t3 = _mm256_unpackhi_ps(r2, r3);
    const __m256 t4 = _mm256_unpacklo_ps(r4, r5), t5 = _mm256_unpackhi_ps(r4, r5);
    const __m256 t6 = _mm256_unpacklo_ps(r6, r7), t7 = _mm256_unpackhi_ps(r6, r7);
    const __m256 u0 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u1 = _mm256_shuffle_ps(t0, t2, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u2 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u3 = _mm256_shuffle_ps(t1, t3, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u4 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u5 = _mm256_shuffle_ps(t4, t6, _MM_SHUFFLE(3, 2, 3, 2));
    const __m256 u6 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(1, 0, 1, 0));
    const __m256 u7 = _mm256_shuffle_ps(t5, t7, _MM_SHUFFLE(3, 2, 3, 2));
    _mm256_storeu_ps(dst, _mm256_permute2f128_ps(u0, u4, 0x20));
    _mm256_storeu_ps(dst + dst_stride, _mm256_permute2f128_ps(u1, u5, 0x20));
    _mm256_storeu_ps(dst + 2 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x20));
    _mm256_storeu_ps(dst + 3 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x20));
    _mm256_storeu_ps(dst + 4 * dst_stride, _mm256_permute2f128_ps(u0, u4, 0x31));
    _mm256_storeu_ps(dst + 5 * dst_stride, _mm256_permute2f128_ps(u1, u5, 0x31));
    _mm256_storeu_ps(dst + 6 * dst_stride, _mm256_permute2f128_ps(u2, u6, 0x31));
    _mm256_storeu_ps(dst + 7 * dst_stride, _mm256_permute2f128_ps(u3, u7, 0x31));
#elif defined(__wasm_simd128__)
    for (long r0 = 0; r0 < 8; r0 += 4) {
      for (long q0 = 0; q0 < 8; q0 += 4) transpose4(src + r0 * src_stride + q0, src_stride, dst + q0 * dst_stride + r0, dst_stride);
    }
#else
    for (long r = 0; r < 8; r++) {
      for (long q = 0; q < 8; q++) dst[q * dst_stride + r] = src[r * src_stride + q];
    }
#endif
  }

#if defined(__wasm_simd128__)
  // The same for a 4 x 4 block, in four v128 rows: WebAssembly's GEMM has MR 4 (isa_wasm.cc).
  static void transpose4(const float* src, long src_stride, float* dst, long dst_stride) {
    const v128_t r0 = wasm_v128_load(src);
    const v128_t r1 = wasm_v128_load(src + src_stride);
    const v128_t r2 = wasm_v128_load(src + 2 * src_stride);
    const v128_t r3 = wasm_v128_load(src + 3 * src_stride);
    const v128_t t0 = wasm_i32x4_shuffle(r0, r1, 0, 4, 1, 5);  // a0 b0 a1 b1
    const v128_t t1 = wasm_i32x4_shuffle(r2, r3, 0, 4, 1, 5);  // c0 d0 c1 d1
    const v128_t t2 = wasm_i32x4_shuffle(r0, r1, 2, 6, 3, 7);  // a2 b2 a3 b3
    const v128_t t3 = wasm_i32x4_shuffle(r2, r3, 2, 6, 3, 7);  // c2 d2 c3 d3
    wasm_v128_store(dst, wasm_i64x2_shuffle(t0, t1, 0, 2));
    wasm_v128_store(dst + dst_stride, wasm_i64x2_shuffle(t0, t1, 1, 3));
    wasm_v128_store(dst + 2 * dst_stride, wasm_i64x2_shuffle(t2, t3, 0, 2));
    wasm_v128_store(dst + 3 * dst_stride, wasm_i64x2_shuffle(t2, t3, 1, 3));
  }
#endif

  // Packs rows [0, mc) x k-slice [0, kc) of op(A) starting at `a` into panels of MR rows:
  // panel-major, then p, then the MR rows.
  static void pack_a(const float* a, long row, long col, long mc, long kc, float* dst) {
    for (long i0 = 0; i0 < mc; i0 += MR) {
      const long rows = min_long(MR, mc - i0);
      if (row == 1) {
        // op(A) is a transposed matrix: the MR rows of one k are contiguous.
        for (long p = 0; p < kc; p++) {
          const float* src = a + i0 + p * col;
          long ii = 0;
          for (; ii < rows; ii++) dst[ii] = src[ii];
          for (; ii < MR; ii++) dst[ii] = 0.0f;
          dst += MR;
        }
      } else {
        long p0 = 0;
        if (MR % 8 == 0 && rows == MR && col == 1) {
          // Whole 8 x 8 blocks turned over at once; the last kc % 8 columns below.
          for (; p0 + 8 <= kc; p0 += 8) {
            for (long r0 = 0; r0 < MR; r0 += 8) transpose8(a + (i0 + r0) * row + p0, row, dst + p0 * MR + r0, MR);
          }
        }
#if defined(__wasm_simd128__)
        if (MR == 4 && rows == MR && col == 1) {
          for (; p0 + 4 <= kc; p0 += 4) transpose4(a + i0 * row + p0, row, dst + p0 * MR, MR);
        }
#endif
        for (long ii = 0; ii < rows; ii++) {
          const float* src = a + (i0 + ii) * row;
          for (long p = p0; p < kc; p++) dst[p * MR + ii] = src[p * col];
        }
        for (long ii = rows; ii < MR; ii++) {
          for (long p = 0; p < kc; p++) dst[p * MR + ii] = 0.0f;
        }
        dst += kc * MR;
      }
    }
  }

  // Packs k-slice [0, kc) x columns [0, nc) of op(B) into panels of NR columns: panel-major, then p,
  // then the NR columns.
  static void pack_b(const float* b, long row, long col, long kc, long nc, float* dst) {
    for (long j0 = 0; j0 < nc; j0 += NR) {
      const long cols = min_long(NR, nc - j0);
      if (col == 1) {
        for (long p = 0; p < kc; p++) {
          const float* src = b + p * row + j0;
          if (cols == NR) {
            std::memcpy(dst, src, NR * sizeof(float));
          } else {
            long jj = 0;
            for (; jj < cols; jj++) dst[jj] = src[jj];
            for (; jj < NR; jj++) dst[jj] = 0.0f;
          }
          dst += NR;
        }
      } else {
        // op(B) is a transposed matrix: read each stored row (one column of op(B)) contiguously.
        long p0 = 0;
        if (NR % 8 == 0 && cols == NR && row == 1) {
          for (; p0 + 8 <= kc; p0 += 8) {
            for (long jj = 0; jj < NR; jj += 8) transpose8(b + (j0 + jj) * col + p0, col, dst + p0 * NR + jj, NR);
          }
        }
        for (long jj = 0; jj < cols; jj++) {
          const float* src = b + (j0 + jj) * col;
          for (long p = p0; p < kc; p++) dst[p * NR + jj] = src[p * row];
        }
        for (long jj = cols; jj < NR; jj++) {
          for (long p = 0; p < kc; p++) dst[p * NR + jj] = 0.0f;
        }
        dst += kc * NR;
      }
    }
  }

  // bias (when given), then the activation, over `count` contiguous elements of the result, as the
  // binary 'add' and unary kernels compute them.
  static void finish_run(float* __restrict x, const float* __restrict bias, long count, Activation activation) {
    if (bias) {
      for (long j = 0; j < count; j++) x[j] = x[j] + bias[j];
    }
    switch (activation) {
      case Activation::kRelu:
        for (long j = 0; j < count; j++) x[j] = x[j] < 0.0f ? 0.0f : x[j];
        break;
      case Activation::kSigmoid:
        for (long j = 0; j < count; j++) x[j] = sigmoid_f32(x[j]);
        break;
      case Activation::kTanh:
        for (long j = 0; j < count; j++) x[j] = tanh_f32(x[j]);
        break;
      case Activation::kLinear:
      case Activation::kCount:
        break;
    }
  }

  // The epilogue over the product's rows [i0, i0 + rows) x columns [j0, j0 + cols), all stored.
  static void finish(const Operands& o, long i0, long j0, long rows, long cols) {
    if (!o.c_transposed) {
      for (long i = i0; i < i0 + rows; i++) finish_run(o.c + i * o.ldc + j0, o.bias ? o.bias + j0 : nullptr, cols, o.activation);
    } else {
      for (long j = j0; j < j0 + cols; j++) finish_run(o.c + j * o.ldc + i0, o.bias ? o.bias + i0 : nullptr, rows, o.activation);
    }
  }

  // The share of a tile grid's multiply-adds that does useful work for a rows x cols product.
  static double tile_fill(long rows, long cols) {
    return static_cast<double>(rows) / round_up(rows, MR) * static_cast<double>(cols) / round_up(cols, NR);
  }

  // A product much narrower than NR (a Dense layer with 8 or 10 units, a first conv with 16 filters)
  // wastes most of each NR-wide tile; computing its transpose, op(B)^T @ op(A)^T, puts the long side
  // along NR instead. Every element is the same sum of the same products in the same order (FMA is
  // commutative in its two factors, and the k slices do not change), so the bits do not depend on
  // this choice.
  static bool prefer_transposed(long rows, long cols) {
    return cols < NR && tile_fill(cols, rows) > 1.5 * tile_fill(rows, cols);
  }

  // C[m0:m1, n0:n1] = op(A)[m0:m1, :] @ op(B)[:, n0:n1], every element written (or, with
  // accumulate_into_c, C += the product: each KC slice's partial is added to C as it comes). pa holds
  // MC * KC floats, pb kPackedBFloats.
  static void block(const Operands& o, long m0, long m1, long n0, long n1, float* pa, float* pb,
                    bool accumulate_into_c = false) {
    if (o.c_transposed || !prefer_transposed(m1 - m0, n1 - n0)) {
      oriented_block(o, m0, m1, n0, n1, pa, pb, accumulate_into_c);
      return;
    }
    Operands t = o;
    t.a = o.b;
    t.a_row = o.b_col;
    t.a_col = o.b_row;
    t.b = o.a;
    t.b_row = o.a_col;
    t.b_col = o.a_row;
    t.c_transposed = true;
    oriented_block(t, n0, n1, m0, m1, pa, pb, accumulate_into_c);
  }

  static constexpr long kPackedBFloats = KC * NC;

  static void oriented_block(const Operands& o, long m0, long m1, long n0, long n1, float* pa, float* pb,
                             bool accumulate_into_c) {
    for (long jc = n0; jc < n1; jc += NC) {
      const long nc = min_long(NC, n1 - jc);
      for (long pc = 0; pc < o.k; pc += KC) {
        const long kc = min_long(KC, o.k - pc);
        pack_b(o.b + pc * o.b_row + jc * o.b_col, o.b_row, o.b_col, kc, nc, pb);
        for (long ic = m0; ic < m1; ic += MC) {
          const long mc = min_long(MC, m1 - ic);
          pack_a(o.a + ic * o.a_row + pc * o.a_col, o.a_row, o.a_col, mc, kc, pa);
          multiply_packed(o, ic, mc, jc, nc, pc, kc, pa, pb, accumulate_into_c);
        }
      }
    }
  }

  // C[ic:ic+mc, jc:jc+nc] (+)= the packed A rows `pa` (panels of MR, from row ic) times the packed B
  // columns `pb` (panels of NR, from column jc), for the k slice [pc, pc + kc).
  static void multiply_packed(const Operands& o, long ic, long mc, long jc, long nc, long pc, long kc, const float* pa,
                              const float* pb, bool accumulate_into_c) {
    alignas(64) float edge[MR * NR];
    const bool accumulate = accumulate_into_c || pc > 0;
    const bool last = o.epilogue && pc + kc == o.k;
    // One panel of A (MR x kc, a few KB) stays in L1 while the panels of B stream past it from L2,
    // where the packed B block (kc x NC) fits. The other order (a 32 KB panel of B held in L1 while
    // A's panels stream) lost L1 lines to the stream: W1 at 2048 on one thread 0.87x (AVX-512) and
    // 0.77x (AVX2) of this order (3000 on two threads: 0.83x).
    for (long ir = 0; ir < mc; ir += MR) {
      const long rows = min_long(MR, mc - ir);
      for (long jr = 0; jr < nc; jr += NR) {
        const long cols = min_long(NR, nc - jr);
        const float* panel_b = pb + jr * kc;
        const long i0 = ic + ir;
        const long j0 = jc + jr;
        if (!o.c_transposed && rows == MR && cols == NR) {
          Micro::kernel(kc, pa + ir * kc, panel_b, o.c + i0 * o.ldc + j0, o.ldc, accumulate);
        } else {
          // A ragged or turned-around tile: the same micro-kernel into a local tile, then the
          // valid part.
          Micro::kernel(kc, pa + ir * kc, panel_b, edge, NR, false);
          if (!o.c_transposed) {
            for (long i = 0; i < rows; i++) {
              float* ci = o.c + (i0 + i) * o.ldc + j0;
              const float* ei = edge + i * NR;
              if (accumulate) {
                for (long j = 0; j < cols; j++) ci[j] += ei[j];
              } else {
                for (long j = 0; j < cols; j++) ci[j] = ei[j];
              }
            }
          } else {
            for (long j = 0; j < cols; j++) {
              float* cj = o.c + (j0 + j) * o.ldc + i0;
              const float* ej = edge + j;
              if (accumulate) {
                for (long i = 0; i < rows; i++) cj[i] += ej[i * NR];
              } else {
                for (long i = 0; i < rows; i++) cj[i] = ej[i * NR];
              }
            }
          }
        }
        if (last) finish(o, i0, j0, rows, cols);
      }
    }
  }

  // A large product split over threads along n makes every thread pack all of op(A) for itself. From
  // this many rows on, the threads instead pack each k slice of op(A) once, together, into one
  // shared buffer (a parallel run), then multiply their own columns with it (a second one). The sums
  // are the ones oriented_block computes, tile by tile.
  static constexpr long kSharedAMinRows = 2 * MC;

  struct SharedJob {
    const Operands* o;
    long m;
    long n;
    long unit_n;
    long pc;
    long kc;
    float* shared_a;  // round_up(m, MR) rows of the k slice, in panels of MR
  };

  // Part `part`'s columns of the product, in whole NR tiles.
  static void shared_columns(const SharedJob& job, int part, int parts, long* n0, long* n1) {
    long begin, end;
    split_range((job.n + job.unit_n - 1) / job.unit_n, parts, part, &begin, &end);
    *n0 = begin * job.unit_n;
    *n1 = min_long(end * job.unit_n, job.n);
  }

  static void shared_pack_part(void* context, int part, int parts) {
    const SharedJob& job = *static_cast<const SharedJob*>(context);
    const Operands& o = *job.o;
    long begin, end;
    split_range((job.m + MR - 1) / MR, parts, part, &begin, &end);
    const long r0 = begin * MR;
    const long r1 = min_long(end * MR, job.m);
    if (r1 > r0) pack_a(o.a + r0 * o.a_row + job.pc * o.a_col, o.a_row, o.a_col, r1 - r0, job.kc, job.shared_a + r0 * job.kc);
    long n0, n1;
    shared_columns(job, part, parts, &n0, &n1);
    if (n1 > n0) {
      pack_b(o.b + job.pc * o.b_row + n0 * o.b_col, o.b_row, o.b_col, job.kc, n1 - n0,
             scratch_buffer(part * kScratchSlotsPerThread + 1));
    }
  }

  static void shared_multiply_part(void* context, int part, int parts) {
    const SharedJob& job = *static_cast<const SharedJob*>(context);
    long n0, n1;
    shared_columns(job, part, parts, &n0, &n1);
    if (n1 <= n0) return;
    const float* pb = scratch_buffer(part * kScratchSlotsPerThread + 1);
    for (long ic = 0; ic < job.m; ic += MC) {
      multiply_packed(*job.o, ic, min_long(MC, job.m - ic), n0, n1 - n0, job.pc, job.kc, job.shared_a + ic * job.kc, pb,
                      false);
    }
  }

  // Below this many multiply-adds a product runs on one thread: a second thread would mostly repeat
  // the packing (each packs its own copy of the shared operand) and pay the hand-over. Measured on
  // Zen 5 (2 cores): 2 threads win from about 64^3 on.
  static constexpr long kParallelWork = 64L * 64 * 64;

  struct Job {
    Operands o;
    const MatmulShape* shape;
    const float* a;
    const float* b;
    float* out;
    const MatmulEpilogue* epilogue;
    bool split_batch;
    bool split_n;
    long unit_m;
    long unit_n;
  };

  static Operands operands_for(const MatmulShape& s, const float* a, const float* b, float* c,
                               const MatmulEpilogue* epilogue) {
    Operands o;
    o.a = a;
    o.a_row = s.trans_a ? 1 : s.k;
    o.a_col = s.trans_a ? s.m : 1;
    o.b = b;
    o.b_row = s.trans_b ? 1 : s.n;
    o.b_col = s.trans_b ? s.k : 1;
    o.c = c;
    o.ldc = s.n;
    o.k = s.k;
    if (epilogue) {
      o.epilogue = true;
      o.bias = epilogue->bias;
      o.activation = epilogue->activation;
    }
    return o;
  }

  static void run_part(void* context, int thread, int threads) {
    const Job& job = *static_cast<const Job*>(context);
    const MatmulShape& s = *job.shape;
    float* pa = scratch_buffer(thread * kScratchSlotsPerThread);
    float* pb = scratch_buffer(thread * kScratchSlotsPerThread + 1);
    long begin, end;
    if (job.split_batch) {
      split_range(s.batch, threads, thread, &begin, &end);
      for (long bi = begin; bi < end; bi++) {
        const Operands o = operands_for(s, job.a + bi * s.a_batch_stride, job.b + bi * s.b_batch_stride,
                                        job.out + bi * s.m * s.n, job.epilogue);
        block(o, 0, s.m, 0, s.n, pa, pb);
      }
    } else if (job.split_n) {
      split_range((s.n + job.unit_n - 1) / job.unit_n, threads, thread, &begin, &end);
      block(job.o, 0, s.m, begin * job.unit_n, min_long(end * job.unit_n, s.n), pa, pb);
    } else {
      split_range((s.m + job.unit_m - 1) / job.unit_m, threads, thread, &begin, &end);
      block(job.o, begin * job.unit_m, min_long(end * job.unit_m, s.m), 0, s.n, pa, pb);
    }
  }

  static void matmul(const float* a, const float* b, float* out, const MatmulShape& s, const MatmulEpilogue* epilogue,
                     int threads) {
    if (s.batch == 0 || s.m == 0 || s.n == 0) return;
    if (s.k == 0) {
      std::memset(out, 0, sizeof(float) * s.batch * s.m * s.n);
      if (epilogue) {
        for (long bi = 0; bi < s.batch; bi++) {
          finish(operands_for(s, a, b, out + bi * s.m * s.n, epilogue), 0, 0, s.m, s.n);
        }
      }
      return;
    }
    const long work = s.m * s.n * s.k;
    if (threads < 1) threads = 1;
    if (work * s.batch < kParallelWork) threads = 1;
    Job job;
    job.shape = &s;
    job.a = a;
    job.b = b;
    job.out = out;
    job.epilogue = epilogue;
    // The tile grid that block() will use: MR x NR, or NR x MR for a product it turns around.
    const bool turned = prefer_transposed(s.m, s.n);
    job.unit_m = turned ? NR : MR;
    job.unit_n = turned ? MR : NR;
    // Whole matrices per thread when there are enough of them and each is small; otherwise split
    // every product over tiles of C, along its longer side.
    job.split_batch = s.batch >= threads && (work < kParallelWork * 8 || s.batch % threads == 0);
    const long tiles_m = (s.m + job.unit_m - 1) / job.unit_m;
    const long tiles_n = (s.n + job.unit_n - 1) / job.unit_n;
    job.split_n = tiles_n >= threads && (tiles_n * job.unit_n >= tiles_m * job.unit_m || tiles_m < threads);
    if (!job.split_batch && tiles_m < threads && tiles_n < threads) {
      threads = static_cast<int>(tiles_m > tiles_n ? tiles_m : tiles_n);
      job.split_n = tiles_n >= tiles_m;
    }
    if (threads < 1) threads = 1;
    ScratchLock lock;
    for (int t = 0; t < threads; t++) {
      if (!lock.reserve(t * kScratchSlotsPerThread, MC * KC) ||
          !lock.reserve(t * kScratchSlotsPerThread + 1, kPackedBFloats)) {
        threads = t;  // out of memory: fewer threads, or the plain loop below
        break;
      }
    }
    if (threads == 0) {
      naive(a, b, out, s, epilogue);
      return;
    }
    if (job.split_batch) {
      parallel_run(threads, run_part, &job);
      return;
    }
    // Each thread's columns must fit one packed B block for the shared-A path.
    const bool share_a = threads > 1 && job.split_n && !turned && s.m >= kSharedAMinRows &&
                         (tiles_n + threads - 1) / threads * job.unit_n <= NC &&
                         lock.reserve(kSharedScratchSlot, round_up(s.m, MR) * KC);
    for (long bi = 0; bi < s.batch; bi++) {
      job.o = operands_for(s, a + bi * s.a_batch_stride, b + bi * s.b_batch_stride, out + bi * s.m * s.n, epilogue);
      if (!share_a) {
        parallel_run(threads, run_part, &job);
        continue;
      }
      SharedJob shared{&job.o, s.m, s.n, job.unit_n, 0, 0, scratch_buffer(kSharedScratchSlot)};
      for (long pc = 0; pc < s.k; pc += KC) {
        shared.pc = pc;
        shared.kc = min_long(KC, s.k - pc);
        parallel_run(threads, shared_pack_part, &shared);
        parallel_run(threads, shared_multiply_part, &shared);
      }
    }
  }

  // Only when scratch memory cannot be had: slow but correct.
  static void naive(const float* a, const float* b, float* out, const MatmulShape& s, const MatmulEpilogue* epilogue) {
    for (long bi = 0; bi < s.batch; bi++) {
      const Operands o = operands_for(s, a + bi * s.a_batch_stride, b + bi * s.b_batch_stride, out + bi * s.m * s.n,
                                      epilogue);
      for (long i = 0; i < s.m; i++) {
        for (long j = 0; j < s.n; j++) {
          float sum = 0.0f;
          for (long p = 0; p < s.k; p++) sum += o.a[i * o.a_row + p * o.a_col] * o.b[p * o.b_row + j * o.b_col];
          o.c[i * o.ldc + j] = sum;
        }
      }
      if (epilogue) finish(o, 0, 0, s.m, s.n);
    }
  }
};

}  // namespace NEURONA_ISA
}  // namespace neurona
