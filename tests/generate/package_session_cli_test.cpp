// The runtime session over converted folders: prefill equals token-by-token feeding, ANEMLL-style
// meta.yaml files (no file names, no dynamic-slice key) load and agree, the context-full shift
// follows ANEMLL's rule inside the generation loop, and bad folders fail clearly.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "generate/decoder.h"
#include "generate/generate.h"
#include "runtime/package_session.h"
#include "support/test_support.h"

namespace anemll::generate {
namespace {

using anemll::testing::ModelDir;
using anemll::testing::RunCli;
using anemll::testing::TempDir;
using runtime::PackageModel;
using runtime::PackageModelOptions;
using runtime::Precision;
namespace fs = std::filesystem;

// Batch prefill and single-token infer accumulate in different orders; in fp32 they agree to
// rounding noise.
constexpr double kPrefillVsStepTolFp32 = 1e-4;

fs::path ConvertTiny(const TempDir& tmp, const std::string& model, int context, int batch, int chunks) {
  const fs::path out = tmp / "out";
  auto r = RunCli({"convert", "--model", ModelDir(model).string(), "--output", out.string(), "--context",
                   std::to_string(context), "--batch", std::to_string(batch), "--chunk", std::to_string(chunks),
                   "--lut1", "none", "--lut2", "none", "--lut3", "none"});
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return out;
}

std::unique_ptr<PackageModel> OpenFp32(const fs::path& dir) {
  PackageModelOptions o;
  o.precision = Precision::kFp32;
  o.threads = 2;
  auto m = PackageModel::Open(dir, o);
  EXPECT_TRUE(m.ok()) << m.status().message();
  return m.ok() ? std::move(*m) : nullptr;
}

std::vector<int32_t> Ids(int n, int vocab) {
  std::vector<int32_t> ids;
  for (int i = 0; i < n; ++i) ids.push_back((i * 37 + 11) % vocab);
  return ids;
}

double MaxAbsDiff(const std::vector<float>& a, const std::vector<float>& b) {
  EXPECT_EQ(a.size(), b.size());
  double worst = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) worst = std::max(worst, std::fabs(double(a[i]) - b[i]));
  return worst;
}

TEST(PackageSession, PrefillMatchesTokenByToken) {
  TempDir tmp;
  const fs::path out = ConvertTiny(tmp, "tiny-qwen3", 64, 4, 2);
  auto model = OpenFp32(out);
  ASSERT_TRUE(model);
  EXPECT_EQ(model->context_length(), 64);
  EXPECT_EQ(model->batch_size(), 4);
  EXPECT_GT(model->weight_bytes_per_token(), 0);
  const std::vector<int32_t> ids = Ids(23, static_cast<int>(model->vocab_size()));

  auto batched = model->NewSession();
  auto a = batched->Prefill(ids);
  ASSERT_TRUE(a.ok()) << a.status().message();
  EXPECT_EQ(batched->position(), 23);
  EXPECT_EQ(batched->tokens(), ids);

  auto single = model->NewSession();
  std::vector<float> b;
  for (int32_t t : ids) {
    auto l = single->Step(t);
    ASSERT_TRUE(l.ok()) << l.status().message();
    b = *l;
  }
  EXPECT_LE(MaxAbsDiff(*a, b), kPrefillVsStepTolFp32);

  // Continuing after a prefill reads the cache the batches wrote.
  auto na = batched->Step(5);
  auto nb = single->Step(5);
  ASSERT_TRUE(na.ok() && nb.ok());
  EXPECT_LE(MaxAbsDiff(*na, *nb), kPrefillVsStepTolFp32);

  batched->Reset();
  EXPECT_EQ(batched->position(), 0);
  auto again = batched->Prefill(ids);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *a) << "Reset must forget everything";

  auto bad_id = batched->Step(static_cast<int32_t>(model->vocab_size()));
  ASSERT_FALSE(bad_id.ok());
  EXPECT_NE(bad_id.status().message().find("outside the vocabulary"), std::string::npos);
  EXPECT_EQ(batched->position(), 23) << "a rejected token is not fed";

  // Beyond the context.
  auto over = batched->Prefill(Ids(50, 100));
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.status().message().find("exceed the context of 64 tokens"), std::string::npos)
      << over.status().message();
}

