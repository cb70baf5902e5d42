// safetensors files: a memory-mapped, validated reader and an atomic writer.
//
// Layout: 8-byte little-endian header length N, N bytes of JSON header
// {"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, "__metadata__": {..}},
// then the data section; offsets are relative to the start of the data section.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/file.h"
#include "base/status.h"
#include "hf/dtype.h"

namespace anemll::hf {

// One tensor of a mapped safetensors file. `data` points into the mapping (not necessarily
// aligned: read it with memcpy or the To* helpers below).
struct TensorInfo {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;
  size_t nbytes = 0;

  int64_t numel() const { return NumElements(shape); }
  std::span<const uint8_t> bytes() const { return {data, nbytes}; }
};

class SafetensorsFile {
 public:
  // Maps and validates the file: header length within the file, well-formed JSON, known dtypes,
  // offsets inside the data section, byte size == numel * dtype size, no overlapping tensors.
  static Result<SafetensorsFile> Open(const std::filesystem::path& path);

  const std::filesystem::path& path() const { return file_.path(); }
  // Tensors in data-offset order.
  const std::vector<TensorInfo>& tensors() const { return tensors_; }
  // nullptr when absent.
  const TensorInfo* Find(std::string_view name) const;
  // The optional "__metadata__" string map.
  const std::map<std::string, std::string>& metadata() const { return metadata_; }

 private:
  MappedFile file_;
  std::vector<TensorInfo> tensors_;
  std::map<std::string, size_t, std::less<>> index_;
  std::map<std::string, std::string> metadata_;
};

// Values of a float tensor (F32, F16, BF16, F64) as fp32.
Result<std::vector<float>> ToFloat32(const TensorInfo& tensor);
// As above, after checking the shape: "tensor X has shape [96,64], expected [128,64]".
Result<std::vector<float>> ToFloat32(const TensorInfo& tensor, const std::vector<int64_t>& expected_shape);
// Values of an integer or bool tensor (I64, I32, I16, I8, U8, BOOL) as int64.
Result<std::vector<int64_t>> ToInt64(const TensorInfo& tensor);

// Collects tensors and writes a safetensors file atomically (temporary sibling + rename).
// Tensors are stored in the order they were added; the data section starts 8-byte aligned.
class SafetensorsWriter {
 public:
  // `bytes` must hold numel(shape) * DTypeSize(dtype) bytes (little-endian).
  Status Add(std::string name, DType dtype, std::vector<int64_t> shape, std::string bytes);
  Status AddF32(std::string name, std::vector<int64_t> shape, std::span<const float> values);
  // Rounds to fp16 / bf16 (round to nearest even).
  Status AddF16(std::string name, std::vector<int64_t> shape, std::span<const float> values);
  Status AddBF16(std::string name, std::vector<int64_t> shape, std::span<const float> values);
  Status AddI32(std::string name, std::vector<int64_t> shape, std::span<const int32_t> values);
  Status AddI64(std::string name, std::vector<int64_t> shape, std::span<const int64_t> values);
  void SetMetadata(std::string key, std::string value) { metadata_[std::move(key)] = std::move(value); }

  // The whole file's bytes.
  std::string Serialize() const;
  Status Write(const std::filesystem::path& path) const;

 private:
  struct Entry {
    std::string name;
    DType dtype;
    std::vector<int64_t> shape;
    std::string bytes;
  };
  std::vector<Entry> entries_;
  std::map<std::string, std::string> metadata_;
};

}  // namespace anemll::hf
