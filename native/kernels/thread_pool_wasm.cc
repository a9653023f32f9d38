// thread_pool.h for WebAssembly, where std::thread does not exist.
//
// Built with shared memory (-matomics, assets/neurona-threads.wasm): the workers are JavaScript workers
// (Node's worker_threads, a browser's Web Workers), each with its own instance of the module on the
// same memory and its own stack, which call neurona_worker() once and stay in it. parallel_run hands
// out parts as the native pool does (thread_pool.cc): nobody owns a part, the caller and the workers
// claim the next unclaimed one from a shared counter, and the caller runs whatever no worker has
// claimed, so a worker that has not started yet (workers start asynchronously) or is descheduled never
// delays a job, and the same thread count gives the same split and the same bits. Workers that find
// no job spin for a while, then sleep in memory.atomic.wait32; the caller never sleeps (a browser's
// main thread may not), it spins until the claimed parts are done.
//
// Built without (assets/neurona.wasm): every job runs on the calling thread as one part, as the
// native pool does when set to one thread.
#include <cstdint>
#include <cstdlib>

#include "thread_pool.h"

#if defined(__wasm_atomics__)
#include <atomic>
#endif

namespace neurona {
namespace {

ScratchSlot scratch_slots[kMaxThreads * kScratchSlotsPerThread + 1];

// Set by the caller for the whole of a job, the parts run on the caller only included: no thread
// allocates while it is set, so the guard's finding does not depend on the thread count.
#if defined(__wasm_atomics__)
std::atomic<bool> job_open{false};
#else
bool job_open = false;
#endif

// Opens the job flag for a scope (and restores it after, should a part ever post a job of its own).
struct OpenJob {
  const bool outer = job_open;
  OpenJob() { job_open = true; }
  ~OpenJob() { job_open = outer; }
};

#if defined(__wasm_atomics__)

// generation << kPartBits | next unclaimed part, in one word, so that a worker that read an old job's
// description can never claim a part of a newer one: its compare-and-swap fails.
constexpr std::uint64_t kPartBits = 16;
constexpr std::uint64_t kPartMask = (std::uint64_t{1} << kPartBits) - 1;
inline std::uint64_t generation_of(std::uint64_t state) { return state >> kPartBits; }
inline int part_of(std::uint64_t state) { return static_cast<int>(state & kPartMask); }

// How long an idle worker polls before it sleeps: about the gap between two kernels of a training step
// (tens of microseconds), after which waking costs more than the spinning it saves.
constexpr long kSpins = 1 << 16;

std::atomic<std::uint64_t> state{0};
// The generation's low 32 bits, which sleeping workers wait on (wait32 needs a 32-bit word).
std::atomic<std::int32_t> posted{0};
std::atomic<int> done{0};
std::atomic<int> sleepers{0};
std::atomic<ParallelFn> job_fn{nullptr};
std::atomic<void*> job_context{nullptr};
std::atomic<int> job_parts{0};
int size = 1;

void claim_and_run(std::uint64_t generation, ParallelFn fn, void* context, int parts) {
  std::uint64_t s = state.load(std::memory_order_acquire);
  while (generation_of(s) == generation && part_of(s) < parts) {
    if (!state.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) continue;
    fn(context, part_of(s), parts);
    done.fetch_add(1, std::memory_order_acq_rel);
    s = state.load(std::memory_order_acquire);
  }
}

#endif

}  // namespace

#if defined(__wasm_atomics__)

void set_num_threads(int n) { size = n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n; }

int num_threads() { return size; }

void parallel_run(int parts, ParallelFn fn, void* context) {
  const OpenJob open;
  if (parts > size) parts = size;
  if (parts <= 1) {
    fn(context, 0, 1);
    return;
  }
  job_fn.store(fn, std::memory_order_relaxed);
  job_context.store(context, std::memory_order_relaxed);
  job_parts.store(parts, std::memory_order_relaxed);
  done.store(0, std::memory_order_relaxed);
  const std::uint64_t generation = generation_of(state.load(std::memory_order_relaxed)) + 1;
  // seq_cst, paired with the sleepers' check in neurona_worker: either this thread sees a sleeper and
  // wakes it, or the sleeper sees the new job before it sleeps.
  state.store(generation << kPartBits, std::memory_order_seq_cst);
  posted.store(static_cast<std::int32_t>(generation), std::memory_order_seq_cst);
  if (sleepers.load(std::memory_order_seq_cst) > 0) {
    __builtin_wasm_memory_atomic_notify(reinterpret_cast<int*>(&posted), static_cast<unsigned>(kMaxThreads));
  }
  claim_and_run(generation, fn, context, parts);
  while (done.load(std::memory_order_acquire) != parts) {
  }
}

#else

void set_num_threads(int) {}

int num_threads() { return 1; }

void parallel_run(int, ParallelFn fn, void* context) {
  const OpenJob open;
  fn(context, 0, 1);
}

#endif

bool in_parallel_job() { return job_open; }

// One caller at a time by construction: a module's memory belongs to one JavaScript thread, and the
// workers only run parts of that thread's jobs.
ScratchLock::ScratchLock() {}

ScratchLock::~ScratchLock() {}

float* ScratchLock::reserve(int slot, std::size_t floats) { return grow_scratch(scratch_slots[slot], floats); }

float* scratch_buffer(int slot) { return scratch_slots[slot].data; }

}  // namespace neurona

#if defined(__wasm_atomics__)

// A worker's whole life: called once by each JavaScript worker on its own instance (src/backend/wasm/),
// it runs parts of the jobs parallel_run posts and never returns.
extern "C" __attribute__((export_name("neurona_worker"))) void neurona_worker() {
  using namespace neurona;
  std::uint64_t seen = generation_of(state.load(std::memory_order_acquire));
  for (;;) {
    std::uint64_t s = state.load(std::memory_order_acquire);
    for (long spin = 0; generation_of(s) == seen && spin < kSpins; spin++) s = state.load(std::memory_order_acquire);
    while (generation_of(s) == seen) {
      sleepers.fetch_add(1, std::memory_order_seq_cst);
      const std::int32_t expected = static_cast<std::int32_t>(seen);
      if (generation_of(state.load(std::memory_order_seq_cst)) == seen) {
        __builtin_wasm_memory_atomic_wait32(reinterpret_cast<int*>(&posted), expected, -1);
      }
      sleepers.fetch_sub(1, std::memory_order_seq_cst);
      s = state.load(std::memory_order_acquire);
    }
    seen = generation_of(s);
    // Read after the acquire load that showed this generation: the description is this job's, and
    // claim_and_run's compare-and-swap fails if a newer job has replaced it meanwhile.
    claim_and_run(seen, job_fn.load(std::memory_order_relaxed), job_context.load(std::memory_order_relaxed),
                  job_parts.load(std::memory_order_relaxed));
  }
}

#endif
