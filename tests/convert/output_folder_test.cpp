// Whole conversions of the tiny fixtures: the output folder holds exactly the expected files;
// every package reads back, validates, and has ANEMLL's I/O contract and metadata; meta.yaml
// parses with the right keys; a multifunction chunk stores each weight once.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <set>

#include "convert/converter.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/package.h"
#include "mil/coreml/summary.h"
#include "mil/validate.h"
#include "support/test_support.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using anemll::testing::ModelDir;
using anemll::testing::TempDir;
using mil::ArrayDType;

struct Case {
  std::string name, model, prefix;
  int context = 32, batch = 4, chunks = 2;
  bool monolithic = false, argmax = false, split_rotate = false, single_cache = false;
  int layers = 0;
};
std::ostream& operator<<(std::ostream& os, const Case& c) { return os << c.name; }

Case Make(std::string name, std::string model, std::string prefix, int layers, int context, int batch, int chunks) {
  Case c;
  c.name = std::move(name);
  c.model = std::move(model);
  c.prefix = std::move(prefix);
  c.layers = layers;
  c.context = context;
  c.batch = batch;
  c.chunks = chunks;
  return c;
}

std::set<std::string> ListDir(const fs::path& dir) {
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(dir)) names.insert(e.path().filename().string());
  return names;
}

