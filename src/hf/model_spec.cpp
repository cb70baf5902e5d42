#include "hf/model_spec.h"

#include <cmath>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "base/file.h"

namespace anemll::hf {
namespace {

using json = nlohmann::json;

// Typed access to one JSON object of a config file; errors name the file and the dotted field.
// A key whose value is null counts as absent (transformers treats both the same).
class FieldReader {
 public:
  FieldReader(const json& obj, std::string file, std::string path_prefix)
      : obj_(obj), file_(std::move(file)), prefix_(std::move(path_prefix)) {}

  bool Has(const std::string& key) const {
    auto it = obj_.find(key);
    return it != obj_.end() && !it->is_null();
  }
  const json* Get(const std::string& key) const {
    auto it = obj_.find(key);
    return (it == obj_.end() || it->is_null()) ? nullptr : &*it;
  }
  std::string Name(const std::string& key) const { return prefix_ + key; }
  const std::string& file() const { return file_; }

  Status Error(const std::string& key, const std::string& what) const {
    return InvalidArgument(file_, ": field \"", Name(key), "\" ", what);
  }

  Result<int64_t> Int(const std::string& key, int64_t fallback) const {
    const json* v = Get(key);
    if (!v) return fallback;
    if (v->is_number_integer()) return v->get<int64_t>();
    // 32.0 is accepted as 32.
    if (v->is_number_float()) {
      double d = v->get<double>();
      if (std::isfinite(d) && d == std::floor(d) && std::fabs(d) < 9e15) return static_cast<int64_t>(d);
    }
    return Error(key, StrCat("must be an integer, got ", v->dump()));
  }
  Result<double> Number(const std::string& key, double fallback) const {
    const json* v = Get(key);
    if (!v) return fallback;
    if (v->is_number()) return v->get<double>();
    return Error(key, StrCat("must be a number, got ", v->dump()));
  }
  Result<bool> Bool(const std::string& key, bool fallback) const {
    const json* v = Get(key);
    if (!v) return fallback;
    if (v->is_boolean()) return v->get<bool>();
    return Error(key, StrCat("must be true or false, got ", v->dump()));
  }
  Result<std::string> String(const std::string& key, const std::string& fallback) const {
    const json* v = Get(key);
    if (!v) return fallback;
    if (v->is_string()) return v->get<std::string>();
    return Error(key, StrCat("must be a string, got ", v->dump()));
  }
  // An int or a list of ints (eos_token_id); absent -> fallback.
  Result<std::vector<int64_t>> IntList(const std::string& key, std::vector<int64_t> fallback) const {
    const json* v = Get(key);
    if (!v) return fallback;
    std::vector<int64_t> out;
    if (v->is_number_integer()) {
      out.push_back(v->get<int64_t>());
      return out;
    }
    if (v->is_array()) {
      for (const auto& e : *v) {
        if (!e.is_number_integer()) return Error(key, StrCat("must be an integer or a list of integers, got ", v->dump()));
        out.push_back(e.get<int64_t>());
      }
      return out;
    }
    return Error(key, StrCat("must be an integer or a list of integers, got ", v->dump()));
  }
  Result<FieldReader> Object(const std::string& key) const {
    const json* v = Get(key);
    if (!v || !v->is_object()) return Error(key, "must be an object");
    return FieldReader(*v, file_, Name(key) + ".");
  }

