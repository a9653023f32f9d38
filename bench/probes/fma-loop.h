// peak.c's loop for the probes here (gemm-ceiling.cc, gemm-phases.cc): 16 independent AVX-512 FMA
// chains on registers, no loads; n rounds of 16 FMAs, 32 * 16 * n FLOP.
#pragma once

#include <immintrin.h>

__attribute__((noinline)) inline float fma_loop(long n) {
  __m512 a[16];
  for (int i = 0; i < 16; i++) a[i] = _mm512_set1_ps(0.1f * (i + 1));
  const __m512 m = _mm512_set1_ps(0.999999f), c = _mm512_set1_ps(1e-7f);
  for (long r = 0; r < n; r++) {
#pragma GCC unroll 16
    for (int i = 0; i < 16; i++) a[i] = _mm512_fmadd_ps(a[i], m, c);
  }
  __m512 s = a[0];
  for (int i = 1; i < 16; i++) s = _mm512_add_ps(s, a[i]);
  return _mm512_reduce_add_ps(s);
}
