#include "convert/layout.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

namespace anemll::convert {

std::string LutSpec::ToString() const {
  if (!enabled()) return "none";
  if (!group_given) return std::to_string(bits);
  return StrCat(bits, ",", group);
}

Result<LutSpec> LutSpec::Parse(const std::string& flag, const std::string& text) {
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += static_cast<char>(std::tolower(c));
  }
  LutSpec spec;
  if (t.empty() || t == "none" || t == "no" || t == "false") {
    spec.bits = 0;
    return spec;
  }
  std::string bits_text = t;
  std::string group_text;
  if (size_t comma = t.find(','); comma != std::string::npos) {
    bits_text = t.substr(0, comma);
    group_text = t.substr(comma + 1);
  }
  auto parse_int = [](const std::string& s, int* out) {
    if (s.empty() || s.size() > 6) return false;
    for (char c : s) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return false;
    }
    *out = std::stoi(s);
    return true;
  };
  if (!parse_int(bits_text, &spec.bits) ||
      (spec.bits != 1 && spec.bits != 2 && spec.bits != 3 && spec.bits != 4 && spec.bits != 6 &&
       spec.bits != 8)) {
    return InvalidArgument(flag, ": \"", text, "\" is not a LUT setting (bits 1, 2, 3, 4, 6 or 8, ",
                           "optionally \",group\"; or none)");
  }
  if (!group_text.empty() || t.back() == ',') {
    spec.group_given = true;
    if (group_text == "tensor" || group_text == "t") {
      spec.group = 0;
    } else if (!parse_int(group_text, &spec.group)) {
      return InvalidArgument(flag, ": \"", text, "\": group \"", group_text,
                             "\" is not a number of output channels (or 0/tensor for one table)");
    }
  }
  return spec;
}

LayerRange ChunkLayerRange(int num_layers, int num_chunks, int chunk) {
  const int base = num_layers / num_chunks;
  const int rem = num_layers % num_chunks;
  LayerRange r;
  r.begin = chunk * base + std::min(chunk, rem);
  r.end = r.begin + base + (chunk < rem ? 1 : 0);
  return r;
}

std::vector<int64_t> LmHeadChunkSizes(int64_t vocab_size, int num_slices) {
  std::vector<int64_t> sizes(static_cast<size_t>(num_slices), vocab_size / num_slices);
  for (int64_t i = 0; i < vocab_size % num_slices; ++i) sizes[static_cast<size_t>(i)] += 1;
  return sizes;
}

int DefaultLmHeadSplit(const std::string& model_type) {
  return (model_type.rfind("qwen", 0) == 0 || model_type.rfind("gemma", 0) == 0) ? 16 : 8;
}

std::string DefaultPrefix(const std::string& model_type) {
  if (model_type == "qwen2") return "qwen25";
  if (model_type.rfind("qwen", 0) == 0) return "qwen";
  if (model_type.rfind("gemma3", 0) == 0) return "gemma3";
  return "llama";
}

namespace {
std::string LutSuffix(const LutSpec& lut) { return lut.enabled() ? StrCat("_lut", lut.bits) : ""; }
}  // namespace

std::string EmbeddingsName(const std::string& prefix, const LutSpec& lut) {
  return prefix + "_embeddings" + LutSuffix(lut);
}

std::string LmHeadName(const std::string& prefix, const LutSpec& lut) {
  return prefix + "_lm_head" + LutSuffix(lut);
}

std::string FfnChunkName(const std::string& prefix, const LutSpec& lut, int chunk, int num_chunks,
                         bool rotate_file) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "_chunk_%02dof%02d", chunk + 1, num_chunks);
  return prefix + "_FFN_PF" + LutSuffix(lut) + buf + (rotate_file ? "_rot" : "");
}

std::string MonolithicName(const std::string& prefix, const LutSpec& lut) {
  return prefix + "_monolithic_full" + LutSuffix(lut);
}

}  // namespace anemll::convert
