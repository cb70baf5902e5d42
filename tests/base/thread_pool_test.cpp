// ThreadPool: every index runs exactly once, on back-to-back loops (workers still spinning) and
// after idle gaps (workers asleep on the condition variable), and shutdown in both states; a
// background job runs beside the caller until the next loop cancels it.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace anemll {
namespace {

// Longer than the pool's spin time, so workers are asleep afterwards.
constexpr auto kIdleGap = std::chrono::milliseconds(5);

void ExpectEachIndexOnce(ThreadPool& pool, size_t n) {
  std::vector<std::atomic<int>> hits(n);
  pool.ParallelFor(n, [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) hits[i].fetch_add(1, std::memory_order_relaxed);
  });
  for (size_t i = 0; i < n; ++i) ASSERT_EQ(hits[i].load(), 1) << "index " << i << " of " << n;
}

TEST(ThreadPool, BackToBackLoopsCoverEveryIndexOnce) {
  for (int threads : {1, 2, 3, 4}) {
    ThreadPool pool(threads);
    EXPECT_EQ(pool.num_threads(), threads);
    for (int round = 0; round < 2000; ++round) ExpectEachIndexOnce(pool, static_cast<size_t>(1 + round % 37));
  }
}

TEST(ThreadPool, LoopsAfterIdleGapsWakeSleepingWorkers) {
  ThreadPool pool(3);
  for (int round = 0; round < 5; ++round) {
    std::this_thread::sleep_for(kIdleGap);
    ExpectEachIndexOnce(pool, 1000);
  }
}

TEST(ThreadPool, RunOnAllUsesEveryThreadIndexOnce) {
  ThreadPool pool(4);
  for (int round = 0; round < 100; ++round) {
    std::vector<std::atomic<int>> seen(4);
    std::atomic<int> distinct_threads{0};
    std::mutex mu;
    std::set<std::thread::id> ids;
    pool.RunOnAll([&](int t) {
      seen[static_cast<size_t>(t)].fetch_add(1);
      std::lock_guard<std::mutex> lock(mu);
      if (ids.insert(std::this_thread::get_id()).second) distinct_threads.fetch_add(1);
    });
    for (int t = 0; t < 4; ++t) ASSERT_EQ(seen[static_cast<size_t>(t)].load(), 1);
    ASSERT_EQ(distinct_threads.load(), 4);
  }
}

TEST(ThreadPool, MinPerTaskKeepsSmallLoopsInline) {
  ThreadPool pool(4);
  const auto caller = std::this_thread::get_id();
  bool other_thread = false;
  pool.ParallelFor(
      8, [&](size_t, size_t) { other_thread |= std::this_thread::get_id() != caller; }, /*min_per_task=*/100);
  EXPECT_FALSE(other_thread);
}

TEST(ThreadPool, ShutsDownWhileSpinningAndWhileAsleep) {
  {
    ThreadPool pool(3);
    ExpectEachIndexOnce(pool, 64);  // destroyed right away: workers still spinning
  }
  {
    ThreadPool pool(3);
    ExpectEachIndexOnce(pool, 64);
    std::this_thread::sleep_for(kIdleGap);  // workers asleep
  }
  ThreadPool never_used(2);
}

// A background job that runs until cancelled, counting its iterations.
struct Spinner {
  std::atomic<bool> running{false};
  std::atomic<bool> returned{false};
  std::atomic<long> iterations{0};
  std::thread::id thread;

  std::function<void(const std::atomic<bool>&)> Job() {
    return [this](const std::atomic<bool>& cancelled) {
      thread = std::this_thread::get_id();
      running.store(true);
      while (!cancelled.load(std::memory_order_relaxed)) iterations.fetch_add(1, std::memory_order_relaxed);
      returned.store(true);
    };
  }
  void AwaitStart() const {
    while (!running.load()) std::this_thread::yield();
  }
};

TEST(ThreadPool, BackgroundJobRunsBesideTheCallerUntilTheNextLoop) {
  ThreadPool pool(2);
  for (int round = 0; round < 50; ++round) {
    Spinner spin;
    ASSERT_TRUE(pool.StartBackground(spin.Job()));
    EXPECT_TRUE(pool.background_started());
    spin.AwaitStart();  // it runs while this thread goes on
    EXPECT_NE(spin.thread, std::this_thread::get_id());
    ExpectEachIndexOnce(pool, 100);  // cancels the job first, then uses both threads
    EXPECT_TRUE(spin.returned.load());
    EXPECT_FALSE(pool.background_started());
  }
}

TEST(ThreadPool, CancelBackgroundStopsAJobAndIsANoOpOtherwise) {
  ThreadPool pool(3);
  pool.CancelBackground();  // nothing started
  Spinner spin;
  ASSERT_TRUE(pool.StartBackground(spin.Job()));
  spin.AwaitStart();
  pool.CancelBackground();
  EXPECT_TRUE(spin.returned.load());
  const long after = spin.iterations.load();
  std::this_thread::sleep_for(kIdleGap);
  EXPECT_EQ(spin.iterations.load(), after);  // stopped for good
  pool.CancelBackground();
  // A job that returns on its own, then a new one replacing it.
  std::atomic<int> done{0};
  ASSERT_TRUE(pool.StartBackground([&](const std::atomic<bool>&) { done.fetch_add(1); }));
  std::this_thread::sleep_for(kIdleGap);
  ASSERT_TRUE(pool.StartBackground([&](const std::atomic<bool>&) { done.fetch_add(1); }));
  pool.CancelBackground();
  EXPECT_EQ(done.load(), 2);
}

TEST(ThreadPool, BackgroundJobNeedsAWorkerAndEndsWithThePool) {
  ThreadPool single(1);
  bool ran = false;
  EXPECT_FALSE(single.StartBackground([&](const std::atomic<bool>&) { ran = true; }));
  EXPECT_FALSE(single.background_started());
  EXPECT_FALSE(ran);
  Spinner spin;
  {
    ThreadPool pool(2);
    ASSERT_TRUE(pool.StartBackground(spin.Job()));
    spin.AwaitStart();
  }  // the destructor cancels the job and joins
  EXPECT_TRUE(spin.returned.load());
}

}  // namespace
}  // namespace anemll
