#include "hf/dtype.h"

namespace anemll::hf {
namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  size_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kF64, "F64", 8}, {DType::kF32, "F32", 4}, {DType::kF16, "F16", 2},
    {DType::kBF16, "BF16", 2}, {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2}, {DType::kI8, "I8", 1}, {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
};

// Valid safetensors dtypes that anemll does not read (FP8 checkpoints are pre-quantized).
constexpr const char* kKnownUnsupported[] = {"F8_E4M3", "F8_E5M2", "F8_E8M0", "F4", "F6_E2M3", "F6_E3M2",
                                             "U16", "U32", "U64", "C64"};

}  // namespace

const char* DTypeName(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.name;
  }
  return "?";
}

size_t DTypeSize(DType dtype) {
  for (const auto& d : kDTypes) {
    if (d.dtype == dtype) return d.size;
  }
  return 0;
}

Result<DType> ParseDType(std::string_view name, const std::string& where) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return d.dtype;
  }
  for (const char* n : kKnownUnsupported) {
    if (name == n) {
      return Unsupported(where, ": dtype ", name,
                         " is not supported (supported: F32, F16, BF16, F64, I64, I32, I16, I8, U8, BOOL)");
    }
  }
  return FormatError(where, ": unknown dtype \"", name, "\"");
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

int64_t NumElements(const std::vector<int64_t>& shape) {
  int64_t n = 1;
  for (int64_t d : shape) n *= d;
  return n;
}

}  // namespace anemll::hf
