// thread_pool.h for WebAssembly, where std::thread does not exist: the build without shared memory
// runs every job on the calling thread, one part, as the native pool does when set to one thread.
#include <cstdlib>

#include "thread_pool.h"

namespace neurona {
namespace {

struct ScratchSlot {
  float* data = nullptr;
  std::size_t capacity = 0;
};
ScratchSlot scratch_slots[kMaxThreads * kScratchSlotsPerThread + 1];

}  // namespace

void set_num_threads(int) {}

int num_threads() { return 1; }

void parallel_run(int, ParallelFn fn, void* context) { fn(context, 0, 1); }

// One caller at a time by construction: a wasm instance runs on one thread.
ScratchLock::ScratchLock() {}

ScratchLock::~ScratchLock() {}

float* ScratchLock::reserve(int slot, std::size_t floats) {
  ScratchSlot& s = scratch_slots[slot];
  if (s.capacity < floats) {
    std::free(s.data);
    const std::size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    s.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    s.capacity = s.data ? floats : 0;
  }
  return s.data;
}

float* scratch_buffer(int slot) { return scratch_slots[slot].data; }

}  // namespace neurona
