// Sub-byte packing (int4, uint1/2/3/4/6): LSB-first continuous bit streams, checked against a
// bit-by-bit reference, both directions, for every width; and blob records for odd counts.
#include <gtest/gtest.h>

#include <random>

#include "coreml_test_util.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/sub_byte.h"

namespace anemll::mil::coreml {
namespace {

using anemll::testing::TempDir;

constexpr DType kSubByte[] = {DType::kUInt1, DType::kUInt2, DType::kUInt3, DType::kUInt4, DType::kUInt6, DType::kInt4};

// Reference: stream bit k is bit (k mod 8) of byte (k div 8); element i holds bits [i*b, i*b+b).
std::vector<uint8_t> ReferencePack(const std::vector<int32_t>& values, int bits) {
  std::vector<uint8_t> out((values.size() * bits + 7) / 8, 0);
  for (size_t i = 0; i < values.size(); ++i) {
    for (int j = 0; j < bits; ++j) {
      if ((static_cast<uint32_t>(values[i]) >> j) & 1u) {
        const size_t k = i * bits + j;
        out[k / 8] = static_cast<uint8_t>(out[k / 8] | (1u << (k % 8)));
      }
    }
  }
  return out;
}

std::vector<int32_t> RandomValues(DType dtype, size_t n, std::mt19937& rng) {
  const int bits = DTypeBits(dtype);
  std::vector<int32_t> v(n);
  for (auto& x : v) {
    x = static_cast<int32_t>(rng() % (1u << bits));
    if (dtype == DType::kInt4 && x >= 8) x -= 16;
  }
  return v;
}

TEST(CoremlSubByte, VerifiedUint4Bytes) {
  // Stored by coremltools as `ad 48 04 ...`.
  const std::vector<int32_t> v = {13, 10, 8, 4, 4, 0};
  EXPECT_EQ(PackSubByte(DType::kUInt4, v), (std::vector<uint8_t>{0xad, 0x48, 0x04}));
  const uint8_t bytes[] = {0xad, 0x48, 0x04};
  auto back = UnpackSubByte(DType::kUInt4, bytes, 3, 6);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v);
}

TEST(CoremlSubByte, PackMatchesReferenceAndRoundTrips) {
  std::mt19937 rng(1234);
  for (DType dtype : kSubByte) {
    const int bits = DTypeBits(dtype);
    for (size_t n : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{5}, size_t{7}, size_t{8}, size_t{13},
                     size_t{64}, size_t{1001}}) {
      SCOPED_TRACE(StrCat(DTypeName(dtype), " n=", n));
      const auto values = RandomValues(dtype, n, rng);
      const auto packed = PackSubByte(dtype, values);
      EXPECT_EQ(packed.size(), StorageBytes(dtype, n));
      EXPECT_EQ(packed, ReferencePack(values, bits));
      auto unpacked = UnpackSubByte(dtype, packed.data(), packed.size(), n);
      ASSERT_TRUE(unpacked.ok()) << unpacked.status().message();
      EXPECT_EQ(*unpacked, values);
    }
  }
}

TEST(CoremlSubByte, UnpackThenPackGivesTheBytesBack) {
  std::mt19937 rng(99);
  for (DType dtype : kSubByte) {
    const int bits = DTypeBits(dtype);
    for (size_t n : {size_t{1}, size_t{3}, size_t{9}, size_t{100}, size_t{333}}) {
      SCOPED_TRACE(StrCat(DTypeName(dtype), " n=", n));
      std::vector<uint8_t> bytes(StorageBytes(dtype, n));
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      const unsigned used = (n * bits) % 8;
      if (used) bytes.back() &= static_cast<uint8_t>((1u << used) - 1u);  // padding bits are zero
      auto values = UnpackSubByte(dtype, bytes.data(), bytes.size(), n);
      ASSERT_TRUE(values.ok());
      for (int32_t v : *values) {
        if (dtype == DType::kInt4) {
          EXPECT_TRUE(v >= -8 && v <= 7) << v;
        } else {
          EXPECT_TRUE(v >= 0 && v < (1 << bits)) << v;
        }
      }
      EXPECT_EQ(PackSubByte(dtype, *values), bytes);
      // The literal accessor reads the same elements.
      Literal lit = Literal::Raw(dtype, {static_cast<int64_t>(n)}, std::make_shared<const Buffer>(bytes));
      for (size_t i = 0; i < n; ++i) ASSERT_EQ(lit.GetInt(static_cast<int64_t>(i)), (*values)[i]) << i;
    }
  }
}

