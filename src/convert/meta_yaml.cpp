#include "convert/meta_yaml.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace anemll::convert {
namespace {

std::string LutBits(const LutSpec& lut) { return lut.enabled() ? std::to_string(lut.bits) : "none"; }

std::string JoinSizes(const std::vector<int64_t>& sizes) {
  std::string s = "[";
  for (size_t i = 0; i < sizes.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(sizes[i]);
  }
  return s + "]";
}

// Optional parameter lines shared by the chunked and monolithic schemas, in ANEMLL's order.
void AppendOptionalParameters(const MetaYaml& m, bool chunked, std::string* out) {
  if (m.argmax_in_model) *out += "\n    argmax_in_model: true";
  if (m.vocab_size) *out += StrCat("\n    vocab_size: ", *m.vocab_size);
  if (!m.lm_head_chunk_sizes.empty()) *out += "\n    lm_head_chunk_sizes: " + JoinSizes(m.lm_head_chunk_sizes);
  if (chunked && m.split_rotate) *out += "\n    split_rotate: true";
  if (m.sliding_window) *out += StrCat("\n    sliding_window: ", *m.sliding_window);
  if (m.update_mask_prefill) *out += "\n    update_mask_prefill: true";
  if (m.prefill_dynamic_slice) *out += "\n    prefill_dynamic_slice: true";
  if (m.single_cache) *out += "\n    single_cache: true";
}

std::string ConversionComments(const MetaYaml& m) {
  if (m.conversion_info.empty()) return "";
  static const std::array<const char*, 22> kOrder = {
      "model_path", "output_dir", "command_line", "context_length", "batch_size", "num_chunks",
      "lut_part1", "lut_part2", "lut_part3", "prefix", "architecture", "argmax_in_model",
      "split_rotate", "sliding_window", "fp16_scale", "clamp", "single_cache",
      "dynamic_prefill_slice", "update_mask_prefill", "converter", "monolithic", "anemll_version"};
  const std::string rule = "# " + std::string(77, '=');
  std::string s = "\n" + rule + "\n# Conversion Parameters (for troubleshooting)\n" + rule + "\n";
  s += "# Generated: " + m.generated_timestamp + "\n#\n";
  auto is_bool = [](const std::string& v) { return v == "true" || v == "false"; };
  auto line = [&](const std::string& key, const std::string& value) {
    s += "# " + key + ": " + (is_bool(value) ? value : EscapeYamlValue(value)) + "\n";
  };
  for (const char* key : kOrder) {
    for (const auto& [k, v] : m.conversion_info) {
      if (k == key) line(k, v);
    }
  }
  for (const auto& [k, v] : m.conversion_info) {
    if (std::find(kOrder.begin(), kOrder.end(), k) == kOrder.end()) line(k, v);
  }
  s += rule + "\n";
  return s;
}

}  // namespace

std::string EscapeYamlValue(const std::string& s) {
  bool needs = s.empty() || s.front() == ' ' || s.front() == '\t' || s.back() == ' ' || s.back() == '\t';
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == ':' || c == '#' || c == '"' || c == '\'' || c == '\\') {
      needs = true;
    }
  }
  if (!s.empty() && std::string("#!&*?|>[]{}@`").find(s.front()) != std::string::npos) needs = true;
  std::string lower;
  for (char c : s) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const char* word : {"true", "false", "null", "yes", "no", "on", "off"}) {
    if (lower == word) needs = true;
  }
  if (!needs) return s;
  std::string e = "\"";
  for (char c : s) {
    switch (c) {
      case '\\': e += "\\\\"; break;
      case '"': e += "\\\""; break;
      case '\n': e += "\\n"; break;
      case '\r': e += "\\r"; break;
      case '\t': e += "\\t"; break;
      default: e += c;
    }
  }
  return e + "\"";
}

