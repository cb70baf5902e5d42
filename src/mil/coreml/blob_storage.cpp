#include "mil/coreml/blob_storage.h"

#include <cstdio>
#include <cstring>

#include "mil/coreml/sub_byte.h"

namespace anemll::mil::coreml {

namespace {

struct CodeName {
  uint32_t code;
  DType dtype;
};

constexpr CodeName kCodes[] = {
    {1, DType::kFp16},  {2, DType::kFp32},   {3, DType::kUInt8},  {4, DType::kInt8},
    {5, DType::kBf16},  {6, DType::kInt16},  {7, DType::kUInt16}, {8, DType::kInt4},
    {9, DType::kUInt1}, {10, DType::kUInt2}, {11, DType::kUInt4}, {12, DType::kUInt3},
    {13, DType::kUInt6}, {14, DType::kInt32}, {15, DType::kUInt32},
};

uint32_t LoadU32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) | static_cast<uint32_t>(p[1]) << 8 |
         static_cast<uint32_t>(p[2]) << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint64_t LoadU64(const uint8_t* p) {
  return static_cast<uint64_t>(LoadU32(p)) | static_cast<uint64_t>(LoadU32(p + 4)) << 32;
}
void StoreU32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}
void StoreU64(uint8_t* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));
}

uint64_t RoundUp(uint64_t v, uint64_t a) { return (v + a - 1) / a * a; }

// 64-bit content hash (FNV-1a over 8-byte words, then a final mix); only used to find candidates
// for a byte-wise comparison.
uint64_t HashBytes(const uint8_t* p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ull ^ n;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  return h;
}

}  // namespace

uint32_t BlobDTypeCode(DType dtype) {
  for (const auto& c : kCodes) {
    if (c.dtype == dtype) return c.code;
  }
  return 0;
}

DType DTypeFromBlobCode(uint32_t code) {
  for (const auto& c : kCodes) {
    if (c.code == code) return c.dtype;
  }
  return DType::kInvalid;
}

std::string BlobCodeName(uint32_t code) {
  DType d = DTypeFromBlobCode(code);
  if (d != DType::kInvalid) return DTypeName(d);
  if (code == 16) return "fp8e4m3fn";
  if (code == 17) return "fp8e5m2";
  return StrCat("code ", code);
}

// ---- reading ----------------------------------------------------------------------------------

Result<std::shared_ptr<const BlobFile>> BlobFile::Open(const std::filesystem::path& path,
                                                       const std::string& display_name) {
  const std::string name = display_name.empty() ? path.string() : display_name;
  ANEMLL_ASSIGN_OR_RETURN(MappedFile file, MappedFile::Open(path));
  if (file.size() < kBlobHeaderBytes) {
    return FormatError("weight file ", name, ": ", file.size(), " bytes is shorter than the 64-byte header");
  }
  const uint32_t version = LoadU32(file.data() + 4);
  if (version != kBlobStorageVersion) {
    return FormatError("weight file ", name, ": header version ", version, ", expected ", kBlobStorageVersion);
  }
  return std::shared_ptr<const BlobFile>(new BlobFile(std::move(file), name));
}

uint32_t BlobFile::count() const { return LoadU32(file_.data()); }

Result<BlobRecord> BlobFile::Record(uint64_t offset) const {
  const std::string where = StrCat("weight file ", name_, ": blob at offset ", offset);
  if (offset < kBlobHeaderBytes || offset > file_.size() || file_.size() - offset < kBlobMetadataBytes) {
    return FormatError(where, " is beyond the file of ", file_.size(), " bytes");
  }
  const uint8_t* p = file_.data() + offset;
  BlobRecord r;
  r.metadata_offset = offset;
  const uint32_t sentinel = LoadU32(p);
  if (sentinel != kBlobSentinel) {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08X", sentinel);
    return FormatError(where, ": sentinel ", hex, ", expected 0xDEADBEEF");
  }
  r.dtype_code = LoadU32(p + 4);
  r.size_in_bytes = LoadU64(p + 8);
  r.data_offset = LoadU64(p + 16);
  r.padding_bits = LoadU64(p + 24);
  if (r.data_offset != offset + kBlobMetadataBytes) {
    return FormatError(where, ": data offset ", r.data_offset, ", expected ", offset + kBlobMetadataBytes);
  }
  if (r.data_offset > file_.size() || r.size_in_bytes > file_.size() - r.data_offset) {
    return FormatError(where, ": data [", r.data_offset, ", +", r.size_in_bytes,
                       ") ends beyond the file of ", file_.size(), " bytes");
  }
  if (r.padding_bits >= 8) {
    return FormatError(where, ": padding of ", r.padding_bits, " bits (must be < 8)");
  }
  return r;
}

