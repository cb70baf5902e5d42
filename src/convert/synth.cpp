#include "convert/synth.h"

#include <cmath>
#include <cstring>
#include <fstream>

#include <nlohmann/json.hpp>

#include "base/file.h"
#include "base/half.h"
#include "base/progress.h"
#include "hf/model_spec.h"
#include "hf/tensor_table.h"

namespace anemll::convert {
namespace fs = std::filesystem;
namespace {

struct KnownModel {
  const char* name;
  const char* family;
  const char* config;  // the model's config.json as published on the Hugging Face Hub
};

// Qwen/Qwen3-0.6B
constexpr const char* kQwen3_0_6B = R"({
  "architectures": [
    "Qwen3ForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151645,
  "head_dim": 128,
  "hidden_act": "silu",
  "hidden_size": 1024,
  "initializer_range": 0.02,
  "intermediate_size": 3072,
  "max_position_embeddings": 40960,
  "max_window_layers": 28,
  "model_type": "qwen3",
  "num_attention_heads": 16,
  "num_hidden_layers": 28,
  "num_key_value_heads": 8,
  "rms_norm_eps": 1e-06,
  "rope_scaling": null,
  "rope_theta": 1000000,
  "sliding_window": null,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.51.0",
  "use_cache": true,
  "use_sliding_window": false,
  "vocab_size": 151936
}
)";

// meta-llama/Llama-3.2-1B
constexpr const char* kLlama32_1B = R"({
  "architectures": [
    "LlamaForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "bos_token_id": 128000,
  "eos_token_id": 128001,
  "head_dim": 64,
  "hidden_act": "silu",
  "hidden_size": 2048,
  "initializer_range": 0.02,
  "intermediate_size": 8192,
  "max_position_embeddings": 131072,
  "mlp_bias": false,
  "model_type": "llama",
  "num_attention_heads": 32,
  "num_hidden_layers": 16,
  "num_key_value_heads": 8,
  "pretraining_tp": 1,
  "rms_norm_eps": 1e-05,
  "rope_scaling": {
    "factor": 32.0,
    "high_freq_factor": 4.0,
    "low_freq_factor": 1.0,
    "original_max_position_embeddings": 8192,
    "rope_type": "llama3"
  },
  "rope_theta": 500000.0,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.45.0.dev0",
  "use_cache": true,
  "vocab_size": 128256
}
)";

// Qwen/Qwen2.5-0.5B
constexpr const char* kQwen25_0_5B = R"({
  "architectures": [
    "Qwen2ForCausalLM"
  ],
  "attention_dropout": 0.0,
  "bos_token_id": 151643,
  "eos_token_id": 151643,
  "hidden_act": "silu",
  "hidden_size": 896,
  "initializer_range": 0.02,
  "intermediate_size": 4864,
  "max_position_embeddings": 32768,
  "max_window_layers": 24,
  "model_type": "qwen2",
  "num_attention_heads": 14,
  "num_hidden_layers": 24,
  "num_key_value_heads": 2,
  "rms_norm_eps": 1e-06,
  "rope_theta": 1000000.0,
  "sliding_window": 32768,
  "tie_word_embeddings": true,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.40.1",
  "use_cache": true,
  "use_mrope": false,
  "use_sliding_window": false,
  "vocab_size": 151936
}
)";

// google/gemma-3-270m
constexpr const char* kGemma3_270M = R"({
  "_sliding_window_pattern": 6,
  "architectures": [
    "Gemma3ForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attn_logit_softcapping": null,
  "bos_token_id": 2,
  "eos_token_id": 1,
  "final_logit_softcapping": null,
  "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 640,
  "initializer_range": 0.02,
  "intermediate_size": 2048,
  "layer_types": [
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "full_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "full_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "sliding_attention",
    "full_attention"
  ],
  "max_position_embeddings": 32768,
  "model_type": "gemma3_text",
  "num_attention_heads": 4,
  "num_hidden_layers": 18,
  "num_key_value_heads": 1,
  "pad_token_id": 0,
  "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06,
  "rope_local_base_freq": 10000.0,
  "rope_scaling": null,
  "rope_theta": 1000000.0,
  "sliding_window": 512,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.55.0.dev0",
  "use_bidirectional_attention": false,
  "use_cache": true,
  "vocab_size": 262144
}
)";

