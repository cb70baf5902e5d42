// The graphs of each part, built in memory for the tiny fixture models: every function validates
// against the iOS18 op table and has ANEMLL's I/O contract (names, shapes, dtypes, states).
#include <gtest/gtest.h>

#include <cmath>

#include "convert/decoder_graph.h"
#include "convert/parts.h"
#include "convert/plan.h"
#include "hf/checkpoint.h"
#include "mil/validate.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

using mil::ArrayDType;
using testing::ModelDir;

struct Loaded {
  std::unique_ptr<hf::Checkpoint> ckpt;
  ConversionPlan plan;
};

Loaded Load(const std::string& model, ConvertOptions o) {
  auto ckpt = hf::Checkpoint::Open(ModelDir(model));
  EXPECT_TRUE(ckpt.ok()) << ckpt.status().message();
  Loaded l;
  l.ckpt = std::make_unique<hf::Checkpoint>(std::move(*ckpt));
  auto plan = MakePlan(l.ckpt->spec(), o);
  EXPECT_TRUE(plan.ok()) << plan.status().message();
  if (plan.ok()) l.plan = *plan;
  return l;
}

const mil::FeatureDescription* FindFeature(const std::vector<mil::FeatureDescription>& list, const std::string& name) {
  for (const auto& f : list) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void ExpectFeature(const std::vector<mil::FeatureDescription>& list, const std::string& name, ArrayDType dtype,
                   const std::vector<int64_t>& shape) {
  const mil::FeatureDescription* f = FindFeature(list, name);
  ASSERT_NE(f, nullptr) << name;
  EXPECT_EQ(f->type.dtype, dtype) << name;
  EXPECT_EQ(f->type.shape, shape) << name;
}

TEST(ConvertGraph, LlamaChunkInferPrefillContract) {
  ConvertOptions o;
  o.context = 32;
  o.batch = 4;
  o.chunks = 2;
  Loaded l = Load("tiny-llama", o);
  WeightCache w(*l.ckpt);
  const int64_t H = 64, C = 32, B = 4, L = 3, KVH = 2, D = 16;
  for (int chunk = 0; chunk < 2; ++chunk) {
    auto model = BuildChunkModel(l.plan, w, chunk, false);
    ASSERT_TRUE(model.ok()) << model.status().message();
    ASSERT_TRUE(mil::ValidateProgram(model->program).ok()) << mil::ValidateProgram(model->program).message();
    EXPECT_EQ(model->description.default_function_name, "infer");
    ASSERT_EQ(model->description.functions.size(), 2u);
    const auto& infer = model->description.functions[0];
    const auto& prefill = model->description.functions[1];
    EXPECT_EQ(infer.name, "infer");
    EXPECT_EQ(prefill.name, "prefill");
    ExpectFeature(infer.inputs, "hidden_states", ArrayDType::kFp16, {1, 1, H});
    ExpectFeature(infer.inputs, "position_ids", ArrayDType::kInt32, {1});
    ExpectFeature(infer.inputs, "causal_mask", ArrayDType::kFp16, {1, 1, 1, C});
    ExpectFeature(infer.inputs, "current_pos", ArrayDType::kInt32, {1});
    ExpectFeature(infer.outputs, "output_hidden_states", ArrayDType::kFp16, {1, 1, H});
    ExpectFeature(prefill.inputs, "hidden_states", ArrayDType::kFp16, {1, B, H});
    ExpectFeature(prefill.inputs, "position_ids", ArrayDType::kInt32, {B});
    ExpectFeature(prefill.inputs, "causal_mask", ArrayDType::kFp16, {1, 1, B, C});
    ExpectFeature(prefill.outputs, "output_hidden_states", ArrayDType::kFp16,
                  chunk == 1 ? std::vector<int64_t>{1, 1, H} : std::vector<int64_t>{1, B, H});
    for (const auto* fn : {&infer, &prefill}) {
      ASSERT_EQ(fn->states.size(), 1u);
      EXPECT_EQ(fn->states[0].name, "model_model_kv_cache_0");
      EXPECT_EQ(fn->states[0].type.shape, (std::vector<int64_t>{2 * L, KVH, C, D}));
      EXPECT_EQ(fn->states[0].type.kind, mil::FeatureType::Kind::kState);
    }
  }
}

TEST(ConvertGraph, EmbeddingsAndLmHeadContract) {
  ConvertOptions o;
  o.context = 64;
  o.batch = 16;
  Loaded l = Load("tiny-qwen3", o);
  WeightCache w(*l.ckpt);
  auto emb = BuildEmbeddingsModel(l.plan, w);
  ASSERT_TRUE(emb.ok()) << emb.status().message();
  EXPECT_TRUE(mil::ValidateProgram(emb->program).ok()) << mil::ValidateProgram(emb->program).message();
  ASSERT_EQ(emb->description.inputs.size(), 1u);
  EXPECT_EQ(emb->description.inputs[0].name, "input_ids");
  EXPECT_EQ(emb->description.inputs[0].type.shape, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(emb->description.inputs[0].type.enumerated_shapes,
            (std::vector<std::vector<int64_t>>{{1, 1}, {1, 16}}));
  ASSERT_EQ(emb->description.outputs.size(), 1u);
  EXPECT_EQ(emb->description.outputs[0].name, "hidden_states");
  EXPECT_EQ(emb->description.outputs[0].type.dtype, ArrayDType::kFp16);

  auto head = BuildLmHeadModel(l.plan, w);
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_TRUE(mil::ValidateProgram(head->program).ok()) << mil::ValidateProgram(head->program).message();
  ASSERT_EQ(head->description.outputs.size(), 16u);  // qwen: 16 slices of 1024/16 = 64 rows
  for (int k = 0; k < 16; ++k) {
    ExpectFeature(head->description.outputs, StrCat("logits", k + 1), ArrayDType::kFp16, {1, 1, 64});
  }
}

TEST(ConvertGraph, ArgmaxLmHead) {
  ConvertOptions o;
  o.context = 32;
  o.batch = 4;
  o.argmax = true;
  Loaded l = Load("tiny-llama", o);
  WeightCache w(*l.ckpt);
  auto head = BuildLmHeadModel(l.plan, w);
  ASSERT_TRUE(head.ok()) << head.status().message();
  EXPECT_TRUE(mil::ValidateProgram(head->program).ok()) << mil::ValidateProgram(head->program).message();
  ASSERT_EQ(head->description.outputs.size(), 2u);
  ExpectFeature(head->description.outputs, "argmax_idx", ArrayDType::kInt32, {8});
  ExpectFeature(head->description.outputs, "argmax_val", ArrayDType::kFp16, {8});
}

TEST(ConvertGraph, GemmaSplitCacheWithRotation) {
  ConvertOptions o;
  o.context = 32;
  o.batch = 4;
  o.chunks = 3;
  Loaded l = Load("tiny-gemma3", o);
  WeightCache w(*l.ckpt);
  // 7 layers, layer 5 global: local [2*6, 1, 16, 32], global [2*1, 1, 32, 32].
  ASSERT_EQ(l.plan.states.size(), 2u);
  EXPECT_EQ(l.plan.states[0].name, "model_model_kv_cache_local");
  EXPECT_EQ(l.plan.states[0].shape, (std::vector<int64_t>{12, 1, 16, 32}));
  EXPECT_EQ(l.plan.states[1].name, "model_model_kv_cache_global");
  EXPECT_EQ(l.plan.states[1].shape, (std::vector<int64_t>{2, 1, 32, 32}));
  for (int chunk = 0; chunk < 3; ++chunk) {
    auto model = BuildChunkModel(l.plan, w, chunk, false);
    ASSERT_TRUE(model.ok()) << model.status().message();
    ASSERT_TRUE(mil::ValidateProgram(model->program).ok()) << mil::ValidateProgram(model->program).message();
    ASSERT_EQ(model->description.functions.size(), 4u);
    std::vector<std::string> names;
    for (const auto& f : model->description.functions) {
      names.push_back(f.name);
      EXPECT_EQ(f.states.size(), 2u) << f.name;
      ExpectFeature(f.inputs, "causal_mask", ArrayDType::kFp16,
                    {1, 1, f.name.rfind("prefill", 0) == 0 ? 4 : 1, 32});
    }
    EXPECT_EQ(names, (std::vector<std::string>{"infer", "infer_rotate", "prefill", "prefill_rotate"}));
  }
}

TEST(ConvertGraph, RotatedPrefillMaskIsTheSlidingWindow) {
  constexpr int64_t B = 4, W = 6;
  const std::vector<float> m = RotatedPrefillMask(B, W);
  ASSERT_EQ(m.size(), static_cast<size_t>(B * (W + B)));
  const int64_t s = 20;  // any batch start >= W
  for (int64_t i = 0; i < B; ++i) {
    int visible = 0;
    for (int64_t c = 0; c < W + B; ++c) {
      const int64_t key_pos = c < W ? s - W + c : s + (c - W);
      const int64_t q = s + i;
      const bool want = key_pos <= q && q - key_pos < W;
      const float v = m[static_cast<size_t>(i * (W + B) + c)];
      EXPECT_EQ(v == 0.0f, want) << "row " << i << " col " << c;
      if (v != 0.0f) {
        EXPECT_TRUE(std::isinf(v) && v < 0);
      }
      visible += want;
    }
    EXPECT_EQ(visible, W) << "every query sees exactly the window";
  }
}

int CountOps(const mil::Function& fn, const std::string& type) {
  int n = 0;
  for (const auto& op : fn.block.operations) n += op.type == type;
  return n;
}

TEST(ConvertGraph, ClampAfterEveryResidualAdd) {
  ConvertOptions o;
  o.context = 32;
  o.batch = 4;
  o.chunks = 1;
  o.clamp = 55000;
  Loaded l = Load("tiny-gemma3", o);
  WeightCache w(*l.ckpt);
  auto model = BuildChunkModel(l.plan, w, 0, false);
  ASSERT_TRUE(model.ok()) << model.status().message();
  const mil::Function& infer = model->program.functions.at("infer");
  EXPECT_EQ(CountOps(infer, "clip"), 2 * 7);
  for (const auto& op : infer.block.operations) {
    if (op.type != "clip") continue;
    const std::string beta = op.Input("beta")->name;
    for (const auto& c : infer.block.operations) {
      if (c.type == "const" && c.outputs[0].name == beta) {
        EXPECT_EQ(c.attributes.at("val").GetDouble(), 55008.0);  // 55000 rounded to fp16
      }
    }
  }
  ConvertOptions plain = o;
  plain.clamp.reset();
  Loaded p = Load("tiny-gemma3", plain);
  WeightCache w2(*p.ckpt);
  auto unclamped = BuildChunkModel(p.plan, w2, 0, false);
  ASSERT_TRUE(unclamped.ok());
  EXPECT_EQ(CountOps(unclamped->program.functions.at("infer"), "clip"), 0);
}

TEST(ConvertGraph, MonolithicFunctions) {
  ConvertOptions o;
  o.context = 32;
  o.batch = 4;
  o.monolithic = true;
  o.argmax = true;
  Loaded l = Load("tiny-qwen2", o);
  WeightCache w(*l.ckpt);
  auto model = BuildMonolithicModel(l.plan, w);
  ASSERT_TRUE(model.ok()) << model.status().message();
  ASSERT_TRUE(mil::ValidateProgram(model->program).ok()) << mil::ValidateProgram(model->program).message();
  const auto infer = model->description.Function("infer");
  const auto prefill = model->description.Function("prefill");
  ASSERT_TRUE(infer && prefill);
  ExpectFeature(infer->inputs, "input_ids", ArrayDType::kInt32, {1, 1});
  ExpectFeature(prefill->inputs, "input_ids", ArrayDType::kInt32, {1, 4});
  ExpectFeature(infer->outputs, "argmax_idx", ArrayDType::kInt32, {16});
  ExpectFeature(prefill->outputs, "logits1", ArrayDType::kFp16, {1, 1, 64});  // prefill never argmax
}

}  // namespace
}  // namespace anemll::convert