 private:
  const json& obj_;
  std::string file_;
  std::string prefix_;
};

// transformers' per-family config defaults.
struct FamilyDefaults {
  int64_t vocab_size, hidden_size, intermediate_size, num_layers, num_heads;
  int64_t num_kv_heads;  // -1: same as num_heads
  int64_t head_dim;      // -1: hidden_size / num_heads
  int64_t max_position_embeddings;
  double rope_theta;
  bool tie_word_embeddings;
  int64_t bos, eos, pad;  // -1: none
};

FamilyDefaults DefaultsFor(Family f) {
  switch (f) {
    case Family::kLlama: return {32000, 4096, 11008, 32, 32, -1, -1, 2048, 10000.0, false, 1, 2, -1};
    case Family::kQwen2: return {151936, 4096, 22016, 32, 32, 32, -1, 32768, 10000.0, false, -1, -1, -1};
    case Family::kQwen3: return {151936, 4096, 22016, 32, 32, 32, 128, 32768, 10000.0, false, -1, -1, -1};
    case Family::kGemma3: return {262208, 2304, 9216, 26, 8, 4, 256, 131072, 1000000.0, true, 2, 1, 0};
  }
  return {};
}

constexpr double kGemmaLocalRopeTheta = 10000.0;
constexpr int64_t kGemmaDefaultSlidingWindow = 4096;
constexpr int64_t kGemmaDefaultSlidingPattern = 6;
constexpr double kGemmaDefaultQueryPreAttnScalar = 256.0;
constexpr int64_t kQwenDefaultSlidingWindow = 4096;
constexpr int64_t kQwenDefaultMaxWindowLayers = 28;

// A rope object: legacy `rope_scaling` or a transformers-5 `rope_parameters` entry.
Result<RopeSpec> ParseRope(const FieldReader& r, double default_theta) {
  RopeSpec rope;
  ANEMLL_ASSIGN_OR_RETURN(rope.theta, r.Number("rope_theta", default_theta));
  std::string type;
  if (r.Has("rope_type")) {
    ANEMLL_ASSIGN_OR_RETURN(type, r.String("rope_type", "default"));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(type, r.String("type", "default"));
  }
  const std::string type_key = r.Has("rope_type") ? "rope_type" : "type";
  if (type == "default") {
    rope.type = RopeType::kDefault;
  } else if (type == "linear") {
    rope.type = RopeType::kLinear;
    if (!r.Has("factor")) return r.Error("factor", "is missing (required by linear rope scaling)");
    ANEMLL_ASSIGN_OR_RETURN(rope.factor, r.Number("factor", 1.0));
  } else if (type == "llama3") {
    rope.type = RopeType::kLlama3;
    for (const char* k : {"factor", "low_freq_factor", "high_freq_factor", "original_max_position_embeddings"}) {
      if (!r.Has(k)) return r.Error(k, "is missing (required by llama3 rope scaling)");
    }
    ANEMLL_ASSIGN_OR_RETURN(rope.factor, r.Number("factor", 1.0));
    ANEMLL_ASSIGN_OR_RETURN(rope.low_freq_factor, r.Number("low_freq_factor", 1.0));
    ANEMLL_ASSIGN_OR_RETURN(rope.high_freq_factor, r.Number("high_freq_factor", 4.0));
    ANEMLL_ASSIGN_OR_RETURN(rope.original_max_position_embeddings, r.Int("original_max_position_embeddings", 0));
    if (rope.original_max_position_embeddings <= 0) {
      return r.Error("original_max_position_embeddings", "must be positive");
    }
    if (!(rope.high_freq_factor > rope.low_freq_factor) || rope.low_freq_factor <= 0) {
      return r.Error("high_freq_factor", StrCat("must exceed low_freq_factor (", rope.low_freq_factor, ") > 0, got ",
                                                 rope.high_freq_factor));
    }
  } else {
    return Unsupported(r.file(), ": field \"", r.Name(type_key), "\" is \"", type,
                       "\": not supported (supported: default, linear, llama3)");
  }
  if (!(rope.factor > 0)) return r.Error("factor", StrCat("must be positive, got ", rope.factor));
  if (!(rope.theta > 0)) return r.Error("rope_theta", StrCat("must be positive, got ", rope.theta));
  return rope;
}

// Fills rope_global / rope_local from either config style.
Status ParseRopes(const FieldReader& r, Family family, double default_theta, ModelSpec* spec) {
  const bool gemma = family == Family::kGemma3;
  RopeSpec local_default;
  local_default.theta = kGemmaLocalRopeTheta;
  if (gemma) {
    ANEMLL_ASSIGN_OR_RETURN(local_default.theta, r.Number("rope_local_base_freq", kGemmaLocalRopeTheta));
  }
  if (const json* params = r.Get("rope_parameters")) {
    if (!params->is_object()) return r.Error("rope_parameters", "must be an object");
    ANEMLL_ASSIGN_OR_RETURN(FieldReader p, r.Object("rope_parameters"));
    const bool per_type = p.Has("full_attention") || p.Has("sliding_attention");
    if (per_type) {
      if (p.Has("full_attention")) {
        ANEMLL_ASSIGN_OR_RETURN(FieldReader g, p.Object("full_attention"));
        ANEMLL_ASSIGN_OR_RETURN(spec->rope_global, ParseRope(g, default_theta));
      } else {
        spec->rope_global.theta = default_theta;
      }
      if (p.Has("sliding_attention")) {
        ANEMLL_ASSIGN_OR_RETURN(FieldReader l, p.Object("sliding_attention"));
        ANEMLL_ASSIGN_OR_RETURN(spec->rope_local, ParseRope(l, local_default.theta));
      } else {
        spec->rope_local = gemma ? local_default : spec->rope_global;
      }
    } else {
      ANEMLL_ASSIGN_OR_RETURN(spec->rope_global, ParseRope(p, default_theta));
      spec->rope_local = gemma ? local_default : spec->rope_global;
    }
    if (!gemma) spec->rope_local = spec->rope_global;
    return Status::Ok();
  }
  ANEMLL_ASSIGN_OR_RETURN(double theta, r.Number("rope_theta", default_theta));
  if (const json* scaling = r.Get("rope_scaling")) {
    if (!scaling->is_object()) return r.Error("rope_scaling", "must be an object or null");
    ANEMLL_ASSIGN_OR_RETURN(FieldReader s, r.Object("rope_scaling"));
    ANEMLL_ASSIGN_OR_RETURN(spec->rope_global, ParseRope(s, theta));
  } else {
    spec->rope_global = RopeSpec{};
    spec->rope_global.theta = theta;
    if (!(theta > 0)) return r.Error("rope_theta", StrCat("must be positive, got ", theta));
  }
  // Gemma3 applies rope_scaling to global layers only; sliding layers use the plain local base.
  spec->rope_local = gemma ? local_default : spec->rope_global;
  return Status::Ok();
}

Status ParseLayerKinds(const FieldReader& r, Family family, ModelSpec* spec) {
  const size_t n = static_cast<size_t>(spec->num_layers);
  spec->layer_kinds.assign(n, AttentionKind::kGlobal);
  int64_t window = 0;
  if (const json* types = r.Get("layer_types")) {
    if (!types->is_array() || types->size() != n) {
      return r.Error("layer_types", StrCat("must list ", n, " layer types (num_hidden_layers), got ", types->dump()));
    }
    for (size_t i = 0; i < n; ++i) {
      const json& t = (*types)[i];
      if (t == "sliding_attention") {
        spec->layer_kinds[i] = AttentionKind::kSliding;
      } else if (t != "full_attention") {
        return r.Error("layer_types", StrCat("entry ", i, " is ", t.dump(),
                                             " (expected \"full_attention\" or \"sliding_attention\")"));
      }
    }
    if (family == Family::kLlama) spec->layer_kinds.assign(n, AttentionKind::kGlobal);
  } else if (family == Family::kGemma3) {
    int64_t pattern = kGemmaDefaultSlidingPattern;
    if (r.Has("sliding_window_pattern")) {
      ANEMLL_ASSIGN_OR_RETURN(pattern, r.Int("sliding_window_pattern", pattern));
    } else {
      ANEMLL_ASSIGN_OR_RETURN(pattern, r.Int("_sliding_window_pattern", pattern));
    }
    if (pattern <= 0) return r.Error("sliding_window_pattern", StrCat("must be positive, got ", pattern));
    for (size_t i = 0; i < n; ++i) {
      if ((static_cast<int64_t>(i) + 1) % pattern != 0) spec->layer_kinds[i] = AttentionKind::kSliding;
    }
  } else if (family == Family::kQwen2 || family == Family::kQwen3) {
    ANEMLL_ASSIGN_OR_RETURN(bool use_sliding, r.Bool("use_sliding_window", false));
    if (use_sliding && r.Has("sliding_window")) {
      ANEMLL_ASSIGN_OR_RETURN(int64_t max_window_layers, r.Int("max_window_layers", kQwenDefaultMaxWindowLayers));
      for (size_t i = 0; i < n; ++i) {
        if (static_cast<int64_t>(i) >= max_window_layers) spec->layer_kinds[i] = AttentionKind::kSliding;
      }
    }
  }
  bool any_sliding = false;
  for (auto k : spec->layer_kinds) any_sliding |= k == AttentionKind::kSliding;
  if (any_sliding) {
    const int64_t fallback = family == Family::kGemma3 ? kGemmaDefaultSlidingWindow : kQwenDefaultSlidingWindow;
    if (family != Family::kGemma3 && !r.Has("sliding_window")) {
      return r.Error("sliding_window", "is missing but layer_types has sliding_attention layers");
    }
    ANEMLL_ASSIGN_OR_RETURN(window, r.Int("sliding_window", fallback));
    if (window <= 0) return r.Error("sliding_window", StrCat("must be positive, got ", window));
  }
  spec->sliding_window = window;
  return Status::Ok();
}

Result<Activation> ParseActivation(const FieldReader& r, const std::string& key, const std::string& fallback) {
  ANEMLL_ASSIGN_OR_RETURN(std::string act, r.String(key, fallback));
  if (act == "silu" || act == "swish") return Activation::kSilu;
  if (act == "gelu_pytorch_tanh" || act == "gelu_new" || act == "gelu_fast") return Activation::kGeluTanh;
  if (act == "gelu") return Activation::kGelu;
  return Unsupported(r.file(), ": field \"", r.Name(key), "\" is \"", act,
                     "\": not supported (supported: silu, gelu_pytorch_tanh, gelu)");
}

Status RejectQuantized(const FieldReader& r) {
  for (const char* key : {"quantization_config", "quantization"}) {
    if (const json* q = r.Get(key)) {
      std::string method;
      if (q->is_object() && q->contains("quant_method") && (*q)["quant_method"].is_string()) {
        method = StrCat(" (quant_method \"", (*q)["quant_method"].get<std::string>(), "\")");
      }
      return Unsupported(r.file(), ": field \"", r.Name(key), "\" is present", method,
                         ": pre-quantized checkpoints are not supported; use the original fp16/bf16/fp32 weights");
    }
  }
  return Status::Ok();
}

struct ModelTypeEntry {
  const char* model_type;
  Family family;
  bool multimodal;
};
constexpr ModelTypeEntry kModelTypes[] = {
    {"llama", Family::kLlama, false},        {"qwen2", Family::kQwen2, false},
    {"qwen3", Family::kQwen3, false},        {"gemma3_text", Family::kGemma3, false},
    {"gemma3", Family::kGemma3, true},
};
constexpr const char* kSupportedList = "llama, qwen2, qwen3, gemma3_text, gemma3";

// model_type from `architectures[0]` when config.json has none.
std::string ModelTypeFromArchitecture(const std::string& arch) {
  if (arch == "LlamaForCausalLM") return "llama";
  if (arch == "Qwen2ForCausalLM") return "qwen2";
  if (arch == "Qwen3ForCausalLM") return "qwen3";
  if (arch == "Gemma3ForCausalLM") return "gemma3_text";
  if (arch == "Gemma3ForConditionalGeneration") return "gemma3";
  return "";
}

}  // namespace

const char* FamilyName(Family family) {
  switch (family) {
    case Family::kLlama: return "llama";
    case Family::kQwen2: return "qwen2";
    case Family::kQwen3: return "qwen3";
    case Family::kGemma3: return "gemma3";
  }
  return "?";
}

const char* RopeTypeName(RopeType type) {
  switch (type) {
    case RopeType::kDefault: return "default";
    case RopeType::kLinear: return "linear";
    case RopeType::kLlama3: return "llama3";
  }
  return "?";
}

const char* ActivationName(Activation a) {
  switch (a) {
    case Activation::kSilu: return "silu";
    case Activation::kGeluTanh: return "gelu_pytorch_tanh";
    case Activation::kGelu: return "gelu";
  }
  return "?";
}

Result<ModelSpec> ParseModelSpec(std::string_view json_text, const std::string& file) {
  json root;
  try {
    root = json::parse(json_text.begin(), json_text.end());
  } catch (const json::exception& e) {
    std::string what = e.what();
    return FormatError(file, ": not valid JSON (", what, ")");
  }
  if (!root.is_object()) return FormatError(file, ": not a JSON object");
  FieldReader top(root, file, "");
  ANEMLL_RETURN_IF_ERROR(RejectQuantized(top));

  ModelSpec spec;
  ANEMLL_ASSIGN_OR_RETURN(spec.model_type, top.String("model_type", ""));
  if (spec.model_type.empty()) {
    const json* archs = top.Get("architectures");
    if (archs && archs->is_array() && !archs->empty() && (*archs)[0].is_string()) {
      spec.model_type = ModelTypeFromArchitecture((*archs)[0].get<std::string>());
    }
    if (spec.model_type.empty()) {
      return InvalidArgument(file, ": field \"model_type\" is missing (supported: ", kSupportedList, ")");
    }
  }
  bool known = false;
  for (const auto& m : kModelTypes) {
    if (spec.model_type == m.model_type) {
      spec.family = m.family;
      spec.multimodal = m.multimodal;
      known = true;
    }
  }
  if (!known) {
    return Unsupported(file, ": model_type \"", spec.model_type, "\" is not supported (supported: ", kSupportedList, ")");
  }

  // The language model's fields: top level, or text_config of a multimodal gemma3 checkpoint.
  static const json kEmpty = json::object();
  const json* text = &root;
  if (spec.multimodal) {
    const json* tc = top.Get("text_config");
    if (tc && !tc->is_object()) return top.Error("text_config", "must be an object");
    text = tc ? tc : &kEmpty;
  }
  FieldReader r(*text, file, spec.multimodal ? "text_config." : "");
  if (spec.multimodal) ANEMLL_RETURN_IF_ERROR(RejectQuantized(r));

  const Family f = spec.family;
  const FamilyDefaults d = DefaultsFor(f);
  ANEMLL_ASSIGN_OR_RETURN(spec.vocab_size, r.Int("vocab_size", d.vocab_size));
  ANEMLL_ASSIGN_OR_RETURN(spec.hidden_size, r.Int("hidden_size", d.hidden_size));
  ANEMLL_ASSIGN_OR_RETURN(spec.intermediate_size, r.Int("intermediate_size", d.intermediate_size));
  ANEMLL_ASSIGN_OR_RETURN(spec.num_layers, r.Int("num_hidden_layers", d.num_layers));
  ANEMLL_ASSIGN_OR_RETURN(spec.num_heads, r.Int("num_attention_heads", d.num_heads));
  for (auto [key, v] : {std::pair<const char*, int64_t>{"vocab_size", spec.vocab_size},
                        {"hidden_size", spec.hidden_size},
                        {"intermediate_size", spec.intermediate_size},
                        {"num_hidden_layers", spec.num_layers},
                        {"num_attention_heads", spec.num_heads}}) {
    if (v <= 0) return r.Error(key, StrCat("must be positive, got ", v));
  }
  ANEMLL_ASSIGN_OR_RETURN(spec.num_kv_heads, r.Int("num_key_value_heads", d.num_kv_heads < 0 ? spec.num_heads : d.num_kv_heads));
  if (spec.num_kv_heads <= 0 || spec.num_heads % spec.num_kv_heads != 0) {
    return r.Error("num_key_value_heads", StrCat("must be positive and divide num_attention_heads (", spec.num_heads,
                                                 "), got ", spec.num_kv_heads));
  }
  const int64_t derived_head_dim = spec.hidden_size / spec.num_heads;
  ANEMLL_ASSIGN_OR_RETURN(spec.head_dim, r.Int("head_dim", d.head_dim < 0 ? derived_head_dim : d.head_dim));
  if (spec.head_dim <= 0 || spec.head_dim % 2 != 0) {
    return r.Error("head_dim", StrCat("must be a positive even number, got ", spec.head_dim));
  }
  ANEMLL_ASSIGN_OR_RETURN(spec.max_position_embeddings, r.Int("max_position_embeddings", d.max_position_embeddings));
  ANEMLL_ASSIGN_OR_RETURN(spec.rms_norm_eps, r.Number("rms_norm_eps", 1e-6));
  if (!(spec.rms_norm_eps >= 0)) return r.Error("rms_norm_eps", StrCat("must be >= 0, got ", spec.rms_norm_eps));

  ANEMLL_RETURN_IF_ERROR(ParseRopes(r, f, d.rope_theta, &spec));
  ANEMLL_RETURN_IF_ERROR(ParseLayerKinds(r, f, &spec));

  // Tied embeddings: a multimodal config may carry the flag on either level.
  bool tie = d.tie_word_embeddings;
  if (spec.multimodal && !r.Has("tie_word_embeddings")) {
    ANEMLL_ASSIGN_OR_RETURN(tie, top.Bool("tie_word_embeddings", tie));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(tie, r.Bool("tie_word_embeddings", tie));
  }
  spec.tie_word_embeddings = tie;

  ANEMLL_ASSIGN_OR_RETURN(bool attention_bias, r.Bool("attention_bias", false));
  switch (f) {
    case Family::kLlama: {
      spec.qkv_bias = spec.o_bias = attention_bias;
      ANEMLL_ASSIGN_OR_RETURN(spec.mlp_bias, r.Bool("mlp_bias", false));
      ANEMLL_ASSIGN_OR_RETURN(spec.activation, ParseActivation(r, "hidden_act", "silu"));
      break;
    }
    case Family::kQwen2: {
      // Qwen2 always has q/k/v biases and never an o_proj bias.
      spec.qkv_bias = true;
      spec.o_bias = false;
      ANEMLL_ASSIGN_OR_RETURN(spec.activation, ParseActivation(r, "hidden_act", "silu"));
      break;
    }
    case Family::kQwen3: {
      spec.qkv_bias = spec.o_bias = attention_bias;
      spec.qk_norm = true;
      ANEMLL_ASSIGN_OR_RETURN(spec.activation, ParseActivation(r, "hidden_act", "silu"));
      break;
    }
    case Family::kGemma3: {
      spec.qkv_bias = spec.o_bias = attention_bias;
      spec.qk_norm = true;
      spec.gemma_norms = true;
      ANEMLL_ASSIGN_OR_RETURN(spec.activation, ParseActivation(r, "hidden_activation", "gelu_pytorch_tanh"));
      ANEMLL_ASSIGN_OR_RETURN(double qpas, r.Number("query_pre_attn_scalar", kGemmaDefaultQueryPreAttnScalar));
      if (!(qpas > 0)) return r.Error("query_pre_attn_scalar", StrCat("must be positive, got ", qpas));
      spec.attention_scale = 1.0 / std::sqrt(qpas);
      spec.embedding_scale = std::sqrt(static_cast<double>(spec.hidden_size));
      ANEMLL_ASSIGN_OR_RETURN(spec.attn_logit_softcapping, r.Number("attn_logit_softcapping", 0.0));
      ANEMLL_ASSIGN_OR_RETURN(spec.final_logit_softcapping, r.Number("final_logit_softcapping", 0.0));
      break;
    }
  }
  if (f != Family::kGemma3) spec.attention_scale = 1.0 / std::sqrt(static_cast<double>(spec.head_dim));

  // Special token ids: the top level wins, then text_config, then the family default.
  auto token_id = [&](const char* key, int64_t fallback) -> Result<int64_t> {
    if (top.Has(key)) return top.Int(key, fallback);
    return r.Int(key, fallback);
  };
  ANEMLL_ASSIGN_OR_RETURN(spec.bos_token_id, token_id("bos_token_id", d.bos));
  ANEMLL_ASSIGN_OR_RETURN(spec.pad_token_id, token_id("pad_token_id", d.pad));
  std::vector<int64_t> eos_default;
  if (d.eos >= 0) eos_default.push_back(d.eos);
  if (top.Has("eos_token_id")) {
    ANEMLL_ASSIGN_OR_RETURN(spec.eos_token_ids, top.IntList("eos_token_id", eos_default));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(spec.eos_token_ids, r.IntList("eos_token_id", eos_default));
  }

  if (spec.multimodal) {
    // Hub checkpoints of Gemma3ForConditionalGeneration; Checkpoint::Open probes the other naming.
    spec.tensor_prefix = "language_model.model.";
    spec.lm_head_name = spec.tie_word_embeddings ? "" : "language_model.lm_head.weight";
  } else {
    spec.tensor_prefix = "model.";
    spec.lm_head_name = spec.tie_word_embeddings ? "" : "lm_head.weight";
  }
  return spec;
}

Result<ModelSpec> LoadModelSpec(const std::filesystem::path& config_json) {
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(config_json));
  return ParseModelSpec(text, config_json.string());
}

