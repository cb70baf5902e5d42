// Two-function packages of the kind ANEMLL-Dedup is for: `infer` and `prefill` run the same
// three palettized linear layers (x[., 16] -> 32 -> 16 -> 16), but each function carries its own
// copy of the indices and LUTs, encoded differently.
#pragma once

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "base/half.h"
#include "base/status.h"
#include "convert/parts.h"
#include "mil/builder.h"
#include "mil/coreml/package.h"

namespace anemll::convert::dedup_test {

constexpr int kBits = 4;
constexpr int kEntries = 1 << kBits;
constexpr int kGroup = 8;  // output channels per LUT

// A palettized [out, in] weight: uint4 indices (one per element, unpacked here) and fp16 LUT bits
// [out / group][16].
struct Palettized {
  int64_t out = 0, in = 0, group = kGroup;
  std::vector<uint8_t> indices;           // [out * in]
  std::vector<std::vector<uint16_t>> lut;  // [groups][kEntries]

  float Value(int64_t o, int64_t i) const {
    return HalfToFloat(lut[static_cast<size_t>(o / group)][indices[static_cast<size_t>(o * in + i)]]);
  }

  mil::Literal IndicesLiteral() const {
    std::vector<uint8_t> packed(static_cast<size_t>((out * in * kBits + 7) / 8), 0);
    for (size_t i = 0; i < indices.size(); ++i) packed[i / 2] |= static_cast<uint8_t>(indices[i] << (4 * (i % 2)));
    return mil::Literal::Raw(mil::DType::kUInt4, {out, in}, std::make_shared<const mil::Buffer>(std::move(packed)));
  }
  mil::Literal LutLiteral() const {
    std::vector<uint16_t> bits;
    for (const auto& table : lut) bits.insert(bits.end(), table.begin(), table.end());
    return mil::Literal::Fp16Bits({static_cast<int64_t>(lut.size()), 1, kEntries, 1}, std::move(bits));
  }
};

inline Palettized RandomPalettized(int64_t out, int64_t in, uint32_t seed, int64_t group = kGroup) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-0.5f, 0.5f);
  Palettized p;
  p.out = out;
  p.in = in;
  p.group = group;
  p.lut.resize(static_cast<size_t>(out / group));
  for (auto& table : p.lut) {
    for (int e = 0; e < kEntries; ++e) table.push_back(FloatToHalf(value(rng)));
  }
  for (int64_t i = 0; i < out * in; ++i) p.indices.push_back(static_cast<uint8_t>(rng() % kEntries));
  return p;
}

// The same weights encoded differently: each group's LUT entries reordered and the indices
// remapped; with `ulp_nudges` that many entries per table also moved by one fp16 ulp (the kind of
// difference separate k-means runs leave behind).
inline Palettized Reencoded(const Palettized& p, uint32_t seed, int ulp_nudges = 0) {
  std::mt19937 rng(seed);
  Palettized q = p;
  std::vector<std::vector<uint8_t>> perm(p.lut.size());
  for (size_t g = 0; g < p.lut.size(); ++g) {
    perm[g].resize(kEntries);
    for (int e = 0; e < kEntries; ++e) perm[g][static_cast<size_t>(e)] = static_cast<uint8_t>(e);
    std::shuffle(perm[g].begin(), perm[g].end(), rng);
    for (int e = 0; e < kEntries; ++e) q.lut[g][perm[g][static_cast<size_t>(e)]] = p.lut[g][static_cast<size_t>(e)];
    for (int k = 0; k < ulp_nudges; ++k) q.lut[g][static_cast<size_t>(k)] ^= 1;  // last mantissa bit
  }
  for (int64_t o = 0; o < p.out; ++o) {
    for (int64_t i = 0; i < p.in; ++i) {
      const size_t at = static_cast<size_t>(o * p.in + i);
      q.indices[at] = perm[static_cast<size_t>(o / p.group)][p.indices[at]];
    }
  }
  return q;
}

struct Weights {
  Palettized w1, w2, w3;  // [32,16], [16,32], [16,16]
};

inline Weights AnchorWeights() {
  return {RandomPalettized(32, 16, 11), RandomPalettized(16, 32, 12), RandomPalettized(16, 16, 13)};
}

// One function: x [rows, 16] -> linear w1 -> linear w2 -> linear w3 -> y. `suffix` is appended to
// the palettized ops' names (as separately traced functions number them).
inline Result<mil::Function> BuildFunction(const std::string& name, int64_t rows, const Weights& w,
                                           const std::string& suffix) {
  mil::FunctionBuilder b(name);
  mil::Value x = b.Input("x", mil::DType::kFp16, {rows, 16});
  const Palettized* ws[] = {&w.w1, &w.w2, &w.w3};
  mil::Value h = x;
  for (int l = 0; l < 3; ++l) {
    const std::string base = "layers_0_w" + std::to_string(l + 1);
    mil::Value weight =
        b.Name(base + "_weight_palettized" + suffix, b.ConstexprLutToDense(ws[l]->IndicesLiteral(), ws[l]->LutLiteral()));
    h = b.Name(base + "_linear", b.Linear(h, weight));
  }
  b.Output(b.Name("y", h));
  return b.Finish();
}

// A multifunction model: infer (1 row, anchor weights) and prefill (4 rows, `prefill` weights).
inline Result<mil::Model> BuildModel(const Weights& infer, const Weights& prefill) {
  mil::Model model;
  model.specification_version = 9;
  ANEMLL_ASSIGN_OR_RETURN(mil::Function fi, BuildFunction("infer", 1, infer, ""));
  ANEMLL_ASSIGN_OR_RETURN(mil::Function fp, BuildFunction("prefill", 4, prefill, "_1"));
  model.description.functions.push_back(DescribeFunction("infer", fi));
  model.description.functions.push_back(DescribeFunction("prefill", fp));
  model.description.default_function_name = "infer";
  model.program.functions["infer"] = std::move(fi);
  model.program.functions["prefill"] = std::move(fp);
  return model;
}

inline Status WriteModel(const Weights& infer, const Weights& prefill, const std::filesystem::path& pkg) {
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, BuildModel(infer, prefill));
  return mil::coreml::WritePackage(model, pkg);
}

inline std::filesystem::path WeightFile(const std::filesystem::path& pkg) {
  return pkg / "Data" / "com.apple.CoreML" / "weights" / "weight.bin";
}

}  // namespace anemll::convert::dedup_test