Result<std::shared_ptr<const Buffer>> BlobFile::Read(uint64_t offset, DType dtype, int64_t count,
                                                     const std::string& what) const {
  ANEMLL_ASSIGN_OR_RETURN(BlobRecord r, Record(offset));
  const std::string where = StrCat("weight file ", name_, ": blob at offset ", offset, " for ", what);
  const DType blob_dtype = DTypeFromBlobCode(r.dtype_code);
  if (blob_dtype != dtype) {
    return FormatError(where, ": blob dtype ", BlobCodeName(r.dtype_code), " differs from value type ",
                       DTypeName(dtype));
  }
  if (count < 0) return FormatError(where, ": value shape has unknown dimensions");
  const uint64_t expected = StorageBytes(dtype, static_cast<uint64_t>(count));
  if (r.size_in_bytes != expected) {
    return FormatError(where, ": blob holds ", r.size_in_bytes, " bytes, value of ", count, " ",
                       DTypeName(dtype), " elements needs ", expected);
  }
  if (r.padding_bits != 0 && r.padding_bits != PaddingBits(dtype, static_cast<uint64_t>(count))) {
    return FormatError(where, ": padding of ", r.padding_bits, " bits, expected ",
                       PaddingBits(dtype, static_cast<uint64_t>(count)));
  }
  auto it = cache_.find(offset);
  if (it != cache_.end()) {
    if (auto cached = it->second.lock(); cached && cached->size() == r.size_in_bytes) return cached;
  }
  auto buffer = std::make_shared<const Buffer>(shared_from_this(), file_.data() + r.data_offset,
                                               static_cast<size_t>(r.size_in_bytes));
  cache_[offset] = buffer;
  return buffer;
}

Result<std::vector<BlobRecord>> BlobFile::List() const {
  std::vector<BlobRecord> records;
  uint64_t offset = kBlobHeaderBytes;
  while (offset < file_.size()) {
    ANEMLL_ASSIGN_OR_RETURN(BlobRecord r, Record(offset));
    records.push_back(r);
    const uint64_t end = r.data_offset + r.size_in_bytes;
    if (end == file_.size()) break;
    offset = RoundUp(end, kBlobAlignment);
  }
  if (records.size() != count()) {
    return FormatError("weight file ", name_, ": header counts ", count(), " blobs, found ",
                       records.size());
  }
  return records;
}

// ---- writing ----------------------------------------------------------------------------------

Status BlobWriter::Open() {
  out_.open(path_, std::ios::binary | std::ios::trunc);
  if (!out_) return IoError("writing ", path_.string(), ": cannot create the file");
  uint8_t header[kBlobHeaderBytes] = {};
  StoreU32(header + 4, kBlobStorageVersion);
  out_.write(reinterpret_cast<const char*>(header), sizeof header);
  end_ = kBlobHeaderBytes;
  opened_ = true;
  return out_ ? Status::Ok() : IoError("writing ", path_.string(), ": write failed");
}

Result<uint64_t> BlobWriter::Add(DType dtype, int64_t count, const std::shared_ptr<const Buffer>& data,
                                 const std::string& what) {
  const uint32_t code = BlobDTypeCode(dtype);
  if (code == 0) return InvalidArgument("weight blob for ", what, ": dtype ", DTypeName(dtype), " cannot be stored in a blob");
  if (count < 0) return InvalidArgument("weight blob for ", what, ": shape has unknown dimensions");
  const uint64_t size = StorageBytes(dtype, static_cast<uint64_t>(count));
  const size_t have = data ? data->size() : 0;
  if (have != size) {
    return InvalidArgument("weight blob for ", what, ": ", count, " ", DTypeName(dtype), " elements need ",
                           size, " bytes, data has ", have);
  }
  static const Buffer kEmpty;
  const Buffer& bytes = data ? *data : kEmpty;
  auto same = by_buffer_.find({&bytes, dtype});
  if (data && same != by_buffer_.end()) return same->second;
  const uint64_t hash = HashBytes(bytes.data(), bytes.size());
  auto range = by_hash_.equal_range(hash);
  for (auto it = range.first; it != range.second; ++it) {
    if (it->second.dtype == dtype && *it->second.data == bytes) {
      if (data) by_buffer_[{data.get(), dtype}] = it->second.offset;
      return it->second.offset;
    }
  }

  if (!opened_) ANEMLL_RETURN_IF_ERROR(Open());
  const uint64_t meta = RoundUp(end_, kBlobAlignment);
  static const char kZeros[kBlobAlignment] = {};
  out_.write(kZeros, static_cast<std::streamsize>(meta - end_));
  uint8_t record[kBlobMetadataBytes] = {};
  StoreU32(record, kBlobSentinel);
  StoreU32(record + 4, code);
  StoreU64(record + 8, size);
  StoreU64(record + 16, meta + kBlobMetadataBytes);
  StoreU64(record + 24, PaddingBits(dtype, static_cast<uint64_t>(count)));
  out_.write(reinterpret_cast<const char*>(record), sizeof record);
  if (size > 0) out_.write(reinterpret_cast<const char*>(bytes.data()), static_cast<std::streamsize>(size));
  if (!out_) return IoError("writing ", path_.string(), ": write failed at offset ", meta);
  end_ = meta + kBlobMetadataBytes + size;
  ++count_;
  auto kept = data ? data : std::make_shared<const Buffer>();
  by_buffer_[{kept.get(), dtype}] = meta;
  by_hash_.emplace(hash, Stored{dtype, kept, meta});
  return meta;
}

Status BlobWriter::Finish() {
  if (!opened_) return Status::Ok();
  uint8_t count[4];
  StoreU32(count, count_);
  out_.seekp(0);
  out_.write(reinterpret_cast<const char*>(count), sizeof count);
  out_.close();
  if (out_.fail()) return IoError("writing ", path_.string(), ": write failed");
  opened_ = false;
  return Status::Ok();
}

}  // namespace anemll::mil::coreml
