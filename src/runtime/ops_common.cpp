#include "runtime/ops_common.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "base/half.h"

namespace anemll::runtime::internal {

int64_t Broadcast::outer() const {
  int64_t n = 1;
  for (size_t d = 0; d + 1 < dims.size(); ++d) n *= dims[d];
  return dims.empty() ? 1 : n;
}

Result<Broadcast> MakeBroadcast(const std::vector<std::vector<int64_t>>& shapes) {
  Broadcast b;
  size_t rank = 0;
  for (const auto& s : shapes) rank = std::max(rank, s.size());
  if (rank > static_cast<size_t>(kMaxRank)) return Unsupported("rank ", rank, " is above the supported ", kMaxRank);
  b.out_shape.assign(rank, 1);
  for (const auto& s : shapes) {
    const size_t pad = rank - s.size();
    for (size_t d = 0; d < s.size(); ++d) {
      int64_t& o = b.out_shape[pad + d];
      if (s[d] == o || s[d] == 1) continue;
      if (o == 1) {
        o = s[d];
        continue;
      }
      std::string all;
      for (const auto& t : shapes) all += ShapeString(t);
      return InvalidArgument("shapes ", all, " do not broadcast");
    }
  }
  // Per-input strides over the output dims (0 where broadcast).
  const size_t K = shapes.size();
  std::vector<std::vector<int64_t>> full(K, std::vector<int64_t>(rank, 0));
  for (size_t k = 0; k < K; ++k) {
    const auto& s = shapes[k];
    const size_t pad = rank - s.size();
    int64_t stride = 1;
    for (int d = static_cast<int>(s.size()) - 1; d >= 0; --d) {
      full[k][pad + d] = s[d] == 1 ? 0 : stride;
      stride *= s[d];
    }
  }
  // Coalesce adjacent dims that are contiguous for every input; drop size-1 dims.
  b.strides.assign(K, {});
  for (size_t d = 0; d < rank; ++d) {
    const int64_t n = b.out_shape[d];
    if (n == 1) continue;
    bool merge = !b.dims.empty();
    for (size_t k = 0; merge && k < K; ++k) merge = b.strides[k].back() == full[k][d] * n;
    if (merge) {
      b.dims.back() *= n;
      for (size_t k = 0; k < K; ++k) b.strides[k].back() = full[k][d];
    } else {
      b.dims.push_back(n);
      for (size_t k = 0; k < K; ++k) b.strides[k].push_back(full[k][d]);
    }
  }
  if (b.dims.empty()) {
    b.dims.push_back(1);
    for (size_t k = 0; k < K; ++k) b.strides[k].push_back(0);
  }
  return b;
}

Status RequireFloat(const Slot* s, const char* param) {
  if (s->is_float() && mil::IsFloat(s->dtype)) return Status::Ok();
  return InvalidArgument("input '", param, "' is ", mil::DTypeName(s->dtype), ", expected fp16 or fp32");
}

Status RequireInt(const Slot* s, const char* param) {
  if (s->storage == Storage::kI32) return Status::Ok();
  return InvalidArgument("input '", param, "' is ", mil::DTypeName(s->dtype), ", expected an integer tensor");
}

Status RequireBool(const Slot* s, const char* param) {
  if (s->dtype == mil::DType::kBool) return Status::Ok();
  return InvalidArgument("input '", param, "' is ", mil::DTypeName(s->dtype), ", expected bool");
}

void CopyElements(const Slot* src, int64_t src_off, Slot* dst, int64_t dst_off, int64_t count) {
  const size_t e = StorageBytes(src->storage);
  std::memcpy(dst->data + dst_off * static_cast<int64_t>(e), src->data + src_off * static_cast<int64_t>(e),
              static_cast<size_t>(count) * e);
}

float ReadFloat(const Slot* s, int64_t i) {
  switch (s->storage) {
    case Storage::kF32: return s->f32()[i];
    case Storage::kF16: return HalfToFloat(s->f16()[i]);
    case Storage::kI32: return static_cast<float>(s->i32()[i]);
    case Storage::kU8: return s->u8()[i];
  }
  return 0.0f;
}

void WriteFloat(Slot* s, int64_t i, float v) {
  switch (s->storage) {
    case Storage::kF32: s->f32()[i] = v; break;
    case Storage::kI32: s->i32()[i] = static_cast<int32_t>(v); break;
    case Storage::kU8: s->u8()[i] = v != 0.0f; break;
    case Storage::kF16: break;
  }
}

void GatherStrided(const float* src, int64_t stride, int64_t count, float* dst) {
  for (int64_t i = 0; i < count; ++i) dst[i] = src[i * stride];
}

void ScatterStrided(const float* src, int64_t count, float* dst, int64_t stride) {
  for (int64_t i = 0; i < count; ++i) dst[i * stride] = src[i];
}

const std::map<std::string, OpBuildFn>& OpRegistry() {
  static const std::map<std::string, OpBuildFn> registry = [] {
    std::map<std::string, OpBuildFn> r;
    RegisterElementwiseOps(r);
    RegisterLinearOps(r);
    RegisterShapeOps(r);
    RegisterSliceOps(r);
    RegisterReduceOps(r);
    RegisterConstOps(r);
    return r;
  }();
  return registry;
}

std::optional<PackedLutMatrix> AsPackedLutMatrix(const LutSource& L) {
  if (L.shape.size() < 2 || L.vector_size != 1 || !kernels::IsSupportedLutBits(L.bits)) return std::nullopt;
  const mil::DType lut_dtype = L.lut->type.tensor.dtype;
  if (lut_dtype != mil::DType::kFp16 && lut_dtype != mil::DType::kFp32) return std::nullopt;
  for (size_t d = 1; d < L.groups.size(); ++d) {
    if (L.groups[d] != 1) return std::nullopt;
  }
  const int64_t rows = L.shape[0];
  const int64_t groups = L.groups[0];
  if (groups <= 0 || rows % groups != 0) return std::nullopt;
  int64_t cols = 1;
  for (size_t d = 1; d < L.shape.size(); ++d) cols *= L.shape[d];
  const int64_t entries = int64_t{1} << L.bits;
  auto palette = std::make_shared<std::vector<float>>(static_cast<size_t>(groups * entries));
  const uint8_t* src = L.lut->data->data();
  for (int64_t i = 0; i < groups * entries; ++i) {
    if (lut_dtype == mil::DType::kFp16) {
      uint16_t h;
      std::memcpy(&h, src + 2 * i, 2);
      (*palette)[static_cast<size_t>(i)] = HalfToFloat(h);
    } else {
      std::memcpy(&(*palette)[static_cast<size_t>(i)], src + 4 * i, 4);
    }
  }
  PackedLutMatrix m;
  m.ref = kernels::LutMatrixRef{L.indices->data->data(), L.indices->data->size(), L.bits, rows, cols,
                                palette->data(), rows / groups};
  m.palette = std::move(palette);
  m.indices = L.indices;
  return m;
}

}  // namespace anemll::runtime::internal
