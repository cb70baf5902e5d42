// Random palettized matrices for the LUT kernel tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "base/half.h"
#include "kernels/lut_gemm.h"

namespace anemll::kernels {

struct LutCase {
  int bits;
  int64_t rows;
  int64_t cols;
  int64_t rows_per_group;
};

struct LutData {
  std::vector<uint8_t> stream;
  std::vector<uint32_t> indices;  // unpacked
  std::vector<float> lut;
  LutMatrixRef ref;
};

inline LutData MakeLut(const LutCase& c, uint32_t seed) {
  std::mt19937 rng(seed);
  LutData d;
  const int64_t count = c.rows * c.cols;
  const uint32_t entries = 1u << c.bits;
  d.stream.assign(PackedIndexBytes(count, c.bits), 0);
  d.indices.resize(static_cast<size_t>(count));
  for (int64_t i = 0; i < count; ++i) {
    d.indices[i] = rng() % entries;
    WritePackedIndex(d.stream.data(), c.bits, i, d.indices[i]);
  }
  std::normal_distribution<float> nd(0.0f, 0.1f);
  const int64_t groups = c.rows / c.rows_per_group;
  d.lut.resize(static_cast<size_t>(groups * entries));
  for (auto& v : d.lut) v = RoundToHalf(nd(rng));
  d.ref.indices = d.stream.data();
  d.ref.indices_bytes = d.stream.size();
  d.ref.bits = c.bits;
  d.ref.rows = c.rows;
  d.ref.cols = c.cols;
  d.ref.lut = d.lut.data();
  d.ref.rows_per_group = c.rows_per_group;
  return d;
}

}  // namespace anemll::kernels
