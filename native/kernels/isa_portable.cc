// The portable kernels: plain C++ that any C++17 compiler builds (x86-64 baseline, ARM64, later
// WebAssembly). The compiler vectorizes the fixed-size loops with whatever the baseline offers
// (SSE2 on x86-64, NEON on ARM64).
#define NEURONA_ISA portable

#include "isa.h"

namespace neurona {
namespace portable {

// A 4 x 8 tile: 32 accumulators are 8 four-wide registers, which leaves SSE2's 16 registers room
// for B and the broadcast; measured 48 GFLOP/s on x86-64 baseline where 4 x 16 spills (13 GFLOP/s).
struct Micro {
  static constexpr long MR = 4;
  static constexpr long NR = 8;
  static constexpr long KC = 256;
  static constexpr long MC = 4 * 32;
  // A 512 KB block of packed B stays in L2 while A's panels pass (gemm_impl.h): W1 1.05-1.13x of NC 2048's rate.
  static constexpr long NC = 512;

  // No direct convolution here (conv_impl.h): without FMA it could not match the GEMM path's bits.
  static constexpr bool kDirect = false;

  static void kernel(long kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                     long ldc, bool accumulate) {
    float acc[MR][NR] = {};
    for (long p = 0; p < kc; p++) {
      for (int i = 0; i < MR; i++) {
        const float a = pa[i];
        for (int j = 0; j < NR; j++) acc[i][j] += a * pb[j];
      }
      pa += MR;
      pb += NR;
    }
    for (int i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      if (accumulate) {
        for (int j = 0; j < NR; j++) ci[j] += acc[i][j];
      } else {
        for (int j = 0; j < NR; j++) ci[j] = acc[i][j];
      }
    }
  }
};

}  // namespace portable
}  // namespace neurona

#include "isa_table.h"

namespace neurona {

const IsaKernels* portable_kernels() { return &portable::kTable; }

}  // namespace neurona
