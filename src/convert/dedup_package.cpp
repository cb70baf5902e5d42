// Package-level deduplication and the weight.bin size the writer would produce.
#include <functional>
#include <string_view>
#include <unordered_map>

#include "convert/dedup.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/package.h"
#include "mil/coreml/summary.h"

namespace anemll::convert {
namespace {

namespace fs = std::filesystem;
using mil::Literal;

// Replays the package writer's blob placement (same traversal order, same identical-bytes
// sharing) without writing.
class BlobLayoutEstimate {
 public:
  explicit BlobLayoutEstimate(int32_t spec_version) : spec_version_(spec_version) {}

  void Add(const Literal& lit) {
    if (!mil::coreml::StoredAsBlob(lit, spec_version_)) return;
    const mil::DType dtype = lit.type.tensor.dtype;
    const mil::Buffer* buf = lit.data.get();
    const std::string_view bytes = buf ? std::string_view(reinterpret_cast<const char*>(buf->data()), buf->size())
                                       : std::string_view();
    const size_t hash = std::hash<std::string_view>()(bytes);
    auto range = seen_.equal_range(hash);
    for (auto it = range.first; it != range.second; ++it) {
      if (it->second.first == dtype && it->second.second == bytes) return;
    }
    seen_.emplace(hash, std::make_pair(dtype, bytes));
    if (end_ == 0) end_ = mil::coreml::kBlobHeaderBytes;
    const uint64_t align = mil::coreml::kBlobAlignment;
    const uint64_t meta = (end_ + align - 1) / align * align;
    end_ = meta + mil::coreml::kBlobMetadataBytes + bytes.size();
  }

  void AddBlock(const mil::Block& block) {
    for (const mil::Operation& op : block.operations) {
      for (const auto& [key, lit] : op.attributes) Add(lit);
      for (const auto& [param, bindings] : op.inputs) {
        for (const mil::Argument& b : bindings) {
          if (b.name.empty() && b.literal) Add(*b.literal);
        }
      }
      for (const mil::Block& nested : op.blocks) AddBlock(nested);
    }
  }

  uint64_t bytes() const { return end_; }

 private:
  int32_t spec_version_;
  uint64_t end_ = 0;
  // The literals stay alive in the model while this runs, so views into their buffers are safe.
  std::unordered_multimap<size_t, std::pair<mil::DType, std::string_view>> seen_;
};

}  // namespace

uint64_t EstimateWeightFileBytes(const mil::Model& model) {
  BlobLayoutEstimate estimate(model.specification_version);
  for (const auto& [name, fn] : model.program.functions) estimate.AddBlock(fn.block);
  return estimate.bytes();
}

Result<PackageDedupResult> DedupPackage(const fs::path& pkg, const DedupOptions& options, bool dry_run) {
  ANEMLL_RETURN_IF_ERROR(ValidateDedupOptions(options));
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, mil::coreml::ReadPackage(pkg));
  PackageDedupResult r;
  r.functions = FunctionOrder(model).size();
  r.weight_bytes_before = mil::coreml::Summarize(model, pkg).weights.weight_file_bytes;
  auto report = DedupFunctions(&model, options);
  if (!report.ok()) return report.status().WithContext(pkg.string());
  r.report = std::move(*report);
  r.weight_bytes_after = EstimateWeightFileBytes(model);
  // Single-function packages are not rewritten; multifunction ones also when only the writer's
  // identical-bytes sharing would make them smaller.
  const bool changes =
      r.functions > 1 && (r.report.replaced > 0 || r.weight_bytes_after < r.weight_bytes_before);
  if (!changes) {
    r.weight_bytes_after = r.weight_bytes_before;  // left as it is
    return r;
  }
  if (dry_run) return r;
  ANEMLL_RETURN_IF_ERROR(mil::coreml::WritePackage(model, pkg).WithContext(StrCat("writing ", pkg.string())));
  r.written = true;
  ANEMLL_ASSIGN_OR_RETURN(mil::coreml::PackageFiles files, mil::coreml::LocatePackage(pkg));
  std::error_code ec;
  const fs::path weights = files.model_dir / "weights" / "weight.bin";
  r.weight_bytes_after = fs::exists(weights, ec) ? fs::file_size(weights, ec) : 0;
  if (ec) return IoError(weights.string(), ": ", ec.message());
  return r;
}

}  // namespace anemll::convert
