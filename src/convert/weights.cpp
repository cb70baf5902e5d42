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

Result<mil::Literal> WeightCache::Fp16Rows(const std::string& name, const std::vector<int64_t>& hf_shape,
                                           int64_t begin, int64_t end, const std::vector<int64_t>& shape,
                                           WeightTransform t) {
  const std::string key = CacheKey(name, begin, end, shape, t);
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
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
  std::vector<uint8_t> bytes(static_cast<size_t>(count) * 2);
  clamped_ += ConvertToFp16(*info, begin * row_size, count, t, reinterpret_cast<uint16_t*>(bytes.data()));
  // The checkpoint bytes are not needed again for this part: give their pages back now, so a
  // part costs its fp16 constants, not also the mapped source.
  const size_t elem = hf::DTypeSize(info->dtype);
  ReleaseMappedRange(info->data + static_cast<size_t>(begin * row_size) * elem, static_cast<size_t>(count) * elem);
  mil::Literal lit = mil::Literal::Raw(mil::DType::kFp16, shape, std::make_shared<const mil::Buffer>(std::move(bytes)));
  cache_.emplace(key, lit);
  return lit;
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
  for (const auto& [data, size] : touched_) ReleaseMappedRange(data, size);
  touched_.clear();
}

}  // namespace anemll::convert
