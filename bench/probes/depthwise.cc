// A 3x3 depthwise convolution (multiplier 1) and its input gradient (native/kernels/depthwise_impl.h,
// the AVX-512 build) on a batch of 16 channels-last images, 2 threads, median of 40 calls of each: what
// BENCHMARKS.md's depthwise figures time. Stride 1 pads 'same', stride 2 is 'valid' (MobileNetV2 pads
// before its stride-2 depthwise layers). Build and run from the project root (needs g++ and an AVX-512
// CPU):
//   g++ -std=c++17 -O3 -mavx512f -mavx2 -mfma -pthread -Inative/kernels bench/probes/depthwise.cc \
//     native/kernels/thread_pool.cc -o /tmp/depthwise && /tmp/depthwise 112 32 1
#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "isa_avx512.cc"

namespace {

double median_ms(std::vector<double>& seconds) {
  std::sort(seconds.begin(), seconds.end());
  return seconds[seconds.size() / 2] * 1e3;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: depthwise <size> <channels> <stride 1 or 2>\n");
    return 2;
  }
  const long size = std::atol(argv[1]), channels = std::atol(argv[2]), stride = std::atol(argv[3]);
  neurona::set_num_threads(2);
  neurona::ConvGeometry g{};
  g.batch = 16;
  g.in_height = g.in_width = size;
  g.in_channels = g.out_channels = channels;
  g.filter_height = g.filter_width = 3;
  g.stride_height = g.stride_width = stride;
  g.dilation_height = g.dilation_width = 1;
  g.pad_top = g.pad_left = stride == 1 ? 1 : 0;
  g.out_height = g.out_width = stride == 1 ? size : (size - 3) / stride + 1;
  std::vector<float> x(g.batch * size * size * channels), filter(9 * channels), dx(x.size());
  std::vector<float> y(g.batch * g.out_height * g.out_width * channels);
  for (size_t i = 0; i < x.size(); i++) x[i] = static_cast<float>(i % 13) * 0.1f;
  for (size_t i = 0; i < filter.size(); i++) filter[i] = static_cast<float>(i % 7) * 0.1f;
  std::vector<double> forward, input;
  for (int round = 0; round < 40; round++) {
    auto t0 = std::chrono::steady_clock::now();
    neurona::avx512::depthwise_conv2d(x.data(), filter.data(), y.data(), g, 2);
    forward.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    t0 = std::chrono::steady_clock::now();
    // The output stands in for the incoming gradient.
    neurona::avx512::depthwise_conv2d_backprop_input(y.data(), filter.data(), dx.data(), g, 2);
    input.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  std::printf("16x%ldx%ldx%ld stride %ld: forward %.3f ms, input gradient %.3f ms\n", size, size, channels, stride,
              median_ms(forward), median_ms(input));
}
