#include "base/thread_pool.h"

#include <algorithm>

namespace anemll {

ThreadPool::ThreadPool(int num_threads) {
  num_threads = std::max(1, num_threads);
  for (int i = 1; i < num_threads; ++i) workers_.emplace_back([this, i] { WorkerLoop(i); });
}

ThreadPool::~ThreadPool() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stop_ = true;
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
      if (--pending_ == 0) done_.notify_one();
    }
  }
}

void ThreadPool::RunOnAll(const std::function<void(int)>& fn) {
  if (workers_.empty()) {
    fn(0);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    job_ = &fn;
    pending_ = static_cast<int>(workers_.size());
    ++generation_;
  }
  wake_.notify_all();
  fn(0);
  std::unique_lock<std::mutex> lock(mu_);
  done_.wait(lock, [&] { return pending_ == 0; });
  job_ = nullptr;
}

void ThreadPool::ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_per_task) {
  if (n == 0) return;
  const size_t threads = static_cast<size_t>(num_threads());
  const size_t tasks = std::min(threads, std::max<size_t>(1, n / std::max<size_t>(1, min_per_task)));
  if (tasks <= 1) {
    fn(0, n);
    return;
  }
  RunOnAll([&](int t) {
    const size_t ti = static_cast<size_t>(t);
    if (ti >= tasks) return;
    const size_t begin = n * ti / tasks;
    const size_t end = n * (ti + 1) / tasks;
    if (begin < end) fn(begin, end);
  });
}

}  // namespace anemll
