#include "runtime/model_folder.h"

#include <yaml-cpp/yaml.h>

#include <cctype>
#include <cstdio>

#include "base/file.h"

namespace anemll::runtime {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kDefaultSlidingWindow = 512;  // ANEMLL's loaders for gemma3 prefixes without the key

// Typed access to model_info.parameters with errors naming the file and key.
class Params {
 public:
  Params(const YAML::Node& node, const std::string& file) : node_(node), file_(file) {}

  bool Has(const std::string& key) const { return node_[key] && !node_[key].IsNull(); }

  Result<int64_t> Int(const std::string& key) const {
    const YAML::Node v = node_[key];
    if (!v.IsScalar()) return InvalidArgument(file_, ": model_info.parameters.", key, ": expected an integer");
    try {
      return v.as<int64_t>();
    } catch (const YAML::Exception&) {
      return InvalidArgument(file_, ": model_info.parameters.", key, ": expected an integer, got '", v.Scalar(), "'");
    }
  }
  Result<int64_t> Int(const std::string& key, int64_t fallback) const {
    if (!Has(key)) return fallback;
    return Int(key);
  }
  Result<bool> Bool(const std::string& key, bool fallback) const {
    if (!Has(key)) return fallback;
    const YAML::Node v = node_[key];
    try {
      return v.as<bool>();
    } catch (const YAML::Exception&) {
      return InvalidArgument(file_, ": model_info.parameters.", key, ": expected true or false, got '", v.Scalar(),
                             "'");
    }
  }
  std::string Str(const std::string& key, const std::string& fallback = "") const {
    if (!Has(key) || !node_[key].IsScalar()) return fallback;
    return node_[key].Scalar();
  }
  // LUT bits: an integer, or anything else (none, no, false) meaning none — as ANEMLL's Swift
  // loader reads them.
  int Lut(const std::string& key) const {
    if (!Has(key) || !node_[key].IsScalar()) return 0;
    try {
      return node_[key].as<int>();
    } catch (const YAML::Exception&) {
      return 0;
    }
  }
  Result<std::vector<int64_t>> IntList(const std::string& key) const {
    std::vector<int64_t> out;
    if (!Has(key)) return out;
    const YAML::Node v = node_[key];
    if (!v.IsSequence()) return InvalidArgument(file_, ": model_info.parameters.", key, ": expected a list");
    for (size_t i = 0; i < v.size(); ++i) {
      try {
        out.push_back(v[i].as<int64_t>());
      } catch (const YAML::Exception&) {
        return InvalidArgument(file_, ": model_info.parameters.", key, "[", i, "]: expected an integer");
      }
    }
    return out;
  }
  Result<std::vector<std::string>> StrList(const std::string& key) const {
    std::vector<std::string> out;
    if (!Has(key)) return out;
    const YAML::Node v = node_[key];
    if (!v.IsSequence()) return InvalidArgument(file_, ": model_info.parameters.", key, ": expected a list");
    for (size_t i = 0; i < v.size(); ++i) {
      if (!v[i].IsScalar()) return InvalidArgument(file_, ": model_info.parameters.", key, "[", i, "]: expected a name");
      out.push_back(v[i].Scalar());
    }
    return out;
  }

 private:
  YAML::Node node_;
  std::string file_;
};

std::string LutSuffix(int bits) { return bits > 0 ? StrCat("_lut", bits) : ""; }

bool EndsWith(const std::string& s, const std::string& tail) {
  return s.size() >= tail.size() && s.compare(s.size() - tail.size(), tail.size(), tail) == 0;
}

std::string StripModelExtension(const std::string& name) {
  for (const char* ext : {".mlmodelc", ".mlpackage"}) {
    if (EndsWith(name, ext)) return name.substr(0, name.size() - std::string(ext).size());
  }
  return name;
}

// The name with its first "_lut<digits>" token removed, or empty when it has none.
std::string WithoutLutToken(const std::string& stem) {
  for (size_t at = stem.find("_lut"); at != std::string::npos; at = stem.find("_lut", at + 1)) {
    size_t end = at + 4;
    while (end < stem.size() && std::isdigit(static_cast<unsigned char>(stem[end]))) ++end;
    if (end > at + 4 && (end == stem.size() || stem[end] == '_')) return stem.substr(0, at) + stem.substr(end);
  }
  return "";
}

// `stem` of the FFN file with its "_chunk_NNofMM" renumbered to chunk `number` (1-based).
Result<std::string> ChunkStem(const std::string& stem, int number, int num_chunks, const std::string& file) {
  const size_t at = stem.rfind("_chunk_");
  int nn = 0, mm = 0;
  char tail = 0;
  if (at == std::string::npos ||
      std::sscanf(stem.c_str() + at, "_chunk_%2dof%2d%c", &nn, &mm, &tail) < 2) {
    if (num_chunks == 1) return stem;  // single-chunk folders may name the file without a suffix
    return InvalidArgument(file, ": model_info.parameters.ffn: '", stem, "' has no _chunk_NNofMM part for ",
                           num_chunks, " chunks");
  }
  if (mm != num_chunks) {
    return InvalidArgument(file, ": model_info.parameters.ffn: '", stem, "' says ", mm,
                           " chunks but num_chunks is ", num_chunks);
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, "_chunk_%02dof%02d", number, num_chunks);
  const size_t end = at + 13;  // "_chunk_NNofMM"
  return stem.substr(0, at) + buf + (end < stem.size() ? stem.substr(end) : "");
}

}  // namespace

