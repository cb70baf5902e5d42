// Helpers shared by the op implementations (ops_*.cpp).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kernels/lut_gemm.h"
#include "runtime/plan.h"

namespace anemll::runtime::internal {

// Highest tensor rank the ops handle (fixed-size index arrays keep runs allocation-free).
constexpr int kMaxRank = 16;

// Numpy broadcasting of several input shapes, with dims coalesced so that the innermost run is
// as long as possible. Input strides are in elements; a stride of 0 repeats the element.
struct Broadcast {
  std::vector<int64_t> out_shape;             // full (uncoalesced) output shape
  std::vector<int64_t> dims;                  // coalesced dims, innermost last
  std::vector<std::vector<int64_t>> strides;  // [input][coalesced dim]

  int64_t inner() const { return dims.empty() ? 1 : dims.back(); }
  int64_t outer() const;

  // Calls f(out_offset, offsets, inner, steps) for every innermost run, where offsets[k] is input
  // k's element offset of the run's first element and steps[k] its step (0 or 1) along the run.
  template <size_t K, class F>
  void ForEachRun(F&& f) const {
    const int nd = static_cast<int>(dims.size());
    const int64_t n_inner = inner();
    std::array<int64_t, K> steps{};
    for (size_t k = 0; k < K; ++k) steps[k] = nd ? strides[k][nd - 1] : 0;
    const int64_t runs = outer();
    std::array<int64_t, kMaxRank> idx{};
    std::array<int64_t, K> off{};
    for (int64_t r = 0; r < runs; ++r) {
      f(r * n_inner, off, n_inner, steps);
      // odometer over the outer dims
      for (int d = nd - 2; d >= 0; --d) {
        ++idx[d];
        for (size_t k = 0; k < K; ++k) off[k] += strides[k][d];
        if (idx[d] < dims[d]) break;
        for (size_t k = 0; k < K; ++k) off[k] -= strides[k][d] * dims[d];
        idx[d] = 0;
      }
    }
  }
};

Result<Broadcast> MakeBroadcast(const std::vector<std::vector<int64_t>>& shapes);

// Reads a float slot as fp32 values (f32 slots directly).
inline const float* F32(const Slot* s) { return s->f32(); }

// Validates that the slot holds a float / integer / bool value.
// A packed LUT constant [rows, ...] grouped only along dim 0, seen by the fused kernels as a
// [rows, prod(rest)] matrix with its palette widened to fp32.
struct PackedLutMatrix {
  kernels::LutMatrixRef ref;
  std::shared_ptr<std::vector<float>> palette;  // keeps ref.lut alive
  std::shared_ptr<const mil::Literal> indices;  // keeps ref.indices alive
};
// nullopt when the layout does not fit (vector palettes, other grouping, unsupported widths).
std::optional<PackedLutMatrix> AsPackedLutMatrix(const LutSource& L);

Status RequireFloat(const Slot* s, const char* param);
Status RequireInt(const Slot* s, const char* param);
Status RequireBool(const Slot* s, const char* param);

// Copies `count` elements between slots of the same storage (memmove semantics not needed).
void CopyElements(const Slot* src, int64_t src_off, Slot* dst, int64_t dst_off, int64_t count);

// Reads a slot element as float (any storage) / writes a float into a slot (f32/i32/u8 storage).
float ReadFloat(const Slot* s, int64_t i);
void WriteFloat(Slot* s, int64_t i, float v);

// Gathers `count` elements with a stride into a contiguous f32 buffer and back (for ops that
// work on rows along a non-last axis).
void GatherStrided(const float* src, int64_t stride, int64_t count, float* dst);
void ScatterStrided(const float* src, int64_t count, float* dst, int64_t stride);

// Registration (one per ops_*.cpp file).
void RegisterElementwiseOps(std::map<std::string, OpBuildFn>& r);
void RegisterLinearOps(std::map<std::string, OpBuildFn>& r);
void RegisterShapeOps(std::map<std::string, OpBuildFn>& r);
void RegisterSliceOps(std::map<std::string, OpBuildFn>& r);
void RegisterReduceOps(std::map<std::string, OpBuildFn>& r);
void RegisterConstOps(std::map<std::string, OpBuildFn>& r);

}  // namespace anemll::runtime::internal
