#include "base/file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <system_error>

namespace anemll {
namespace fs = std::filesystem;

Result<MappedFile> MappedFile::Open(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return IoError("open ", path.string(), ": ", std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return IoError("stat ", path.string(), ": ", std::strerror(e));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return IoError("open ", path.string(), ": not a regular file");
  }
  MappedFile f;
  f.path_ = path;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      int e = errno;
      ::close(fd);
      return IoError("mmap ", path.string(), ": ", std::strerror(e));
    }
    f.data_ = static_cast<const uint8_t*>(p);
  }
  ::close(fd);
  return f;
}

MappedFile::MappedFile(MappedFile&& other) noexcept
    : data_(other.data_), size_(other.size_), path_(std::move(other.path_)) {
  other.data_ = nullptr;
  other.size_ = 0;
}

MappedFile& MappedFile::operator=(MappedFile&& other) noexcept {
  if (this != &other) {
    if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
    data_ = other.data_;
    size_ = other.size_;
    path_ = std::move(other.path_);
    other.data_ = nullptr;
    other.size_ = 0;
  }
  return *this;
}

MappedFile::~MappedFile() {
  if (data_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return IoError("open ", path.string(), ": ", std::strerror(errno));
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) return IoError("read ", path.string(), " failed");
  return s;
}

namespace {
fs::path TempSibling(const fs::path& target) {
  static std::atomic<int> counter{0};
  fs::path parent = target.parent_path();
  if (parent.empty()) parent = ".";
  return parent / StrCat(".", target.filename().string(), ".tmp-", ::getpid(), "-", counter++);
}
}  // namespace

Status WriteFileAtomic(const fs::path& path, std::string_view contents) {
  fs::path tmp = TempSibling(path);
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) return IoError("write ", path.string(), ": cannot create ", tmp.string(), ": ", std::strerror(errno));
    out.write(contents.data(), static_cast<std::streamsize>(contents.size()));
    out.flush();
    if (!out) {
      std::error_code ec;
      fs::remove(tmp, ec);
      return IoError("write ", path.string(), ": write failed");
    }
  }
  std::error_code ec;
  fs::rename(tmp, path, ec);
  if (ec) {
    fs::remove(tmp, ec);
    return IoError("write ", path.string(), ": rename failed: ", ec.message());
  }
  return Status::Ok();
}

Result<StagedPath> StagedPath::Create(const fs::path& target, bool directory) {
  fs::path tmp = TempSibling(target);
  std::error_code ec;
  fs::path parent = tmp.parent_path();
  if (!fs::is_directory(parent, ec)) {
    return IoError("create ", target.string(), ": parent folder ", parent.string(), " does not exist");
  }
  if (directory) {
    if (!fs::create_directory(tmp, ec) || ec) {
      return IoError("create ", target.string(), ": cannot create ", tmp.string(), ": ",
                     ec ? ec.message() : "exists");
    }
  }
  return StagedPath(target, tmp);
}

StagedPath::StagedPath(StagedPath&& other) noexcept
    : target_(std::move(other.target_)), temp_(std::move(other.temp_)), committed_(other.committed_) {
  other.committed_ = true;  // the moved-from object must not delete anything
}

StagedPath::~StagedPath() {
  if (!committed_) {
    std::error_code ec;
    fs::remove_all(temp_, ec);
  }
}

Status StagedPath::Commit() {
  std::error_code ec;
  if (fs::exists(target_, ec)) {
    // rename() cannot replace a non-empty directory: move the old one aside first.
    fs::path old = TempSibling(target_);
    fs::rename(target_, old, ec);
    if (ec) return IoError("replace ", target_.string(), ": ", ec.message());
    fs::rename(temp_, target_, ec);
    if (ec) {
      std::error_code ec2;
      fs::rename(old, target_, ec2);
      return IoError("rename ", temp_.string(), " -> ", target_.string(), ": ", ec.message());
    }
    fs::remove_all(old, ec);
  } else {
    fs::rename(temp_, target_, ec);
    if (ec) return IoError("rename ", temp_.string(), " -> ", target_.string(), ": ", ec.message());
  }
  committed_ = true;
  return Status::Ok();
}

}  // namespace anemll