const mil::FeatureDescription* Find(const std::vector<mil::FeatureDescription>& list, const std::string& name) {
  for (const auto& f : list) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

void ExpectIo(const std::vector<mil::FeatureDescription>& list, const std::string& name, ArrayDType dtype,
              const std::vector<int64_t>& shape, const std::string& where) {
  const mil::FeatureDescription* f = Find(list, name);
  ASSERT_NE(f, nullptr) << where << ": missing " << name;
  EXPECT_EQ(f->type.dtype, dtype) << where << " " << name;
  EXPECT_EQ(f->type.shape, shape) << where << " " << name;
}

// Every const blob of every function: weights used by several functions share one blob, and the
// weight file holds exactly the referenced blobs.
void ExpectWeightsStoredOnce(const mil::Model& model, const fs::path& pkg) {
  std::map<std::string, std::map<std::string, uint64_t>> conv_weight_offsets;  // fn -> conv op -> offset
  std::set<uint64_t> offsets;
  for (const auto& [fname, fn] : model.program.functions) {
    std::map<std::string, uint64_t> const_offsets;
    for (const auto& op : fn.block.operations) {
      if (op.type == "const") {
        const mil::Literal& lit = op.attributes.at("val");
        if (lit.blob) {
          const_offsets[op.outputs[0].name] = lit.blob->offset;
          offsets.insert(lit.blob->offset);
        }
      }
      if (op.type == "conv") {
        const mil::Argument* w = op.Input("weight");
        ASSERT_NE(w, nullptr);
        ASSERT_TRUE(const_offsets.count(w->name)) << fname << " " << op.name << ": weight not in weight.bin";
        conv_weight_offsets[fname][op.name] = const_offsets[w->name];
      }
    }
  }
  // The same projection in two functions reads the same blob.
  for (const auto& [fname, convs] : conv_weight_offsets) {
    for (const auto& [other, other_convs] : conv_weight_offsets) {
      for (const auto& [op, offset] : convs) {
        auto it = other_convs.find(op);
        if (it != other_convs.end()) {
          EXPECT_EQ(offset, it->second) << op << " in " << fname << " vs " << other;
        }
      }
    }
  }
  auto file = mil::coreml::BlobFile::Open(pkg / "Data/com.apple.CoreML/weights/weight.bin");
  ASSERT_TRUE(file.ok()) << file.status().message();
  EXPECT_EQ((*file)->count(), offsets.size()) << pkg << ": weight.bin blobs vs referenced blobs";
}

class ConvertOutputFolder : public ::testing::TestWithParam<Case> {};

TEST_P(ConvertOutputFolder, FilesPackagesAndMeta) {
  const Case c = GetParam();
  TempDir tmp;
  const fs::path out = tmp / "out";
  ConvertRequest r;
  r.model_dir = ModelDir(c.model);
  r.output_dir = out;
  r.options.context = c.context;
  r.options.batch = c.batch;
  r.options.chunks = c.chunks;
  r.options.monolithic = c.monolithic;
  r.options.argmax = c.argmax;
  r.options.split_rotate = c.split_rotate;
  r.options.single_cache = c.single_cache;
  r.command_line = "anemll convert --model " + r.model_dir.string();
  r.threads = 2;
  auto result = Convert(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  const ConversionPlan& p = result->plan;

  // Exactly the expected files; no staging folder left next to the output.
  std::set<std::string> want = {"meta.yaml", "config.json"};
  std::vector<std::string> packages;
  const LutSpec none;
  if (c.monolithic) {
    packages.push_back(c.prefix + "_monolithic_full");
  } else {
    packages.push_back(c.prefix + "_embeddings");
    packages.push_back(c.prefix + "_lm_head");
    for (int k = 0; k < c.chunks; ++k) {
      packages.push_back(FfnChunkName(c.prefix, none, k, c.chunks, false));
      if (c.split_rotate) packages.push_back(FfnChunkName(c.prefix, none, k, c.chunks, true));
    }
  }
  for (const auto& pkg : packages) want.insert(pkg + ".mlpackage");
  for (const char* tok : {"tokenizer.json", "tokenizer_config.json"}) {
    if (fs::exists(ModelDir(c.model) / tok)) want.insert(tok);
  }
  EXPECT_EQ(ListDir(out), want);
  EXPECT_EQ(ListDir(tmp.path()), std::set<std::string>{"out"});

  // meta.yaml.
  YAML::Node meta = YAML::LoadFile((out / "meta.yaml").string());
  const YAML::Node params = meta["model_info"]["parameters"];
  EXPECT_EQ(meta["model_info"]["version"].as<std::string>(), "0.3.5");
  EXPECT_EQ(meta["model_info"]["architecture"].as<std::string>(), p.spec.model_type);
  EXPECT_EQ(params["context_length"].as<int64_t>(), p.context);
  EXPECT_EQ(params["batch_size"].as<int>(), c.batch);
  EXPECT_EQ(params["model_prefix"].as<std::string>(), c.prefix);
  EXPECT_EQ(params["vocab_size"].as<int64_t>(), p.spec.vocab_size);
  EXPECT_EQ(params["split_lm_head"].as<int>(), p.lm_head_split);
  std::vector<int64_t> sizes;
  int64_t total = 0;
  for (const auto& s : params["lm_head_chunk_sizes"]) {
    sizes.push_back(s.as<int64_t>());
    total += sizes.back();
  }
  EXPECT_EQ(static_cast<int>(sizes.size()), p.lm_head_split);
  EXPECT_EQ(total, p.spec.vocab_size);
  EXPECT_EQ(params["argmax_in_model"].IsDefined(), c.argmax);
  EXPECT_EQ(params["sliding_window"].IsDefined(), p.spec.family == hf::Family::kGemma3);
  if (c.monolithic) {
    EXPECT_EQ(meta["model_info"]["model_type"].as<std::string>(), "monolithic");
    EXPECT_EQ(params["monolithic_model"].as<std::string>(), packages[0] + ".mlmodelc");
    EXPECT_EQ(params["functions"].size(), p.rotate_functions ? 4u : 2u);
  } else {
    EXPECT_EQ(params["num_chunks"].as<int>(), c.chunks);
    EXPECT_EQ(params["embeddings"].as<std::string>(), c.prefix + "_embeddings.mlmodelc");
    EXPECT_EQ(params["lm_head"].as<std::string>(), c.prefix + "_lm_head.mlmodelc");
    EXPECT_EQ(params["ffn"].as<std::string>(), FfnChunkName(c.prefix, none, 0, c.chunks, false) + ".mlmodelc");
    EXPECT_EQ(params["pf"].IsDefined(), c.split_rotate);
    EXPECT_EQ(params["split_rotate"].IsDefined(), c.split_rotate);
  }
  EXPECT_EQ(params["single_cache"].IsDefined(), c.single_cache);
  EXPECT_TRUE(params["prefill_dynamic_slice"].as<bool>());

  // Every package: reads back, validates, contract I/O and metadata.
  const int64_t H = p.spec.hidden_size, B = c.batch, Cm = p.mask_width;
  for (const auto& name : packages) {
    const fs::path pkg = out / (name + ".mlpackage");
    auto model = mil::coreml::ReadPackage(pkg);
    ASSERT_TRUE(model.ok()) << model.status().message();
    Status valid = mil::ValidateProgram(model->program);
    EXPECT_TRUE(valid.ok()) << name << ": " << valid.message();
    const auto& ud = model->description.metadata.user_defined;
    EXPECT_NE(model->description.metadata.author.find("Anemll"), std::string::npos);
    EXPECT_EQ(ud.at("com.anemll.context_length"), std::to_string(p.context)) << name;
    EXPECT_TRUE(ud.count("com.anemll.info")) << name;
    if (name.find("_embeddings") != std::string::npos) {
      ASSERT_EQ(model->description.inputs.size(), 1u);
      EXPECT_EQ(model->description.inputs[0].type.enumerated_shapes, (std::vector<std::vector<int64_t>>{{1, 1}, {1, B}}));
      EXPECT_EQ(model->description.outputs[0].name, "hidden_states");
      continue;
    }
    if (name.find("_lm_head") != std::string::npos) {
      ExpectIo(model->description.inputs, "hidden_states", ArrayDType::kFp16, {1, 1, H}, name);
      EXPECT_EQ(model->description.outputs.size(), c.argmax ? 2u : static_cast<size_t>(p.lm_head_split));
      EXPECT_EQ(ud.at("com.anemll.vocab_size"), std::to_string(p.spec.vocab_size));
      EXPECT_TRUE(ud.count("com.anemll.lm_head_chunk_sizes"));
      continue;
    }
    // Decoder packages.
    const std::vector<std::string> fns = model->description.FunctionNames();
    const bool rot_file = name.size() > 4 && name.substr(name.size() - 4) == "_rot";
    std::vector<std::string> want_fns;
    if (rot_file) {
      want_fns = {"infer_rotate", "prefill_rotate"};
    } else if (p.rotate_functions && !c.split_rotate) {
      want_fns = {"infer", "infer_rotate", "prefill", "prefill_rotate"};
    } else {
      want_fns = {"infer", "prefill"};
    }
    EXPECT_EQ(fns, want_fns) << name;
    EXPECT_EQ(model->description.default_function_name, want_fns[0]);
    EXPECT_EQ(ud.at("com.anemll.functions").find(want_fns[0]), 0u);
    for (const std::string& fname : fns) {
      const auto d = *model->description.Function(fname);
      const std::string where = name + ":" + fname;
      const int64_t S = fname.rfind("prefill", 0) == 0 ? B : 1;
      ExpectIo(d.inputs, c.monolithic ? "input_ids" : "hidden_states", c.monolithic ? ArrayDType::kInt32 : ArrayDType::kFp16,
               c.monolithic ? std::vector<int64_t>{1, S} : std::vector<int64_t>{1, S, H}, where);
      ExpectIo(d.inputs, "position_ids", ArrayDType::kInt32, {S}, where);
      ExpectIo(d.inputs, "causal_mask", ArrayDType::kFp16, {1, 1, S, Cm}, where);
      ExpectIo(d.inputs, "current_pos", ArrayDType::kInt32, {1}, where);
      ASSERT_EQ(d.states.size(), p.states.size()) << where;
      for (size_t k = 0; k < p.states.size(); ++k) {
        EXPECT_EQ(d.states[k].name, p.states[k].name) << where;
        EXPECT_EQ(d.states[k].type.shape, p.states[k].shape) << where;
        EXPECT_EQ(d.states[k].type.dtype, ArrayDType::kFp16) << where;
      }
    }
    ExpectWeightsStoredOnce(*model, pkg);
  }
}

INSTANTIATE_TEST_SUITE_P(
    TinyModels, ConvertOutputFolder,
    ::testing::Values(
        Make("llama_1chunk", "tiny-llama", "llama", 3, 32, 4, 1), Make("llama_2chunks", "tiny-llama", "llama", 3, 64, 16, 2),
        Make("llama_3chunks", "tiny-llama", "llama", 3, 32, 16, 3),
        [] {
          Case c = Make("llama_monolithic_argmax", "tiny-llama", "llama", 3, 32, 4, 1);
          c.monolithic = c.argmax = true;
          return c;
        }(),
        [] {
          Case c = Make("qwen2_argmax", "tiny-qwen2", "qwen25", 3, 64, 16, 2);
          c.argmax = true;
          return c;
        }(),
        Make("qwen3_3chunks", "tiny-qwen3", "qwen", 3, 32, 4, 3), Make("gemma3_ctx32", "tiny-gemma3", "gemma3", 7, 32, 4, 2),
        Make("gemma3_ctx64_b16", "tiny-gemma3", "gemma3", 7, 64, 16, 3),
        [] {
          Case c = Make("gemma3_split_rotate", "tiny-gemma3", "gemma3", 7, 64, 4, 2);
          c.split_rotate = true;
          return c;
        }(),
        [] {
          Case c = Make("gemma3_single_cache", "tiny-gemma3", "gemma3", 7, 16, 4, 1);
          c.single_cache = true;
          return c;
        }(),
        [] {
          Case c = Make("gemma3_monolithic", "tiny-gemma3", "gemma3", 7, 64, 16, 1);
          c.monolithic = true;
          return c;
        }(),
        Make("stories_with_tokenizer", "stories260K", "llama", 5, 64, 8, 2)),
    [](const ::testing::TestParamInfo<Case>& info) { return info.param.name; });

TEST(ConvertOutputFolder, GemmaSingleCacheUsesUnifiedState) {
  TempDir tmp;
  ConvertRequest r;
  r.model_dir = ModelDir("tiny-gemma3");
  r.output_dir = tmp / "out";
  r.options.context = 8;  // raised to the window (16)
  r.options.batch = 4;
  r.options.chunks = 1;
  r.options.single_cache = true;
  auto result = Convert(r);
  ASSERT_TRUE(result.ok()) << result.status().message();
  EXPECT_EQ(result->plan.context, 16);
  ASSERT_EQ(result->plan.states.size(), 1u);
  EXPECT_EQ(result->plan.states[0].name, "model_model_kv_cache_0");
  EXPECT_EQ(result->plan.states[0].shape, (std::vector<int64_t>{14, 1, 16, 32}));
}

}  // namespace
}  // namespace anemll::convert
