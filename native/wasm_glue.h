// The part of addon.h that N-API fills, for the WebAssembly build (wasm_api.cc): the same run()
// functions of addon_arrays.cc and addon_images.cc compile against these stand-ins, so the length and
// value checks of every kernel are written once. Arguments arrive as pairs of doubles (wasm_api.cc
// says how), and an error is recorded for JavaScript to throw instead of thrown here.
#pragma once

#include <cstdint>
#include <string>

#include "kernels/isa.h"

namespace neurona {
namespace glue {

struct WasmCall;
// No environment: the one call in flight owns the error record (wasm_api.cc).
using napi_env = WasmCall*;
// A list argument (the optimizer's slots): [count, data0, length0, data1, length1, ...] as doubles.
using napi_value = napi_value__*;
enum napi_status { napi_ok, napi_invalid_arg };

// The kinds of error JavaScript throws, as N-API's throw_type_error and throw_range_error do.
enum class ErrorKind { kNone, kType, kRange, kOutOfMemory, kInternal };
bool record_error(ErrorKind kind, const char* function, const std::string& detail);

#define NAPI_CALL(env, call) \
  do {                       \
    if ((call) != napi_ok) { \
      (void)(env);           \
      return nullptr;        \
    }                        \
  } while (0)

NEURONA_COLD inline bool throw_type_error(napi_env, const char* function, const std::string& detail) {
  return record_error(ErrorKind::kType, function, detail);
}

NEURONA_COLD inline bool throw_range_error(napi_env, const char* function, const std::string& detail) {
  return record_error(ErrorKind::kRange, function, detail);
}

NEURONA_COLD inline void throw_out_of_memory(napi_env, const char* function) {
  record_error(ErrorKind::kOutOfMemory, function, "could not allocate its scratch memory; free memory or use smaller batches");
}

inline const double* list_of(napi_value value) { return reinterpret_cast<const double*>(value); }

inline napi_status napi_get_array_length(napi_env, napi_value list, uint32_t* count) {
  *count = static_cast<uint32_t>(list_of(list)[0]);
  return napi_ok;
}

inline napi_status napi_get_element(napi_env, napi_value list, uint32_t index, napi_value* element) {
  *element = reinterpret_cast<napi_value>(const_cast<double*>(list_of(list) + 1 + 2 * index));
  return napi_ok;
}

// An element of a list: a Float32Array as (data, length).
inline bool read_arg(napi_env, napi_value value, const char*, const char* what, F32Array* out) {
  const double* pair = list_of(value);
  out->name = what;
  out->data = reinterpret_cast<float*>(static_cast<uintptr_t>(pair[0]));
  out->length = static_cast<long>(pair[1]);
  return true;
}

}  // namespace glue
}  // namespace neurona
