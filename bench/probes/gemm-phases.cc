// Where a whole GEMM's time goes on this CPU, below the micro-kernel's ceiling (gemm-ceiling.cc):
//   1. the AVX-512 micro-kernel as multiply_packed (native/kernels/gemm_impl.h) drives it, one A panel
//      in L1 while the B panels of one packed 256 x 512 block (512 KB) stream from L2, into one
//      192-row block of C and into six (C that no longer fits L2), on one thread;
//   2. nr.matmul's own driver (Gemm::matmul) for an n x n product on 1 and 2 threads, into a reused
//      output, and its two-thread shared-A path taken apart: the packing runs and the multiply runs
//      timed separately (the loop Gemm::matmul runs, with the same jobs; for n up to 1024 here);
// each against peak.c's FMA loop in the same process, interleaved round by round so that the
// machine's drift hits every line alike. Best of the rounds. Build and run from the project root
// (needs g++ and an AVX-512 CPU):
//   g++ -std=c++17 -O3 -mavx512f -mavx2 -mfma -pthread -Inative/kernels bench/probes/gemm-phases.cc \
//     native/kernels/thread_pool.cc -o /tmp/gemm-phases && /tmp/gemm-phases [n]
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <string>
#include <vector>

#include "isa_avx512.cc"

#include "fma-loop.h"

namespace {

using neurona::MatmulShape;
using neurona::ScratchLock;
using neurona::kScratchSlotsPerThread;
using neurona::kSharedScratchSlot;
using neurona::parallel_run;
using neurona::scratch_buffer;
using Micro = neurona::avx512::Micro;
using Gemm = neurona::avx512::Gemm<Micro>;

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

float* filled(long count, int period) {
  float* p = static_cast<float*>(std::aligned_alloc(64, sizeof(float) * count));
  for (long i = 0; i < count; i++) p[i] = 1e-3f * static_cast<float>(i % period);
  return p;
}

// One multiply_packed's loop (A panels of MR rows outside, B panels of NR columns inside) over a
// 192 x 512 block of C with ldc 1024, `regions` such blocks of C taken in turn.
std::function<double()> streamed(int regions) {
  constexpr long kc = Micro::KC, mc = Micro::MC, nc = Micro::NC, ldc = 1024;
  const float* pa = filled(mc * kc, 7);
  const float* pb = filled(nc * kc, 5);
  float* c = filled(regions * mc * ldc, 3);
  return [=] {
    constexpr int reps = 20;
    const auto t0 = std::chrono::steady_clock::now();
    for (int r = 0; r < reps; r++) {
      float* cr = c + (r % regions) * mc * ldc;
      for (long ir = 0; ir < mc; ir += Micro::MR) {
        for (long jr = 0; jr < nc; jr += Micro::NR) Micro::kernel(kc, pa + ir * kc, pb + jr * kc, cr + ir * ldc + jr, ldc, true);
      }
    }
    return 2.0 * mc * nc * kc * reps / seconds_since(t0) / 1e9;
  };
}

struct Line {
  std::string name;
  std::function<double()> gflops;
  double best = 0;
};

}  // namespace

int main(int argc, char** argv) {
  const long n = argc > 1 ? std::atol(argv[1]) : 1024;
  const float* a = filled(n * n, 7);
  const float* b = filled(n * n, 5);
  float* c = filled(n * n, 3);
  const MatmulShape shape{1, n, n, n, false, false, 0, 0};
  const double flops = 2.0 * n * n * n;
  // The shared-A path's phases, from the best round of the whole product.
  double pack_ms = 0, multiply_ms = 0, phased_best = 0;

  std::vector<Line> lines;
  lines.push_back({"FMA loop (peak.c), 1 thread", [] {
                     const long reps = 2000000;
                     const auto t0 = std::chrono::steady_clock::now();
                     volatile float sink = fma_loop(reps);
                     (void)sink;
                     return 32.0 * 16 * reps / seconds_since(t0) / 1e9;
                   }});
  lines.push_back({"kernel, B from L2, 1 C block", streamed(1)});
  lines.push_back({"kernel, B from L2, 6 C blocks", streamed(6)});
  for (int threads : {1, 2}) {
    lines.push_back({"Gemm::matmul " + std::to_string(n) + ", " + std::to_string(threads) + " thread(s)", [=] {
                       neurona::set_num_threads(threads);
                       const auto t0 = std::chrono::steady_clock::now();
                       Gemm::matmul(a, b, c, shape, nullptr, threads);
                       return flops / seconds_since(t0) / 1e9;
                     }});
  }
  // Gemm::matmul takes the shared-A path on two threads when each thread's columns fit one B block.
  const bool shared = n >= 2 * Gemm::MC && neurona::avx512::round_up(n, 2 * Gemm::NR) / 2 <= Gemm::NC;
  if (shared) lines.push_back({"shared-A path, 2 threads, timed by phase", [&] {
                     neurona::set_num_threads(2);
                     ScratchLock lock;
                     for (int t = 0; t < 2; t++) {
                       lock.reserve(t * kScratchSlotsPerThread, Gemm::MC * Gemm::KC);
                       lock.reserve(t * kScratchSlotsPerThread + 1, Gemm::kPackedBFloats);
                     }
                     lock.reserve(kSharedScratchSlot, neurona::avx512::round_up(n, Gemm::MR) * Gemm::KC);
                     const Gemm::Operands o = Gemm::operands_for(shape, a, b, c, nullptr);
                     Gemm::SharedJob job{&o, n, n, Gemm::NR, 0, 0, scratch_buffer(kSharedScratchSlot)};
                     double pack = 0, multiply = 0;
                     const auto t0 = std::chrono::steady_clock::now();
                     for (long pc = 0; pc < n; pc += Gemm::KC) {
                       job.pc = pc;
                       job.kc = std::min(Gemm::KC, n - pc);
                       const auto t1 = std::chrono::steady_clock::now();
                       parallel_run(2, Gemm::shared_pack_part, &job);
                       pack += seconds_since(t1);
                       const auto t2 = std::chrono::steady_clock::now();
                       parallel_run(2, Gemm::shared_multiply_part, &job);
                       multiply += seconds_since(t2);
                     }
                     const double g = flops / seconds_since(t0) / 1e9;
                     if (g > phased_best) {
                       phased_best = g;
                       pack_ms = pack * 1e3;
                       multiply_ms = multiply * 1e3;
                     }
                     return g;
                   }});
  for (int round = 0; round < 30; round++) {
    for (Line& line : lines) line.best = std::max(line.best, line.gflops());
  }
  const double peak1 = lines[0].best;
  for (const Line& line : lines) {
    const bool two = line.name.find("2 thread") != std::string::npos;
    std::printf("%-44s best %6.1f GFLOP/s  %5.1f %% of the FMA loop%s\n", line.name.c_str(), line.best,
                100 * line.best / (two ? 2 * peak1 : peak1), two ? " (x2)" : "");
  }
  if (shared) std::printf("shared-A path's best round: packing %.3f ms, multiplying %.3f ms (%.1f GFLOP/s, %.1f %% of 2 x the FMA loop)\n",
              pack_ms, multiply_ms, flops / (multiply_ms / 1e3) / 1e9, 100 * flops / (multiply_ms / 1e3) / 1e9 / (2 * peak1));
}
