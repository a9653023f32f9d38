#include "thread_pool.h"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <thread>
#include <vector>

#if defined(__x86_64__) || defined(_M_X64) || defined(__i386__)
#include <immintrin.h>
#define NEURONA_SPIN_PAUSE() _mm_pause()
#elif defined(__aarch64__)
#define NEURONA_SPIN_PAUSE() __asm__ __volatile__("yield")
#else
#define NEURONA_SPIN_PAUSE() ((void)0)
#endif

namespace neurona {
namespace {

// How parts reach threads. A job is `parts` calls fn(context, part, parts). Nobody owns a part: the
// caller and every worker claim the next unclaimed one from a shared counter until none is left, and
// the caller then waits only for parts that some thread has claimed and is running. A worker that is
// asleep, or not scheduled because other processes hold the cores, therefore never delays a job: the
// caller runs its parts itself (measured on a shared 2-core machine: a 32x784x8 product took 800 us
// when the caller waited for a descheduled worker, against 15 us on one thread). Results do not
// depend on who runs a part, because a part's work is a function of (part, parts) alone.
//
// The counter and the job's generation share one 64-bit word, so a worker that read an old job's
// description can never claim a part of a newer one: its compare-and-swap fails.
constexpr std::uint64_t kPartBits = 16;
constexpr std::uint64_t kPartMask = (std::uint64_t{1} << kPartBits) - 1;

inline std::uint64_t generation_of(std::uint64_t state) { return state >> kPartBits; }
inline int part_of(std::uint64_t state) { return static_cast<int>(state & kPartMask); }

// Idle workers spin (pause instruction) this long after a job, then spin with sched_yield (so that other
// runnable threads get the core) until kYieldMicros, then sleep. A training step issues kernels back
// to back with a few to tens of microseconds of JavaScript between them; a worker that is still
// spinning joins the next job within a fraction of a microsecond, while a sleeping one takes tens of
// microseconds to wake (the caller does not wait for it, see above, but gets no help meanwhile).
constexpr long kSpinMicros = 60;
constexpr long kYieldMicros = 400;

using Clock = std::chrono::steady_clock;

inline long micros_since(Clock::time_point start) {
  return static_cast<long>(std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
}

class Pool {
 public:
  explicit Pool(int threads) { start(threads); }

  // Never destroyed (see pool()), so that no worker is still joinable when static destructors run.
  ~Pool() = delete;

  int size() const { return size_; }

  void resize(int threads) {
    std::lock_guard<std::mutex> run_guard(run_mutex_);
    stop();
    start(threads);
  }

  void run(int parts, ParallelFn fn, void* context) {
    if (parts > size_) parts = size_;
    if (parts <= 1) {
      fn(context, 0, 1);
      return;
    }
    std::unique_lock<std::mutex> run_guard(run_mutex_, std::try_to_lock);
    if (!run_guard.owns_lock()) {
      // Another thread (a Node worker thread) is running a job: the same parts, in turn, here.
      for (int p = 0; p < parts; p++) fn(context, p, parts);
      return;
    }
    fn_.store(fn, std::memory_order_relaxed);
    context_.store(context, std::memory_order_relaxed);
    parts_.store(parts, std::memory_order_relaxed);
    done_.store(0, std::memory_order_relaxed);
    const std::uint64_t generation = generation_of(state_.load(std::memory_order_relaxed)) + 1;
    // seq_cst, paired with the sleepers' check in wait_for_job: either this thread sees a sleeper and
    // wakes it, or the sleeper sees the new job before it sleeps.
    state_.store(generation << kPartBits, std::memory_order_seq_cst);
    if (sleepers_.load(std::memory_order_seq_cst) > 0) {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    claim_and_run(generation, fn, context, parts);
    // What is left was claimed by workers that are running it now.
    const Clock::time_point waiting = Clock::now();
    for (long spin = 0; done_.load(std::memory_order_acquire) != parts; spin++) {
      if ((spin & 63) != 63 || micros_since(waiting) < kSpinMicros) NEURONA_SPIN_PAUSE();
      else std::this_thread::yield();
    }
  }

 private:
  // Claims parts of job `generation` until none is left (or a newer job replaced it) and runs them.
  void claim_and_run(std::uint64_t generation, ParallelFn fn, void* context, int parts) {
    std::uint64_t state = state_.load(std::memory_order_acquire);
    while (generation_of(state) == generation && part_of(state) < parts) {
      if (!state_.compare_exchange_weak(state, state + 1, std::memory_order_acq_rel, std::memory_order_acquire)) {
        continue;
      }
      fn(context, part_of(state), parts);
      done_.fetch_add(1, std::memory_order_acq_rel);
      state = state_.load(std::memory_order_acquire);
    }
  }

  void start(int threads) {
    size_ = threads < 1 ? 1 : threads;
    quit_.store(false, std::memory_order_relaxed);
    // The generation is read here, not by the new thread: a job posted before the thread gets going
    // must still count as new to it.
    const std::uint64_t seen = generation_of(state_.load(std::memory_order_acquire));
    for (int t = 1; t < size_; t++) {
      try {
        workers_.emplace_back([this, seen] { work(seen); });
      } catch (...) {
        // The system refused another thread: run with the ones that started.
        size_ = t;
        break;
      }
    }
  }

  void stop() {
    quit_.store(true, std::memory_order_relaxed);
    // A new generation with no parts wakes every worker, which then sees quit_.
    parts_.store(0, std::memory_order_relaxed);
    const std::uint64_t generation = generation_of(state_.load(std::memory_order_relaxed)) + 1;
    state_.store(generation << kPartBits, std::memory_order_seq_cst);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      wake_.notify_all();
    }
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  // Returns the state of the first job newer than `seen`.
  std::uint64_t wait_for_job(std::uint64_t seen) {
    const Clock::time_point idle = Clock::now();
    for (long spin = 0;; spin++) {
      const std::uint64_t state = state_.load(std::memory_order_acquire);
      if (generation_of(state) != seen) return state;
      if ((spin & 63) != 63) {
        NEURONA_SPIN_PAUSE();
        continue;
      }
      const long elapsed = micros_since(idle);
      if (elapsed < kSpinMicros) continue;
      if (elapsed < kYieldMicros) {
        std::this_thread::yield();
        continue;
      }
      break;
    }
    std::unique_lock<std::mutex> lock(mutex_);
    sleepers_.fetch_add(1, std::memory_order_seq_cst);
    std::uint64_t state = 0;
    wake_.wait(lock, [&] {
      state = state_.load(std::memory_order_seq_cst);
      return generation_of(state) != seen;
    });
    sleepers_.fetch_sub(1, std::memory_order_relaxed);
    return state;
  }

  void work(std::uint64_t seen) {
    for (;;) {
      const std::uint64_t state = wait_for_job(seen);
      seen = generation_of(state);
      if (quit_.load(std::memory_order_relaxed)) return;
      // Read after the acquire load that showed this generation: the description is this job's,
      // and claim_and_run's compare-and-swap fails if a newer job has replaced it meanwhile.
      claim_and_run(seen, fn_.load(std::memory_order_relaxed), context_.load(std::memory_order_relaxed),
                    parts_.load(std::memory_order_relaxed));
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel job (or resize) at a time
  std::mutex mutex_;      // for sleeping workers only
  std::condition_variable wake_;
  std::atomic<std::uint64_t> state_{0};  // generation << kPartBits | next unclaimed part
  std::atomic<int> done_{0};             // parts finished in the current job
  std::atomic<int> sleepers_{0};
  std::atomic<ParallelFn> fn_{nullptr};
  std::atomic<void*> context_{nullptr};
  std::atomic<int> parts_{0};
  std::atomic<bool> quit_{false};
};

int default_threads() {
  const unsigned cores = std::thread::hardware_concurrency();
  if (cores == 0) return 1;
  return cores > static_cast<unsigned>(kMaxThreads) ? kMaxThreads : static_cast<int>(cores);
}

Pool& pool() {
  // Leaked on purpose: destroying joinable std::threads at exit would call std::terminate, and the
  // operating system reclaims the workers when the process ends.
  static Pool* instance = new Pool(default_threads());
  return *instance;
}

ScratchSlot scratch_slots[kMaxThreads * kScratchSlotsPerThread + 1];
std::mutex scratch_mutex;

}  // namespace

void set_num_threads(int n) { pool().resize(n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n); }

int num_threads() { return pool().size(); }

void parallel_run(int threads, ParallelFn fn, void* context) { pool().run(threads, fn, context); }

ScratchLock::ScratchLock() { scratch_mutex.lock(); }

ScratchLock::~ScratchLock() { scratch_mutex.unlock(); }

float* ScratchLock::reserve(int slot, std::size_t floats) { return grow_scratch(scratch_slots[slot], floats); }

float* scratch_buffer(int slot) { return scratch_slots[slot].data; }

}  // namespace neurona
