// The WebAssembly kernels: the portable C++ compiled with SIMD128 (-msimd128), which the compiler
// uses for the fixed-size loops, and a GEMM micro-kernel written with SIMD128 intrinsics. Built twice
// (scripts/build-wasm.mjs): with SIMD128 alone, which has no fused multiply-add, so each product is
// rounded before it is added, as in the portable kernels; and with relaxed SIMD (-mrelaxed-simd), whose
// f32x4.relaxed_madd the engine runs as one fused multiply-add where the CPU has one (x86-64 with FMA3,
// ARM64): half the arithmetic instructions in the GEMM, the same roundings as the native AVX2 GEMM.
#define NEURONA_ISA wasm

#include <wasm_simd128.h>

#include "isa.h"

#ifdef __wasm_relaxed_simd__
#define NEURONA_WASM_FMA 1
#else
#define NEURONA_WASM_FMA 0
#endif

#ifndef NEURONA_WASM_MR
#define NEURONA_WASM_MR 4
#endif
#ifndef NEURONA_WASM_NV
#define NEURONA_WASM_NV 2
#endif

namespace neurona {
namespace wasm {

// An MR x (4 * NV) tile of accumulators in v128 values. Engines map them to the host's vector registers
// (16 on x86-64 with SSE or AVX), so the tile, a row of B and the broadcast must fit in 16: see
// docs/backends.md for the tiles measured.
struct Micro {
  static constexpr long MR = NEURONA_WASM_MR;
  static constexpr int NV = NEURONA_WASM_NV;
  static constexpr long NR = 4 * NV;
  static constexpr long KC = 256;
  static constexpr long MC = MR * 32;
  // A 512 KB block of packed B stays in L2 while A's panels pass (gemm_impl.h): W1 at 2048 1.08x of NC 2048's rate.
  static constexpr long NC = 512;

  // No direct convolution (conv_impl.h). Without FMA it could not match the GEMM path's bits; with
  // relaxed SIMD it could, but measured with four lanes (kVector 4, 12 and 6 pixels per run) it trained
  // the W3 CNN slower than im2col + the FMA GEMM (docs/backends.md; the code is in commit ed0f584).
  static constexpr bool kDirect = false;

  // a * b + c: fused with relaxed SIMD, else rounded twice.
  static v128_t fma(v128_t a, v128_t b, v128_t c) {
#if NEURONA_WASM_FMA
    return __builtin_wasm_relaxed_madd_f32x4(a, b, c);
#else
    return wasm_f32x4_add(c, wasm_f32x4_mul(a, b));
#endif
  }

  static void kernel(long kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                     long ldc, bool accumulate) {
    v128_t acc[MR][NV];
    for (int i = 0; i < MR; i++) {
      for (int v = 0; v < NV; v++) acc[i][v] = wasm_f32x4_splat(0.0f);
    }
    for (long p = 0; p < kc; p++) {
      v128_t b[NV];
      for (int v = 0; v < NV; v++) b[v] = wasm_v128_load(pb + 4 * v);
      for (int i = 0; i < MR; i++) {
        const v128_t a = wasm_v128_load32_splat(pa + i);
        for (int v = 0; v < NV; v++) acc[i][v] = fma(a, b[v], acc[i][v]);
      }
      pa += MR;
      pb += NR;
    }
    for (int i = 0; i < MR; i++) {
      float* ci = c + i * ldc;
      for (int v = 0; v < NV; v++) {
        const v128_t sum = accumulate ? wasm_f32x4_add(wasm_v128_load(ci + 4 * v), acc[i][v]) : acc[i][v];
        wasm_v128_store(ci + 4 * v, sum);
      }
    }
  }
};

}  // namespace wasm
}  // namespace neurona

#include "isa_table.h"

namespace neurona {

const IsaKernels* wasm_kernels() { return &wasm::kTable; }

}  // namespace neurona
