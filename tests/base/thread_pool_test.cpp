// ThreadPool: every index runs exactly once, on back-to-back loops (workers still spinning) and
// after idle gaps (workers asleep on the condition variable), and shutdown in both states.
#include "base/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
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

}  // namespace
}  // namespace anemll
