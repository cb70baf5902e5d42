// Checkpoint tensors as the fp16 constants of the emitted graphs: read straight from the mapped
// safetensors (bf16/fp16/fp32 -> fp16, no fp32 copy of big tensors), optionally transformed
// (scaled, offset, reshaped to conv layout), and cached per part so that the infer, prefill and
// rotate functions of one package share each weight's buffer (the package writer then stores it
// once). After a part is written, Release() drops the cache and the checkpoint pages it touched,
// so memory stays at about one part's weights.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "convert/layout.h"
#include "hf/checkpoint.h"
#include "mil/ir.h"
#include "quant/palettize.h"

namespace anemll::convert {

// How checkpoint values become constant values: v' = v * scale + offset (computed in fp32),
// then rounded to fp16; values beyond the fp16 range are clamped to +-65504 (and counted).
struct WeightTransform {
  float scale = 1.0f;
  float offset = 0.0f;
};

// A projection / table weight as the graph uses it: an fp16 constant, or (palettized) the
// indices and table of a constexpr_lut_to_dense (iOS18 layout: indices uint<bits> with the
// weight's shape, lut fp16 [groups, 1, ..., 2^bits, 1] grouped along the output channels).
struct WeightConst {
  mil::Literal dense;
  std::optional<mil::Literal> indices, lut;
  bool palettized() const { return indices.has_value(); }
};

// The error of one palettized tensor.
struct QuantRecord {
  std::string name;  // tensor (with a row range for LM-head slices)
  int bits = 0;
  int64_t group = 0;  // rows per table (0: per tensor)
  quant::QuantError error;
};

class WeightCache {
 public:
  // `threads`: palettization threads (0: all hardware threads).
  explicit WeightCache(const hf::Checkpoint& checkpoint, int threads = 0) : checkpoint_(checkpoint), threads_(threads) {}

  // fp16 literal of tensor `name` (checked against `hf_shape`), stored with shape `shape` (same
  // element count, e.g. [out, in, 1, 1] for a 1x1 conv). Cached by (name, shape, transform).
  Result<mil::Literal> Fp16(const std::string& name, const std::vector<int64_t>& hf_shape,
                            const std::vector<int64_t>& shape, WeightTransform t = {});
  // Rows [begin, end) of a 2-D tensor [rows, cols] as an fp16 literal of `shape`.
  Result<mil::Literal> Fp16Rows(const std::string& name, const std::vector<int64_t>& hf_shape, int64_t begin,
                                int64_t end, const std::vector<int64_t>& shape, WeightTransform t = {});
  // The weight as fp16, or palettized with `lut` when it is enabled (quantized once per cache,
  // so every function of a part shares the same literals).
  Result<WeightConst> Weight(const std::string& name, const std::vector<int64_t>& hf_shape,
                             const std::vector<int64_t>& shape, const LutSpec& lut, WeightTransform t = {});
  Result<WeightConst> WeightRows(const std::string& name, const std::vector<int64_t>& hf_shape, int64_t begin,
                                 int64_t end, const std::vector<int64_t>& shape, const LutSpec& lut,
                                 WeightTransform t = {});
  // Every tensor palettized since construction, in order.
  const std::vector<QuantRecord>& quant_records() const { return quant_records_; }
  // A tensor's values as fp32 (small tensors: norms, biases).
  Result<std::vector<float>> F32(const std::string& name, const std::vector<int64_t>& hf_shape);
  // A constant computed from the checkpoint (norm gains, rope tables), made once per part by
  // `make` and shared like the weights.
  Result<mil::Literal> Derived(const std::string& key, const std::function<Result<mil::Literal>()>& make);

  // Values clamped to the fp16 range so far.
  int64_t clamped_values() const { return clamped_; }
  // Drops every cached literal (the graphs holding them keep theirs alive) and gives the pages
  // of the tensors read so far back to the OS.
  void Release();

  const hf::Checkpoint& checkpoint() const { return checkpoint_; }

 private:
  Result<const hf::TensorInfo*> Find(const std::string& name, const std::vector<int64_t>& hf_shape);
  void Touched(const hf::TensorInfo* t);

  const hf::Checkpoint& checkpoint_;
  Result<std::vector<uint16_t>> Fp16Values(const std::string& name, const std::vector<int64_t>& hf_shape,
                                           int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                                           WeightTransform t);

  std::map<std::string, mil::Literal> cache_;
  std::map<std::string, WeightConst> lut_cache_;
  std::vector<QuantRecord> quant_records_;
  int threads_ = 0;
  std::unique_ptr<ThreadPool> pool_;
  std::vector<std::pair<const uint8_t*, size_t>> touched_;
  int64_t clamped_ = 0;
};

// Converts `count` values of a float tensor starting at element `first` to fp16 bits with a
// transform; returns how many values were clamped to the fp16 range. NaN becomes 0.
int64_t ConvertToFp16(const hf::TensorInfo& tensor, int64_t first, int64_t count, WeightTransform t, uint16_t* out);

// Gives the pages of [data, data + size) of a read-only file mapping back to the OS (they are
// re-read from the file if touched again).
void ReleaseMappedRange(const uint8_t* data, size_t size);

}  // namespace anemll::convert
