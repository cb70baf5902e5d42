// Facts about a package for `anemll inspect`: functions with their I/O, op histograms, metadata
// and where the weight bytes go (by dtype, by LUT bit width).
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil::coreml {

struct FunctionSummary {
  std::string name;
  bool is_default = false;  // the default function of a multifunction model, or "main"
  std::string opset;
  FunctionDescription description;
  int64_t op_count = 0;                  // operations, nested blocks included
  std::map<std::string, int64_t> ops;    // op type -> count
};

struct LutStats {
  int64_t ops = 0;     // constexpr_lut_to_dense ops with this index width
  uint64_t bytes = 0;  // their indices + LUT bytes (shared data counted once)
};

struct WeightSummary {
  uint64_t blob_count = 0;                   // distinct blobs referenced
  uint64_t total_blob_bytes = 0;             // their data bytes
  uint64_t weight_file_bytes = 0;            // sizes of the referenced weight files
  std::map<std::string, uint64_t> by_dtype;  // dtype name -> blob data bytes
  std::map<int, LutStats> by_lut_bits;       // index bits -> LUT-compressed weights
};

struct PackageSummary {
  std::filesystem::path package;
  int32_t specification_version = 0;
  std::string default_function;  // empty for single-function models
  std::vector<FunctionSummary> functions;  // description order
  Metadata metadata;
  WeightSummary weights;
};

// Summarizes a model read from `package` (used to size its weight files).
PackageSummary Summarize(const Model& model, const std::filesystem::path& package);

// "fp16", "fp32", "int32", ... for description dtypes; "int64"/"double"/"string" for those kinds.
std::string FeatureDTypeName(const FeatureType& type);

}  // namespace anemll::mil::coreml
