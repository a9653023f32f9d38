// The AVX2 + FMA kernels. This file alone is compiled with -mavx2 -mfma (see binding.gyp); dispatch.cc
// calls into it only when the CPU reports both.
#define NEURONA_ISA avx2

#include <immintrin.h>

#include "isa.h"

namespace neurona {
namespace avx2 {

// A 6 x 16 tile of C in 12 ymm accumulators (of 16 registers): two loads of B and six broadcasts of
// A per k step feed 12 FMAs.
struct Micro {
  static constexpr long MR = 6;
  static constexpr long NR = 16;
  static constexpr long KC = 256;
  static constexpr long MC = 6 * 24;
  // The packed B block, KC x NC floats (512 KB), streams from L2 past each panel of A (gemm_impl.h's
  // multiply_packed); it fits an L2 of 1 MB (Zen 4 and 5) with room. 512 and 1024 measured the same
  // on the Intel VM's 2 MB L2 (BENCHMARKS.md, 2026-12-07).
  static constexpr long NC = 512;

  // Vector operations for the direct convolution (conv_impl.h), and its register blocking: pixels
  // per run for one and for two vectors of filters (12 accumulators of 16 registers).
  static constexpr bool kDirect = true;
  static constexpr long kVector = 8;
  static constexpr int kDirectPixels1 = 12;
  static constexpr int kDirectPixels2 = 6;
  using Vec = __m256;
  static Vec zero() { return _mm256_setzero_ps(); }
  static Vec load(const float* p) { return _mm256_loadu_ps(p); }
  static Vec broadcast(const float* p) { return _mm256_broadcast_ss(p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm256_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm256_add_ps(a, b); }
  // max(0, x): x for NaN and for either zero (the second operand wins), as `x < 0 ? 0 : x`.
  static Vec relu(Vec x) { return _mm256_max_ps(_mm256_setzero_ps(), x); }
  static void store(float* p, Vec v) { _mm256_storeu_ps(p, v); }

  static void kernel(long kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                     long ldc, bool accumulate) {
    __m256 acc[MR][2];
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      acc[i][0] = _mm256_setzero_ps();
      acc[i][1] = _mm256_setzero_ps();
    }
    for (long p = 0; p < kc; p++) {
      // B's panel comes from L2: ask for it eight k steps ahead.
      _mm_prefetch(reinterpret_cast<const char*>(pb + 128), _MM_HINT_T0);
      const __m256 b0 = _mm256_load_ps(pb);
      const __m256 b1 = _mm256_load_ps(pb + 8);
#pragma GCC unroll 16
      for (int i = 0; i < MR; i++) {
        const __m256 a = _mm256_broadcast_ss(pa + i);
        acc[i][0] = _mm256_fmadd_ps(a, b0, acc[i][0]);
        acc[i][1] = _mm256_fmadd_ps(a, b1, acc[i][1]);
      }
      pa += MR;
      pb += NR;
    }
#pragma GCC unroll 16
    for (int i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      if (accumulate) {
        acc[i][0] = _mm256_add_ps(_mm256_loadu_ps(ci), acc[i][0]);
        acc[i][1] = _mm256_add_ps(_mm256_loadu_ps(ci + 8), acc[i][1]);
      }
      _mm256_storeu_ps(ci, acc[i][0]);
      _mm256_storeu_ps(ci + 8, acc[i][1]);
    }
  }
};

}  // namespace avx2
}  // namespace neurona

#include "isa_table.h"

namespace neurona {

const IsaKernels* avx2_kernels() { return &avx2::kTable; }

}  // namespace neurona
