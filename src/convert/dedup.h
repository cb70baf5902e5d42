// Weight deduplication across the functions of a multifunction package (ANEMLL-Dedup).
//
// Functions traced separately (infer, prefill, rotate) and palettized one by one end up with
// different LUT centroids and index assignments for the same weights, so a byte-level blob dedup
// keeps every copy. For each palettized weight (constexpr_lut_to_dense: indices + LUT) of a target
// function whose normalized name matches one of the anchor function, the dequantized tensors are
// compared in float64; when they agree within the thresholds the target is pointed at the
// anchor's indices and LUT, so the package writer stores them once.
//
// Our own converter never needs this (its functions share one Buffer per weight); it is for
// packages made elsewhere.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::convert {

struct DedupOptions {
  std::string anchor;                // function to keep; empty: the first function (description order)
  double cos_threshold = 0.9999;     // accept when cosine >= this ...
  double mean_abs_threshold = 0.001;  // ... and mean |diff| <= this
  // When set (or with `strict`, default 0.01), also require max |diff| <= this.
  std::optional<double> max_abs_threshold;
  bool strict = false;
};

// Validates the thresholds (finite, cosine in [-1, 1], the others >= 0); errors name the flag.
Status ValidateDedupOptions(const DedupOptions& options);

// ANEMLL's reason codes.
enum class DedupReason {
  kIdentical,          // already byte-identical (indices and LUT)
  kDeqClose,           // dequantized values agree: replaced by the anchor's
  kRejectedThreshold,  // dequantized values differ beyond the thresholds: left alone
  kRejectedShape,      // indices or LUT shape/dtype differ: left alone
  kRejectedDeqFail,    // could not dequantize (unsupported form, malformed data): left alone
};
const char* DedupReasonName(DedupReason reason);  // "identical", "deq_close", ...

// One palettized weight of a target function compared with the anchor's.
struct DedupDecision {
  std::string function;   // target function
  std::string key;        // normalized name
  std::string target_op;  // constexpr_lut_to_dense op names
  std::string anchor_op;
  DedupReason reason = DedupReason::kIdentical;
  double cosine = 1.0, mean_abs = 0.0, max_abs = 0.0;  // when dequantized
  int64_t elements = 0;
  uint64_t bytes = 0;  // indices + LUT bytes of the target
  std::string detail;  // why, for rejections
};

struct DedupReport {
  std::string anchor;
  std::vector<std::string> targets;
  int64_t examined = 0;   // palettized weights of the targets with an anchor counterpart
  int64_t replaced = 0;   // deq_close
  int64_t identical = 0;  // identical
  int64_t rejected = 0;   // rejected_*
  int64_t unmatched = 0;  // palettized weights of the targets without an anchor counterpart
  // Dense (non-palettized) blob constants of the targets matched by name with the anchor's:
  // identical bytes are stored once by the writer anyway; differing ones are left alone.
  int64_t dense_identical = 0;
  int64_t dense_different = 0;
  std::vector<DedupDecision> decisions;  // every examined palettized weight, in program order

  int64_t count(DedupReason reason) const;
};

// A constant's name with one trailing "_<digits>" removed ("w_palettized_lut_3" -> "w_palettized_lut").
std::string NormalizedConstKey(const std::string& name);

// The function names of a model in description order (program order for models without a
// multifunction description).
std::vector<std::string> FunctionOrder(const mil::Model& model);

// Deduplicates `model` in place. Fails if the anchor function does not exist; a model with one
// function is left as it is (empty report).
Result<DedupReport> DedupFunctions(mil::Model* model, const DedupOptions& options);

// The size of the weight.bin that WritePackage would write for `model` (blobs with identical
// bytes of one dtype stored once, 64-byte aligned records); 0 when nothing goes to a blob.
uint64_t EstimateWeightFileBytes(const mil::Model& model);

// A package deduplicated on disk.
struct PackageDedupResult {
  DedupReport report;
  size_t functions = 0;
  uint64_t weight_bytes_before = 0;  // weight files referenced by the package as read
  uint64_t weight_bytes_after = 0;   // weight.bin as written (dry run: as it would be written)
  bool written = false;              // the package was rewritten
};

// Reads `pkg`, deduplicates it and, unless `dry_run` or nothing would change, writes it back in
// place (atomically). A single-function package is left as it is. Errors name the package.
Result<PackageDedupResult> DedupPackage(const std::filesystem::path& pkg, const DedupOptions& options, bool dry_run);

}  // namespace anemll::convert
