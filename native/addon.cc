// The N-API glue of the native backend, and nothing else: it converts arguments (typed arrays are
// used in place, zero-copy), checks every napi_status, turns bad arguments into JavaScript errors,
// and calls the plain C++ kernels in kernels/. Shapes were validated by the ops before the call;
// the checks here only keep a wrong call from reading or writing outside an array.
#include <node_api.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "addon_args.h"
#include "kernels/isa.h"
#include "kernels/layout.h"
#include "kernels/thread_pool.h"

namespace {

using namespace neurona::glue;


// matmul(a, b, out, batch, m, n, k, transA, transB, aBatchStride, bBatchStride)
napi_value Matmul(napi_env env, napi_callback_info info) {
  const char* name = "matmul";
  napi_value argv[11];
  if (!get_args(env, info, name, 11, argv)) return nullptr;
  float *a, *b, *out;
  long a_length, b_length, out_length;
  neurona::MatmulShape s;
  if (!get_float32_array(env, argv[0], name, "a", &a, &a_length) ||
      !get_float32_array(env, argv[1], name, "b", &b, &b_length) ||
      !get_float32_array(env, argv[2], name, "out", &out, &out_length) ||
      !get_long(env, argv[3], name, "batch", &s.batch) || !get_long(env, argv[4], name, "m", &s.m) ||
      !get_long(env, argv[5], name, "n", &s.n) || !get_long(env, argv[6], name, "k", &s.k) ||
      !get_bool(env, argv[7], name, "transA", &s.trans_a) || !get_bool(env, argv[8], name, "transB", &s.trans_b) ||
      !get_long(env, argv[9], name, "aBatchStride", &s.a_batch_stride) ||
      !get_long(env, argv[10], name, "bBatchStride", &s.b_batch_stride)) {
    return nullptr;
  }
  if (s.batch > 0 && s.m * s.n > 0) {
    const long last = s.batch - 1;
    if (!check_extent(env, name, "out", s.batch * s.m * s.n, out_length) ||
        (s.k > 0 && (!check_extent(env, name, "a", last * s.a_batch_stride + s.m * s.k, a_length) ||
                     !check_extent(env, name, "b", last * s.b_batch_stride + s.k * s.n, b_length)))) {
      return nullptr;
    }
    neurona::active_kernels().matmul(a, b, out, s, nullptr, neurona::num_threads());
  }
  return nullptr;
}

constexpr int kActivationCount = static_cast<int>(neurona::Activation::kCount);

// matmulBiasActivation(a, b, bias, out, m, n, k, transA, transB, activation): one product (batch 1)
// finished in the GEMM's store epilogue; bias is a Float32Array of n or null.
napi_value MatmulBiasActivation(napi_env env, napi_callback_info info) {
  const char* name = "matmulBiasActivation";
  napi_value argv[10];
  if (!get_args(env, info, name, 10, argv)) return nullptr;
  float *a, *b, *out, *bias = nullptr;
  long a_length, b_length, out_length, bias_length = 0;
  int activation;
  neurona::MatmulShape s{1, 0, 0, 0, false, false, 0, 0};
  napi_valuetype bias_type = napi_undefined;
  NAPI_CALL(env, napi_typeof(env, argv[2], &bias_type));
  if (!get_float32_array(env, argv[0], name, "a", &a, &a_length) ||
      !get_float32_array(env, argv[1], name, "b", &b, &b_length) ||
      (bias_type != napi_null && !get_float32_array(env, argv[2], name, "bias (or null)", &bias, &bias_length)) ||
      !get_float32_array(env, argv[3], name, "out", &out, &out_length) || !get_long(env, argv[4], name, "m", &s.m) ||
      !get_long(env, argv[5], name, "n", &s.n) || !get_long(env, argv[6], name, "k", &s.k) ||
      !get_bool(env, argv[7], name, "transA", &s.trans_a) || !get_bool(env, argv[8], name, "transB", &s.trans_b) ||
      !get_code(env, argv[9], name, kActivationCount, &activation)) {
    return nullptr;
  }
  if (s.m > 0 && s.n > 0) {
    if (!check_extent(env, name, "out", extent({s.m, s.n}), out_length) ||
        (bias && !check_extent(env, name, "bias", s.n, bias_length)) ||
        (s.k > 0 && (!check_extent(env, name, "a", extent({s.m, s.k}), a_length) ||
                     !check_extent(env, name, "b", extent({s.k, s.n}), b_length)))) {
      return nullptr;
    }
    const neurona::MatmulEpilogue epilogue{bias, static_cast<neurona::Activation>(activation)};
    neurona::active_kernels().matmul(a, b, out, s, &epilogue, neurona::num_threads());
  }
  return nullptr;
}

constexpr int kUnaryCount = static_cast<int>(neurona::UnaryKernel::kCount);
constexpr int kUnaryGradCount = static_cast<int>(neurona::UnaryGradKernel::kCount);
constexpr int kBinaryCount = static_cast<int>(neurona::BinaryKernel::kCount);
constexpr int kReduceCount = static_cast<int>(neurona::ReduceKernel::kCount);

// unary(op, x, out, param)
napi_value Unary(napi_env env, napi_callback_info info) {
  const char* name = "unary";
  napi_value argv[4];
  if (!get_args(env, info, name, 4, argv)) return nullptr;
  int op;
  float *x, *out, param;
  long x_length, n;
  if (!get_code(env, argv[0], name, kUnaryCount, &op) || !get_float32_array(env, argv[1], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[2], name, "out", &out, &n) || !get_float(env, argv[3], name, "param", &param) ||
      !check_extent(env, name, "x", n, x_length)) {
    return nullptr;
  }
  neurona::active_kernels().unary(op, x, out, n, param, neurona::num_threads());
  return nullptr;
}

// unaryGrad(op, x, y, dy, out, param)
napi_value UnaryGrad(napi_env env, napi_callback_info info) {
  const char* name = "unaryGrad";
  napi_value argv[6];
  if (!get_args(env, info, name, 6, argv)) return nullptr;
  int op;
  float *x, *y, *dy, *out, param;
  long x_length, y_length, dy_length, n;
  if (!get_code(env, argv[0], name, kUnaryGradCount, &op) ||
      !get_float32_array(env, argv[1], name, "x", &x, &x_length) ||
      !get_float32_array(env, argv[2], name, "y", &y, &y_length) ||
      !get_float32_array(env, argv[3], name, "dy", &dy, &dy_length) ||
      !get_float32_array(env, argv[4], name, "out", &out, &n) || !get_float(env, argv[5], name, "param", &param) ||
      !check_extent(env, name, "x", n, x_length) || !check_extent(env, name, "y", n, y_length) ||
      !check_extent(env, name, "dy", n, dy_length)) {
    return nullptr;
  }
  neurona::active_kernels().unary_grad(op, x, y, dy, out, n, param, neurona::num_threads());
  return nullptr;
}

// binary(op, a, b, period, repeat, aIsSmall, out): the operand named by aIsSmall follows the
// broadcast pattern (see BroadcastPattern), the other has out's length.
napi_value Binary(napi_env env, napi_callback_info info) {
  const char* name = "binary";
  napi_value argv[7];
  if (!get_args(env, info, name, 7, argv)) return nullptr;
  int op;
  float *a, *b, *out;
  long a_length, b_length, n;
  neurona::BroadcastPattern pattern;
  bool a_is_small;
  if (!get_code(env, argv[0], name, kBinaryCount, &op) || !get_float32_array(env, argv[1], name, "a", &a, &a_length) ||
      !get_float32_array(env, argv[2], name, "b", &b, &b_length) ||
      !get_long(env, argv[3], name, "period", &pattern.period) || !get_long(env, argv[4], name, "repeat", &pattern.repeat) ||
      !get_bool(env, argv[5], name, "aIsSmall", &a_is_small) ||
      !get_float32_array(env, argv[6], name, "out", &out, &n)) {
    return nullptr;
  }
  if (n == 0) return nullptr;
  if (pattern.period < 1 || pattern.repeat < 1 || pattern.period * pattern.repeat > n || n % (pattern.period * pattern.repeat) != 0) {
    const std::string message = "neurona native binary: period " + std::to_string(pattern.period) + " x repeat " +
                                std::to_string(pattern.repeat) + " does not tile an output of " + std::to_string(n);
    napi_throw_range_error(env, nullptr, message.c_str());
    return nullptr;
  }
  if (!check_extent(env, name, a_is_small ? "a" : "b", pattern.period, a_is_small ? a_length : b_length) ||
      !check_extent(env, name, a_is_small ? "b" : "a", n, a_is_small ? b_length : a_length)) {
    return nullptr;
  }
  neurona::active_kernels().binary(op, a, b, pattern, a_is_small, out, n, neurona::num_threads());
  return nullptr;
}

// reduce(op, x, outer, length, inner, out)
napi_value Reduce(napi_env env, napi_callback_info info) {
  const char* name = "reduce";
  napi_value argv[6];
  if (!get_args(env, info, name, 6, argv)) return nullptr;
  int op;
  float *x, *out;
  long x_length, out_length, outer, length, inner;
  if (!get_code(env, argv[0], name, kReduceCount, &op) || !get_float32_array(env, argv[1], name, "x", &x, &x_length) ||
      !get_long(env, argv[2], name, "outer", &outer) || !get_long(env, argv[3], name, "length", &length) ||
      !get_long(env, argv[4], name, "inner", &inner) ||
      !get_float32_array(env, argv[5], name, "out", &out, &out_length) ||
      !check_extent(env, name, "x", outer * length * inner, x_length) ||
      !check_extent(env, name, "out", outer * inner, out_length)) {
    return nullptr;
  }
  if (length < 1) {
    napi_throw_range_error(env, nullptr, "neurona native reduce: length must be at least 1 (the js kernel handles empty axes)");
    return nullptr;
  }
  neurona::active_kernels().reduce(op, x, outer, length, inner, out, neurona::num_threads());
  return nullptr;
}

// softmax(x, outer, length, out, log): over contiguous rows.
napi_value Softmax(napi_env env, napi_callback_info info) {
  const char* name = "softmax";
  napi_value argv[5];
  if (!get_args(env, info, name, 5, argv)) return nullptr;
  float *x, *out;
  long x_length, out_length, outer, length;
  bool log;
  if (!get_float32_array(env, argv[0], name, "x", &x, &x_length) || !get_long(env, argv[1], name, "outer", &outer) ||
      !get_long(env, argv[2], name, "length", &length) ||
      !get_float32_array(env, argv[3], name, "out", &out, &out_length) || !get_bool(env, argv[4], name, "log", &log) ||
      !check_extent(env, name, "x", outer * length, x_length) ||
      !check_extent(env, name, "out", outer * length, out_length)) {
    return nullptr;
  }
  neurona::active_kernels().softmax(x, outer, length, out, log, neurona::num_threads());
  return nullptr;
}

// gather(x, outer, length, inner, indices, out): rows of x picked by indices (see gather_rows).
napi_value Gather(napi_env env, napi_callback_info info) {
  const char* name = "gather";
  napi_value argv[6];
  if (!get_args(env, info, name, 6, argv)) return nullptr;
  float *x, *out;
  int32_t* indices;
  long x_length, out_length, count, outer, length, inner;
  if (!get_float32_array(env, argv[0], name, "x", &x, &x_length) || !get_long(env, argv[1], name, "outer", &outer) ||
      !get_long(env, argv[2], name, "length", &length) || !get_long(env, argv[3], name, "inner", &inner) ||
      !get_int32_array(env, argv[4], name, "indices", &indices, &count) ||
      !get_float32_array(env, argv[5], name, "out", &out, &out_length) ||
      !check_extent(env, name, "x", outer * length * inner, x_length) ||
      !check_extent(env, name, "out", outer * count * inner, out_length)) {
    return nullptr;
  }
  for (long j = 0; j < count; j++) {
    if (indices[j] < 0 || indices[j] >= length) {
      const std::string message = "neurona native gather: index " + std::to_string(indices[j]) + " at position " +
                                  std::to_string(j) + " is outside [0, " + std::to_string(length) + ")";
      napi_throw_range_error(env, nullptr, message.c_str());
      return nullptr;
    }
  }
  neurona::gather_rows(x, outer, length, inner, indices, count, out);
  return nullptr;
}

napi_value NameList(napi_env env, const char* const* names, int count) {
  napi_value list;
  NAPI_CALL(env, napi_create_array_with_length(env, count, &list));
  for (int i = 0; i < count; i++) {
    napi_value name;
    NAPI_CALL(env, napi_create_string_utf8(env, names[i], NAPI_AUTO_LENGTH, &name));
    NAPI_CALL(env, napi_set_element(env, list, i, name));
  }
  return list;
}

napi_value SetNumThreads(napi_env env, napi_callback_info info) {
  napi_value argv[1];
  if (!get_args(env, info, "setNumThreads", 1, argv)) return nullptr;
  long n = 0;
  if (!get_long(env, argv[0], "setNumThreads", "n", &n)) return nullptr;
  if (n < 1) {
    napi_throw_range_error(env, nullptr, "neurona native setNumThreads: n must be at least 1");
    return nullptr;
  }
  neurona::set_num_threads(static_cast<int>(n > neurona::kMaxThreads ? neurona::kMaxThreads : n));
  return nullptr;
}

// info() -> { isa: 'avx512' | 'avx2' | 'portable', threads, maxThreads }
napi_value Info(napi_env env, napi_callback_info) {
  napi_value result, isa, threads, max_threads;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_string_utf8(env, neurona::active_kernels().name, NAPI_AUTO_LENGTH, &isa));
  NAPI_CALL(env, napi_create_int32(env, neurona::num_threads(), &threads));
  NAPI_CALL(env, napi_create_int32(env, neurona::kMaxThreads, &max_threads));
  NAPI_CALL(env, napi_set_named_property(env, result, "isa", isa));
  NAPI_CALL(env, napi_set_named_property(env, result, "threads", threads));
  NAPI_CALL(env, napi_set_named_property(env, result, "maxThreads", max_threads));
  return result;
}

