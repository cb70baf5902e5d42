// A fixed pool of worker threads for data-parallel loops (kernels, palettization).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace anemll {

class ThreadPool {
 public:
  // num_threads counts the calling thread: a pool of 1 runs everything inline.
  explicit ThreadPool(int num_threads);
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  int num_threads() const { return static_cast<int>(workers_.size()) + 1; }

  // Splits [0, n) into contiguous ranges and runs fn(begin, end) on them in parallel; returns
  // when all are done. `min_per_task` keeps tiny loops from paying for a wake-up.
  void ParallelFor(size_t n, const std::function<void(size_t, size_t)>& fn, size_t min_per_task = 1);

  // Runs fn(cancelled) on worker 1 while the caller goes on: work that may stop at any point,
  // such as warming caches while the caller runs serial code. The next RunOnAll, ParallelFor,
  // StartBackground or CancelBackground sets `cancelled` and waits for fn to return, so fn should
  // check it often. Returns false (fn not run) on a pool of one thread.
  bool StartBackground(std::function<void(const std::atomic<bool>& cancelled)> fn);
  // Stops the background job, if any, and waits for it; a no-op otherwise.
  void CancelBackground();
  // Whether a background job was started and not cancelled yet (it may have returned already).
  bool background_started() const { return background_started_; }

  // Runs fn(thread_index) once on each of the num_threads() threads.
  void RunOnAll(const std::function<void(int)>& fn);

  // Number of hardware threads (at least 1).
  static int HardwareThreads();

 private:
  void WorkerLoop(int index);
  // Hands `job` to every worker (caller thread only).
  void Publish(const std::function<void(int)>* job);
  // Waits until every worker has finished the published job.
  void WaitForWorkers();

  std::vector<std::thread> workers_;
  std::mutex mu_;
  std::condition_variable wake_;
  std::condition_variable done_;
  const std::function<void(int)>* job_ = nullptr;
  size_t generation_ = 0;
  int pending_ = 0;
  bool stop_ = false;
  // Lock-free mirrors of generation_ / pending_ / stop_ that waiters spin on briefly before
  // sleeping (see WorkerLoop).
  std::atomic<size_t> published_{0};
  std::atomic<int> remaining_{0};
  std::atomic<bool> stopping_{false};
  // The background job (caller-thread state, apart from the flag the job reads).
  std::function<void(const std::atomic<bool>&)> background_fn_;
  std::function<void(int)> background_job_;
  bool background_started_ = false;
  std::atomic<bool> background_cancel_{false};
};

}  // namespace anemll
