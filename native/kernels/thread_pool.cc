#include "thread_pool.h"

#include <atomic>
#include <condition_variable>
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

// Workers spin this many rounds on the job counter before sleeping on the condition variable. A
// training step issues kernels back to back, and a wake-up through the kernel scheduler costs tens
// of microseconds, more than many whole kernels; a short spin (tens of microseconds) avoids it while
// leaving the core to other processes soon after the last job.
constexpr int kSpinRounds = 1 << 14;

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

  void run(int threads, ParallelFn fn, void* context) {
    if (threads > size_) threads = size_;
    if (threads <= 1) {
      fn(context, 0, 1);
      return;
    }
    std::unique_lock<std::mutex> run_guard(run_mutex_, std::try_to_lock);
    if (!run_guard.owns_lock()) {
      for (int t = 0; t < threads; t++) fn(context, t, threads);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      fn_ = fn;
      context_ = context;
      active_ = threads;
      remaining_.store(threads - 1, std::memory_order_relaxed);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    fn(context, 0, threads);
    for (int spin = 0; remaining_.load(std::memory_order_acquire) != 0; spin++) {
      if (spin < kSpinRounds) {
        NEURONA_SPIN_PAUSE();
        continue;
      }
      std::unique_lock<std::mutex> lock(mutex_);
      done_.wait(lock, [&] { return remaining_.load(std::memory_order_acquire) == 0; });
      break;
    }
  }

 private:
  void start(int threads) {
    size_ = threads < 1 ? 1 : threads;
    quit_ = false;
    // The generation is read here, not by the new thread: a job posted before the thread gets going
    // must still count as new to it.
    const unsigned long seen = generation_.load(std::memory_order_acquire);
    for (int t = 1; t < size_; t++) {
      try {
        workers_.emplace_back([this, t, seen] { work(t, seen); });
      } catch (...) {
        // The system refused another thread: run with the ones that started.
        size_ = t;
        break;
      }
    }
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      quit_ = true;
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    for (auto& worker : workers_) worker.join();
    workers_.clear();
  }

  void work(int index, unsigned long seen) {
    for (;;) {
      bool posted = false;
      for (int spin = 0; spin < kSpinRounds && !posted; spin++) {
        posted = generation_.load(std::memory_order_acquire) != seen;
        if (!posted) NEURONA_SPIN_PAUSE();
      }
      ParallelFn fn;
      void* context;
      int active;
      bool quit;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        if (!posted) wake_.wait(lock, [&] { return generation_.load(std::memory_order_acquire) != seen; });
        // The generation and the job are read together under the lock: a worker that lags behind
        // takes the newest job once, and never runs a job twice.
        seen = generation_.load(std::memory_order_acquire);
        fn = fn_;
        context = context_;
        active = active_;
        quit = quit_;
      }
      if (quit) return;
      if (index >= active) continue;
      fn(context, index, active);
      if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> lock(mutex_);
        done_.notify_one();
      }
    }
  }

  int size_ = 1;
  std::vector<std::thread> workers_;
  std::mutex run_mutex_;  // one parallel job (or resize) at a time
  std::mutex mutex_;      // guards the job description below and the condition variables
  std::condition_variable wake_;
  std::condition_variable done_;
  std::atomic<unsigned long> generation_{0};
  std::atomic<int> remaining_{0};
  ParallelFn fn_ = nullptr;
  void* context_ = nullptr;
  int active_ = 0;
  bool quit_ = false;
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

struct ScratchSlot {
  float* data = nullptr;
  std::size_t capacity = 0;
};
ScratchSlot scratch_slots[kMaxThreads * kScratchSlotsPerThread + 1];
std::mutex scratch_mutex;

}  // namespace

void set_num_threads(int n) { pool().resize(n < 1 ? 1 : n > kMaxThreads ? kMaxThreads : n); }

int num_threads() { return pool().size(); }

void parallel_run(int threads, ParallelFn fn, void* context) { pool().run(threads, fn, context); }

ScratchLock::ScratchLock() { scratch_mutex.lock(); }

ScratchLock::~ScratchLock() { scratch_mutex.unlock(); }

float* ScratchLock::reserve(int slot, std::size_t floats) {
  ScratchSlot& s = scratch_slots[slot];
  if (s.capacity < floats) {
    std::free(s.data);
    // Round up to whole cache lines: aligned_alloc wants a multiple of the alignment.
    const std::size_t bytes = ((floats * sizeof(float) + 63) / 64) * 64;
    s.data = static_cast<float*>(std::aligned_alloc(64, bytes));
    s.capacity = s.data ? floats : 0;
  }
  return s.data;
}

float* scratch_buffer(int slot) { return scratch_slots[slot].data; }

}  // namespace neurona