// Typed arrays' memory comes from malloc/calloc (Node's ArrayBuffer allocator), and glibc serves
// blocks above its mmap threshold (at most 32 MiB, grown on the fly) with fresh mmap'd pages that
// the kernel must fault in and zero on first touch, then returns them to the system when freed. A
// training step allocates its large activations and gradients anew every time, so it paid those page
// faults on every step: a relu into a new 33 MB array took 10 ms against 1.1 ms into a reused one.
// Raising the mmap and trim thresholds keeps such blocks in the heap, where the next step reuses them
// (calloc then clears them with a memset, much cheaper than faulting). The cost: memory freed by
// JavaScript stays with the process, up to about the peak working set. NEURONA_MALLOC_TUNING=0
// leaves glibc's defaults.
void tune_malloc() {
#if defined(__GLIBC__)
  static bool done = false;
  if (done) return;
  done = true;
  const char* setting = std::getenv("NEURONA_MALLOC_TUNING");
  if (setting && std::strcmp(setting, "0") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 1 << 30);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  tune_malloc();
  const napi_property_descriptor properties[] = {
      {"matmul", nullptr, Matmul, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"matmulBiasActivation", nullptr, MatmulBiasActivation, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setNumThreads", nullptr, SetNumThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unary", nullptr, Unary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"unaryGrad", nullptr, UnaryGrad, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"binary", nullptr, Binary, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"reduce", nullptr, Reduce, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"softmax", nullptr, Softmax, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"gather", nullptr, Gather, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  // The op names behind each code, in code order: the TypeScript side maps names to codes by these.
  const struct {
    const char* property;
    const char* const* names;
    int count;
  } lists[] = {
      {"unaryOps", neurona::kUnaryNames, kUnaryCount},
      {"unaryGradOps", neurona::kUnaryGradNames, kUnaryGradCount},
      {"binaryOps", neurona::kBinaryNames, kBinaryCount},
      {"reduceOps", neurona::kReduceNames, kReduceCount},
      {"activationOps", neurona::kActivationNames, kActivationCount},
  };
  for (const auto& entry : lists) {
    napi_value list = NameList(env, entry.names, entry.count);
    if (list == nullptr) return nullptr;
    NAPI_CALL(env, napi_set_named_property(env, exports, entry.property, list));
  }
  if (!define_training_kernels(env, exports)) return nullptr;
  return exports;
}

}  // namespace

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
