// A converted output folder as its loaders see it: meta.yaml (written by anemll or by ANEMLL 0.3.5)
// read with ANEMLL's defaults and fallbacks, and every part resolved to a package on disk.
//
// meta.yaml names compiled models (".mlmodelc"); the CPU runtime reads the ".mlpackage" sibling.
// A name without extension tries both; a "_lut<b>" name that is missing falls back to the
// un-suffixed one (as ANEMLL's loaders do); the FFN chunks are the `ffn` file's `_chunk_NNofMM`
// siblings; split-rotate folders add each chunk's `_rot` file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"

namespace anemll::runtime {

struct FolderMeta {
  std::string name;          // model_info.name
  std::string architecture;  // model_info.architecture (raw model_type), may be empty
  bool monolithic = false;   // model_info.model_type == monolithic
  int64_t context_length = 0;
  int64_t state_length = 0;   // state_length, else context_length
  int64_t batch_size = 64;
  int num_chunks = 1;
  std::string prefix = "llama";
  int lut_embeddings = 0, lut_ffn = 0, lut_lmhead = 0;  // bits; 0 = none
  std::string embeddings, lm_head, ffn, pf, monolithic_model;  // file names as written
  int split_lm_head = 8;
  bool argmax_in_model = false;
  std::optional<int64_t> vocab_size;
  std::vector<int64_t> lm_head_chunk_sizes;
  std::optional<int64_t> sliding_window;
  std::optional<int64_t> attention_size;
  bool update_mask_prefill = false;
  bool prefill_dynamic_slice = false;
  bool split_rotate = false;
  bool single_cache = false;
  std::vector<std::string> functions;  // monolithic
  // Batch prefill is only used when the folder says its prefill slices dynamically (or takes an
  // update mask); otherwise every token goes through `infer`, as ANEMLL's hosts do.
  bool batch_prefill() const { return prefill_dynamic_slice || update_mask_prefill; }
};

// Parses meta.yaml text; `file` names it in errors.
Result<FolderMeta> ParseFolderMeta(const std::string& yaml_text, const std::string& file);

struct ChunkPackages {
  std::filesystem::path main;    // infer + prefill (+ rotate functions unless split)
  std::filesystem::path rotate;  // split-rotate `_rot` package, else empty
};

struct PackageFolder {
  std::filesystem::path dir;
  std::filesystem::path meta_file;
  FolderMeta meta;
  // Chunked:
  std::filesystem::path embeddings, lm_head;
  std::vector<ChunkPackages> chunks;
  // Monolithic:
  std::filesystem::path monolithic;
};

// Whether `path` is a converted folder (holds meta.yaml) or a meta.yaml file.
bool IsPackageFolder(const std::filesystem::path& path);

// Reads `path` (the folder or its meta.yaml) and resolves every package. Errors name the file
// and field (or the package that is missing).
Result<PackageFolder> OpenPackageFolder(const std::filesystem::path& path);

// The package for a model file name of meta.yaml, see the header comment; `field` names the key.
Result<std::filesystem::path> ResolvePackage(const std::filesystem::path& dir, const std::string& name,
                                             const std::string& field, const std::filesystem::path& meta_file);

}  // namespace anemll::runtime
