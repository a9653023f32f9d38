// The AVX-512 kernels. This file alone is compiled with -mavx512f -mavx2 -mfma (see binding.gyp);
// dispatch.cc calls into it only when the CPU reports avx512f.
#define NEURONA_ISA avx512

#include <immintrin.h>

#include "isa.h"

namespace neurona {
namespace avx512 {

// An 8 x 32 tile of C in 16 zmm accumulators: per k step, two 16-wide loads of B and eight
// broadcasts of A feed 16 FMAs. Measured against 12 x 32 and 14 x 32 on Zen 5: the same speed at
// 512 and 1024 and a little faster at 2048, and smaller ragged edges for the thin products that
// training produces.
struct Micro {
  static constexpr long MR = 8;
  static constexpr long NR = 32;
  static constexpr long KC = 256;
  static constexpr long MC = 8 * 24;
  // The packed B block, KC x NC floats (512 KB), streams from L2 past each panel of A (gemm_impl.h's
  // multiply_packed); it fits an L2 of 1 MB (Zen 4 and 5) with room. 512 and 1024 measured the same
  // on the Intel VM's 2 MB L2 (BENCHMARKS.md, 2026-12-07).
  static constexpr long NC = 512;

  // Vector operations for the direct convolution (conv_impl.h), and its register blocking: pixels
  // per run for one and for two vectors of filters (16 and 28 accumulators of 32 registers; 28 takes
  // a 14-pixel row, W5's second convolution, in one run rather than two of 7: its forward 0.64 ->
  // 0.54 ms on 2 threads, the FMAs per filter load doubled).
  static constexpr bool kDirect = true;
  static constexpr long kVector = 16;
  static constexpr int kDirectPixels1 = 16;
  static constexpr int kDirectPixels2 = 14;
  using Vec = __m512;
  static Vec zero() { return _mm512_setzero_ps(); }
  static Vec load(const float* p) { return _mm512_loadu_ps(p); }
  static Vec broadcast(const float* p) { return _mm512_set1_ps(*p); }
  static Vec fma(Vec a, Vec b, Vec c) { return _mm512_fmadd_ps(a, b, c); }
  static Vec add(Vec a, Vec b) { return _mm512_add_ps(a, b); }
  // max(0, x): x for NaN and for either zero (the second operand wins), as `x < 0 ? 0 : x`. (maskz:
  // GCC 12 warns that _mm512_max_ps's undefined pass-through may be used uninitialized.)
  static Vec relu(Vec x) { return _mm512_maskz_max_ps(0xFFFF, _mm512_setzero_ps(), x); }
  static void store(float* p, Vec v) { _mm512_storeu_ps(p, v); }

  static void kernel(long kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                     long ldc, bool accumulate) {
    __m512 acc[MR][2];
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      acc[i][0] = _mm512_setzero_ps();
      acc[i][1] = _mm512_setzero_ps();
      // The tile of C is read (or written) only after the k loop: fetch it meanwhile.
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + i * ldc + 31), _MM_HINT_T0);
    }
    for (long p = 0; p < kc; p++) {
      // B's panel comes from L2: ask for it eight k steps ahead (the hardware prefetcher alone left
      // W1 5-8 % slower).
      _mm_prefetch(reinterpret_cast<const char*>(pb + 256), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(pb + 256 + 16), _MM_HINT_T0);
      const __m512 b0 = _mm512_load_ps(pb);
      const __m512 b1 = _mm512_load_ps(pb + 16);
#pragma GCC unroll 32
      for (int i = 0; i < MR; i++) {
        const __m512 a = _mm512_set1_ps(pa[i]);
        acc[i][0] = _mm512_fmadd_ps(a, b0, acc[i][0]);
        acc[i][1] = _mm512_fmadd_ps(a, b1, acc[i][1]);
      }
      pa += MR;
      pb += NR;
    }
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      if (accumulate) {
        acc[i][0] = _mm512_add_ps(_mm512_loadu_ps(ci), acc[i][0]);
        acc[i][1] = _mm512_add_ps(_mm512_loadu_ps(ci + 16), acc[i][1]);
      }
      _mm512_storeu_ps(ci, acc[i][0]);
      _mm512_storeu_ps(ci + 16, acc[i][1]);
    }
  }
};

}  // namespace avx512
}  // namespace neurona

#include "isa_table.h"

namespace neurona {

const IsaKernels* avx512_kernels() { return &avx512::kTable; }

}  // namespace neurona
