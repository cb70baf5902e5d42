// weight.bin ("MIL blob storage v2"): a 64-byte header {count, version 2}, then per blob a
// 64-byte metadata record {0xDEADBEEF, dtype code, size, data offset, padding bits} followed by
// the raw little-endian data. Every metadata record starts on a 64-byte boundary; the file ends
// right after the last blob's data. Values reference a blob by its metadata offset.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <unordered_map>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil::coreml {

constexpr uint32_t kBlobSentinel = 0xDEADBEEFu;
constexpr uint32_t kBlobStorageVersion = 2;
constexpr uint64_t kBlobAlignment = 64;   // bytes; header and metadata records are this long too
constexpr uint64_t kBlobHeaderBytes = 64;
constexpr uint64_t kBlobMetadataBytes = 64;

// BlobDataType code of a MIL dtype; 0 if the dtype cannot live in a blob (bool, string, 64-bit).
uint32_t BlobDTypeCode(DType dtype);
// The MIL dtype of a BlobDataType code; kInvalid for unknown codes (and fp8, which MIL here lacks).
DType DTypeFromBlobCode(uint32_t code);
// "fp16", "uint4", ... or "code 16" for codes without a MIL dtype.
std::string BlobCodeName(uint32_t code);

// One metadata record as stored.
struct BlobRecord {
  uint64_t metadata_offset = 0;
  uint32_t dtype_code = 0;
  uint64_t size_in_bytes = 0;
  uint64_t data_offset = 0;
  uint64_t padding_bits = 0;
};

// A weight.bin opened for reading: memory-mapped, and blobs handed out as Buffers that borrow
// from the map (kept alive by shared ownership), so weights are never copied.
class BlobFile : public std::enable_shared_from_this<BlobFile> {
 public:
  // `display_name` names the file in error messages (default: its path).
  static Result<std::shared_ptr<const BlobFile>> Open(const std::filesystem::path& path,
                                                      const std::string& display_name = "");

  const std::filesystem::path& path() const { return file_.path(); }
  const std::string& display_name() const { return name_; }
  uint64_t size() const { return file_.size(); }
  uint32_t count() const;  // header blob count

  // The metadata record at `offset`: sentinel, data offset == offset + 64 and data within the file
  // are checked.
  Result<BlobRecord> Record(uint64_t offset) const;

  // The data of the blob at `offset`, checked against the value that references it: the blob
  // dtype must be `dtype` and its size the storage size of `count` elements. `what` names the
  // value in error messages. Repeated reads of one offset return the same Buffer object while it
  // is alive. Not thread-safe.
  Result<std::shared_ptr<const Buffer>> Read(uint64_t offset, DType dtype, int64_t count,
                                             const std::string& what) const;

  // Walks every record from the first one (offset 64) as a reader following the layout would;
  // fails on a bad sentinel, misplaced data or a record count differing from the header.
  Result<std::vector<BlobRecord>> List() const;

 private:
  BlobFile(MappedFile file, std::string name) : file_(std::move(file)), name_(std::move(name)) {}
  MappedFile file_;
  std::string name_;
  // Buffers handed out, by offset; weak because each Buffer owns this file (no cycle).
  mutable std::map<uint64_t, std::weak_ptr<const Buffer>> cache_;
};

// Writes a weight.bin blob by blob. Literals that share one Buffer object, or hold byte-identical
// data of the same dtype, get one blob. Nothing is created until the first blob is added, so a
// model without blobs gets no weight.bin.
class BlobWriter {
 public:
  explicit BlobWriter(std::filesystem::path path) : path_(std::move(path)) {}
  BlobWriter(const BlobWriter&) = delete;
  BlobWriter& operator=(const BlobWriter&) = delete;

  // Adds (or reuses) a blob for `count` elements of `dtype` in `data` (storage layout) and
  // returns its metadata offset. `what` names the value in error messages.
  Result<uint64_t> Add(DType dtype, int64_t count, const std::shared_ptr<const Buffer>& data,
                       const std::string& what);

  // Writes the header's blob count and closes the file.
  Status Finish();

  uint32_t count() const { return count_; }
  uint64_t bytes_written() const { return end_; }

 private:
  struct Stored {
    DType dtype;
    std::shared_ptr<const Buffer> data;
    uint64_t offset;
  };
  Status Open();

  std::filesystem::path path_;
  std::ofstream out_;
  bool opened_ = false;
  uint32_t count_ = 0;
  uint64_t end_ = 0;  // current file length
  std::map<std::pair<const Buffer*, DType>, uint64_t> by_buffer_;
  std::unordered_multimap<uint64_t, Stored> by_hash_;  // content hash -> stored blobs
};

}  // namespace anemll::mil::coreml
