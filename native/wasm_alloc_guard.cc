// The wasm build's allocation guard. wasi-libc's malloc is not thread-safe, and the workers of the
// threaded module run kernel parts on the one shared heap: a kernel that allocates (a std::vector, a
// std::string) inside a parallel part corrupts the heap when two parts do so at once (the group-norm
// kernels once did, and failed far from the cause with "memory access out of bounds"). Kernels reserve
// their scratch before the job instead (thread_pool.h). This checks the rule: the link wraps the C
// library's allocation functions (scripts/build-wasm.mjs, -Wl,--wrap=malloc and the others), and while
// a parallel job is open, on any thread and at any thread count, an allocation is made under a lock,
// so that it corrupts nothing, and recorded; neurona_call then fails with an Error naming the kernel
// (wasm_api.cc), so the conformance suite catches such a kernel at its first call, on one thread too.
#include <cstddef>

#include "kernels/thread_pool.h"

#if defined(__wasm_atomics__)
#include <atomic>
#endif

extern "C" {
void* __real_malloc(std::size_t bytes);
void* __real_calloc(std::size_t count, std::size_t bytes);
void* __real_realloc(void* pointer, std::size_t bytes);
void* __real_aligned_alloc(std::size_t alignment, std::size_t bytes);
int __real_posix_memalign(void** out, std::size_t alignment, std::size_t bytes);
void __real_free(void* pointer);
}

namespace neurona {
namespace {

bool allocated_in_job = false;
#if defined(__wasm_atomics__)
std::atomic<int> heap_lock{0};
#endif

// Runs one allocation function: directly outside a job; inside one, under the lock, and recorded.
template <class Call>
auto guarded(Call call) {
  if (!in_parallel_job()) return call();
#if defined(__wasm_atomics__)
  while (heap_lock.exchange(1, std::memory_order_acquire) != 0) {
  }
#endif
  allocated_in_job = true;
  struct Unlock {
    ~Unlock() {
#if defined(__wasm_atomics__)
      heap_lock.store(0, std::memory_order_release);
#endif
    }
  } unlock;
  return call();
}

}  // namespace

bool take_allocation_in_job() {
  const bool seen = allocated_in_job;
  allocated_in_job = false;
  return seen;
}

}  // namespace neurona

using neurona::guarded;

extern "C" {
void* __wrap_malloc(std::size_t bytes) { return guarded([&] { return __real_malloc(bytes); }); }
void* __wrap_calloc(std::size_t count, std::size_t bytes) { return guarded([&] { return __real_calloc(count, bytes); }); }
void* __wrap_realloc(void* pointer, std::size_t bytes) { return guarded([&] { return __real_realloc(pointer, bytes); }); }
void* __wrap_aligned_alloc(std::size_t alignment, std::size_t bytes) {
  return guarded([&] { return __real_aligned_alloc(alignment, bytes); });
}
int __wrap_posix_memalign(void** out, std::size_t alignment, std::size_t bytes) {
  return guarded([&] { return __real_posix_memalign(out, alignment, bytes); });
}
void __wrap_free(void* pointer) { guarded([&] { __real_free(pointer); }); }
}
