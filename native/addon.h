// What the addon's glue files share (addon.cc registers the functions; addon_arrays.cc and
// addon_images.cc hold one run() per function of the table). Each function's arguments arrive as
// its struct of kernel_table.h, generated from src/backend/native/table.ts and filled here field by
// field: read_arg reads one argument by its C++ type, and on a wrong one throws a JavaScript error
// naming the function and the argument, then returns false (a pending exception is what JavaScript
// sees). Reading allocates nothing; only error messages build strings.
#pragma once

#include <climits>
#include <cstdint>
#include <initializer_list>
#include <string>

#include "kernels/isa.h"

// The argument reading is inlined into each function's entry point, as hand-written glue was: a call
// per argument would cost more than the checks. The error paths stay out of line.
#if defined(__GNUC__)
#define NEURONA_INLINE inline __attribute__((always_inline))
#define NEURONA_COLD __attribute__((noinline, cold))
#else
#define NEURONA_INLINE inline
#define NEURONA_COLD
#endif

#if defined(__wasm__)
// The WebAssembly build compiles the same run() functions against its own argument passing and error
// reporting (wasm_glue.h): everything from here to the #endif is N-API's.
#include "wasm_glue.h"
#else
#include <node_api.h>

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

NEURONA_COLD inline void throw_napi_error(napi_env env, napi_status status, const char* call) {
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

// Throws "neurona native <function>: <detail>" as a TypeError (a wrong type) or RangeError (a wrong
// size or value) and returns false.
NEURONA_COLD inline bool throw_type_error(napi_env env, const char* function, const std::string& detail) {
  napi_throw_type_error(env, nullptr, ("neurona native " + std::string(function) + ": " + detail).c_str());
  return false;
}

NEURONA_COLD inline bool throw_range_error(napi_env env, const char* function, const std::string& detail) {
  napi_throw_range_error(env, nullptr, ("neurona native " + std::string(function) + ": " + detail).c_str());
  return false;
}

NEURONA_COLD inline void throw_out_of_memory(napi_env env, const char* function) {
  const std::string message = std::string("neurona native ") + function +
                              ": could not allocate its scratch memory; free memory or use smaller batches";
  napi_throw_error(env, nullptr, message.c_str());
}

template <typename T>
struct TypedArrayOf;
template <>
struct TypedArrayOf<float> {
  static constexpr napi_typedarray_type kType = napi_float32_array;
  static constexpr const char* kRequirement = "must be a Float32Array";
};
template <>
struct TypedArrayOf<int32_t> {
  static constexpr napi_typedarray_type kType = napi_int32_array;
  static constexpr const char* kRequirement = "must be an Int32Array";
};
template <>
struct TypedArrayOf<double> {
  static constexpr napi_typedarray_type kType = napi_float64_array;
  static constexpr const char* kRequirement = "must be a Float64Array";
};

// A typed array of element type T, without copying: its data pointer and element count.
template <typename T>
NEURONA_INLINE bool get_typed_array(napi_env env, napi_value value, const char* function, const char* what, T** data,
                            long* length, const char* requirement = TypedArrayOf<T>::kRequirement) {
  bool is_typed_array = false;
  napi_typedarray_type type = napi_int8_array;
  size_t count = 0;
  void* pointer = nullptr;
  if (napi_is_typedarray(env, value, &is_typed_array) == napi_ok && is_typed_array &&
      napi_get_typedarray_info(env, value, &type, &count, &pointer, nullptr, nullptr) == napi_ok &&
      type == TypedArrayOf<T>::kType) {
    *data = static_cast<T*>(pointer);
    *length = static_cast<long>(count);
    return true;
  }
  // Defined even on failure (the caller returns at once), which keeps -Wmaybe-uninitialized quiet.
  *data = nullptr;
  *length = 0;
  return throw_type_error(env, function, std::string(what) + " " + requirement);
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, F32Array* out) {
  out->name = what;
  return get_typed_array(env, value, function, what, &out->data, &out->length);
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, F32ArrayOrNull* out) {
  out->name = what;
  napi_valuetype type = napi_undefined;
  if (napi_typeof(env, value, &type) == napi_ok && type == napi_null) {
    out->data = nullptr;
    out->length = 0;
    return true;
  }
  return get_typed_array(env, value, function, what, &out->data, &out->length, "must be a Float32Array or null");
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, I32Array* out) {
  out->name = what;
  return get_typed_array(env, value, function, what, &out->data, &out->length);
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, ArrayList* out) {
  bool is_array = false;
  out->name = what;
  out->value = value;
  if (napi_is_array(env, value, &is_array) == napi_ok && is_array) return true;
  return throw_type_error(env, function, std::string(what) + " must be an array");
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, long* out) {
  int64_t v = 0;
  if (napi_get_value_int64(env, value, &v) != napi_ok || v < 0) {
    *out = 0;
    return throw_type_error(env, function, std::string(what) + " must be a non-negative integer");
  }
  *out = static_cast<long>(v);
  return true;
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, bool* out) {
  if (napi_get_value_bool(env, value, out) == napi_ok) return true;
  *out = false;
  return throw_type_error(env, function, std::string(what) + " must be a boolean");
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, double* out) {
  if (napi_get_value_double(env, value, out) == napi_ok) return true;
  *out = 0;
  return throw_type_error(env, function, std::string(what) + " must be a number");
}

NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, float* out) {
  double v = 0;
  const bool ok = read_arg(env, value, function, what, &v);
  *out = static_cast<float>(v);
  return ok;
}

