// The GEMM micro-kernel's ceiling on this CPU: neurona's AVX-512 micro-kernel (native/kernels/
// isa_avx512.cc, an 8 x 32 tile) and three other register tiles on operands that stay in L1 (one packed
// A panel, one packed B panel, kc = 256, the C tile accumulated in place), against peak.c's FMA loop
// (16 independent chains, no loads), all in one process and interleaved round by round, so that the
// machine's drift hits every variant alike. Best of the rounds for each, and its share of the FMA
// loop's. A whole GEMM adds packing and streams its operands from L2 and memory, so it stays below
// the share printed here. Build and run from the project root (needs g++ and an AVX-512 CPU):
//   g++ -std=c++17 -O3 -mavx512f -mavx2 -mfma -pthread -Inative/kernels bench/probes/gemm-ceiling.cc \
//     native/kernels/thread_pool.cc -o /tmp/gemm-ceiling && /tmp/gemm-ceiling
#include <immintrin.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "isa_avx512.cc"

#include "fma-loop.h"

namespace {

// An MR x (16 NV) tile written the way the project's kernel is (B loaded, A broadcast).
template <int MR, int NV>
__attribute__((noinline)) void tile(long kc, const float* __restrict pa, const float* __restrict pb, float* __restrict c,
                                    long ldc) {
  __m512 acc[MR][NV];
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) acc[i][v] = _mm512_setzero_ps();
  }
  for (long p = 0; p < kc; p++) {
    __m512 b[NV];
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) b[v] = _mm512_load_ps(pb + 16 * v);
#pragma GCC unroll 32
    for (int i = 0; i < MR; i++) {
      const __m512 a = _mm512_set1_ps(pa[i]);
#pragma GCC unroll 4
      for (int v = 0; v < NV; v++) acc[i][v] = _mm512_fmadd_ps(a, b[v], acc[i][v]);
    }
    pa += MR;
    pb += 16 * NV;
  }
#pragma GCC unroll 32
  for (int i = 0; i < MR; i++) {
#pragma GCC unroll 4
    for (int v = 0; v < NV; v++) {
      float* ci = c + i * ldc + 16 * v;
      _mm512_storeu_ps(ci, _mm512_add_ps(_mm512_loadu_ps(ci), acc[i][v]));
    }
  }
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

struct Variant {
  std::string name;
  std::function<double()> gflops;
  double best = 0;
};

constexpr long kKc = 256;

// A variant over its own L1-sized operands; `run` is one micro-kernel call.
Variant variant(const char* name, int mr, int nr, std::function<void(const float*, const float*, float*, long)> run) {
  float* pa = static_cast<float*>(aligned_alloc(64, sizeof(float) * mr * kKc));
  float* pb = static_cast<float*>(aligned_alloc(64, sizeof(float) * nr * kKc + 4096));
  float* c = static_cast<float*>(aligned_alloc(64, sizeof(float) * mr * nr));
  for (long i = 0; i < mr * kKc; i++) pa[i] = 1e-3f * static_cast<float>(i % 7);
  for (long i = 0; i < nr * kKc + 1024; i++) pb[i] = 1e-3f * static_cast<float>(i % 5);
  for (long i = 0; i < mr * nr; i++) c[i] = 0;
  return Variant{name, [=]() {
                   const long calls = 40000000L / (mr * nr * kKc);
                   const auto t0 = std::chrono::steady_clock::now();
                   for (long r = 0; r < calls; r++) run(pa, pb, c, nr);
                   return 2.0 * mr * nr * kKc * calls / seconds_since(t0) / 1e9;
                 }};
}

}  // namespace

int main() {
  using neurona::avx512::Micro;
  std::vector<Variant> variants;
  variants.push_back(Variant{"FMA loop (peak.c)", [] {
                               const long n = 2000000;
                               const auto t0 = std::chrono::steady_clock::now();
                               volatile float sink = fma_loop(n);
                               (void)sink;
                               return 32.0 * 16 * n / seconds_since(t0) / 1e9;
                             }});
  variants.push_back(variant("neurona 8x32", Micro::MR, Micro::NR, [](const float* a, const float* b, float* c, long ldc) {
    Micro::kernel(kKc, a, b, c, ldc, true);
  }));
  variants.push_back(variant("12x32", 12, 32, [](const float* a, const float* b, float* c, long ldc) { tile<12, 2>(kKc, a, b, c, ldc); }));
  variants.push_back(variant("14x32", 14, 32, [](const float* a, const float* b, float* c, long ldc) { tile<14, 2>(kKc, a, b, c, ldc); }));
  variants.push_back(variant("6x64", 6, 64, [](const float* a, const float* b, float* c, long ldc) { tile<6, 4>(kKc, a, b, c, ldc); }));
  for (int round = 0; round < 40; round++) {
    for (Variant& v : variants) {
      const double g = v.gflops();
      if (g > v.best) v.best = g;
    }
  }
  for (const Variant& v : variants) {
    std::printf("%-20s best %6.1f GFLOP/s  %5.1f %% of the FMA loop\n", v.name.c_str(), v.best, 100 * v.best / variants[0].best);
  }
}
