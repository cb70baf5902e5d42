#include "convert/weights.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cmath>
#include <cstring>
#include <memory>

#include "base/half.h"

namespace anemll::convert {
namespace {

std::string CacheKey(const std::string& name, int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                     WeightTransform t) {
  std::string key = StrCat(name, "|", begin, ":", end, "|", hf::ShapeString(shape), "|");
  char buf[64];
  std::snprintf(buf, sizeof buf, "%a,%a", static_cast<double>(t.scale), static_cast<double>(t.offset));
  return key + buf;
}

inline uint16_t ToHalf(float v, WeightTransform t, int64_t* clamped) {
  if (std::isnan(v)) return 0;
  float x = v * t.scale + t.offset;
  if (x > kHalfMax) {
    ++*clamped;
    x = kHalfMax;
  } else if (x < -kHalfMax) {
    ++*clamped;
    x = -kHalfMax;
  }
  return FloatToHalf(x);
}

}  // namespace

int64_t ConvertToFp16(const hf::TensorInfo& tensor, int64_t first, int64_t count, WeightTransform t, uint16_t* out) {
  int64_t clamped = 0;
  const uint8_t* p = tensor.data;
  const bool identity = t.scale == 1.0f && t.offset == 0.0f;
  switch (tensor.dtype) {
    case hf::DType::kF16:
      for (int64_t i = 0; i < count; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * (first + i), 2);
        if (identity && (h & 0x7c00u) != 0x7c00u) {
          out[i] = h;  // finite fp16 stays bit-exact
        } else {
          out[i] = ToHalf(HalfToFloat(h), t, &clamped);
        }
      }
      break;
    case hf::DType::kBF16:
      for (int64_t i = 0; i < count; ++i) {
        uint16_t b;
        std::memcpy(&b, p + 2 * (first + i), 2);
        out[i] = ToHalf(Bf16ToFloat(b), t, &clamped);
      }
      break;
    case hf::DType::kF32:
      for (int64_t i = 0; i < count; ++i) {
        float f;
        std::memcpy(&f, p + 4 * (first + i), 4);
        out[i] = ToHalf(f, t, &clamped);
      }
      break;
    case hf::DType::kF64:
      for (int64_t i = 0; i < count; ++i) {
        double d;
        std::memcpy(&d, p + 8 * (first + i), 8);
        out[i] = ToHalf(static_cast<float>(d), t, &clamped);
      }
      break;
    default:
      break;  // rejected by Find()
  }
  return clamped;
}

void ReleaseMappedRange(const uint8_t* data, size_t size) {
#ifdef MADV_DONTNEED
  if (!data || size == 0) return;
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (page_size <= 0) return;
  const uintptr_t page = static_cast<uintptr_t>(page_size);
  // Only whole pages inside the range: neighbouring tensors may still be in use.
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + page - 1) / page * page;
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + size) / page * page;
  if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_DONTNEED);
#else
  (void)data;
  (void)size;
#endif
}

Result<const hf::TensorInfo*> WeightCache::Find(const std::string& name, const std::vector<int64_t>& hf_shape) {
  const hf::TensorInfo* t = checkpoint_.tensors().Find(name);
  if (!t) return NotFound(checkpoint_.label(), ": missing tensor ", name);
  if (t->shape != hf_shape) {
    return InvalidArgument(checkpoint_.label(), ": tensor ", name, " has shape ", hf::ShapeString(t->shape),
                           ", expected ", hf::ShapeString(hf_shape));
  }
  if (t->dtype != hf::DType::kF16 && t->dtype != hf::DType::kBF16 && t->dtype != hf::DType::kF32 &&
      t->dtype != hf::DType::kF64) {
    return Unsupported(checkpoint_.label(), ": tensor ", name, " has dtype ", hf::DTypeName(t->dtype),
                       ", expected F32, F16 or BF16");
  }
  return t;
}

void WeightCache::Touched(const hf::TensorInfo* t) { touched_.emplace_back(t->data, t->nbytes); }

Result<mil::Literal> WeightCache::Fp16(const std::string& name, const std::vector<int64_t>& hf_shape,
                                       const std::vector<int64_t>& shape, WeightTransform t) {
  return Fp16Rows(name, hf_shape, 0, hf_shape.empty() ? 1 : hf_shape[0], shape, t);
}

Result<std::vector<uint16_t>> WeightCache::Fp16Values(const std::string& name, const std::vector<int64_t>& hf_shape,
                                                      int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                                                      WeightTransform t) {
  ANEMLL_ASSIGN_OR_RETURN(const hf::TensorInfo* info, Find(name, hf_shape));
  const int64_t rows = hf_shape.empty() ? 1 : hf_shape[0];
  const int64_t row_size = rows > 0 ? info->numel() / rows : 0;
  if (begin < 0 || end > rows || begin >= end) {
    return Internal("rows [", begin, ",", end, ") of tensor ", name, " with ", rows, " rows");
  }
  const int64_t count = (end - begin) * row_size;
  if (hf::NumElements(shape) != count) {
    return Internal("tensor ", name, " rows [", begin, ",", end, "): ", count, " values do not fill shape ",
                    hf::ShapeString(shape));
  }
  std::vector<uint16_t> values(static_cast<size_t>(count));
  clamped_ += ConvertToFp16(*info, begin * row_size, count, t, values.data());
  // The checkpoint bytes are not needed again for this part: give their pages back now, so a
  // part costs its constants, not also the mapped source.
  const size_t elem = hf::DTypeSize(info->dtype);
  ReleaseMappedRange(info->data + static_cast<size_t>(begin * row_size) * elem, static_cast<size_t>(count) * elem);
  return values;
}

