// Files: read-only memory maps, whole-file reads, and atomic writes (temporary sibling + rename).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "base/status.h"

namespace anemll {

// A read-only mmap of a whole file. Move-only; unmaps on destruction.
class MappedFile {
 public:
  static Result<MappedFile> Open(const std::filesystem::path& path);

  MappedFile() = default;
  MappedFile(MappedFile&& other) noexcept;
  MappedFile& operator=(MappedFile&& other) noexcept;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  const std::filesystem::path& path() const { return path_; }

 private:
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
  std::filesystem::path path_;
};

Result<std::string> ReadFile(const std::filesystem::path& path);

// Writes `contents` to `path` through a temporary sibling and a rename, so readers never see a
// half-written file.
Status WriteFileAtomic(const std::filesystem::path& path, std::string_view contents);

// A temporary sibling of a target path: `<parent>/.<name>.tmp-<pid>-<n>`. Build the output there,
// then Commit() renames it onto the target (replacing an existing one). If not committed, the
// destructor removes it, so an interrupted or failed job leaves nothing half-written behind.
class StagedPath {
 public:
  static Result<StagedPath> Create(const std::filesystem::path& target, bool directory);
  StagedPath(StagedPath&& other) noexcept;
  StagedPath& operator=(StagedPath&&) = delete;
  StagedPath(const StagedPath&) = delete;
  ~StagedPath();

  const std::filesystem::path& path() const { return temp_; }
  const std::filesystem::path& target() const { return target_; }
  Status Commit();

 private:
  StagedPath(std::filesystem::path target, std::filesystem::path temp)
      : target_(std::move(target)), temp_(std::move(temp)) {}
  std::filesystem::path target_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

}  // namespace anemll
