#include "mil/ir.h"

#include <cmath>
#include <cstring>
#include <limits>

#include "base/half.h"

namespace anemll::mil {

namespace {

struct DTypeInfo {
  DType dtype;
  const char* name;
  int bits;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kBool, "bool", 8},      {DType::kString, "string", 0}, {DType::kFp16, "fp16", 16},
    {DType::kFp32, "fp32", 32},     {DType::kFp64, "fp64", 64},    {DType::kBf16, "bf16", 16},
    {DType::kInt4, "int4", 4},      {DType::kInt8, "int8", 8},     {DType::kInt16, "int16", 16},
    {DType::kInt32, "int32", 32},   {DType::kInt64, "int64", 64},  {DType::kUInt1, "uint1", 1},
    {DType::kUInt2, "uint2", 2},    {DType::kUInt3, "uint3", 3},   {DType::kUInt4, "uint4", 4},
    {DType::kUInt6, "uint6", 6},    {DType::kUInt8, "uint8", 8},   {DType::kUInt16, "uint16", 16},
    {DType::kUInt32, "uint32", 32}, {DType::kUInt64, "uint64", 64},
};

const DTypeInfo* Info(DType dtype) {
  for (const auto& info : kDTypes) {
    if (info.dtype == dtype) return &info;
  }
  return nullptr;
}

template <typename T>
T LoadLE(const uint8_t* p) {
  T v;
  std::memcpy(&v, p, sizeof v);  // little-endian hosts only (x86-64, arm64)
  return v;
}

// Element `i` of a numeric/bool literal as an int64 (sub-byte unpacked, int4 sign-extended) or,
// for floats, as a double. Returns false if the literal has no such element.
bool LoadElement(const Literal& lit, int64_t i, double* as_double, int64_t* as_int, bool* is_float) {
  const DType dt = lit.type.tensor.dtype;
  const int bits = DTypeBits(dt);
  if (bits == 0 || !lit.data || i < 0) return false;
  const Buffer& buf = *lit.data;
  const uint64_t bit_begin = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  if ((bit_begin + static_cast<uint64_t>(bits) + 7) / 8 > buf.size()) return false;
  const uint8_t* p = buf.data() + bit_begin / 8;
  *is_float = false;
  switch (dt) {
    case DType::kFp16: *as_double = HalfToFloat(LoadLE<uint16_t>(p)); *is_float = true; return true;
    case DType::kBf16: *as_double = Bf16ToFloat(LoadLE<uint16_t>(p)); *is_float = true; return true;
    case DType::kFp32: *as_double = LoadLE<float>(p); *is_float = true; return true;
    case DType::kFp64: *as_double = LoadLE<double>(p); *is_float = true; return true;
    case DType::kBool: *as_int = *p != 0; return true;
    case DType::kInt8: *as_int = static_cast<int8_t>(*p); return true;
    case DType::kUInt8: *as_int = *p; return true;
    case DType::kInt16: *as_int = LoadLE<int16_t>(p); return true;
    case DType::kUInt16: *as_int = LoadLE<uint16_t>(p); return true;
    case DType::kInt32: *as_int = LoadLE<int32_t>(p); return true;
    case DType::kUInt32: *as_int = LoadLE<uint32_t>(p); return true;
    case DType::kInt64: *as_int = LoadLE<int64_t>(p); return true;
    case DType::kUInt64: *as_int = static_cast<int64_t>(LoadLE<uint64_t>(p)); return true;
    default: break;
  }
  // Sub-byte: LSB-first bit stream; the value may straddle two bytes.
  uint32_t window = p[0];
  if ((bit_begin % 8) + static_cast<uint64_t>(bits) > 8) window |= static_cast<uint32_t>(p[1]) << 8;
  uint32_t v = (window >> (bit_begin % 8)) & ((1u << bits) - 1u);
  if (dt == DType::kInt4 && (v & 0x8u)) {
    *as_int = static_cast<int64_t>(v) - 16;
  } else {
    *as_int = v;
  }
  return true;
}

std::vector<uint8_t> BytesOf(const void* p, size_t n) {
  const auto* b = static_cast<const uint8_t*>(p);
  return std::vector<uint8_t>(b, b + n);
}

}  // namespace

