// Sub-byte tensors (int4, uint1/2/3/4/6): one continuous LSB-first bit stream in row-major order.
// Element i occupies stream bits [i*b, i*b+b); stream bit k is bit (k mod 8) of byte (k div 8).
// Widths 3 and 6 straddle bytes. The same layout is used in weight.bin and in inline bytes.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil::coreml {

// ceil(count * bits / 8): bytes of `count` elements of `dtype` in storage (0 for string).
uint64_t StorageBytes(DType dtype, uint64_t count);

// Unused bits in the last byte of a sub-byte stream: (8 - count*bits mod 8) mod 8; 0 otherwise.
uint64_t PaddingBits(DType dtype, uint64_t count);

// Packs `count` values into a stream of `bits` (1..8) per element; only the low `bits` bits of
// each value are stored (so int4 -1 becomes 0xF). Unused bits of the last byte are zero.
std::vector<uint8_t> PackBits(const int32_t* values, size_t count, int bits);

// Unpacks `count` elements of `bits` each; `sign_extend` reads them as two's complement (int4).
// Fails if `size` is shorter than the stream.
Status UnpackBits(const uint8_t* data, size_t size, size_t count, int bits, bool sign_extend,
                  int32_t* out);

// Convenience forms keyed by dtype (int4 sign-extends; uint* do not).
std::vector<uint8_t> PackSubByte(DType dtype, const std::vector<int32_t>& values);
Result<std::vector<int32_t>> UnpackSubByte(DType dtype, const uint8_t* data, size_t size, size_t count);

}  // namespace anemll::mil::coreml
