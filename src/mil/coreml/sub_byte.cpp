#include "mil/coreml/sub_byte.h"

namespace anemll::mil::coreml {

uint64_t StorageBytes(DType dtype, uint64_t count) {
  return (count * static_cast<uint64_t>(DTypeBits(dtype)) + 7) / 8;
}

uint64_t PaddingBits(DType dtype, uint64_t count) {
  if (!IsSubByte(dtype)) return 0;
  return (8 - (count * static_cast<uint64_t>(DTypeBits(dtype))) % 8) % 8;
}

std::vector<uint8_t> PackBits(const int32_t* values, size_t count, int bits) {
  std::vector<uint8_t> out((static_cast<uint64_t>(count) * bits + 7) / 8, 0);
  const uint32_t mask = (1u << bits) - 1u;
  uint64_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += static_cast<uint64_t>(bits)) {
    const uint32_t v = static_cast<uint32_t>(values[i]) & mask;
    const size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    out[byte] |= static_cast<uint8_t>(v << shift);
    if (shift + bits > 8) out[byte + 1] |= static_cast<uint8_t>(v >> (8 - shift));
  }
  return out;
}

Status UnpackBits(const uint8_t* data, size_t size, size_t count, int bits, bool sign_extend,
                  int32_t* out) {
  if (bits < 1 || bits > 8) return InvalidArgument("unpack bits: width ", bits, " is not 1..8");
  const uint64_t need = (static_cast<uint64_t>(count) * bits + 7) / 8;
  if (need > size) {
    return FormatError("unpack bits: ", count, " elements of ", bits, " bits need ", need,
                       " bytes, have ", size);
  }
  const uint32_t mask = (1u << bits) - 1u;
  const uint32_t sign_bit = 1u << (bits - 1);
  uint64_t bit = 0;
  for (size_t i = 0; i < count; ++i, bit += static_cast<uint64_t>(bits)) {
    const size_t byte = bit / 8;
    const unsigned shift = bit % 8;
    uint32_t window = data[byte];
    if (shift + bits > 8) window |= static_cast<uint32_t>(data[byte + 1]) << 8;
    uint32_t v = (window >> shift) & mask;
    out[i] = (sign_extend && (v & sign_bit)) ? static_cast<int32_t>(v) - static_cast<int32_t>(1u << bits)
                                             : static_cast<int32_t>(v);
  }
  return Status::Ok();
}

std::vector<uint8_t> PackSubByte(DType dtype, const std::vector<int32_t>& values) {
  return PackBits(values.data(), values.size(), DTypeBits(dtype));
}

Result<std::vector<int32_t>> UnpackSubByte(DType dtype, const uint8_t* data, size_t size, size_t count) {
  const int bits = DTypeBits(dtype);
  if (!IsSubByte(dtype) && dtype != DType::kUInt8 && dtype != DType::kInt8) {
    return InvalidArgument("unpack: dtype ", DTypeName(dtype), " is not a sub-byte type");
  }
  std::vector<int32_t> out(count);
  ANEMLL_RETURN_IF_ERROR(UnpackBits(data, size, count, bits,
                                    dtype == DType::kInt4 || dtype == DType::kInt8, out.data()));
  return out;
}

}  // namespace anemll::mil::coreml