template <class Enum>
NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, Code<Enum>* out) {
  constexpr int count = static_cast<int>(Enum::kCount);
  if (napi_get_value_int32(env, value, &out->value) == napi_ok && out->value >= 0 && out->value < count) return true;
  out->value = 0;
  return throw_type_error(env, function, std::string(what) + " must be an integer code below " + std::to_string(count));
}

template <class Struct, class Element>
NEURONA_COLD bool throw_bad_struct(napi_env env, const char* function, const char* what, const Element* fields) {
  std::string values;
  for (int i = 0; i < Struct::kFields; i++) values += (i ? ", " : "") + std::to_string(fields[i]);
  return throw_range_error(env, function, "bad " + std::string(what) + " (" + Struct::kRule + "): [" + values + "]");
}

// A packed struct (ConvGeometry, UpdateParams): a typed array of exactly Struct::kFields elements
// whose values keep Struct::kRule.
template <class Struct, class Element = typename Struct::Element>
NEURONA_INLINE bool read_arg(napi_env env, napi_value value, const char* function, const char* what, Struct* out) {
  Element* fields;
  long count;
  if (!get_typed_array(env, value, function, what, &fields, &count)) return false;
  if (count != Struct::kFields) {
    return throw_range_error(env, function, std::string(what) + " must have " + std::to_string(Struct::kFields) +
                                                " fields, got " + std::to_string(count));
  }
  return out->unpack(fields) || throw_bad_struct<Struct>(env, function, what, fields);
}

// Reads the call's arguments in order into the fields an argument struct's read() hands it.
struct ArgumentReader {
  napi_env env;
  const napi_value* argv;
  const char* function;
  int next;

  template <class Field>
  NEURONA_INLINE bool operator()(Field& field, const char* what) {
    return read_arg(env, argv[next++], function, what, &field);
  }
};

// Fills args from the call's arguments, exactly Args::kCount of them; false with a pending exception
// when one is missing or wrong.
template <class Args>
NEURONA_INLINE bool read_args(napi_env env, napi_callback_info info, Args* args) {
  napi_value argv[Args::kCount > 0 ? Args::kCount : 1];
  size_t argc = Args::kCount;
  if (napi_get_cb_info(env, info, &argc, argv, nullptr, nullptr) != napi_ok) {
    throw_napi_error(env, napi_generic_failure, "napi_get_cb_info");
    return false;
  }
  if (argc != static_cast<size_t>(Args::kCount)) {
    return throw_type_error(env, Args::kName, "expected " + std::to_string(Args::kCount) + " arguments, got " +
                                                  std::to_string(argc));
  }
  return args->read(ArgumentReader{env, argv, Args::kName, 0});
}

}  // namespace glue
}  // namespace neurona
#endif

namespace neurona {
namespace glue {

// The product of non-negative extents, or LONG_MAX when it overflows (no array is that long, so
// the length check then rejects the call).
inline long extent(std::initializer_list<long> factors) {
  long product = 1;
  for (long f : factors) {
    if (__builtin_mul_overflow(product, f, &product)) return LONG_MAX;
  }
  return product;
}

// a + b for element counts, saturating like extent() so that an overflowing size fails the length check.
inline long extent_sum(long a, long b) {
  long sum;
  return __builtin_add_overflow(a, b, &sum) ? LONG_MAX : sum;
}

// An array and the elements the call's shape needs it to hold.
struct Need {
  const F32Array& array;
  long needed;
};

// Checks every array's length; throws a RangeError naming the first short one.
NEURONA_INLINE bool check_lengths(napi_env env, const char* function, std::initializer_list<Need> needs) {
  for (const Need& need : needs) {
    if (need.array.length < need.needed) {
      return throw_range_error(env, function, std::string(need.array.name) + " has " + std::to_string(need.array.length) +
                                                  " elements but the shape needs " + std::to_string(need.needed));
    }
  }
  return true;
}

// Checks every array's length, then runs the kernel, which returns false only when it could not
// allocate its scratch memory. Returns nullptr, the result of every kernel function.
template <class Kernel>
NEURONA_INLINE napi_value call_kernel(napi_env env, const char* function, std::initializer_list<Need> needs, Kernel&& kernel) {
  if (check_lengths(env, function, needs) && !kernel()) throw_out_of_memory(env, function);
  return nullptr;
}

// One run() per function of the table, defined in addon_arrays.cc and addon_images.cc: it checks
// what the argument types could not (lengths against the shape), calls the kernel and returns the
// function's result (nullptr for none).
#define NEURONA_DECLARE_RUN(Args) napi_value run(napi_env env, const Args& args);
NEURONA_NATIVE_FUNCTIONS(NEURONA_DECLARE_RUN)
#undef NEURONA_DECLARE_RUN

}  // namespace glue
}  // namespace neurona