const char* DTypeName(DType dtype) {
  const DTypeInfo* info = Info(dtype);
  return info ? info->name : "invalid";
}

DType DTypeFromName(const std::string& name) {
  for (const auto& info : kDTypes) {
    if (name == info.name) return info.dtype;
  }
  return DType::kInvalid;
}

int DTypeBits(DType dtype) {
  const DTypeInfo* info = Info(dtype);
  return info ? info->bits : 0;
}

bool IsFloat(DType dtype) {
  return dtype == DType::kFp16 || dtype == DType::kFp32 || dtype == DType::kFp64 || dtype == DType::kBf16;
}

bool IsInteger(DType dtype) {
  switch (dtype) {
    case DType::kInt4: case DType::kInt8: case DType::kInt16: case DType::kInt32: case DType::kInt64:
    case DType::kUInt1: case DType::kUInt2: case DType::kUInt3: case DType::kUInt4: case DType::kUInt6:
    case DType::kUInt8: case DType::kUInt16: case DType::kUInt32: case DType::kUInt64:
      return true;
    default:
      return false;
  }
}

bool IsSubByte(DType dtype) {
  switch (dtype) {
    case DType::kInt4: case DType::kUInt1: case DType::kUInt2: case DType::kUInt3: case DType::kUInt4:
    case DType::kUInt6:
      return true;
    default:
      return false;
  }
}

bool TensorType::has_unknown_dims() const {
  if (unknown_rank) return true;
  for (int64_t d : shape) {
    if (d < 0) return true;
  }
  return false;
}

int64_t TensorType::num_elements() const {
  if (unknown_rank) return -1;
  int64_t n = 1;
  for (int64_t d : shape) {
    if (d < 0) return -1;
    n *= d;
  }
  return n;
}

// ---- Buffer -----------------------------------------------------------------------------------

Buffer::Buffer(std::vector<uint8_t> bytes) {
  auto owned = std::make_shared<const std::vector<uint8_t>>(std::move(bytes));
  data_ = owned->data();
  size_ = owned->size();
  owner_ = std::move(owned);
}

bool Buffer::operator==(const Buffer& other) const {
  if (size_ != other.size_) return false;
  if (size_ == 0 || data_ == other.data_) return true;
  return std::memcmp(data_, other.data_, size_) == 0;
}

// ---- Literal ----------------------------------------------------------------------------------

double Literal::GetDouble(int64_t i) const {
  double d = 0;
  int64_t v = 0;
  bool is_float = false;
  if (!LoadElement(*this, i, &d, &v, &is_float)) return std::numeric_limits<double>::quiet_NaN();
  return is_float ? d : static_cast<double>(v);
}

int64_t Literal::GetInt(int64_t i) const {
  double d = 0;
  int64_t v = 0;
  bool is_float = false;
  if (!LoadElement(*this, i, &d, &v, &is_float)) return 0;
  if (!is_float) return v;
  if (!(d >= -9.2e18 && d <= 9.2e18)) return 0;  // NaN / out of int64 range
  return static_cast<int64_t>(d);
}

