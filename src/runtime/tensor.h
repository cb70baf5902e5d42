// Host tensors handed to and returned by the executor: a MIL dtype, a shape and owned bytes
// (little-endian, row-major; fp16 as IEEE half bits, bool one byte per element).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::runtime {

class Tensor {
 public:
  Tensor() = default;
  // Zero-filled. Supported dtypes: fp16, fp32, int8, uint8, int16, uint16, int32, bool.
  Tensor(mil::DType dtype, std::vector<int64_t> shape);

  // Float values stored as fp16 (rounded to nearest even) or fp32.
  static Tensor FromFloats(mil::DType dtype, std::vector<int64_t> shape, const std::vector<float>& values);
  // Integer values stored as any integer dtype (wrapping like a C++ conversion) or bool.
  static Tensor FromInts(mil::DType dtype, std::vector<int64_t> shape, const std::vector<int32_t>& values);

  static bool IsSupportedDType(mil::DType dtype);
  static size_t ElementBytes(mil::DType dtype);

  mil::DType dtype() const { return dtype_; }
  const std::vector<int64_t>& shape() const { return shape_; }
  int64_t num_elements() const { return count_; }
  const uint8_t* data() const { return bytes_.data(); }
  uint8_t* mutable_data() { return bytes_.data(); }
  size_t size_bytes() const { return bytes_.size(); }
  bool empty() const { return dtype_ == mil::DType::kInvalid; }

  // Element i converted to float / int (bool -> 0/1; float -> truncated toward zero).
  float FloatAt(int64_t i) const;
  int64_t IntAt(int64_t i) const;
  std::vector<float> ToFloats() const;
  std::vector<int32_t> ToInts() const;

  // "fp16[1,4,8]"
  std::string Describe() const;

 private:
  mil::DType dtype_ = mil::DType::kInvalid;
  std::vector<int64_t> shape_;
  int64_t count_ = 0;
  std::vector<uint8_t> bytes_;
};

// "[1,4,8]"
std::string ShapeString(const std::vector<int64_t>& shape);

}  // namespace anemll::runtime
