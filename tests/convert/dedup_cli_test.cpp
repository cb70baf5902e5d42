// `anemll dedup` end to end: the report, in-place rewrite, --dry-run, thresholds, and one-line
// errors for bad input.
#include <gtest/gtest.h>

#include "base/file.h"
#include "dedup_fixture.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using namespace dedup_test;
using testing::CliResult;
using testing::CountLines;
using testing::RunCli;
using testing::TempDir;

void ExpectOneLineError(const std::vector<std::string>& args, const std::string& expect) {
  CliResult r = RunCli(args);
  EXPECT_EQ(r.exit_code, 1) << r.err;
  EXPECT_EQ(CountLines(r.err), 1) << r.err;
  EXPECT_NE(r.err.find("anemll dedup: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find(expect), std::string::npos) << r.err;
}

fs::path MakeReencodedPackage(const TempDir& tmp, const std::string& name) {
  const Weights anchor = AnchorWeights();
  const fs::path pkg = tmp / name;
  EXPECT_TRUE(WriteModel(anchor, {Reencoded(anchor.w1, 1), Reencoded(anchor.w2, 2, 2), anchor.w3}, pkg).ok());
  return pkg;
}

TEST(DedupCli, ReportsAndRewrites) {
  TempDir tmp;
  const fs::path a = MakeReencodedPackage(tmp, "a.mlpackage");
  const fs::path b = MakeReencodedPackage(tmp, "b.mlpackage");
  const uint64_t before = fs::file_size(WeightFile(a));
  CliResult r = RunCli({"dedup", a.string(), b.string(), "--verbose"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find(a.string() + ": anchor infer, targets prefill"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(b.string() + ": anchor infer"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("examined 3, replaced 2 (deq_close), identical 1, rejected 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("dense constants matched by name: 3 identical"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("deq_close prefill/layers_0_w1_weight_palettized_1 <- layers_0_w1_weight_palettized"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("identical prefill/layers_0_w3_weight_palettized_1"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("weight.bin: "), std::string::npos) << r.out;
  EXPECT_LT(fs::file_size(WeightFile(a)), before);
  EXPECT_LT(fs::file_size(WeightFile(b)), before);

  // A second run finds everything shared already and leaves the package alone.
  r = RunCli({"dedup", a.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("replaced 0 (deq_close), identical 3"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[unchanged: nothing written]"), std::string::npos) << r.out;
}

TEST(DedupCli, DryRunAndThresholds) {
  TempDir tmp;
  const fs::path pkg = MakeReencodedPackage(tmp, "chunk.mlpackage");
  const std::string weights = *ReadFile(WeightFile(pkg));
  CliResult r = RunCli({"dedup", pkg.string(), "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("replaced 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("[dry run: nothing written]"), std::string::npos) << r.out;
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), weights);

  // w2 differs by one fp16 ulp in two LUT entries: a max-abs bound below that rejects it.
  r = RunCli({"dedup", pkg.string(), "--max-abs-threshold", "1e-7", "--dry-run"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("replaced 1 (deq_close), identical 1, rejected 1 (rejected_threshold 1"), std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("rejected_threshold prefill/layers_0_w2_weight_palettized_1"), std::string::npos) << r.out;
  r = RunCli({"dedup", pkg.string(), "--strict", "--dry-run"});
  EXPECT_NE(r.out.find("replaced 2"), std::string::npos) << r.out;
  r = RunCli({"dedup", pkg.string(), "--cos-threshold", "1.0", "--mean-abs-threshold", "0", "--dry-run"});
  EXPECT_NE(r.out.find("replaced 1"), std::string::npos) << r.out;  // the exact re-encoding only
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), weights);
}

TEST(DedupCli, DifferentWeightsAreRejected) {
  TempDir tmp;
  const Weights anchor = AnchorWeights();
  const fs::path pkg = tmp / "chunk.mlpackage";
  ASSERT_TRUE(WriteModel(anchor, {RandomPalettized(32, 16, 77), anchor.w2, anchor.w3}, pkg).ok());
  const std::string weights = *ReadFile(WeightFile(pkg));
  CliResult r = RunCli({"dedup", pkg.string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.out.find("rejected 1 (rejected_threshold 1, rejected_shape 0"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("rejected_threshold prefill/layers_0_w1_weight_palettized_1"), std::string::npos) << r.out;
  EXPECT_EQ(*ReadFile(WeightFile(pkg)), weights);
}

TEST(DedupCli, BadInput) {
  TempDir tmp;
  const fs::path pkg = MakeReencodedPackage(tmp, "chunk.mlpackage");
  ExpectOneLineError({"dedup", (tmp / "nothing.mlpackage").string()}, "nothing.mlpackage");
  fs::create_directory(tmp / "plain");
  ExpectOneLineError({"dedup", (tmp / "plain").string()}, "plain");
  ASSERT_TRUE(WriteFileAtomic(tmp / "file.txt", "not a package").ok());
  ExpectOneLineError({"dedup", (tmp / "file.txt").string()}, "file.txt");
  ExpectOneLineError({"dedup", pkg.string(), "--anchor", "decode"}, "anchor function \"decode\" does not exist");
  ExpectOneLineError({"dedup", pkg.string(), "--cos-threshold", "2"}, "--cos-threshold 2");
  ExpectOneLineError({"dedup", pkg.string(), "--mean-abs-threshold", "-0.5"}, "--mean-abs-threshold -0.5");
}

}  // namespace
}  // namespace anemll::convert