Result<FolderMeta> ParseFolderMeta(const std::string& yaml_text, const std::string& file) {
  YAML::Node root;
  try {
    root = YAML::Load(yaml_text);
  } catch (const YAML::Exception& e) {
    return InvalidArgument(file, ": not valid YAML: ", e.what());
  }
  if (!root.IsMap() || !root["model_info"] || !root["model_info"].IsMap()) {
    return InvalidArgument(file, ": model_info: missing (not an ANEMLL meta.yaml)");
  }
  const YAML::Node info = root["model_info"];
  if (!info["parameters"] || !info["parameters"].IsMap()) {
    return InvalidArgument(file, ": model_info.parameters: missing");
  }
  const Params p(info["parameters"], file);
  FolderMeta m;
  if (info["name"] && info["name"].IsScalar()) m.name = info["name"].Scalar();
  if (info["architecture"] && info["architecture"].IsScalar()) m.architecture = info["architecture"].Scalar();
  m.monolithic = info["model_type"] && info["model_type"].IsScalar() && info["model_type"].Scalar() == "monolithic";

  if (!p.Has("context_length")) return InvalidArgument(file, ": model_info.parameters.context_length: missing");
  ANEMLL_ASSIGN_OR_RETURN(m.context_length, p.Int("context_length"));
  ANEMLL_ASSIGN_OR_RETURN(m.state_length, p.Int("state_length", m.context_length));
  ANEMLL_ASSIGN_OR_RETURN(m.batch_size, p.Int("batch_size", 64));
  ANEMLL_ASSIGN_OR_RETURN(int64_t chunks, p.Int("num_chunks", 1));
  if (m.context_length < 1) {
    return InvalidArgument(file, ": model_info.parameters.context_length: must be >= 1, got ", m.context_length);
  }
  if (m.state_length < m.context_length) {
    return InvalidArgument(file, ": model_info.parameters.state_length: ", m.state_length,
                           " is below context_length ", m.context_length);
  }
  if (m.batch_size < 1) {
    return InvalidArgument(file, ": model_info.parameters.batch_size: must be >= 1, got ", m.batch_size);
  }
  if (chunks < 1 || chunks > 99) {
    return InvalidArgument(file, ": model_info.parameters.num_chunks: must be in [1, 99], got ", chunks);
  }
  m.num_chunks = static_cast<int>(chunks);
  m.prefix = p.Str("model_prefix", "llama");
  if (m.monolithic) {
    m.lut_ffn = p.Lut("lut_bits");
    m.lut_embeddings = p.Has("lut_embeddings") ? p.Lut("lut_embeddings") : m.lut_ffn;
    m.lut_lmhead = p.Has("lut_lmhead") ? p.Lut("lut_lmhead") : m.lut_ffn;
  } else {
    m.lut_embeddings = p.Lut("lut_embeddings");
    m.lut_ffn = p.Lut("lut_ffn");
    m.lut_lmhead = p.Lut("lut_lmhead");
  }
  // Missing file names are rebuilt from the prefix and LUT bits, as ANEMLL's chat.py does.
  m.embeddings = p.Str("embeddings", StrCat(m.prefix, "_embeddings", LutSuffix(m.lut_embeddings), ".mlmodelc"));
  m.lm_head = p.Str("lm_head", StrCat(m.prefix, "_lm_head", LutSuffix(m.lut_lmhead), ".mlmodelc"));
  char chunk_suffix[32];
  std::snprintf(chunk_suffix, sizeof chunk_suffix, "_chunk_01of%02d", m.num_chunks);
  m.ffn = p.Str("ffn", StrCat(m.prefix, "_FFN_PF", LutSuffix(m.lut_ffn), chunk_suffix, ".mlmodelc"));
  m.pf = p.Str("pf");
  m.monolithic_model = p.Str("monolithic_model", StrCat(m.prefix, "_monolithic_full", LutSuffix(m.lut_ffn), ".mlmodelc"));

  const bool qwen_like = m.prefix.find("qwen") != std::string::npos;
  ANEMLL_ASSIGN_OR_RETURN(int64_t split, p.Int("split_lm_head", m.monolithic && qwen_like ? 16 : 8));
  if (split < 1 || split > 64) {
    return InvalidArgument(file, ": model_info.parameters.split_lm_head: must be in [1, 64], got ", split);
  }
  m.split_lm_head = static_cast<int>(split);
  ANEMLL_ASSIGN_OR_RETURN(m.argmax_in_model, p.Bool("argmax_in_model", false));
  if (p.Has("vocab_size")) {
    ANEMLL_ASSIGN_OR_RETURN(int64_t v, p.Int("vocab_size"));
    if (v < 1) return InvalidArgument(file, ": model_info.parameters.vocab_size: must be >= 1, got ", v);
    m.vocab_size = v;
  }
  ANEMLL_ASSIGN_OR_RETURN(m.lm_head_chunk_sizes, p.IntList("lm_head_chunk_sizes"));
  for (int64_t s : m.lm_head_chunk_sizes) {
    if (s < 1) return InvalidArgument(file, ": model_info.parameters.lm_head_chunk_sizes: entry ", s, " must be >= 1");
  }
  if (p.Has("sliding_window")) {
    ANEMLL_ASSIGN_OR_RETURN(int64_t w, p.Int("sliding_window"));
    if (w < 1) return InvalidArgument(file, ": model_info.parameters.sliding_window: must be >= 1, got ", w);
    m.sliding_window = w;
  } else if (m.prefix.rfind("gemma3", 0) == 0) {
    m.sliding_window = kDefaultSlidingWindow;
  }
  if (p.Has("attention_size")) {
    ANEMLL_ASSIGN_OR_RETURN(int64_t a, p.Int("attention_size"));
    m.attention_size = a;
  }
  ANEMLL_ASSIGN_OR_RETURN(m.update_mask_prefill, p.Bool("update_mask_prefill", false));
  ANEMLL_ASSIGN_OR_RETURN(m.prefill_dynamic_slice, p.Bool("prefill_dynamic_slice", false));
  ANEMLL_ASSIGN_OR_RETURN(m.split_rotate, p.Bool("split_rotate", false));
  ANEMLL_ASSIGN_OR_RETURN(m.single_cache, p.Bool("single_cache", false));
  ANEMLL_ASSIGN_OR_RETURN(m.functions, p.StrList("functions"));
  return m;
}

