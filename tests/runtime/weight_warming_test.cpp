// Weight warming (runtime/plan.h): which steps stream weights, the next such step after every step,
// the order and extent of the warmed pieces, and that warming changes no result and allocates
// nothing once a run is warm.
#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "kernels/lut_int8.h"
#include "runtime/plan.h"
#include "test_program.h"

namespace anemll::runtime {
namespace {

using internal::ByteSpan;
using internal::ForEachWarmPiece;
using internal::kWarmAheadBytes;
using internal::kWarmPiece;
using internal::Plan;
using internal::PlanBuilder;
using mil::DType;
using mil::Literal;
using test::TestProgram;

std::vector<float> Ramp(size_t n, float scale) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = scale * static_cast<float>(static_cast<int>(i % 17) - 8);
  return v;
}

// x[1, 512] -> linear (w1, 512 KB fp16) -> relu -> relu -> linear (w2, 512 KB fp16) -> linear (w3,
// 1 MB fp32) -> relu -> linear (w4, [rows4, 512] fp32).
TestProgram Chain(int64_t rows4) {
  TestProgram p;
  p.Input("x", DType::kFp32, {1, 512})
      .Const("w1", Literal::Fp16({512, 512}, Ramp(512 * 512, 1.0f / 1024)))
      .Const("w2", Literal::Fp16({512, 512}, Ramp(512 * 512, 1.0f / 2048)))
      .Const("w3", Literal::Fp32({512, 512}, Ramp(512 * 512, 1.0f / 4096)))
      .Const("w4", Literal::Fp32({rows4, 512}, Ramp(static_cast<size_t>(rows4) * 512, 1.0f / 8192)))
      .Op("linear", "l1", {{"x", "x"}, {"weight", "w1"}}, {{"h1", DType::kFp32}})
      .Op("relu", "r1", {{"x", "h1"}}, {{"a1", DType::kFp32}})
      .Op("relu", "r2", {{"x", "a1"}}, {{"a2", DType::kFp32}})
      .Op("linear", "l2", {{"x", "a2"}, {"weight", "w2"}}, {{"h2", DType::kFp32}})
      .Op("linear", "l3", {{"x", "h2"}, {"weight", "w3"}}, {{"h3", DType::kFp32}})
      .Op("relu", "r3", {{"x", "h3"}}, {{"a3", DType::kFp32}})
      .Op("linear", "l4", {{"x", "a3"}, {"weight", "w4"}}, {{"y", DType::kFp32}})
      .Output("y");
  return p;
}

std::unique_ptr<Plan> Build(const TestProgram& p, ThreadPool* pool) {
  PlanBuilder pb(p.fn, "main", Precision::kFp32, pool);
  auto plan = pb.Build({{1, 512}});
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  return plan.ok() ? std::move(*plan) : nullptr;
}

std::vector<std::pair<const uint8_t*, size_t>> Pieces(const Plan& plan, int first, size_t threads, size_t skip) {
  std::vector<std::pair<const uint8_t*, size_t>> out;
  ForEachWarmPiece(plan, first, threads, skip, [&](const uint8_t* data, size_t bytes) {
    out.emplace_back(data, bytes);
    return true;
  });
  return out;
}

TEST(WeightWarming, StepsRecordStreamedWeightsAndTheNextStreamingStep) {
  ThreadPool pool(2);
  auto plan = Build(Chain(64), &pool);
  ASSERT_NE(plan, nullptr);
  ASSERT_EQ(plan->steps.size(), 7u);
  const std::vector<size_t> weight_bytes = {512 * 512 * 2, 0, 0, 512 * 512 * 2, 512 * 512 * 4, 0, 64 * 512 * 4};
  for (size_t i = 0; i < 7; ++i) {
    size_t total = 0;
    for (const ByteSpan& s : plan->steps[i].weights) total += s.bytes;
    EXPECT_EQ(total, weight_bytes[i]) << "step " << i << " (" << plan->steps[i].op->name << ")";
  }
  // w4 ([64, 512] fp32, 128 KB) streams; step 6 has no successor.
  EXPECT_EQ(plan->next_weight_step, (std::vector<int>{3, 3, 3, 4, 6, 6, -1}));
  // A 32 KB weight stays in cache between runs: not streamed.
  TestProgram small;
  small.Input("x", DType::kFp32, {1, 512})
      .Const("w", Literal::Fp32({16, 512}, Ramp(16 * 512, 0.01f)))
      .Op("linear", "l", {{"x", "x"}, {"weight", "w"}}, {{"y", DType::kFp32}})
      .Output("y");
  auto small_plan = Build(small, &pool);
  ASSERT_NE(small_plan, nullptr);
  ASSERT_EQ(small_plan->steps.size(), 1u);
  EXPECT_TRUE(small_plan->steps[0].weights.empty());
  EXPECT_EQ(small_plan->next_weight_step, std::vector<int>{-1});
}

TEST(WeightWarming, OnlyInt8LutProductsStreamTheirIndices) {
  // A 4-bit palettized [512, 512] weight (128 KB of indices, one 16-entry palette per 8 rows). The
  // exact LUT kernels are bound by their lookups, so only the int8 ones have their bytes warmed.
  const int64_t rows = 512, cols = 512;
  std::vector<uint8_t> packed(static_cast<size_t>(rows * cols / 2));
  for (size_t i = 0; i < packed.size(); ++i) packed[i] = static_cast<uint8_t>(i * 37 + 11);
  TestProgram p;
  p.Input("x", DType::kFp32, {1, cols})
      .Op("constexpr_lut_to_dense", "w",
          {{"indices", Literal::Raw(DType::kUInt4, {rows, cols}, std::make_shared<mil::Buffer>(packed))},
           {"lut", Literal::Fp16({rows / 8, 1, 16, 1}, Ramp(static_cast<size_t>(rows / 8) * 16, 1.0f / 64))}},
          {{"w", DType::kFp16}}, {{rows, cols}})
      .Op("linear", "l", {{"x", "x"}, {"weight", "w"}}, {{"y", DType::kFp32}})
      .Output("y");
  ThreadPool pool(2);
  for (LutDot dot : {LutDot::kExact, LutDot::kInt8}) {
    PlanBuilder pb(p.fn, "main", Precision::kFp16, &pool, dot);
    auto plan = pb.Build({{1, cols}});
    ASSERT_TRUE(plan.ok()) << plan.status().message();
    ASSERT_EQ((*plan)->steps.size(), 1u);
    const auto& weights = (*plan)->steps[0].weights;
    if (dot == LutDot::kInt8 && kernels::CpuHasLutInt8Kernels()) {
      ASSERT_EQ(weights.size(), 1u);
      EXPECT_EQ(weights[0].bytes, packed.size());
    } else {
      EXPECT_TRUE(weights.empty()) << LutDotName(dot);
    }
  }
}

TEST(WeightWarming, PiecesInterleaveThreadSharesAndCoverEachByteOnce) {
  ThreadPool pool(2);
  auto plan = Build(Chain(64), &pool);
  ASSERT_NE(plan, nullptr);
  for (size_t threads : {1, 2, 3}) {
    const auto pieces = Pieces(*plan, 3, threads, 0);
    // Steps 3, 4 and 6 in order, each span's bytes exactly once.
    std::map<const uint8_t*, size_t> covered;
    size_t total = 0;
    for (const auto& [data, bytes] : pieces) {
      EXPECT_LE(bytes, kWarmPiece);
      if (bytes == 0) continue;
      EXPECT_TRUE(covered.emplace(data, bytes).second);
      total += bytes;
    }
    size_t expected = 0;
    for (int step : {3, 4, 6}) {
      const ByteSpan& span = plan->steps[step].weights.at(0);
      expected += span.bytes;
      size_t at = 0;  // the pieces inside this span tile it without gaps
      for (auto it = covered.lower_bound(span.data); it != covered.end() && it->first < span.data + span.bytes; ++it) {
        EXPECT_EQ(it->first, span.data + at) << "step " << step << " threads " << threads;
        at += it->second;
      }
      EXPECT_EQ(at, span.bytes) << "step " << step << " threads " << threads;
    }
    EXPECT_EQ(total, expected);
    // The first `threads` pieces start the threads' shares of step 3's weight.
    const ByteSpan& first = plan->steps[3].weights.at(0);
    const size_t share = (first.bytes + threads - 1) / threads;
    for (size_t t = 0; t < threads; ++t) EXPECT_EQ(pieces[t].first, first.data + t * share) << threads;
    // Resuming at slot k gives the rest of the same order.
    for (size_t k : {size_t{1}, size_t{5}, pieces.size() / 2, pieces.size() - 1, pieces.size()}) {
      const auto rest = Pieces(*plan, 3, threads, k);
      ASSERT_EQ(rest.size(), pieces.size() - k);
      EXPECT_TRUE(std::equal(rest.begin(), rest.end(), pieces.begin() + static_cast<std::ptrdiff_t>(k)));
    }
  }
  // A visitor that returns false stops the walk.
  size_t visits = 0;
  ForEachWarmPiece(*plan, 0, 2, 0, [&](const uint8_t*, size_t) { return ++visits < 3; });
  EXPECT_EQ(visits, 3u);
}

TEST(WeightWarming, StopsStartingWeightsPastTheBudget) {
  // w4 of 3 MB: from step 3 on, 512 KB + 1 MB + 3 MB; the budget is reached only inside w4.
  ThreadPool pool(2);
  const int64_t rows4 = 1536;
  auto plan = Build(Chain(rows4), &pool);
  ASSERT_NE(plan, nullptr);
  size_t from3 = 0;
  for (const auto& piece : Pieces(*plan, 3, 2, 0)) from3 += piece.second;
  EXPECT_EQ(from3, size_t{512 * 512 * 2 + 512 * 512 * 4} + static_cast<size_t>(rows4 * 512 * 4));
  ASSERT_LT(512 * 512 * 2 + 512 * 512 * 4, static_cast<int64_t>(kWarmAheadBytes));
  // From step 0: w1 (512 KB), w2, w3 (1 MB), then w4 starts at 2 MB < 4 MB and is read whole.
  size_t from0 = 0;
  for (const auto& piece : Pieces(*plan, 0, 2, 0)) from0 += piece.second;
  EXPECT_EQ(from0, from3 + 512 * 512 * 2);
  // A chain longer than the budget stops before the span that starts past it.
  TestProgram long_chain = Chain(rows4);
  auto& ops = long_chain.fn.block.operations;
  ops.back().outputs[0].name = "h4";
  long_chain.fn.block.outputs = {"y"};
  long_chain.Const("w5", Literal::Fp32({512, rows4}, Ramp(static_cast<size_t>(rows4) * 512, 1.0f / 8192)))
      .Op("linear", "l5", {{"x", "h4"}, {"weight", "w5"}}, {{"y", DType::kFp32}});
  auto plan2 = Build(long_chain, &pool);
  ASSERT_NE(plan2, nullptr);
  size_t with_w5 = 0;
  for (const auto& piece : Pieces(*plan2, 0, 2, 0)) with_w5 += piece.second;
  EXPECT_EQ(with_w5, from0);  // w5 would start at 5 MB, past the 4 MB budget
}

TEST(WeightWarming, WarmedRunsMatchSingleThreadedRunsBitForBit) {
  const TestProgram p = Chain(1536);
  std::vector<float> xs(512);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(static_cast<int>((i * 37) % 101) - 50) / 64.0f;
  const Tensor x = Tensor::FromFloats(DType::kFp32, {1, 512}, xs);
  std::vector<std::vector<float>> results;
  for (int threads : {1, 2}) {
    Options o;
    o.precision = Precision::kFp32;
    o.threads = threads;
    auto e = Executable::Compile(p.fn, "main", o);
    ASSERT_TRUE(e.ok()) << e.status().message();
    for (int run = 0; run < 3; ++run) {
      auto out = test::RunOnce(**e, {{"x", x}});
      const Tensor& y = out.at("y");
      std::vector<float> v(static_cast<size_t>(y.num_elements()));
      for (size_t i = 0; i < v.size(); ++i) v[i] = y.FloatAt(static_cast<int64_t>(i));
      results.push_back(std::move(v));
    }
  }
  for (const auto& r : results) EXPECT_EQ(r, results.front());
}

}  // namespace
}  // namespace anemll::runtime
