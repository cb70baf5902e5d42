#include "runtime/tensor.h"

#include <cstring>

#include "base/half.h"

namespace anemll::runtime {

using mil::DType;

std::string ShapeString(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ",";
    s += shape[i] == mil::kUnknownDim ? std::string("?") : std::to_string(shape[i]);
  }
  return s + "]";
}

bool Tensor::IsSupportedDType(DType dtype) { return ElementBytes(dtype) != 0; }

size_t Tensor::ElementBytes(DType dtype) {
  switch (dtype) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8: return 1;
    case DType::kFp16:
    case DType::kInt16:
    case DType::kUInt16: return 2;
    case DType::kFp32:
    case DType::kInt32: return 4;
    default: return 0;
  }
}

Tensor::Tensor(DType dtype, std::vector<int64_t> shape) : dtype_(dtype), shape_(std::move(shape)) {
  count_ = 1;
  for (int64_t d : shape_) count_ *= d < 0 ? 0 : d;
  bytes_.assign(static_cast<size_t>(count_) * ElementBytes(dtype_), 0);
}

Tensor Tensor::FromFloats(DType dtype, std::vector<int64_t> shape, const std::vector<float>& values) {
  Tensor t(dtype, std::move(shape));
  const size_t n = std::min(values.size(), static_cast<size_t>(t.count_));
  if (dtype == DType::kFp16) {
    auto* p = reinterpret_cast<uint16_t*>(t.bytes_.data());
    for (size_t i = 0; i < n; ++i) p[i] = FloatToHalf(values[i]);
  } else if (dtype == DType::kFp32) {
    std::memcpy(t.bytes_.data(), values.data(), n * sizeof(float));
  } else {
    std::vector<int32_t> ints(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(n));
    return FromInts(dtype, t.shape_, ints);
  }
  return t;
}

Tensor Tensor::FromInts(DType dtype, std::vector<int64_t> shape, const std::vector<int32_t>& values) {
  Tensor t(dtype, std::move(shape));
  const size_t n = std::min(values.size(), static_cast<size_t>(t.count_));
  uint8_t* p = t.bytes_.data();
  for (size_t i = 0; i < n; ++i) {
    const int32_t v = values[i];
    switch (dtype) {
      case DType::kBool: p[i] = v != 0; break;
      case DType::kInt8: p[i] = static_cast<uint8_t>(static_cast<int8_t>(v)); break;
      case DType::kUInt8: p[i] = static_cast<uint8_t>(v); break;
      case DType::kInt16: {
        const int16_t x = static_cast<int16_t>(v);
        std::memcpy(p + 2 * i, &x, 2);
        break;
      }
      case DType::kUInt16: {
        const uint16_t x = static_cast<uint16_t>(v);
        std::memcpy(p + 2 * i, &x, 2);
        break;
      }
      case DType::kInt32: std::memcpy(p + 4 * i, &v, 4); break;
      case DType::kFp16: reinterpret_cast<uint16_t*>(p)[i] = FloatToHalf(static_cast<float>(v)); break;
      case DType::kFp32: {
        const float f = static_cast<float>(v);
        std::memcpy(p + 4 * i, &f, 4);
        break;
      }
      default: break;
    }
  }
  return t;
}

float Tensor::FloatAt(int64_t i) const {
  const uint8_t* p = bytes_.data();
  switch (dtype_) {
    case DType::kFp16: {
      uint16_t h;
      std::memcpy(&h, p + 2 * i, 2);
      return HalfToFloat(h);
    }
    case DType::kFp32: {
      float f;
      std::memcpy(&f, p + 4 * i, 4);
      return f;
    }
    default: return static_cast<float>(IntAt(i));
  }
}

int64_t Tensor::IntAt(int64_t i) const {
  const uint8_t* p = bytes_.data();
  switch (dtype_) {
    case DType::kBool:
    case DType::kUInt8: return p[i];
    case DType::kInt8: return static_cast<int8_t>(p[i]);
    case DType::kInt16: {
      int16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      return v;
    }
    case DType::kUInt16: {
      uint16_t v;
      std::memcpy(&v, p + 2 * i, 2);
      return v;
    }
    case DType::kInt32: {
      int32_t v;
      std::memcpy(&v, p + 4 * i, 4);
      return v;
    }
    case DType::kFp16:
    case DType::kFp32: {
      const float f = FloatAt(i);
      if (!(f > -9.2e18f && f < 9.2e18f)) return 0;  // NaN or out of the int64 range
      return static_cast<int64_t>(f);
    }
    default: return 0;
  }
}

std::vector<float> Tensor::ToFloats() const {
  std::vector<float> v(static_cast<size_t>(count_));
  for (int64_t i = 0; i < count_; ++i) v[static_cast<size_t>(i)] = FloatAt(i);
  return v;
}

std::vector<int32_t> Tensor::ToInts() const {
  std::vector<int32_t> v(static_cast<size_t>(count_));
  for (int64_t i = 0; i < count_; ++i) v[static_cast<size_t>(i)] = static_cast<int32_t>(IntAt(i));
  return v;
}

std::string Tensor::Describe() const { return StrCat(mil::DTypeName(dtype_), ShapeString(shape_)); }

}  // namespace anemll::runtime
