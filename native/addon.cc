// The N-API module, and nothing else: every function of the table (kernel_table.h, generated from
// src/backend/native/table.ts) is registered with one entry point that reads its arguments into its
// struct and calls its run() (addon_arrays.cc, addon_images.cc); the op-code lists and the table's
// hash are exported beside them. Typed arrays are used in place, zero-copy; shapes were validated
// by the ops before the call, and the checks in run() only keep a wrong call from reading or
// writing outside an array.
#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "addon.h"
#include "kernels/thread_pool.h"

namespace neurona {
namespace glue {

napi_value run(napi_env env, const SetNumThreadsArgs& args) {
  if (args.n < 1) {
    throw_range_error(env, SetNumThreadsArgs::kName, "n must be at least 1");
    return nullptr;
  }
  set_num_threads(static_cast<int>(args.n > kMaxThreads ? kMaxThreads : args.n));
  return nullptr;
}

napi_value run(napi_env env, const InfoArgs&) {
  napi_value result, isa, threads, max_threads;
  NAPI_CALL(env, napi_create_object(env, &result));
  NAPI_CALL(env, napi_create_string_utf8(env, active_kernels().name, NAPI_AUTO_LENGTH, &isa));
  NAPI_CALL(env, napi_create_int32(env, num_threads(), &threads));
  NAPI_CALL(env, napi_create_int32(env, kMaxThreads, &max_threads));
  NAPI_CALL(env, napi_set_named_property(env, result, "isa", isa));
  NAPI_CALL(env, napi_set_named_property(env, result, "threads", threads));
  NAPI_CALL(env, napi_set_named_property(env, result, "maxThreads", max_threads));
  return result;
}

namespace {

template <class Args>
napi_value Entry(napi_env env, napi_callback_info info) {
  Args args;
  if (!read_args(env, info, &args)) return nullptr;
  return run(env, args);
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
#define NEURONA_PROPERTY(Args) {Args::kName, nullptr, Entry<Args>, nullptr, nullptr, nullptr, napi_default, nullptr},
  const napi_property_descriptor properties[] = {NEURONA_NATIVE_FUNCTIONS(NEURONA_PROPERTY)};
#undef NEURONA_PROPERTY
  NAPI_CALL(env, napi_define_properties(env, exports, sizeof(properties) / sizeof(properties[0]), properties));
  // The op names behind each code, in code order: the TypeScript side maps names to codes by these.
  const struct {
    const char* property;
    const char* const* names;
    int count;
  } lists[] = {
#define NEURONA_CODE_LIST(property, Enum, names) {property, names, static_cast<int>(Enum::kCount)},
      NEURONA_CODE_LISTS(NEURONA_CODE_LIST)
#undef NEURONA_CODE_LIST
  };
  for (const auto& entry : lists) {
    napi_value list = NameList(env, entry.names, entry.count);
    if (list == nullptr) return nullptr;
    NAPI_CALL(env, napi_set_named_property(env, exports, entry.property, list));
  }
  napi_value hash;
  NAPI_CALL(env, napi_create_uint32(env, kTableHash, &hash));
  NAPI_CALL(env, napi_set_named_property(env, exports, "tableHash", hash));
  return exports;
}

}  // namespace
}  // namespace glue
}  // namespace neurona

NAPI_MODULE(NODE_GYP_MODULE_NAME, neurona::glue::Init)
