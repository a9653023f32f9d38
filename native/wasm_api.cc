// The WebAssembly module's interface (src/backend/wasm/ is its JavaScript side): every function of
// the kernel table (kernel_table.h) behind one export, neurona_call(function, arguments), which reads
// the function's argument struct from an array of doubles and calls the same run() as the N-API addon
// (addon_arrays.cc, addon_images.cc, compiled against wasm_glue.h). Functions are numbered in the
// table's order. Each argument takes two doubles: an array is (address in this module's memory,
// element count; address 0 for null), a packed struct is its array, a list is (address of its
// [count, address, length, ...] doubles, 0), and a number is (value, 0). An argument of the wrong
// kind records a TypeError or RangeError that neurona_error_kind() and neurona_error_message() give
// JavaScript to throw, worded as the addon's.
#include <climits>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "addon.h"
#include "kernels/thread_pool.h"

#define NEURONA_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

namespace neurona {
namespace glue {
namespace {

ErrorKind error_kind = ErrorKind::kNone;
char error_message[1024];

double number_at(const double* slots, int index) { return slots[2 * index]; }

template <typename T>
T* address_at(const double* slots, int index) {
  return reinterpret_cast<T*>(static_cast<uintptr_t>(slots[2 * index]));
}

struct SlotReader {
  const double* slots;
  const char* function;
  int next;

  bool operator()(F32Array& field, const char* what) { return array(field.data, field.length, field.name, what); }
  bool operator()(F32ArrayOrNull& field, const char* what) { return array(field.data, field.length, field.name, what); }
  bool operator()(I32Array& field, const char* what) { return array(field.data, field.length, field.name, what); }

  bool operator()(ArrayList& field, const char* what) {
    field.name = what;
    field.value = address_at<napi_value__>(slots, next++);
    return true;
  }

  bool operator()(long& field, const char* what) {
    const double v = number_at(slots, next++);
    field = static_cast<long>(v);
    if (v >= 0 && v == std::floor(v) && v <= static_cast<double>(LONG_MAX)) return true;
    field = 0;
    return throw_type_error(nullptr, function, std::string(what) + " must be a non-negative integer");
  }

  bool operator()(bool& field, const char*) {
    field = number_at(slots, next++) != 0;
    return true;
  }

  bool operator()(double& field, const char*) {
    field = number_at(slots, next++);
    return true;
  }

  bool operator()(float& field, const char*) {
    field = static_cast<float>(number_at(slots, next++));
    return true;
  }

  template <class Enum>
  bool operator()(Code<Enum>& field, const char* what) {
    constexpr int count = static_cast<int>(Enum::kCount);
    const double v = number_at(slots, next++);
    field.value = static_cast<int>(v);
    if (v >= 0 && v < count && v == std::floor(v)) return true;
    field.value = 0;
    return throw_type_error(nullptr, function, std::string(what) + " must be an integer code below " + std::to_string(count));
  }

  // A packed struct (ConvGeometry, UpdateParams): exactly Struct::kFields elements keeping Struct::kRule.
  template <class Struct, class Element = typename Struct::Element>
  bool operator()(Struct& field, const char* what) {
    const Element* values = address_at<const Element>(slots, next);
    const long count = static_cast<long>(slots[2 * next + 1]);
    next++;
    if (count != Struct::kFields) {
      return throw_range_error(nullptr, function, std::string(what) + " must have " + std::to_string(Struct::kFields) +
                                                      " fields, got " + std::to_string(count));
    }
    if (field.unpack(values)) return true;
    std::string list;
    for (int i = 0; i < Struct::kFields; i++) list += (i ? ", " : "") + std::to_string(values[i]);
    return throw_range_error(nullptr, function, "bad " + std::string(what) + " (" + Struct::kRule + "): [" + list + "]");
  }

