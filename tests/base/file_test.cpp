#include "base/file.h"

#include <gtest/gtest.h>

#include "base/thread_pool.h"
#include "support/test_support.h"

namespace anemll {
namespace {
namespace fs = std::filesystem;

TEST(MappedFile, MissingFileIsAnError) {
  auto r = MappedFile::Open("/nonexistent/anemll/file.bin");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("/nonexistent/anemll/file.bin"), std::string::npos);
}

TEST(WriteFileAtomic, WritesAndReplaces) {
  testing::TempDir tmp;
  ASSERT_TRUE(WriteFileAtomic(tmp / "a.txt", "one").ok());
  ASSERT_TRUE(WriteFileAtomic(tmp / "a.txt", "two").ok());
  auto s = ReadFile(tmp / "a.txt");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(*s, "two");
  int n = 0;
  for (auto& e : fs::directory_iterator(tmp.path())) (void)e, ++n;
  EXPECT_EQ(n, 1);  // no temporary left behind
}

TEST(StagedPath, UncommittedLeavesNothing) {
  testing::TempDir tmp;
  {
    auto staged = StagedPath::Create(tmp / "out", true);
    ASSERT_TRUE(staged.ok());
    ASSERT_TRUE(WriteFileAtomic(staged->path() / "x", "data").ok());
  }
  EXPECT_TRUE(fs::is_empty(tmp.path()));
  {
    auto staged = StagedPath::Create(tmp / "out", true);
    ASSERT_TRUE(staged.ok());
    ASSERT_TRUE(WriteFileAtomic(staged->path() / "x", "data").ok());
    ASSERT_TRUE(staged->Commit().ok());
  }
  EXPECT_TRUE(fs::exists(tmp / "out" / "x"));
}

TEST(ThreadPool, ParallelForCoversRangeOnce) {
  ThreadPool pool(3);
  std::vector<int> hits(1000, 0);
  pool.ParallelFor(hits.size(), [&](size_t b, size_t e) {
    for (size_t i = b; i < e; ++i) hits[i]++;
  });
  for (int h : hits) EXPECT_EQ(h, 1);
}

}  // namespace
}  // namespace anemll
