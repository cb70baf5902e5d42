// LUT palettization of a weight matrix [rows (out), cols (in)]: per group of G consecutive
// output rows (or once for the whole tensor) a table of 2^bits fp16 centroids, and for every
// weight the bits-wide index of its centroid, packed exactly as Core ML's iOS18
// constexpr_lut_to_dense stores a uint<bits> `indices` tensor (and kernels::LutMatrixRef reads).
//
// Method: per group, exact 1-D k-means (kmeans1d.h) over the group's distinct values, centroids
// rounded to fp16, then every value assigned to its nearest *rounded* centroid (so the stored
// indices are the best for the stored table). Groups with at most 2^bits distinct values are
// exact. Deterministic: the bytes depend only on the input, never on the thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "base/thread_pool.h"
#include "kernels/lut_gemm.h"

namespace anemll::quant {

enum class ValueType { kF32, kF16 };

// A row-major matrix of fp32 values or fp16 bit patterns.
struct MatrixView {
  const void* data = nullptr;
  ValueType type = ValueType::kF32;
  int64_t rows = 0;  // output channels
  int64_t cols = 0;  // input features (all trailing dims of a conv weight)

  float At(int64_t i) const;  // element i in row-major order, as float
};

struct LutConfig {
  int bits = 4;             // 1, 2, 3, 4, 6 or 8
  int64_t group_rows = 8;   // output rows sharing one table; 0 = one table for the whole tensor
};

// Error of the palettized values against the originals (over all elements).
struct QuantError {
  double mse = 0;       // mean squared error
  double cosine = 1;    // cosine similarity of the flattened tensors (1 if both are zero)
  double max_abs = 0;   // largest absolute error
};

struct LutMatrix {
  int bits = 0;
  int64_t rows = 0, cols = 0;
  int64_t group_rows = 0;         // rows per table (rows itself for a per-tensor table)
  bool per_tensor = false;
  std::vector<uint16_t> lut;      // fp16 bits [groups][2^bits]
  std::vector<uint8_t> indices;   // packed LSB-first stream of rows*cols indices

  int64_t groups() const { return group_rows > 0 ? rows / group_rows : 0; }
  int64_t palette_size() const { return int64_t{1} << bits; }
  uint32_t Index(int64_t r, int64_t c) const { return kernels::ReadPackedIndex(indices.data(), bits, r * cols + c); }
  uint16_t ValueBits(int64_t r, int64_t c) const {
    return lut[static_cast<size_t>((r / group_rows) * palette_size() + Index(r, c))];
  }
  // The table as fp32, for kernels::LutMatrixRef::lut.
  std::vector<float> LutFloat() const;
  // A kernel view; `lut_f32` must be LutFloat() and outlive the view.
  kernels::LutMatrixRef Ref(const std::vector<float>& lut_f32) const;
};

struct LutResult {
  LutMatrix matrix;
  QuantError error;
};

// Checks the request: supported bits, a non-empty matrix, group dividing the rows.
// `what` names the tensor in the message.
Status CheckLutConfig(const MatrixView& w, const LutConfig& config, const std::string& what);

// Palettizes `w`. Values must be finite. `pool` may be null (runs on the calling thread).
Result<LutResult> Palettize(const MatrixView& w, const LutConfig& config, ThreadPool* pool,
                            const std::string& what = "weight");

// Error of `q` against `original` (same shape).
QuantError MeasureError(const MatrixView& original, const LutMatrix& q);

}  // namespace anemll::quant
