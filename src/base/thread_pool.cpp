#include "base/thread_pool.h"

#include <algorithm>
#include <chrono>

namespace anemll {
namespace {

// Decoding runs hundreds of short parallel loops per token; a worker that went to sleep on the
// condition variable between two of them costs a futex wake-up each time (about a tenth of a
// decode step). Waiters therefore spin this long before sleeping.
constexpr auto kSpinTime = std::chrono::microseconds(50);

inline void CpuRelax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield");
#endif
}

// Spins until done() or kSpinTime has passed; returns done().
template <typename Done>
bool SpinUntil(const Done& done) {
  const auto deadline = std::chrono::steady_clock::now() + kSpinTime;
  for (int i = 0;; ++i) {
    if (done()) return true;
    CpuRelax();
    if ((i & 63) == 63 && std::chrono::steady_clock::now() > deadline) return done();
  }
}

}  // namespace

ThreadPool::ThreadPool(int num_threads) {
  num_threads = std::max(1, num_threads);
  background_job_ = [this](int index) {
    if (index == 1) background_fn_(background_cancel_);
  };
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  CancelBackground();
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
    stopping_.store(true, std::memory_order_release);
  }
  wake_.notify_all();
  for (auto& t : workers_) t.join();
}

int ThreadPool::HardwareThreads() {
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : static_cast<int>(n);
}

void ThreadPool::WorkerLoop(int index) {
  size_t seen = 0;
  for (;;) {
    const std::function<void(int)>* job;
    SpinUntil([&] {
      return published_.load(std::memory_order_acquire) != seen || stopping_.load(std::memory_order_acquire);
    });
    {
      std::unique_lock<std::mutex> lock(mu_);
      wake_.wait(lock, [&] { return stop_ || generation_ != seen; });
      if (stop_) return;
      seen = generation_;
      job = job_;
    }
    (*job)(index);
    {
      std::lock_guard<std::mutex> lock(mu_);
      remaining_.fetch_sub(1, std::memory_order_release);
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::Publish(const std::function<void(int)>* job) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = job;
    pending_ = static_cast<int>(workers_.size());
    remaining_.store(pending_, std::memory_order_relaxed);
    ++generation_;
    published_.store(generation_, std::memory_order_release);
  }
  wake_.notify_all();
}

void ThreadPool::WaitForWorkers() {
  SpinUntil([&] { return remaining_.load(std::memory_order_acquire) == 0; });
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

bool ThreadPool::StartBackground(std::function<void(const std::atomic<bool>& cancelled)> fn) {
  if (workers_.empty()) return false;
  CancelBackground();
  background_fn_ = std::move(fn);
  Publish(&background_job_);
  background_started_ = true;
  return true;
}

void ThreadPool::CancelBackground() {
  if (!background_started_) return;
  background_cancel_.store(true, std::memory_order_relaxed);
  WaitForWorkers();
  background_started_ = false;
  background_cancel_.store(false, std::memory_order_relaxed);
}

void ThreadPool::RunOnAll(const std::function<void(int)>& fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  CancelBackground();
  Publish(&fn);
  fn(0);
  WaitForWorkers();
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_per_task) {
  if (n == 0) return;
  const size_t threads = static_cast<size_t>(num_threads());
  const size_t tasks = std::min(threads, std::max<size_t>(1, n / std::max<size_t>(1, min_per_task)));
  if (tasks <= 1) {
    fn(0, n);
    return;
  }
  // One captured pointer fits std::function's inline storage: no heap allocation per loop.
  const struct {
    size_t n, tasks;
    const std::function<void(size_t, size_t)>* fn;
  } loop{n, tasks, &fn};
  RunOnAll([&loop](int t) {
    const size_t ti = static_cast<size_t>(t);
    if (ti >= loop.tasks) return;
    const size_t begin = loop.n * ti / loop.tasks;
    const size_t end = loop.n * (ti + 1) / loop.tasks;
    if (begin < end) (*loop.fn)(begin, end);
  });
}

}  // namespace anemll