// google/gemma-3-1b-it
constexpr const char* kGemma3_1B = R"({
  "architectures": [
    "Gemma3ForCausalLM"
  ],
  "attention_bias": false,
  "attention_dropout": 0.0,
  "attn_logit_softcapping": null,
  "bos_token_id": 2,
  "cache_implementation": "hybrid",
  "eos_token_id": [
    1,
    106
  ],
  "final_logit_softcapping": null,
  "head_dim": 256,
  "hidden_activation": "gelu_pytorch_tanh",
  "hidden_size": 1152,
  "initializer_range": 0.02,
  "intermediate_size": 6912,
  "max_position_embeddings": 32768,
  "model_type": "gemma3_text",
  "num_attention_heads": 4,
  "num_hidden_layers": 26,
  "num_key_value_heads": 1,
  "pad_token_id": 0,
  "query_pre_attn_scalar": 256,
  "rms_norm_eps": 1e-06,
  "rope_local_base_freq": 10000,
  "rope_scaling": null,
  "rope_theta": 1000000,
  "sliding_window": 512,
  "sliding_window_pattern": 6,
  "torch_dtype": "bfloat16",
  "transformers_version": "4.50.0.dev0",
  "use_cache": true,
  "vocab_size": 262144
}
)";

const KnownModel kModels[] = {
    {"qwen3-0.6b", "qwen3", kQwen3_0_6B},      {"llama-3.2-1b", "llama", kLlama32_1B},
    {"qwen2.5-0.5b", "qwen2", kQwen25_0_5B},   {"gemma3-270m", "gemma3", kGemma3_270M},
    {"gemma3-1b", "gemma3", kGemma3_1B},
};

const KnownModel* FindModel(const std::string& like) {
  for (const KnownModel& m : kModels) {
    if (like == m.name) return &m;
  }
  return nullptr;
}

// A small fast generator (splitmix64): seeded per tensor so the output does not depend on order.
struct Rng {
  uint64_t state;
  uint64_t Next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  // Uniform in [-1, 1).
  float Symmetric() { return static_cast<float>(static_cast<double>(Next() >> 40) * (1.0 / 8388608.0) - 1.0); }
};

uint64_t HashName(const std::string& s) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : s) h = (h ^ c) * 1099511628211ULL;
  return h;
}

bool EndsWith(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// How a tensor's values are drawn: center + uniform noise of the given standard deviation.
struct Distribution {
  float center = 0.0f;
  float stddev = 0.02f;
};

Distribution DistributionFor(const std::string& name, bool gemma_norms, double init_range) {
  if (EndsWith(name, "norm.weight")) {
    // Gains near 1: llama-style stores the gain, gemma the offset from 1.
    return {gemma_norms ? 0.0f : 1.0f, 0.02f};
  }
  if (EndsWith(name, ".bias")) return {0.0f, 0.02f};
  return {0.0f, static_cast<float>(init_range)};
}

Status WriteAll(std::ofstream& out, const void* data, size_t n, const fs::path& path) {
  out.write(static_cast<const char*>(data), static_cast<std::streamsize>(n));
  if (!out) return IoError("write ", path.string(), ": write failed (disk full?)");
  return Status::Ok();
}

}  // namespace

std::vector<std::string> SyntheticModelNames() {
  std::vector<std::string> names;
  for (const KnownModel& m : kModels) names.push_back(m.name);
  return names;
}

std::string SyntheticModelFamily(const std::string& like) {
  const KnownModel* m = FindModel(like);
  return m ? m->family : "";
}

std::string SyntheticModelConfig(const std::string& like) {
  const KnownModel* m = FindModel(like);
  return m ? m->config : "";
}