std::string DescribeModelSpec(const ModelSpec& s) {
  std::ostringstream os;
  auto rope = [](const RopeSpec& r) {
    std::string out = StrCat(RopeTypeName(r.type), " theta=", r.theta);
    if (r.type != RopeType::kDefault) out += StrCat(" factor=", r.factor);
    if (r.type == RopeType::kLlama3) {
      out += StrCat(" low=", r.low_freq_factor, " high=", r.high_freq_factor,
                    " original_max_position_embeddings=", r.original_max_position_embeddings);
    }
    return out;
  };
  std::string kinds;
  for (auto k : s.layer_kinds) kinds += k == AttentionKind::kSliding ? 'S' : 'G';
  os << "model_type: " << s.model_type << " (family " << FamilyName(s.family) << (s.multimodal ? ", multimodal" : "")
     << ")\n"
     << "hidden_size: " << s.hidden_size << "\nintermediate_size: " << s.intermediate_size
     << "\nnum_layers: " << s.num_layers << "\nnum_heads: " << s.num_heads << "\nnum_kv_heads: " << s.num_kv_heads
     << "\nhead_dim: " << s.head_dim << "\nvocab_size: " << s.vocab_size
     << "\nmax_position_embeddings: " << s.max_position_embeddings << "\nrms_norm_eps: " << s.rms_norm_eps
     << "\nrope_global: " << rope(s.rope_global) << "\nrope_local: " << rope(s.rope_local)
     << "\nlayer_kinds: " << kinds << "\nsliding_window: " << s.sliding_window
     << "\ntie_word_embeddings: " << s.tie_word_embeddings << "\nqkv_bias: " << s.qkv_bias << "\no_bias: " << s.o_bias
     << "\nmlp_bias: " << s.mlp_bias << "\nqk_norm: " << s.qk_norm << "\ngemma_norms: " << s.gemma_norms
     << "\nembedding_scale: " << s.embedding_scale << "\nattention_scale: " << s.attention_scale
     << "\nattn_logit_softcapping: " << s.attn_logit_softcapping
     << "\nfinal_logit_softcapping: " << s.final_logit_softcapping << "\nactivation: " << ActivationName(s.activation)
     << "\ntensor_prefix: " << s.tensor_prefix << "\nlm_head_name: " << s.lm_head_name
     << "\nbos_token_id: " << s.bos_token_id << "\npad_token_id: " << s.pad_token_id << "\neos_token_ids:";
  for (auto e : s.eos_token_ids) os << " " << e;
  os << "\n";
  return os.str();
}

}  // namespace anemll::hf