bool Literal::SameValue(const Literal& other) const {
  if (!(type == other.type) || strings != other.strings || string_dict != other.string_dict) return false;
  static const Buffer kEmpty;
  const Buffer& a = data ? *data : kEmpty;
  const Buffer& b = other.data ? *other.data : kEmpty;
  if (a.size() != b.size()) return false;
  if (a.size() == 0 || a.data() == b.data()) return true;
  const int bits = DTypeBits(type.tensor.dtype);
  const int64_t n = num_elements();
  // Sub-byte streams: the unused bits of the last byte carry no value.
  if (IsSubByte(type.tensor.dtype) && n >= 0) {
    const uint64_t used_bits = static_cast<uint64_t>(n) * static_cast<uint64_t>(bits);
    const size_t full = used_bits / 8;
    if (full > a.size()) return false;
    if (std::memcmp(a.data(), b.data(), full) != 0) return false;
    const unsigned rem = used_bits % 8;
    if (rem == 0) return std::memcmp(a.data() + full, b.data() + full, a.size() - full) == 0;
    const uint8_t mask = static_cast<uint8_t>((1u << rem) - 1u);
    if ((a.data()[full] & mask) != (b.data()[full] & mask)) return false;
    return full + 1 >= a.size() ||
           std::memcmp(a.data() + full + 1, b.data() + full + 1, a.size() - full - 1) == 0;
  }
  return std::memcmp(a.data(), b.data(), a.size()) == 0;
}

Literal Literal::Fp32(std::vector<int64_t> shape, const std::vector<float>& values) {
  Literal lit;
  lit.type = ValueType::Tensor(DType::kFp32, std::move(shape));
  lit.data = std::make_shared<const Buffer>(BytesOf(values.data(), values.size() * sizeof(float)));
  return lit;
}

Literal Literal::Fp16(std::vector<int64_t> shape, const std::vector<float>& values) {
  std::vector<uint16_t> bits(values.size());
  for (size_t i = 0; i < values.size(); ++i) bits[i] = FloatToHalf(values[i]);
  return Fp16Bits(std::move(shape), std::move(bits));
}

Literal Literal::Fp16Bits(std::vector<int64_t> shape, std::vector<uint16_t> bits) {
  Literal lit;
  lit.type = ValueType::Tensor(DType::kFp16, std::move(shape));
  lit.data = std::make_shared<const Buffer>(BytesOf(bits.data(), bits.size() * sizeof(uint16_t)));
  return lit;
}

Literal Literal::Int32(std::vector<int64_t> shape, const std::vector<int32_t>& values) {
  Literal lit;
  lit.type = ValueType::Tensor(DType::kInt32, std::move(shape));
  lit.data = std::make_shared<const Buffer>(BytesOf(values.data(), values.size() * sizeof(int32_t)));
  return lit;
}

Literal Literal::Bool(std::vector<int64_t> shape, const std::vector<bool>& values) {
  std::vector<uint8_t> bytes(values.size());
  for (size_t i = 0; i < values.size(); ++i) bytes[i] = values[i] ? 1 : 0;
  Literal lit;
  lit.type = ValueType::Tensor(DType::kBool, std::move(shape));
  lit.data = std::make_shared<const Buffer>(std::move(bytes));
  return lit;
}

Literal Literal::String(const std::string& value) {
  Literal lit;
  lit.type = ValueType::Tensor(DType::kString, {});
  lit.strings = {value};
  return lit;
}

Literal Literal::Raw(DType dtype, std::vector<int64_t> shape, std::shared_ptr<const Buffer> data) {
  Literal lit;
  lit.type = ValueType::Tensor(dtype, std::move(shape));
  lit.data = std::move(data);
  return lit;
}

// ---- Operation / ModelDescription -------------------------------------------------------------

const Argument* Operation::Input(const std::string& param) const {
  auto it = inputs.find(param);
  if (it == inputs.end() || it->second.empty()) return nullptr;
  return &it->second.front();
}

std::optional<FunctionDescription> ModelDescription::Function(const std::string& name) const {
  if (is_multifunction()) {
    for (const auto& f : functions) {
      if (f.name == name) return f;
    }
    return std::nullopt;
  }
  if (name != "main") return std::nullopt;
  return FunctionDescription{"main", inputs, outputs, states};
}

std::vector<std::string> ModelDescription::FunctionNames() const {
  if (!is_multifunction()) return {"main"};
  std::vector<std::string> names;
  for (const auto& f : functions) names.push_back(f.name);
  return names;
}

}  // namespace anemll::mil
