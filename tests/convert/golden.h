// The transformers goldens of a fixture model (golden.safetensors): teacher-forced logits of
// `input_ids`, greedy continuations, and for stories260K llama2.c's story.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <string>
#include <vector>

#include "hf/safetensors.h"
#include "support/test_support.h"

namespace anemll::convert::test_golden {

struct Golden {
  std::vector<int32_t> input_ids;
  int64_t vocab = 0;
  std::vector<float> logits;  // [T, vocab]
  std::vector<int32_t> greedy_prompt, greedy_ids;
  std::vector<int32_t> story_prompt, story_ids;

  const float* row(int64_t t) const { return &logits[static_cast<size_t>(t * vocab)]; }
  // top1 - top2 of the golden row.
  double Margin(int64_t t) const {
    std::vector<float> r(row(t), row(t) + vocab);
    std::partial_sort(r.begin(), r.begin() + 2, r.end(), std::greater<float>());
    return r[0] - r[1];
  }
  int32_t Top(int64_t t) const { return static_cast<int32_t>(std::max_element(row(t), row(t) + vocab) - row(t)); }
};

inline std::vector<int32_t> Ints(const hf::SafetensorsFile& f, const std::string& name) {
  std::vector<int32_t> out;
  if (const hf::TensorInfo* t = f.Find(name)) {
    auto values = hf::ToInt64(*t);
    EXPECT_TRUE(values.ok()) << values.status().message();
    if (values.ok()) {
      for (int64_t v : *values) out.push_back(static_cast<int32_t>(v));
    }
  }
  return out;
}

inline Golden LoadGolden(const std::string& model) {
  Golden g;
  auto f = hf::SafetensorsFile::Open(anemll::testing::ModelDir(model) / "golden.safetensors");
  EXPECT_TRUE(f.ok()) << f.status().message();
  if (!f.ok()) return g;
  g.input_ids = Ints(*f, "input_ids");
  const hf::TensorInfo* logits = f->Find("logits");
  EXPECT_NE(logits, nullptr) << model << ": golden.safetensors has no logits";
  if (!logits) return g;
  g.vocab = logits->shape[1];
  auto values = hf::ToFloat32(*logits);
  EXPECT_TRUE(values.ok()) << values.status().message();
  if (values.ok()) g.logits = std::move(*values);
  g.greedy_prompt = Ints(*f, "greedy_prompt");
  g.greedy_ids = Ints(*f, "greedy_ids");
  g.story_prompt = Ints(*f, "story_prompt");
  g.story_ids = Ints(*f, "story_ids");
  return g;
}

}  // namespace anemll::convert::test_golden