TEST(CoremlSubByte, StraddlingWidths) {
  // uint3 [1..7, 0]: bits 001 010 011 100 101 110 111 000 -> 0b10_011_010_001... as bytes:
  const std::vector<int32_t> v3 = {1, 2, 3, 4, 5, 6, 7, 0};
  EXPECT_EQ(PackSubByte(DType::kUInt3, v3), (std::vector<uint8_t>{0xd1, 0x58, 0x1f}));
  // uint6 [63, 1, 32, 5]: 24 bits
  const std::vector<int32_t> v6 = {63, 1, 32, 5};
  EXPECT_EQ(PackSubByte(DType::kUInt6, v6), (std::vector<uint8_t>{0x7f, 0x00, 0x16}));
  // int4 -1, -8, 7, 0 -> nibbles f, 8, 7, 0
  const std::vector<int32_t> v4 = {-1, -8, 7, 0};
  EXPECT_EQ(PackSubByte(DType::kInt4, v4), (std::vector<uint8_t>{0x8f, 0x07}));
  auto back = UnpackSubByte(DType::kInt4, PackSubByte(DType::kInt4, v4).data(), 2, 4);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back, v4);
}

TEST(CoremlSubByte, SizesAndPadding) {
  EXPECT_EQ(StorageBytes(DType::kUInt3, 5), 2u);  // 15 bits
  EXPECT_EQ(PaddingBits(DType::kUInt3, 5), 1u);
  EXPECT_EQ(StorageBytes(DType::kUInt6, 3), 3u);  // 18 bits
  EXPECT_EQ(PaddingBits(DType::kUInt6, 3), 6u);
  EXPECT_EQ(StorageBytes(DType::kUInt1, 9), 2u);
  EXPECT_EQ(PaddingBits(DType::kUInt1, 9), 7u);
  EXPECT_EQ(PaddingBits(DType::kUInt4, 64 * 256), 0u);
  EXPECT_EQ(PaddingBits(DType::kFp16, 3), 0u);
  EXPECT_EQ(StorageBytes(DType::kFp16, 3), 6u);
  EXPECT_EQ(StorageBytes(DType::kBool, 3), 3u);
}

TEST(CoremlSubByte, UnpackRejectsShortData) {
  const uint8_t bytes[2] = {0xff, 0xff};
  auto r = UnpackSubByte(DType::kUInt6, bytes, 2, 3);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("need 3 bytes, have 2"), std::string::npos) << r.status().message();
  EXPECT_FALSE(UnpackSubByte(DType::kFp16, bytes, 2, 1).ok());
}

// Blob records for sub-byte values with a partial last byte: size and padding bits as specified,
// and the data reads back.
TEST(CoremlSubByte, BlobRecordsForOddCounts) {
  TempDir tmp;
  const auto path = tmp / "weight.bin";
  std::mt19937 rng(5);
  std::vector<std::pair<DType, std::vector<int32_t>>> written;
  std::vector<uint64_t> offsets;
  {
    BlobWriter writer(path);
    for (DType dtype : kSubByte) {
      auto values = RandomValues(dtype, 37, rng);
      auto data = std::make_shared<const Buffer>(PackSubByte(dtype, values));
      auto off = writer.Add(dtype, 37, data, DTypeName(dtype));
      ASSERT_TRUE(off.ok()) << off.status().message();
      offsets.push_back(*off);
      written.emplace_back(dtype, values);
    }
    ASSERT_TRUE(writer.Finish().ok());
    EXPECT_EQ(writer.count(), 6u);
  }
  auto file = BlobFile::Open(path);
  ASSERT_TRUE(file.ok()) << file.status().message();
  auto list = (*file)->List();
  ASSERT_TRUE(list.ok()) << list.status().message();
  ASSERT_EQ(list->size(), 6u);
  for (size_t i = 0; i < written.size(); ++i) {
    const auto& [dtype, values] = written[i];
    SCOPED_TRACE(DTypeName(dtype));
    const BlobRecord& r = (*list)[i];
    EXPECT_EQ(r.metadata_offset, offsets[i]);
    EXPECT_EQ(r.metadata_offset % 64, 0u);
    EXPECT_EQ(r.dtype_code, BlobDTypeCode(dtype));
    EXPECT_EQ(r.size_in_bytes, (37u * DTypeBits(dtype) + 7) / 8);
    EXPECT_EQ(r.padding_bits, (8 - (37u * DTypeBits(dtype)) % 8) % 8);
    auto data = (*file)->Read(r.metadata_offset, dtype, 37, "test");
    ASSERT_TRUE(data.ok()) << data.status().message();
    auto back = UnpackSubByte(dtype, (*data)->data(), (*data)->size(), 37);
    ASSERT_TRUE(back.ok());
    EXPECT_EQ(*back, values);
  }
  // Blob dtype codes from the format table.
  EXPECT_EQ(BlobDTypeCode(DType::kFp16), 1u);
  EXPECT_EQ(BlobDTypeCode(DType::kInt4), 8u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt1), 9u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt2), 10u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt4), 11u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt3), 12u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt6), 13u);
  EXPECT_EQ(BlobDTypeCode(DType::kInt32), 14u);
  EXPECT_EQ(BlobDTypeCode(DType::kUInt32), 15u);
  EXPECT_EQ(BlobDTypeCode(DType::kBool), 0u);
  EXPECT_EQ(BlobDTypeCode(DType::kInt64), 0u);
}

}  // namespace
}  // namespace anemll::mil::coreml
