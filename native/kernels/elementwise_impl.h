// Elementwise (gelu among them), reduction and softmax kernels on float32, written once as plain loops and compiled
// once per ISA (included by isa_table.h, for the NEURONA_ISA being compiled), so that the compiler
// vectorizes them for that instruction set. No -ffast-math anywhere: results follow IEEE float32,
// and sums keep a fixed order.
//
// The exponential is a branch-free polynomial (Cephes' expf: range reduction by ln 2 split in two
// parts, a degree-6 polynomial, scaling by 2^n in two steps so that results down to the smallest
// subnormal round once), about 1 ulp, because glibc's expf does not vectorize without -ffast-math.
#ifndef NEURONA_ISA
#error "define NEURONA_ISA before including elementwise_impl.h"
#endif

#include <cmath>
#include <cstdint>
#include <cstring>
#include <vector>

#include "elementwise.h"
#include "kernel_table.h"
#include "thread_pool.h"

namespace neurona {
namespace NEURONA_ISA {

// kLanes floats in GCC/Clang vector types of one register of the ISA (16 with AVX-512, 8 with AVX2,
// 4 with SSE, NEON and WebAssembly's SIMD), for kernels whose plain loops came out scalar or kept
// their sums in memory (max pooling's test, depthwise convolution). Vectors wider than the ISA's
// registers are lowered piece by piece: 16-float vectors left AVX2 and SSE's max pooling as slow as
// the scalar loop (W5's 28x28x16 pooling 7.5x and its gradient 13x AVX-512's time). Arithmetic on
// them rounds as the same expression on scalars does (a += b * c contracts into one FMA in both).
#if defined(__AVX512F__)
constexpr long kLanes = 16;
#elif defined(__AVX2__)
constexpr long kLanes = 8;
#else
constexpr long kLanes = 4;
#endif
using FloatLanes = float __attribute__((vector_size(4 * kLanes)));
using IntLanes = int32_t __attribute__((vector_size(4 * kLanes)));

// (Loads through a reference: a vector returned by value wider than the ISA's registers warns of an ABI change.)
inline void load_lanes(FloatLanes& v, const float* p) { std::memcpy(&v, p, sizeof v); }
inline void store_lanes(float* p, const FloatLanes& v) { std::memcpy(p, &v, sizeof v); }

// The scalar helpers below are meant to be inlined into the loops that call them, where they vectorize;
// GCC would otherwise call exp_f32 out of line in the unary loops (its heuristics weigh the many call
// sites), and a loop with a call does not vectorize.
#define NEURONA_VECTOR_INLINE inline __attribute__((always_inline))

NEURONA_VECTOR_INLINE float bits_to_float(std::int32_t bits) {
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// 2^e for e in [-126, 127], built from the exponent bits.
NEURONA_VECTOR_INLINE float pow2i(std::int32_t e) { return bits_to_float((e + 127) << 23); }

NEURONA_VECTOR_INLINE float exp_f32(float x) {
  // Beyond these bounds the result is +inf or 0 in float32; clamping keeps n inside the two-step
  // scaling's range. Comparisons written so that NaN passes through unchanged.
  x = x > 89.0f ? 89.0f : x;
  x = x < -104.0f ? -104.0f : x;
  // Round to nearest by adding and subtracting 1.5 * 2^23 (no library call, so it vectorizes on
  // every target; exact for |x * log2e| < 2^22).
  const float n = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
  const float r = (x - n * 0.693359375f) - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const std::int32_t e = static_cast<std::int32_t>(n);
  const std::int32_t e1 = e >> 1;
  return p * pow2i(e1) * pow2i(e - e1);
}

NEURONA_VECTOR_INLINE float sigmoid_f32(float x) {
  // exp(-|x|) never overflows; the two forms keep full relative precision on both sides. Both are
  // computed and one is selected, so that the loops calling this have no branch and vectorize.
  const float e = exp_f32(-std::fabs(x));
  const float d = 1.0f + e;
  const float positive = 1.0f / d;
  const float negative = e / d;
  return x >= 0.0f ? positive : negative;
}

NEURONA_VECTOR_INLINE float tanh_f32(float x) {
  // Cephes' tanhf: an odd polynomial below 0.625, where 1 - 2 / (e^2|x| + 1) would cancel.
  const float ax = std::fabs(x);
  const float z = x * x;
  float p = -5.70498872745e-3f;
  p = p * z + 2.06390887954e-2f;
  p = p * z - 5.37397155531e-2f;
  p = p * z + 1.33314422036e-1f;
  p = p * z - 3.33332819422e-1f;
  const float small = p * z * x + x;
  const float large = std::copysign(1.0f - 2.0f / (exp_f32(2.0f * ax) + 1.0f), x);
  return ax >= 0.625f ? large : small;
}

// Phi(-|x|) = erfc(|x| / sqrt 2) / 2, the standard normal's lower tail, within about 5 ulp, and,
// through *density, exp(-x^2 / 2). erfc(z) = t * exp(-z^2 + h(s)) with t = 2 / (2 + z) and
// s = 2t - 1 = (2 - z) / (2 + z): h is smooth on [-1, 1] and its Chebyshev series (the leading
// terms of src/backend/js/elementwise.ts's, from test/fixtures/fit_normal_tail.py) converges fast.
// -x^2 / 2 is split exactly as -hi^2 / 2 - lo * (|x| + hi) / 2, hi being |x| to 12 bits, whose
// square float32 holds exactly: rounding x^2 would cost ulps growing with x^2.
inline float normal_tail_f32(float x, float* density) {
  constexpr float kCoefficients[] = {-0.65132686f,    0.641969792f,    0.0194764732f, -0.00956151479f,
                                     -0.000946595344f, 0.000366839498f, 4.25233248e-05f, -2.02785781e-05f,
                                     -1.62429e-06f,   1.30365584e-06f, 1.56264417e-08f, -8.52380959e-08f};
  constexpr int kTerms = sizeof(kCoefficients) / sizeof(kCoefficients[0]);
  // Beyond 16 both results are 0 in float32; the bound also keeps infinity (and NaN, which the
  // callers' x carries through) out of s.
  float a = std::fabs(x);
  a = a < 16.0f ? a : 16.0f;
  const float z = a * 0.707106781f;
  const float inverse = 1.0f / (2.0f + z);
  const float s = (2.0f - z) * inverse;
  float b1 = 0.0f, b2 = 0.0f;
  for (int k = kTerms - 1; k >= 1; k--) {
    const float b = kCoefficients[k] + 2.0f * s * b1 - b2;
    b2 = b1;
    b1 = b;
  }
  const float h = kCoefficients[0] + s * b1 - b2;
  std::int32_t bits;
  std::memcpy(&bits, &a, sizeof bits);
  const float hi = bits_to_float(bits & ~0xFFF);
  const float lo = a - hi;
  const float gauss_hi = exp_f32(-0.5f * hi * hi);
  const float gauss_lo = exp_f32(-0.5f * lo * (a + hi));
  *density = gauss_hi * gauss_lo;
  return inverse * *density * exp_f32(h);
}

constexpr float kInvSqrt2Pi = 0.398942280f;
// sqrt(2 / pi) and 0.044715: the tanh form of gelu (Keras's approximate=True, PyTorch's 'tanh').
constexpr float kGeluTanhScale = 0.797884561f;
constexpr float kGeluTanhCubic = 0.044715f;

// x * Phi(x); Phi(x) = 1 - Phi(-x) for x >= 0. gelu(-inf) is NaN, as in PyTorch.
inline float gelu_f32(float x) {
  float density;
  const float tail = normal_tail_f32(x, &density);
  return x < 0.0f ? x * tail : x * (1.0f - tail);
}

// d/dx x * Phi(x) = Phi(x) + x * phi(x).
inline float gelu_slope_f32(float x) {
  float density;
  const float tail = normal_tail_f32(x, &density);
  return (x < 0.0f ? tail : 1.0f - tail) + x * kInvSqrt2Pi * density;
}

// The tanh form 0.5 x (1 + tanh(u)), u = sqrt(2 / pi) (x + 0.044715 x^3), as x * sigmoid(2u): the
// same function without the cancellation of 1 + tanh(u) for negative x.
inline float gelu_tanh_f32(float x) {
  return x * sigmoid_f32(2.0f * kGeluTanhScale * x * (1.0f + kGeluTanhCubic * x * x));
}

// p + x p (1 - p) 2u' with p = sigmoid(2u); p and 1 - p each come without cancellation.
inline float gelu_tanh_slope_f32(float x) {
  const float w = 2.0f * kGeluTanhScale * x * (1.0f + kGeluTanhCubic * x * x);
  const float e = exp_f32(-std::fabs(w));
  const float r = 1.0f / (1.0f + e);
  const float p = w >= 0.0f ? r : e * r;
  const float q = w >= 0.0f ? e * r : r;
  return p + x * p * q * 2.0f * kGeluTanhScale * (1.0f + 3.0f * kGeluTanhCubic * x * x);
}

// Below this many elements (or element visits) a kernel runs on one thread: waking the pool costs more.
constexpr long kParallelElements = 1L << 15;

inline int threads_for(long work, int threads) { return work >= kParallelElements && threads > 1 ? threads : 1; }

// Splits [0, count) into one contiguous range per thread, in multiples of `grain` (so that vector
// loops keep their alignment), and calls body(begin, end) for each; the split depends only on
// (count, grain, threads).
template <class F>
void parallel_chunks(long count, long grain, int threads, F&& body) {
  const long units = (count + grain - 1) / grain;
  if (threads > units) threads = static_cast<int>(units < 1 ? 1 : units);
  if (threads <= 1) {
    if (count > 0) body(0L, count);
    return;
  }
  struct Context {
    F* body;
    long count;
    long grain;
    long units;
  } context{&body, count, grain, units};
  parallel_run(threads, [](void* c, int thread, int parts) {
    const Context& ctx = *static_cast<const Context*>(c);
    long begin, end;
    split_range(ctx.units, parts, thread, &begin, &end);
    begin *= ctx.grain;
    end *= ctx.grain;
    if (end > ctx.count) end = ctx.count;
    if (begin < end) (*ctx.body)(begin, end);
  }, &context);
}

inline void unary_range(int op, const float* __restrict x, float* __restrict out, long begin, long end, float param) {
  switch (static_cast<UnaryKernel>(op)) {
    case UnaryKernel::kNeg:
      for (long i = begin; i < end; i++) out[i] = -x[i];
      break;
    case UnaryKernel::kAbs:
      for (long i = begin; i < end; i++) out[i] = std::fabs(x[i]);
      break;
    case UnaryKernel::kExp:
      for (long i = begin; i < end; i++) out[i] = exp_f32(x[i]);
      break;
    case UnaryKernel::kSqrt:
      for (long i = begin; i < end; i++) out[i] = std::sqrt(x[i]);
      break;
    case UnaryKernel::kRsqrt:
      for (long i = begin; i < end; i++) out[i] = 1.0f / std::sqrt(x[i]);
      break;
    case UnaryKernel::kSquare:
      for (long i = begin; i < end; i++) out[i] = x[i] * x[i];
      break;
    case UnaryKernel::kReciprocal:
      for (long i = begin; i < end; i++) out[i] = 1.0f / x[i];
      break;
    case UnaryKernel::kTanh:
      for (long i = begin; i < end; i++) out[i] = tanh_f32(x[i]);
      break;
    case UnaryKernel::kSigmoid:
      for (long i = begin; i < end; i++) out[i] = sigmoid_f32(x[i]);
      break;
    case UnaryKernel::kSilu:
      for (long i = begin; i < end; i++) out[i] = x[i] * sigmoid_f32(x[i]);
      break;
    case UnaryKernel::kRelu:
      // `x < 0 ? 0 : x` lets NaN through, as the js kernel and PyTorch do.
      for (long i = begin; i < end; i++) out[i] = x[i] < 0.0f ? 0.0f : x[i];
      break;
    case UnaryKernel::kLeakyRelu:
      for (long i = begin; i < end; i++) out[i] = x[i] > 0.0f ? x[i] : param * x[i];
      break;
    case UnaryKernel::kBoundedRelu:
      // min(max(x, 0), param), NaN let through as in relu.
      for (long i = begin; i < end; i++) out[i] = x[i] < 0.0f ? 0.0f : (x[i] > param ? param : x[i]);
      break;
    case UnaryKernel::kFloor:
      for (long i = begin; i < end; i++) out[i] = std::floor(x[i]);
      break;
    case UnaryKernel::kCeil:
      for (long i = begin; i < end; i++) out[i] = std::ceil(x[i]);
      break;
    case UnaryKernel::kRound:
      // Half to even: the default rounding mode, which nearbyint uses.
      for (long i = begin; i < end; i++) out[i] = std::nearbyint(x[i]);
      break;
    case UnaryKernel::kCount:
      break;
  }
}

void unary(int op, const float* x, float* out, long n, float param, int threads) {
  parallel_chunks(n, 16, threads_for(n, threads), [&](long begin, long end) { unary_range(op, x, out, begin, end, param); });
}

inline void unary_grad_range(int op, const float* __restrict x, const float* __restrict y, const float* __restrict dy,
                             float* __restrict out, long begin, long end, float param) {
  switch (static_cast<UnaryGradKernel>(op)) {
    case UnaryGradKernel::kAbs:
      for (long i = begin; i < end; i++) {
        const float d = dy[i];
        out[i] = x[i] > 0.0f ? d : x[i] < 0.0f ? -d : 0.0f;
      }
      break;
    case UnaryGradKernel::kExp:
      for (long i = begin; i < end; i++) out[i] = dy[i] * y[i];
      break;
    case UnaryGradKernel::kSqrt:
      for (long i = begin; i < end; i++) out[i] = (0.5f * dy[i]) / y[i];
      break;
    case UnaryGradKernel::kSquare:
      for (long i = begin; i < end; i++) out[i] = 2.0f * x[i] * dy[i];
      break;
    case UnaryGradKernel::kTanh:
      for (long i = begin; i < end; i++) out[i] = dy[i] * (1.0f - y[i] * y[i]);
      break;
    case UnaryGradKernel::kSigmoid:
      for (long i = begin; i < end; i++) out[i] = dy[i] * y[i] * (1.0f - y[i]);
      break;
    // silu'(x) = s (1 + x (1 - s)), s = sigmoid(x), recomputed from x rather than stored by the forward pass.
    case UnaryGradKernel::kSilu:
      for (long i = begin; i < end; i++) {
        const float s = sigmoid_f32(x[i]);
        out[i] = dy[i] * (s + x[i] * s * (1.0f - s));
      }
      break;
    // dy is read before the test in these: a load under the condition keeps the loop scalar where the
    // target has no masked loads (WebAssembly SIMD128, NEON), and branches on every sign change.
    case UnaryGradKernel::kRelu:
      for (long i = begin; i < end; i++) {
        const float d = dy[i];
        out[i] = x[i] > 0.0f ? d : 0.0f;
      }
      break;
    case UnaryGradKernel::kLeakyRelu:
      for (long i = begin; i < end; i++) out[i] = x[i] > 0.0f ? dy[i] : param * dy[i];
      break;
    case UnaryGradKernel::kBoundedRelu:
      for (long i = begin; i < end; i++) {
        const float d = dy[i];
        out[i] = x[i] > 0.0f && x[i] < param ? d : 0.0f;
      }
      break;
    // dy times the share 1, 0.5 or 0 (a product, not a select, so that 0 * inf gives NaN as js does).
    case UnaryGradKernel::kMinimumScalar:
      for (long i = begin; i < end; i++) out[i] = dy[i] * (x[i] < param ? 1.0f : (x[i] == param ? 0.5f : 0.0f));
      break;
    case UnaryGradKernel::kMaximumScalar:
      for (long i = begin; i < end; i++) out[i] = dy[i] * (x[i] > param ? 1.0f : (x[i] == param ? 0.5f : 0.0f));
      break;
    case UnaryGradKernel::kCount:
      break;
  }
}

void unary_grad(int op, const float* x, const float* y, const float* dy, float* out, long n, float param, int threads) {
  parallel_chunks(n, 16, threads_for(n, threads), [&](long begin, long end) { unary_grad_range(op, x, y, dy, out, begin, end, param); });
}

void gelu(const GeluArgs& args, long n, int threads) {
  const float* __restrict x = args.x.data;
  float* __restrict out = args.out.data;
  parallel_chunks(n, 16, threads_for(n * 8, threads), [&](long begin, long end) {
    if (args.approximate) {
      for (long i = begin; i < end; i++) out[i] = gelu_tanh_f32(x[i]);
    } else {
      for (long i = begin; i < end; i++) out[i] = gelu_f32(x[i]);
    }
  });
}

void gelu_backward(const GeluBackwardArgs& args, long n, int threads) {
  const float* __restrict x = args.x.data;
  const float* __restrict dy = args.dy.data;
  float* __restrict dx = args.dx.data;
  parallel_chunks(n, 16, threads_for(n * 8, threads), [&](long begin, long end) {
    if (args.approximate) {
      for (long i = begin; i < end; i++) dx[i] = dy[i] * gelu_tanh_slope_f32(x[i]);
    } else {
      for (long i = begin; i < end; i++) dx[i] = dy[i] * gelu_slope_f32(x[i]);
    }
  });
}

template <class F>
inline void binary_loop(const float* __restrict a, long a_step, const float* __restrict b, long b_step,
                        float* __restrict out, long count, F f) {
  // a_step / b_step are 1 (walk the operand) or 0 (hold one value); written as two loops each so
  // that the compiler sees unit strides and vectorizes.
  if (a_step == 1 && b_step == 1) {
    for (long i = 0; i < count; i++) out[i] = f(a[i], b[i]);
  } else if (a_step == 1) {
    const float bv = b[0];
    for (long i = 0; i < count; i++) out[i] = f(a[i], bv);
  } else if (b_step == 1) {
    const float av = a[0];
    for (long i = 0; i < count; i++) out[i] = f(av, b[i]);
  } else {
    const float v = f(a[0], b[0]);
    for (long i = 0; i < count; i++) out[i] = v;
  }
}

// One operand walks the whole output; the other (`small`) is described by BroadcastPattern. Each
// "segment" of the output is one call of binary_loop; threads take whole segments.
template <class F>
void binary_with(const float* full, const float* small, BroadcastPattern pattern, bool small_first, float* out, long n,
                 int threads, F f) {
  const long period = pattern.period;
  const long repeat = pattern.repeat;
  // Segments: runs of `period` outputs that pair with all of `small` (repeat == 1), or runs of
  // `repeat` outputs that share one element of `small` (repeat > 1). A same-shape or scalar pair has
  // no structure to follow, so it is cut into fixed runs.
  const bool plain = period == n || period == 1;
  const long segment = plain ? 4096 : repeat == 1 ? period : repeat;
  const long segments = (n + segment - 1) / segment;
  parallel_chunks(segments, 1, threads_for(n, threads), [&](long begin, long end) {
    for (long s = begin; s < end; s++) {
      const long start = s * segment;
      const long count = start + segment <= n ? segment : n - start;
      const float* small_at;
      long small_step;
      if (period == 1) {
        small_at = small;
        small_step = 0;
      } else if (plain) {
        small_at = small + start;
        small_step = 1;
      } else if (repeat == 1) {
        small_at = small;
        small_step = 1;
      } else {
        small_at = small + s % period;
        small_step = 0;
      }
      if (small_first) binary_loop(small_at, small_step, full + start, 1, out + start, count, f);
      else binary_loop(full + start, 1, small_at, small_step, out + start, count, f);
    }
  });
}

void binary(int op, const float* a, const float* b, BroadcastPattern pattern, bool a_is_small, float* out, long n,
            int threads) {
  const float* full = a_is_small ? b : a;
  const float* small = a_is_small ? a : b;
  switch (static_cast<BinaryKernel>(op)) {
    case BinaryKernel::kAdd:
      binary_with(full, small, pattern, a_is_small, out, n, threads, [](float x, float y) { return x + y; });
      break;
    case BinaryKernel::kSub:
      binary_with(full, small, pattern, a_is_small, out, n, threads, [](float x, float y) { return x - y; });
      break;
    case BinaryKernel::kMul:
      binary_with(full, small, pattern, a_is_small, out, n, threads, [](float x, float y) { return x * y; });
      break;
    case BinaryKernel::kDiv:
      binary_with(full, small, pattern, a_is_small, out, n, threads, [](float x, float y) { return x / y; });
      break;
    case BinaryKernel::kMaximum:
      // NaN wins, as in the js kernel and PyTorch.
      binary_with(full, small, pattern, a_is_small, out, n, threads,
                  [](float x, float y) { return x > y || x != x ? x : y; });
      break;
    case BinaryKernel::kMinimum:
      binary_with(full, small, pattern, a_is_small, out, n, threads,
                  [](float x, float y) { return x < y || x != x ? x : y; });
      break;
    case BinaryKernel::kCount:
      break;
  }
}

// Sums in float64 (like the js kernel) with eight independent partial sums, combined in a fixed
// order: vectorizable without reassociating, and the same bits for any thread count.
inline double sum_contiguous(const float* x, long length) {
  double lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  long i = 0;
  for (; i + 8 <= length; i += 8) {
    for (int j = 0; j < 8; j++) lanes[j] += x[i + j];
  }
  for (; i < length; i++) lanes[i & 7] += x[i];
  return ((lanes[0] + lanes[4]) + (lanes[1] + lanes[5])) + ((lanes[2] + lanes[6]) + (lanes[3] + lanes[7]));
}

inline float max_contiguous(const float* x, long length) {
  // NaN wins wherever it sits; tracked apart so that the loop stays branch-free and vectorizes.
  float best = x[0];
  bool nan = x[0] != x[0];
  for (long i = 1; i < length; i++) {
    const float v = x[i];
    best = v > best ? v : best;
    nan = nan | (v != v);
  }
  return nan ? NAN : best;
}

// The rows of a column sum below are cut into groups of at least this many rows (at most kSumGroups).
constexpr long kSumGroupRows = 512;
constexpr long kSumGroups = 16;

// out[i] = the sum over the `length` rows of x [length, inner] of column i, in float64: the rows cut
// into a number of groups that depends only on the shape, each group summed in row order (one pass
// over its rows, all columns), the groups' sums added in group order. Threads take whole groups, so any
// thread count gives the same bits. A bias gradient (dz summed over every pixel of the batch) is one
// such sum; in one thread's column runs, W3's first one (32,768 rows of 32) read its 4 MB at the
// speed of one core's memory traffic (250 us).
inline void sum_rows_grouped(const float* x, long length, long inner, float* out, int threads) {
  long groups = length / kSumGroupRows;
  if (groups > kSumGroups) groups = kSumGroups;
  std::vector<double> partials(groups * inner);
  parallel_chunks(groups, 1, threads, [&](long g0, long g1) {
    for (long group = g0; group < g1; group++) {
      long r0, r1;
      split_range(length, static_cast<int>(groups), static_cast<int>(group), &r0, &r1);
      double* acc = partials.data() + group * inner;
      for (long i = 0; i < inner; i++) acc[i] = x[r0 * inner + i];
      for (long j = r0 + 1; j < r1; j++) {
        const float* row = x + j * inner;
        for (long i = 0; i < inner; i++) acc[i] += row[i];
      }
    }
  });
  for (long i = 0; i < inner; i++) {
    double sum = partials[i];
    for (long group = 1; group < groups; group++) sum += partials[group * inner + i];
    out[i] = static_cast<float>(sum);
  }
}

// reduce over [outer, length, inner] for sum and max; length >= 1.
void reduce(int op, const float* x, long outer, long length, long inner, float* out, int threads) {
  const bool is_sum = static_cast<ReduceKernel>(op) == ReduceKernel::kSum;
  if (inner == 1) {
    parallel_chunks(outer, 1, threads_for(outer * length, threads), [&](long begin, long end) {
      for (long o = begin; o < end; o++) {
        const float* row = x + o * length;
        out[o] = is_sum ? static_cast<float>(sum_contiguous(row, length)) : max_contiguous(row, length);
      }
    });
    return;
  }
  if (is_sum && outer == 1 && length >= 2 * kSumGroupRows && length * inner >= kParallelElements) {
    sum_rows_grouped(x, length, inner, out, threads);
    return;
  }
  // inner > 1: walk memory in order with one accumulator per inner position; threads split the
  // inner positions (in runs of 64), never the reduced axis.
  const long grain = 64;
  const long runs = (inner + grain - 1) / grain;
  parallel_chunks(outer * runs, 1, threads_for(outer * length * inner, threads), [&](long begin, long end) {
    double acc[grain];
    float best[grain];
    for (long u = begin; u < end; u++) {
      const long o = u / runs;
      const long i0 = (u % runs) * grain;
      const long width = i0 + grain <= inner ? grain : inner - i0;
      const float* base = x + o * length * inner + i0;
      if (is_sum) {
        for (long i = 0; i < width; i++) acc[i] = base[i];
        for (long j = 1; j < length; j++) {
          const float* row = base + j * inner;
          for (long i = 0; i < width; i++) acc[i] += row[i];
        }
        for (long i = 0; i < width; i++) out[o * inner + i0 + i] = static_cast<float>(acc[i]);
      } else {
        for (long i = 0; i < width; i++) best[i] = base[i];
        for (long j = 1; j < length; j++) {
          const float* row = base + j * inner;
          for (long i = 0; i < width; i++) {
            const float v = row[i];
            best[i] = (v > best[i] || v != v) && best[i] == best[i] ? v : best[i];
          }
        }
        for (long i = 0; i < width; i++) out[o * inner + i0 + i] = best[i];
      }
    }
  });
}

// softmax / logSoftmax over contiguous rows (inner == 1), as the js kernel: subtract the row max
// (0 when the max is infinite), exponentiate, normalize.
void softmax(const float* x, long outer, long length, float* out, bool log, int threads) {
  parallel_chunks(outer, 1, threads_for(outer * length * 4, threads), [&](long begin, long end) {
    for (long o = begin; o < end; o++) {
      const float* row = x + o * length;
      float* dst = out + o * length;
      float max = -INFINITY;
      for (long i = 0; i < length; i++) max = row[i] > max ? row[i] : max;
      if (max == INFINITY || max == -INFINITY) max = 0.0f;
      if (log) {
        for (long i = 0; i < length; i++) dst[i] = exp_f32(row[i] - max);
        // In float64 like the js kernel: x - shift cancels when x is near the shift.
        const double shift = static_cast<double>(max) + std::log(sum_contiguous(dst, length));
        for (long i = 0; i < length; i++) dst[i] = static_cast<float>(static_cast<double>(row[i]) - shift);
      } else {
        for (long i = 0; i < length; i++) dst[i] = exp_f32(row[i] - max);
        const float scale = static_cast<float>(1.0 / sum_contiguous(dst, length));
        for (long i = 0; i < length; i++) dst[i] *= scale;
      }
    }
  });
}

}  // namespace NEURONA_ISA
}  // namespace neurona
