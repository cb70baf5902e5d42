// Element types of safetensors tensors, by their names in the safetensors header ("F32", "BF16").
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace anemll::hf {

enum class DType { kF64, kF32, kF16, kBF16, kI64, kI32, kI16, kI8, kU8, kBool };

// "F32", "BF16", ... as written in safetensors headers.
const char* DTypeName(DType dtype);
// Bytes per element.
size_t DTypeSize(DType dtype);
// Parses a header dtype name; unknown or unsupported names (e.g. "F8_E4M3") are an error naming
// `where` (the file and tensor).
Result<DType> ParseDType(std::string_view name, const std::string& where);

// "[96,64]"
std::string ShapeString(const std::vector<int64_t>& shape);
// Product of the dimensions (1 for a scalar).
int64_t NumElements(const std::vector<int64_t>& shape);

}  // namespace anemll::hf
