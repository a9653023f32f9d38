// A fixed-size pool of worker threads for the CPU kernels. Plain C++17 with no N-API, so the kernels
// keep building without Node (and later for WebAssembly, where the pool degrades to one thread).
//
// Work is split statically: parallel_run(threads, fn, context) calls fn(context, t, threads) once for
// every part t in [0, threads) and returns when all calls have returned. A kernel derives part t's
// share of the work from (t, threads) alone, so the same thread count always gives the same split and
// therefore the same bits. Which thread runs which part is decided at run time (the caller runs every
// part that no worker has claimed yet, see thread_pool.cc), so a kernel must not assume that part 0 is
// the calling thread; no two threads ever run the same part, so per-part scratch stays private.
#pragma once

#include <cstddef>
#include <cstdlib>

namespace neurona {

using ParallelFn = void (*)(void* context, int thread, int threads);

// Resizes the pool to n threads in all (the caller counts as one). n < 1 is treated as 1.
void set_num_threads(int n);
int num_threads();

// Runs fn for min(threads, num_threads()) parts on the pool and blocks until every call has returned.
// If another thread is already running a parallel job (two Node worker threads calling in), the parts
// run one after another on the caller instead: same split, same results, no deadlock.
void parallel_run(int threads, ParallelFn fn, void* context);

#if defined(__wasm__)
// Whether a parallel_run is under way (its parts may be running on any thread); the wasm build's
// allocation guard (native/wasm_alloc_guard.cc) checks it.
bool in_parallel_job();
// Whether memory was allocated inside a parallel job since the last call; clears the record.
bool take_allocation_in_job();
#endif

// The most threads the pool runs; set_num_threads clamps to it.
constexpr int kMaxThreads = 256;

// Per-thread scratch memory (64-byte aligned), kept between calls so that a training step does not
// fault in fresh pages every time. A kernel takes a ScratchLock on the calling thread, reserves what
// each thread needs (slot = thread * kScratchSlotsPerThread + which), runs its parallel job, and
// releases the lock when done; inside the job, scratch_buffer only reads the pointer. The lock keeps
// two callers (Node worker threads) from sharing the buffers. Slots 0 and 1 of a thread are the GEMM's
// packed panels, slot 2 a kernel's own (im2col's matrix); kSharedScratchSlot is one buffer for the
// whole job (partial sums that a reduction combines at the end).
constexpr int kScratchSlotsPerThread = 3;
constexpr int kSharedScratchSlot = kMaxThreads * kScratchSlotsPerThread;

class ScratchLock {
 public:
  ScratchLock();
  ~ScratchLock();
  ScratchLock(const ScratchLock&) = delete;
  ScratchLock& operator=(const ScratchLock&) = delete;
  // Grows the slot to at least `floats` floats; returns nullptr when memory runs out.
  float* reserve(int slot, std::size_t floats);
};

float* scratch_buffer(int slot);

// One scratch slot's buffer, for ScratchLock::reserve in both pools (thread_pool.cc, thread_pool_wasm.cc):
// grown to at least `floats` floats (never shrunk), 64-byte aligned; nullptr when memory runs out.
struct ScratchSlot {
  float* data = nullptr;
  std::size_t capacity = 0;
};

inline float* grow_scratch(ScratchSlot& s, std::size_t floats) {
  if (s.capacity < floats) {
    std::free(s.data);
    // Round up to whole cache lines: aligned_alloc wants a multiple of the alignment.
    const std::size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    s.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    s.capacity = s.data ? floats : 0;
  }
  return s.data;
}

// Splits [0, total) into `parts` contiguous ranges that differ by at most one unit and returns the
// range of part `index`. Deterministic in (total, parts, index).
inline void split_range(long total, int parts, int index, long* begin, long* end) {
  const long base = total / parts;
  const long extra = total % parts;
  *begin = index * base + (index < extra ? index : extra);
  *end = *begin + base + (index < extra ? 1 : 0);
}

}  // namespace neurona