Result<SynthResult> WriteSyntheticCheckpoint(const SynthOptions& o) {
  const KnownModel* model = FindModel(o.like);
  if (!model) {
    std::string names;
    for (const std::string& n : SyntheticModelNames()) {
      if (!names.empty()) names += ", ";
      names += n;
    }
    return InvalidArgument("--like \"", o.like, "\": unknown model (known: ", names, ")");
  }
  if (o.family != model->family) {
    return InvalidArgument("--family \"", o.family, "\" does not match --like ", o.like, " (family ", model->family, ")");
  }
  std::string config_text = model->config;
  if (o.num_layers || o.vocab_size) {
    nlohmann::json j = nlohmann::json::parse(config_text);
    if (o.num_layers) {
      if (*o.num_layers < 1) return InvalidArgument("--layers ", *o.num_layers, ": must be at least 1");
      j["num_hidden_layers"] = *o.num_layers;
      if (j.contains("max_window_layers")) j["max_window_layers"] = *o.num_layers;
      if (j.contains("layer_types")) {
        nlohmann::json types = nlohmann::json::array();
        for (int64_t i = 0; i < *o.num_layers; ++i) {
          types.push_back((i + 1) % 6 == 0 ? "full_attention" : "sliding_attention");
        }
        j["layer_types"] = types;
      }
    }
    if (o.vocab_size) {
      if (*o.vocab_size < 16) return InvalidArgument("--vocab ", *o.vocab_size, ": must be at least 16");
      j["vocab_size"] = *o.vocab_size;
    }
    config_text = j.dump(2) + "\n";
  }
  ANEMLL_ASSIGN_OR_RETURN(hf::ModelSpec spec, hf::ParseModelSpec(config_text, "config.json"));
  double init_range = 0.02;
  {
    nlohmann::json j = nlohmann::json::parse(config_text);
    if (j.contains("initializer_range") && j["initializer_range"].is_number()) init_range = j["initializer_range"].get<double>();
  }

  std::error_code ec;
  if (fs::exists(o.out, ec)) {
    if (!fs::is_directory(o.out, ec)) return InvalidArgument("--out ", o.out.string(), " exists and is not a folder");
    if (!fs::is_empty(o.out, ec) && !fs::exists(o.out / "config.json", ec)) {
      return InvalidArgument("--out ", o.out.string(), " is a non-empty folder without config.json; choose a new folder");
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(StagedPath staged, StagedPath::Create(o.out, /*directory=*/true));
  const fs::path dir = staged.path();
  ANEMLL_RETURN_IF_ERROR(WriteFileAtomic(dir / "config.json", config_text));

  // Header first: every tensor's dtype, shape and byte range, in forward order.
  std::vector<hf::TensorSpec> tensors;
  for (const hf::TensorSpec& t : hf::ExpectedTensors(spec)) {
    if (t.required) tensors.push_back(t);
  }
  nlohmann::ordered_json header;
  header["__metadata__"] = {{"format", "pt"}, {"synthetic", "anemll synth --like " + o.like}};
  uint64_t offset = 0, params = 0;
  for (const hf::TensorSpec& t : tensors) {
    const uint64_t n = static_cast<uint64_t>(hf::NumElements(t.shape));
    header[t.name] = {{"dtype", "BF16"}, {"shape", t.shape}, {"data_offsets", {offset, offset + 2 * n}}};
    offset += 2 * n;
    params += n;
  }
  std::string header_text = header.dump();
  while ((8 + header_text.size()) % 8 != 0) header_text += ' ';

  const fs::path st_path = dir / "model.safetensors";
  std::ofstream out(st_path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("write ", st_path.string(), ": cannot create the file");
  uint8_t len[8];
  uint64_t hl = header_text.size();
  for (int i = 0; i < 8; ++i) len[i] = static_cast<uint8_t>(hl >> (8 * i));
  ANEMLL_RETURN_IF_ERROR(WriteAll(out, len, 8, st_path));
  ANEMLL_RETURN_IF_ERROR(WriteAll(out, header_text.data(), header_text.size(), st_path));

  Progress progress("synth " + o.like, params);
  constexpr size_t kChunk = 1 << 20;
  std::vector<uint16_t> buf(kChunk);
  for (const hf::TensorSpec& t : tensors) {
    const Distribution d = DistributionFor(t.name, spec.gemma_norms, init_range);
    const float amplitude = d.stddev * std::sqrt(3.0f);  // uniform [-a, a] has std a/sqrt(3)
    Rng rng{o.seed ^ HashName(t.name)};
    uint64_t left = static_cast<uint64_t>(hf::NumElements(t.shape));
    while (left > 0) {
      const size_t n = static_cast<size_t>(std::min<uint64_t>(left, kChunk));
      for (size_t i = 0; i < n; ++i) buf[i] = FloatToBf16(d.center + amplitude * rng.Symmetric());
      // Little-endian bytes.
      std::vector<uint8_t> bytes(2 * n);
      for (size_t i = 0; i < n; ++i) {
        bytes[2 * i] = static_cast<uint8_t>(buf[i] & 0xff);
        bytes[2 * i + 1] = static_cast<uint8_t>(buf[i] >> 8);
      }
      ANEMLL_RETURN_IF_ERROR(WriteAll(out, bytes.data(), bytes.size(), st_path));
      left -= n;
      progress.Advance(n);
    }
  }
  out.flush();
  if (!out) return IoError("write ", st_path.string(), ": write failed");
  out.close();
  progress.Finish();

  SynthResult result;
  result.tensors = tensors.size();
  result.parameters = params;
  result.bytes = 8 + header_text.size() + offset;
  if (!o.tokenizer_dir.empty()) {
    if (!fs::is_directory(o.tokenizer_dir, ec)) {
      return NotFound("--tokenizer ", o.tokenizer_dir.string(), ": not a folder");
    }
    for (const char* name : {"tokenizer.json", "tokenizer_config.json", "tokenizer.model", "vocab.json", "merges.txt",
                             "chat_template.jinja", "added_tokens.json", "special_tokens_map.json"}) {
      const fs::path src = o.tokenizer_dir / name;
      if (!fs::is_regular_file(src, ec)) continue;
      ANEMLL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(src));
      ANEMLL_RETURN_IF_ERROR(WriteFileAtomic(dir / name, bytes));
      result.tokenizer_files.push_back(name);
    }
    if (result.tokenizer_files.empty()) {
      return NotFound("--tokenizer ", o.tokenizer_dir.string(), ": no tokenizer files (tokenizer.json, ...) in it");
    }
  }
  ANEMLL_RETURN_IF_ERROR(staged.Commit());
  return result;
}

}  // namespace anemll::convert
