// The tensors of a checkpoint folder, possibly spread over several safetensors shards.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "hf/safetensors.h"

namespace anemll::hf {

class TensorStore {
 public:
  // Which files of `dir` hold the weights, in order of preference:
  //   model.safetensors.index.json (its weight_map names the shards; each listed tensor must be in
  //   the shard the map names), else model.safetensors, else every *.safetensors in the folder
  //   (sorted by name; a tensor name in two files is an error).
  static Result<TensorStore> OpenDir(const std::filesystem::path& dir);
  // An explicit list of files (a tensor name in two files is an error).
  static Result<TensorStore> OpenFiles(const std::vector<std::filesystem::path>& files);

  // nullptr when absent.
  const TensorInfo* Find(std::string_view name) const;
  // NotFound "missing tensor NAME" (the caller adds the checkpoint context).
  Result<const TensorInfo*> Get(std::string_view name) const;
  // Every tensor name, sorted.
  std::vector<std::string> Names() const;
  size_t size() const { return index_.size(); }
  const std::vector<SafetensorsFile>& files() const { return files_; }

 private:
  struct Location {
    size_t file;
    const TensorInfo* tensor;
  };
  Status AddFile(SafetensorsFile file);

  std::vector<SafetensorsFile> files_;
  std::map<std::string, Location, std::less<>> index_;
};

}  // namespace anemll::hf