bool IsPackageFolder(const fs::path& path) {
  std::error_code ec;
  if (fs::is_regular_file(path, ec)) return path.filename() == "meta.yaml";
  return fs::is_regular_file(path / "meta.yaml", ec);
}

Result<fs::path> ResolvePackage(const fs::path& dir, const std::string& name, const std::string& field,
                                const fs::path& meta_file) {
  std::error_code ec;
  const std::string stem = StripModelExtension(name);
  if (stem.empty() || stem.find('/') != std::string::npos || stem == "." || stem == "..") {
    return InvalidArgument(meta_file.string(), ": model_info.parameters.", field, ": '", name,
                           "' is not a file name in the folder");
  }
  std::vector<std::string> stems = {stem};
  if (const std::string plain = WithoutLutToken(stem); !plain.empty()) stems.push_back(plain);
  for (const std::string& s : stems) {
    const fs::path pkg = dir / (s + ".mlpackage");
    if (fs::is_directory(pkg, ec)) return pkg;
  }
  if (fs::exists(dir / (stem + ".mlmodelc"), ec)) {
    return NotFound(meta_file.string(), ": model_info.parameters.", field, ": ", stem,
                    ".mlmodelc is a compiled model, which only Core ML loads; the CPU runtime needs ", stem,
                    ".mlpackage next to it");
  }
  return NotFound(meta_file.string(), ": model_info.parameters.", field, ": ", stem, ".mlpackage not found in ",
                  dir.string());
}

Result<PackageFolder> OpenPackageFolder(const fs::path& path) {
  std::error_code ec;
  PackageFolder f;
  if (fs::is_regular_file(path, ec)) {
    f.meta_file = path;
    f.dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  } else {
    f.dir = path;
    f.meta_file = path / "meta.yaml";
  }
  if (!fs::is_regular_file(f.meta_file, ec)) return NotFound(f.meta_file.string(), ": not found");
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(f.meta_file));
  ANEMLL_ASSIGN_OR_RETURN(f.meta, ParseFolderMeta(text, f.meta_file.string()));
  const FolderMeta& m = f.meta;
  if (m.monolithic) {
    ANEMLL_ASSIGN_OR_RETURN(f.monolithic, ResolvePackage(f.dir, m.monolithic_model, "monolithic_model", f.meta_file));
    return f;
  }
  ANEMLL_ASSIGN_OR_RETURN(f.embeddings, ResolvePackage(f.dir, m.embeddings, "embeddings", f.meta_file));
  ANEMLL_ASSIGN_OR_RETURN(f.lm_head, ResolvePackage(f.dir, m.lm_head, "lm_head", f.meta_file));
  const std::string ffn_stem = StripModelExtension(m.ffn);
  for (int c = 1; c <= m.num_chunks; ++c) {
    ANEMLL_ASSIGN_OR_RETURN(std::string stem, ChunkStem(ffn_stem, c, m.num_chunks, f.meta_file.string()));
    ChunkPackages chunk;
    ANEMLL_ASSIGN_OR_RETURN(chunk.main, ResolvePackage(f.dir, stem, "ffn", f.meta_file));
    if (m.split_rotate) {
      const std::string rot = chunk.main.stem().string() + "_rot";
      ANEMLL_ASSIGN_OR_RETURN(chunk.rotate, ResolvePackage(f.dir, rot, "pf", f.meta_file));
    }
    f.chunks.push_back(std::move(chunk));
  }
  return f;
}

}  // namespace anemll::runtime
