// Runtime tensors to and from safetensors files (on top of hf/safetensors).
#pragma once

#include <filesystem>
#include <map>
#include <string>

#include "base/status.h"
#include "runtime/tensor.h"

namespace anemll::runtime {

// Every tensor of the file. F32, F16, I32, I16, I8, U8 and BOOL map to the runtime dtypes of the
// same width; BF16/F64 become fp32 and I64 int32 (values outside int32 are an error).
Result<std::map<std::string, Tensor>> ReadTensors(const std::filesystem::path& path);

// Writes the tensors (atomically). Float tensors are stored as F32, integer tensors as I32 and
// bool tensors as BOOL.
Status WriteTensors(const std::filesystem::path& path, const std::map<std::string, Tensor>& tensors);

}  // namespace anemll::runtime
