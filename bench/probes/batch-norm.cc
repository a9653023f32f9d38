// One batch-norm training call and its gradient (native/kernels/pool_norm_impl.h, the AVX-512 build)
// on a channels-last [outer, length] activation, median of 30 alternated calls of each, on the given
// thread count: what BENCHMARKS.md's batch-norm figures time. Build and run from the project root
// (needs g++ and an AVX-512 CPU):
//   g++ -std=c++17 -O3 -mavx512f -mavx2 -mfma -pthread -Inative/kernels bench/probes/batch-norm.cc \
//     native/kernels/thread_pool.cc -o /tmp/batch-norm && /tmp/batch-norm 200704 96 2
// (200704 x 96: MobileNetV2's first 96-channel activation at batch 16, 16 x 112 x 112 pixels.)
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "isa_avx512.cc"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: batch-norm <rows> <channels> [threads]\n");
    return 2;
  }
  const long outer = std::atol(argv[1]), length = std::atol(argv[2]);
  const int threads = argc > 3 ? std::atoi(argv[3]) : 2;
  neurona::set_num_threads(threads);
  std::vector<float> x(outer * length), out(outer * length), dx(outer * length);
  std::vector<float> gamma(length, 1.0f), beta(length, 0.0f), mean(length), inv_std(length), dgamma(length), dbeta(length);
  for (size_t i = 0; i < x.size(); i++) x[i] = static_cast<float>(i * 2654435761u % 1000) / 1000.0f;
  std::vector<double> forward, backward;
  for (int round = 0; round < 30; round++) {
    auto t0 = std::chrono::steady_clock::now();
    neurona::avx512::batch_norm_training(x.data(), outer, length, 1, gamma.data(), beta.data(), 1e-3, out.data(),
                                         mean.data(), inv_std.data(), threads);
    forward.push_back(seconds_since(t0));
    t0 = std::chrono::steady_clock::now();
    // The output stands in for the incoming gradient.
    neurona::avx512::batch_norm_backward(x.data(), out.data(), outer, length, 1, gamma.data(), mean.data(),
                                         inv_std.data(), dx.data(), dgamma.data(), dbeta.data(), threads);
    backward.push_back(seconds_since(t0));
  }
  std::sort(forward.begin(), forward.end());
  std::sort(backward.begin(), backward.end());
  std::printf("%ld x %ld (%.1f MiB), %d thread(s): training %.3f ms, gradient %.3f ms (medians of 30)\n", outer, length,
              outer * length * 4 / 1048576.0, threads, forward[15] * 1e3, backward[15] * 1e3);
}