TEST(PackageSession, ReadsAnemllStyleMetaAndMetaPath) {
  TempDir tmp;
  const fs::path out = ConvertTiny(tmp, "tiny-llama", 32, 4, 2);
  auto full = OpenFp32(out / "meta.yaml");
  ASSERT_TRUE(full);
  const std::vector<int32_t> ids = Ids(13, static_cast<int>(full->vocab_size()));
  auto reference = full->NewSession()->Prefill(ids);
  ASSERT_TRUE(reference.ok()) << reference.status().message();

  // An old-style meta: file names rebuilt from the prefix, no prefill_dynamic_slice (so every
  // token goes through infer), no vocab_size (learned from the LM head).
  std::ofstream(out / "meta.yaml") << "model_info:\n  parameters:\n    context_length: 32\n    batch_size: 4\n"
                                      "    num_chunks: 2\n    model_prefix: llama\n    lut_ffn: none\n";
  auto old = OpenFp32(out);
  ASSERT_TRUE(old);
  EXPECT_FALSE(old->meta().batch_prefill());
  EXPECT_EQ(old->vocab_size(), full->vocab_size());
  auto got = old->NewSession()->Prefill(ids);
  ASSERT_TRUE(got.ok()) << got.status().message();
  EXPECT_LE(MaxAbsDiff(*got, *reference), kPrefillVsStepTolFp32);

  // Only compiled models: a clear error naming the key.
  fs::rename(out / "llama_lm_head.mlpackage", out / "llama_lm_head.mlmodelc");
  auto compiled = PackageModel::Open(out);
  ASSERT_FALSE(compiled.ok());
  EXPECT_NE(compiled.status().message().find("lm_head: llama_lm_head.mlmodelc is a compiled model"),
            std::string::npos)
      << compiled.status().message();
}

// Greedy generation past the end of the context: Generate shifts (keeps ANEMLL's number of
// tokens, re-feeds them from position 0) and goes on; the result equals doing it by hand.
void CheckShift(const std::string& model_name, int context, int batch) {
  SCOPED_TRACE(model_name);
  TempDir tmp;
  const fs::path out = ConvertTiny(tmp, model_name, context, batch, 2);
  auto model = OpenFp32(out);
  ASSERT_TRUE(model);
  const std::vector<int32_t> prompt = Ids(10, static_cast<int>(model->vocab_size()));
  const int64_t n = 2 * context + 7;

  PackageDecoder decoder(*model);
  GenerateOptions go;
  go.max_new_tokens = n;
  auto result = Generate(decoder, prompt, go);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(static_cast<int64_t>(result->tokens.size()), n);
  EXPECT_GE(result->context_shifts, 2);

  const int64_t keep = ShiftedContextLength(context, batch);
  auto session = model->NewSession();
  std::vector<int32_t> history = prompt, expected;
  auto logits = session->Prefill(prompt);
  ASSERT_TRUE(logits.ok());
  while (static_cast<int64_t>(expected.size()) < n) {
    const int32_t next = static_cast<int32_t>(std::max_element(logits->begin(), logits->end()) - logits->begin());
    expected.push_back(next);
    history.push_back(next);
    if (session->position() >= context) {
      session->Reset();
      logits = session->Prefill(std::span<const int32_t>(history).last(static_cast<size_t>(keep)));
    } else {
      logits = session->Step(next);
    }
    ASSERT_TRUE(logits.ok()) << logits.status().message();
  }
  EXPECT_EQ(result->tokens, expected);

  go.shift_context = false;
  decoder.Reset();
  auto stopped = Generate(decoder, prompt, go);
  ASSERT_TRUE(stopped.ok());
  EXPECT_EQ(stopped->reason, StopReason::kContextFull);
  EXPECT_EQ(static_cast<int64_t>(stopped->tokens.size()), context - static_cast<int64_t>(prompt.size()) + 1);
}

TEST(PackageSession, ContextShiftLlama) { CheckShift("tiny-llama", 32, 4); }
// Gemma: the shift re-fills the sliding-window cache and rotates again.
TEST(PackageSession, ContextShiftGemma) { CheckShift("tiny-gemma3", 32, 4); }

TEST(ShiftedContextLength, FollowsAnemllRule) {
  EXPECT_EQ(ShiftedContextLength(512, 64), 384);   // (8 - 2) * 64
  EXPECT_EQ(ShiftedContextLength(4096, 64), 3968);  // (64 - 2) * 64
  EXPECT_EQ(ShiftedContextLength(256, 32), 192);
  EXPECT_EQ(ShiftedContextLength(128, 64), 64);     // min(1 * 64, 128 - 64)
  EXPECT_EQ(ShiftedContextLength(32, 16), 16);
  EXPECT_EQ(ShiftedContextLength(16, 16), 1);       // never below one token
}

}  // namespace
}  // namespace anemll::generate
