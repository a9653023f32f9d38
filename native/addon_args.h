// Argument conversion shared by the addon's entry points (addon.cc, addon_training.cc): each helper
// reads one argument, and on a wrong one throws a JavaScript error naming the kernel and the
// argument, then returns false (a pending exception is what JavaScript sees).
#pragma once

#include <node_api.h>

#include <climits>
#include <cstdint>
#include <initializer_list>
#include <string>

namespace neurona {
namespace glue {

// Throws a JavaScript Error carrying N-API's own message when a call fails, then returns nullptr
// from the enclosing function (a pending exception is what JavaScript sees).
#define NAPI_CALL(env, call)                                                           \
  do {                                                                                 \
    napi_status status_ = (call);                                                      \
    if (status_ != napi_ok) {                                                          \
      throw_napi_error((env), status_, #call);                                         \
      return nullptr;                                                                  \
    }                                                                                  \
  } while (0)

inline void throw_napi_error(napi_env env, napi_status status, const char* call) {
  bool pending = false;
  napi_is_exception_pending(env, &pending);
  if (pending) return;
  const napi_extended_error_info* info = nullptr;
  napi_get_last_error_info(env, &info);
  std::string message = "neurona native addon: ";
  message += info && info->error_message ? info->error_message : "unknown N-API error";
  message += " (status " + std::to_string(static_cast<int>(status)) + " in " + call + ")";
  napi_throw_error(env, nullptr, message.c_str());
}

// Reads exactly `expected` arguments; a different count is a programming error in the TypeScript
// wrapper, reported as a TypeError naming the function.
inline bool get_args(napi_env env, napi_callback_info info, const char* name, size_t expected, napi_value* argv) {
  size_t argc = expected;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    throw_napi_error(env, napi_generic_failure, "napi_get_cb_info");
    return false;
  }
  if (argc != expected) {
    const std::string message = std::string("neurona native ") + name + ": expected " + std::to_string(expected) +
                                " arguments, got " + std::to_string(argc);
    napi_throw_type_error(env, nullptr, message.c_str());
    return false;
  }
  return true;
}

// Throws a TypeError "neurona native <name>: <what> <requirement>" and returns false.
inline bool throw_argument_error(napi_env env, const char* name, const char* what, const char* requirement) {
  const std::string message = std::string("neurona native ") + name + ": " + what + " " + requirement;
  napi_throw_type_error(env, nullptr, message.c_str());
  return false;
}

// Reads a typed array of one element type without copying: its data pointer and element count.
template <typename T>
inline bool get_typed_array(napi_env env, napi_value value, const char* name, const char* what,
                            napi_typedarray_type expected, const char* requirement, T** data, long* length) {
  bool is_typed_array = false;
  napi_typedarray_type type = napi_int8_array;
  size_t count = 0;
  void* pointer = nullptr;
  if (napi_is_typedarray(env, value, &is_typed_array) == napi_ok && is_typed_array &&
      napi_get_typedarray_info(env, value, &type, &count, &pointer, nullptr, nullptr) == napi_ok &&
      type == expected) {
    *data = static_cast<T*>(pointer);
    *length = static_cast<long>(count);
    return true;
  }
  // Defined even on failure (the caller returns at once), which keeps -Wmaybe-uninitialized quiet.
  *data = nullptr;
  *length = 0;
  return throw_argument_error(env, name, what, requirement);
}

inline bool get_float32_array(napi_env env, napi_value value, const char* name, const char* what, float** data,
                              long* length) {
  return get_typed_array(env, value, name, what, napi_float32_array, "must be a Float32Array", data, length);
}

inline bool get_int32_array(napi_env env, napi_value value, const char* name, const char* what, int32_t** data,
                            long* length) {
  return get_typed_array(env, value, name, what, napi_int32_array, "must be an Int32Array", data, length);
}

inline bool get_float64_array(napi_env env, napi_value value, const char* name, const char* what, double** data,
                              long* length) {
  return get_typed_array(env, value, name, what, napi_float64_array, "must be a Float64Array", data, length);
}

inline bool get_long(napi_env env, napi_value value, const char* name, const char* what, long* out) {
  int64_t v = 0;
  if (napi_get_value_int64(env, value, &v) != napi_ok || v < 0) {
    *out = 0;
    return throw_argument_error(env, name, what, "must be a non-negative integer");
  }
  *out = static_cast<long>(v);
  return true;
}

inline bool get_bool(napi_env env, napi_value value, const char* name, const char* what, bool* out) {
  if (napi_get_value_bool(env, value, out) != napi_ok) {
    *out = false;
    return throw_argument_error(env, name, what, "must be a boolean");
  }
  return true;
}

inline bool check_extent(napi_env env, const char* name, const char* what, long needed, long length) {
  if (needed <= length) return true;
  const std::string message = std::string("neurona native ") + name + ": " + what + " has " + std::to_string(length) +
                              " elements but the shape needs " + std::to_string(needed);
  napi_throw_range_error(env, nullptr, message.c_str());
  return false;
}

inline bool get_code(napi_env env, napi_value value, const char* name, int count, int* code) {
  int32_t v = -1;
  if (napi_get_value_int32(env, value, &v) != napi_ok || v < 0 || v >= count) {
    const std::string message = std::string("neurona native ") + name + ": op must be an integer code below " +
                                std::to_string(count);
    napi_throw_type_error(env, nullptr, message.c_str());
    return false;
  }
  *code = v;
  return true;
}

inline bool get_float(napi_env env, napi_value value, const char* name, const char* what, float* out) {
  double v = 0;
  if (napi_get_value_double(env, value, &v) != napi_ok) {
    *out = 0.0f;
    return throw_argument_error(env, name, what, "must be a number");
  }
  *out = static_cast<float>(v);
  return true;
}

inline bool get_double(napi_env env, napi_value value, const char* name, const char* what, double* out) {
  if (napi_get_value_double(env, value, out) != napi_ok) {
    return throw_argument_error(env, name, what, "must be a number");
  }
  return true;
}

// The product of non-negative extents, or LONG_MAX when it overflows (no array is that long, so
// check_extent then rejects the call).
inline long extent(std::initializer_list<long> factors) {
  long product = 1;
  for (long f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return LONG_MAX;
  }
  return product;
}

inline void throw_out_of_memory(napi_env env, const char* name) {
  const std::string message = std::string("neurona native ") + name +
                              ": could not allocate its scratch memory; free memory or use smaller batches";
  napi_throw_error(env, nullptr, message.c_str());
}

// Registers the training kernels (convolution, pooling, batch norm, optimizer updates) on exports;
// returns false with a pending exception on failure. Defined in addon_training.cc.
bool define_training_kernels(napi_env env, napi_value exports);

}  // namespace glue
}  // namespace neurona
