#include <cstdlib>
#include <cstring>

#include "isa.h"

namespace neurona {
namespace {

const IsaKernels* choose() {
#if defined(__wasm__)
  // The WebAssembly build has one instruction set, SIMD128 (isa_wasm.cc), and no other table.
  return wasm_kernels();
#else
  const char* requested = std::getenv("NEURONA_ISA");
  const bool want_portable = requested && std::strcmp(requested, "portable") == 0;
  const bool want_avx2 = requested && std::strcmp(requested, "avx2") == 0;
#if defined(__x86_64__) || defined(_M_X64)
  __builtin_cpu_init();
  const bool has_avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  // The AVX-512 path uses F only, plus the AVX2+FMA instructions every AVX-512 CPU also has.
  const bool has_avx512 = has_avx2 && __builtin_cpu_supports("avx512f");
  if (!want_portable && !want_avx2 && has_avx512) return avx512_kernels();
  if (!want_portable && has_avx2) return avx2_kernels();
#else
  (void)want_avx2;
  (void)want_portable;
#endif
  return portable_kernels();
#endif
}

}  // namespace

const IsaKernels& active_kernels() {
  static const IsaKernels* chosen = choose();
  return *chosen;
}

}  // namespace neurona