std::string RenderMetaYaml(const MetaYaml& m) {
  std::string s;
  if (m.monolithic) {
    s += StrCat("model_info:\n  name: anemll-", m.model_name, "-ctx", m.context_length, "-monolithic\n");
    s += "  version: 0.3.5\n  description: |\n";
    s += StrCat("    Monolithic model running ", m.model_name, " on Apple Neural Engine\n");
    s += StrCat("    Context length: ", m.context_length, "\n    Batch size: ", m.batch_size, "\n");
    s += "    Type: Monolithic (single file with embed+FFN+lm_head)\n";
    s += "  license: MIT\n  author: Anemll\n  framework: Core ML\n  language: Python\n";
    s += "  architecture: " + m.architecture + "\n  model_type: monolithic\n  parameters:\n";
    s += StrCat("    context_length: ", m.context_length, "\n    batch_size: ", m.batch_size, "\n");
    s += "    lut_bits: " + LutBits(m.lut_ffn);
    if (m.lut_ffn.enabled() && m.lut_ffn.group_given) s += StrCat("\n    lut_per_channel: ", m.lut_ffn.group);
    if (!(m.lut_embeddings == m.lut_ffn)) {
      s += "\n    lut_embeddings: " + LutBits(m.lut_embeddings);
      if (m.lut_embeddings.enabled() && m.lut_embeddings.group_given) {
        s += StrCat("\n    lut_embeddings_per_channel: ", m.lut_embeddings.group);
      }
    }
    if (!(m.lut_lmhead == m.lut_ffn)) {
      s += "\n    lut_lmhead: " + LutBits(m.lut_lmhead);
      if (m.lut_lmhead.enabled() && m.lut_lmhead.group_given) {
        s += StrCat("\n    lut_lmhead_per_channel: ", m.lut_lmhead.group);
      }
    }
    s += "\n    model_prefix: " + m.prefix + "\n    monolithic_model: " + m.monolithic_file;
    s += StrCat("\n    split_lm_head: ", m.split_lm_head);
    AppendOptionalParameters(m, /*chunked=*/false, &s);
    s += "\n    functions:\n      - infer\n";
    if (m.rotate_functions) s += "      - infer_rotate\n";
    s += "      - prefill\n";
    if (m.rotate_functions) s += "      - prefill_rotate\n";
  } else {
    s += StrCat("model_info:\n  name: anemll-", m.model_name, "-ctx", m.context_length, "\n");
    s += "  version: 0.3.5\n  description: |\n";
    // "Demonstarates" is ANEMLL's spelling; kept so tools comparing files see no difference.
    s += StrCat("    Demonstarates running ", m.model_name, " on Apple Neural Engine\n");
    s += StrCat("    Context length: ", m.context_length, "\n    Batch size: ", m.batch_size, "\n");
    s += StrCat("    Chunks: ", m.num_chunks, "\n");
    s += "  license: MIT\n  author: Anemll\n  framework: Core ML\n  language: Python\n";
    s += "  architecture: " + m.architecture + "\n  parameters:\n";
    s += StrCat("    context_length: ", m.context_length, "\n    batch_size: ", m.batch_size, "\n");
    s += "    lut_embeddings: " + LutBits(m.lut_embeddings) + "\n";
    if (m.lut_embeddings.group_given && m.lut_embeddings.enabled()) {
      s += StrCat("    lut_embeddings_per_channel: ", m.lut_embeddings.group, "\n");
    }
    s += "    lut_ffn: " + LutBits(m.lut_ffn) + "\n";
    if (m.lut_ffn.group_given && m.lut_ffn.enabled()) s += StrCat("    lut_ffn_per_channel: ", m.lut_ffn.group, "\n");
    s += "    lut_lmhead: " + LutBits(m.lut_lmhead) + "\n";
    if (m.lut_lmhead.group_given && m.lut_lmhead.enabled()) {
      s += StrCat("    lut_lmhead_per_channel: ", m.lut_lmhead.group, "\n");
    }
    s += StrCat("    num_chunks: ", m.num_chunks, "\n    model_prefix: ", m.prefix, "\n");
    s += "    embeddings: " + m.embeddings_file + "\n    lm_head: " + m.lm_head_file + "\n";
    s += "    ffn: " + m.ffn_file;
    if (m.split_rotate) s += "\n    pf: " + m.pf_file;
    s += StrCat("\n    split_lm_head: ", m.split_lm_head);
    AppendOptionalParameters(m, /*chunked=*/true, &s);
    s += "\n";
  }
  s += ConversionComments(m);
  return s;
}

}  // namespace anemll::convert