Result<mil::Literal> WeightCache::Fp16Rows(const std::string& name, const std::vector<int64_t>& hf_shape,
                                           int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                                           WeightTransform t) {
  const std::string key = CacheKey(name, begin, end, shape, t);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  ANEMLL_ASSIGN_OR_RETURN(std::vector<uint16_t> values, Fp16Values(name, hf_shape, begin, end, shape, t));
  std::vector<uint8_t> bytes(values.size() * 2);
  std::memcpy(bytes.data(), values.data(), bytes.size());
  mil::Literal lit = mil::Literal::Raw(mil::DType::kFp16, shape, std::make_shared<const mil::Buffer>(std::move(bytes)));
  cache_.emplace(key, lit);
  return lit;
}

Result<WeightConst> WeightCache::Weight(const std::string& name, const std::vector<int64_t>& hf_shape,
                                        const std::vector<int64_t>& shape, const LutSpec& lut, WeightTransform t) {
  return WeightRows(name, hf_shape, 0, hf_shape.empty() ? 1 : hf_shape[0], shape, lut, t);
}

Result<WeightConst> WeightCache::WeightRows(const std::string& name, const std::vector<int64_t>& hf_shape,
                                            int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                                            const LutSpec& lut, WeightTransform t) {
  WeightConst w;
  if (!lut.enabled()) {
    ANEMLL_ASSIGN_OR_RETURN(w.dense, Fp16Rows(name, hf_shape, begin, end, shape, t));
    return w;
  }
  const std::string key = CacheKey(name, begin, end, shape, t) + "|lut" + lut.ToString();
  if (auto it = lut_cache_.find(key); it != lut_cache_.end()) return it->second;
  // One tensor's fp16 values at a time: palettized, then dropped.
  ANEMLL_ASSIGN_OR_RETURN(std::vector<uint16_t> values, Fp16Values(name, hf_shape, begin, end, shape, t));
  const int64_t rows = shape.empty() ? 1 : shape[0];
  const int64_t cols = rows > 0 ? static_cast<int64_t>(values.size()) / rows : 0;
  if (!pool_) pool_ = std::make_unique<ThreadPool>(threads_ > 0 ? threads_ : ThreadPool::HardwareThreads());
  const std::string what = end - begin == (hf_shape.empty() ? 1 : hf_shape[0])
                               ? name
                               : StrCat(name, " rows [", begin, ",", end, ")");
  quant::MatrixView view{values.data(), quant::ValueType::kF16, rows, cols};
  ANEMLL_ASSIGN_OR_RETURN(quant::LutResult q,
                          quant::Palettize(view, {lut.bits, lut.per_tensor() ? 0 : lut.group}, pool_.get(), what));
  static constexpr mil::DType kIndexTypes[9] = {mil::DType::kInvalid, mil::DType::kUInt1, mil::DType::kUInt2,
                                                mil::DType::kUInt3,   mil::DType::kUInt4, mil::DType::kInvalid,
                                                mil::DType::kUInt6,   mil::DType::kInvalid, mil::DType::kUInt8};
  w.indices = mil::Literal::Raw(kIndexTypes[lut.bits], shape,
                                std::make_shared<const mil::Buffer>(std::move(q.matrix.indices)));
  std::vector<int64_t> lut_shape(shape.size() + 2, 1);
  lut_shape[0] = q.matrix.groups();
  lut_shape[shape.size()] = q.matrix.palette_size();
  w.lut = mil::Literal::Fp16Bits(lut_shape, std::move(q.matrix.lut));
  quant_records_.push_back({what, lut.bits, lut.per_tensor() ? 0 : lut.group, q.error});
  lut_cache_.emplace(key, w);
  return w;
}

Result<std::vector<float>> WeightCache::F32(const std::string& name, const std::vector<int64_t>& hf_shape) {
  ANEMLL_ASSIGN_OR_RETURN(const hf::TensorInfo* info, Find(name, hf_shape));
  Touched(info);
  return hf::ToFloat32(*info);
}

Result<mil::Literal> WeightCache::Derived(const std::string& key, const std::function<Result<mil::Literal>()>& make) {
  const std::string k = "derived|" + key;
  if (auto it = cache_.find(k); it != cache_.end()) return it->second;
  ANEMLL_ASSIGN_OR_RETURN(mil::Literal lit, make());
  cache_.emplace(k, lit);
  return lit;
}

void WeightCache::Release() {
  cache_.clear();
  lut_cache_.clear();
  for (const auto& [data, size] : touched_) ReleaseMappedRange(data, size);
  touched_.clear();
}

}  // namespace anemll::convert