 private:
  template <typename T>
  bool array(T*& data, long& length, const char*& name, const char* what) {
    name = what;
    data = address_at<T>(slots, next);
    length = static_cast<long>(slots[2 * next + 1]);
    next++;
    return true;
  }
};

template <class Args>
void entry(const double* slots) {
  Args args;
  if (args.read(SlotReader{slots, Args::kName, 0})) run(nullptr, args);
}

using Entry = void (*)(const double*);
#define NEURONA_ENTRY(Args) entry<Args>,
constexpr Entry kEntries[] = {NEURONA_NATIVE_FUNCTIONS(NEURONA_ENTRY)};
#undef NEURONA_ENTRY
constexpr int kEntryCount = sizeof(kEntries) / sizeof(kEntries[0]);
#define NEURONA_NAME(Args) Args::kName,
constexpr const char* kNames[] = {NEURONA_NATIVE_FUNCTIONS(NEURONA_NAME)};
#undef NEURONA_NAME

}  // namespace

bool record_error(ErrorKind kind, const char* function, const std::string& detail) {
  error_kind = kind;
  std::snprintf(error_message, sizeof(error_message), "neurona wasm %s: %s", function, detail.c_str());
  return false;
}

napi_value run(napi_env env, const SetNumThreadsArgs& args) {
  if (args.n < 1) {
    throw_range_error(env, SetNumThreadsArgs::kName, "n must be at least 1");
    return nullptr;
  }
  set_num_threads(static_cast<int>(args.n > kMaxThreads ? kMaxThreads : args.n));
  return nullptr;
}

// info's fields come from neurona_num_threads and the JavaScript side (the instruction set is SIMD128).
napi_value run(napi_env, const InfoArgs&) { return nullptr; }

}  // namespace glue
}  // namespace neurona

using neurona::glue::ErrorKind;

// Runs function number `function` of the table; returns an ErrorKind (0: none).
NEURONA_EXPORT(neurona_call) int neurona_call(int function, const double* slots) {
  neurona::glue::error_kind = ErrorKind::kNone;
  if (function < 0 || function >= neurona::glue::kEntryCount) {
    neurona::glue::record_error(ErrorKind::kRange, "call", "no function " + std::to_string(function) + " in the table");
    return static_cast<int>(ErrorKind::kRange);
  }
  neurona::take_allocation_in_job();  // a record left by anything before this call is not this kernel's
  neurona::glue::kEntries[function](slots);
  if (neurona::take_allocation_in_job()) {
    neurona::glue::record_error(ErrorKind::kInternal, neurona::glue::kNames[function],
                                "allocated memory inside a parallel part, which the wasm C library cannot do safely on workers "
                                "(a bug in native/kernels/: reserve the scratch before the job, see thread_pool.h)");
  }
  return static_cast<int>(neurona::glue::error_kind);
}

// The allocation guard's self-check (test/backend/wasm.test.ts): runs a job whose every part mallocs and
// frees a block; returns whether the guard saw it.
NEURONA_EXPORT(neurona_check_allocation_guard) int neurona_check_allocation_guard() {
  neurona::take_allocation_in_job();
  const neurona::ParallelFn part = [](void*, int index, int) {
    void* volatile kept = std::malloc(64 + static_cast<std::size_t>(index));
    std::free(kept);
  };
  neurona::parallel_run(neurona::num_threads(), part, nullptr);
  return neurona::take_allocation_in_job() ? 1 : 0;
}

NEURONA_EXPORT(neurona_error_message) const char* neurona_error_message() { return neurona::glue::error_message; }

NEURONA_EXPORT(neurona_function_count) int neurona_function_count() { return neurona::glue::kEntryCount; }

NEURONA_EXPORT(neurona_table_hash) uint32_t neurona_table_hash() { return neurona::kTableHash; }

NEURONA_EXPORT(neurona_num_threads) int neurona_num_threads() { return neurona::num_threads(); }

NEURONA_EXPORT(neurona_max_threads) int neurona_max_threads() { return neurona::kMaxThreads; }

// The op names of code list `index` (NEURONA_CODE_LISTS' order) as "property:name,name,...", or null
// past the last list: the binding maps names to codes by these, as it does with the addon's lists.
NEURONA_EXPORT(neurona_code_list) const char* neurona_code_list(int index) {
  static std::string text;
  int i = 0;
#define NEURONA_CODE_LIST(property, Enum, names)                                 \
  if (i++ == index) {                                                            \
    text = property ":";                                                         \
    for (int c = 0; c < static_cast<int>(neurona::Enum::kCount); c++) {          \
      text += (c ? "," : "");                                                    \
      text += neurona::names[c];                                                 \
    }                                                                            \
    return text.c_str();                                                         \
  }
  NEURONA_CODE_LISTS(NEURONA_CODE_LIST)
#undef NEURONA_CODE_LIST
  return nullptr;
}

NEURONA_EXPORT(neurona_malloc) void* neurona_malloc(std::size_t bytes) { return std::aligned_alloc(64, (bytes + 63) / 64 * 64); }

NEURONA_EXPORT(neurona_free) void neurona_free(void* pointer) { std::free(pointer); }
