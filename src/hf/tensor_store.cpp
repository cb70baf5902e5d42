#include "hf/tensor_store.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

namespace anemll::hf {
namespace fs = std::filesystem;
namespace {

constexpr const char* kIndexFile = "model.safetensors.index.json";
constexpr const char* kSingleFile = "model.safetensors";

}  // namespace

Status TensorStore::AddFile(SafetensorsFile file) {
  files_.push_back(std::move(file));
  const size_t fi = files_.size() - 1;
  // Pointers into the file's tensor vector stay valid when files_ grows: moving a vector keeps
  // its heap buffer.
  for (const TensorInfo& t : files_[fi].tensors()) {
    auto [it, inserted] = index_.emplace(t.name, Location{fi, &t});
    if (!inserted) {
      return FormatError("safetensors: tensor ", t.name, " is in both ", files_[it->second.file].path().string(),
                         " and ", files_[fi].path().string());
    }
  }
  return Status::Ok();
}

Result<TensorStore> TensorStore::OpenFiles(const std::vector<fs::path>& files) {
  TensorStore store;
  for (const auto& p : files) {
    ANEMLL_ASSIGN_OR_RETURN(SafetensorsFile f, SafetensorsFile::Open(p));
    ANEMLL_RETURN_IF_ERROR(store.AddFile(std::move(f)));
  }
  return store;
}

Result<TensorStore> TensorStore::OpenDir(const fs::path& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return NotFound("checkpoint ", dir.string(), ": not a folder");
  const fs::path index_path = dir / kIndexFile;
  if (fs::exists(index_path, ec)) {
    ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(index_path));
    nlohmann::json index;
    try {
      index = nlohmann::json::parse(text);
    } catch (const nlohmann::json::exception& e) {
      std::string what = e.what();
      return FormatError(index_path.string(), ": not valid JSON (", what, ")");
    }
    if (!index.is_object() || !index.contains("weight_map") || !index["weight_map"].is_object()) {
      return FormatError(index_path.string(), ": field \"weight_map\" is missing or not an object");
    }
    const auto& weight_map = index["weight_map"];
    std::vector<std::string> shard_names;
    for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
      if (!it->is_string()) {
        return FormatError(index_path.string(), ": weight_map entry \"", it.key(), "\" is not a file name");
      }
      const std::string shard = it->get<std::string>();
      if (shard.empty() || shard.find('/') != std::string::npos || shard.find('\\') != std::string::npos ||
          shard == "." || shard == "..") {
        return FormatError(index_path.string(), ": weight_map entry \"", it.key(), "\" names an invalid file \"",
                           shard, "\"");
      }
      if (std::find(shard_names.begin(), shard_names.end(), shard) == shard_names.end()) {
        shard_names.push_back(shard);
      }
    }
    std::sort(shard_names.begin(), shard_names.end());
    std::vector<fs::path> paths;
    for (const auto& s : shard_names) {
      if (!fs::exists(dir / s, ec)) {
        return NotFound(index_path.string(), ": shard ", s, " listed in weight_map does not exist");
      }
      paths.push_back(dir / s);
    }
    ANEMLL_ASSIGN_OR_RETURN(TensorStore store, OpenFiles(paths));
    for (auto it = weight_map.begin(); it != weight_map.end(); ++it) {
      auto loc = store.index_.find(it.key());
      if (loc == store.index_.end()) {
        return NotFound(index_path.string(), ": tensor ", it.key(), " is listed in weight_map but missing from ",
                        it->get<std::string>());
      }
      if (store.files_[loc->second.file].path().filename() != it->get<std::string>()) {
        return FormatError(index_path.string(), ": tensor ", it.key(), " is listed in ", it->get<std::string>(),
                           " but stored in ", store.files_[loc->second.file].path().filename().string());
      }
    }
    return store;
  }
  if (fs::exists(dir / kSingleFile, ec)) return OpenFiles({dir / kSingleFile});
  std::vector<fs::path> paths;
  for (const auto& entry : fs::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".safetensors" && entry.is_regular_file(ec)) paths.push_back(entry.path());
  }
  if (ec) return IoError("checkpoint ", dir.string(), ": cannot list folder: ", ec.message());
  if (paths.empty()) return NotFound("checkpoint ", dir.string(), ": no *.safetensors files");
  std::sort(paths.begin(), paths.end());
  return OpenFiles(paths);
}

const TensorInfo* TensorStore::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : it->second.tensor;
}

Result<const TensorInfo*> TensorStore::Get(std::string_view name) const {
  const TensorInfo* t = Find(name);
  if (!t) return NotFound("missing tensor ", name);
  return t;
}

std::vector<std::string> TensorStore::Names() const {
  std::vector<std::string> names;
  names.reserve(index_.size());
  for (const auto& [name, loc] : index_) names.push_back(name);
  return names;
}

}  // namespace anemll::hf
