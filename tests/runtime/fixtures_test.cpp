// Runs every coremltools-written fixture package (tests/fixtures/coreml) through the executor in
// both precisions and compares with the numpy references, run by run (states carried across the
// runs of a case), with the tolerances of each case's case.json.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mil/coreml/package.h"
#include "runtime/executable.h"
#include "runtime/tensor_io.h"
#include "support/test_support.h"

namespace anemll::runtime {
namespace {

namespace fs = std::filesystem;

// fp32 precision computes exactly what the numpy reference computes, up to summation order.
constexpr double kFp32RelTol = 1e-5;
constexpr double kFp32AbsTol = 1e-6;

const char* kCases[] = {"linear_fp16",         "conv1x1_fp16",           "linear_lut4_grouped",
                        "linear_lut6_grouped", "linear_lut4_tensor",     "kv_state_multifunction",
                        "enumerated_embeddings", "lm_head_split_argmax", "metadata"};

struct Tolerance {
  double atol = 0, rtol = 0;
};

// fp16 precision stores tensors in fp16 and accumulates in fp32: the case's
// atol_if_fp32_accumulation (or its atol when it gives no such bound, e.g. exact cases).
Tolerance ToleranceFor(const nlohmann::json& c, const std::string& feature, Precision p) {
  if (p == Precision::kFp32) return {kFp32AbsTol, kFp32RelTol};
  const nlohmann::json& t = c["tolerance"][feature];
  Tolerance tol;
  tol.rtol = t.value("rtol", 0.0);
  tol.atol = t.contains("atol_if_fp32_accumulation") ? t["atol_if_fp32_accumulation"].get<double>()
                                                    : t.value("atol", 0.0);
  return tol;
}

void ExpectMatches(const Tensor& got, const Tensor& want, const Tolerance& tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  const bool integer = want.dtype() == mil::DType::kInt32;
  double worst = 0;
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    if (integer) {
      ASSERT_EQ(got.IntAt(i), want.IntAt(i)) << what << " element " << i;
      continue;
    }
    const double g = got.FloatAt(i), w = want.FloatAt(i);
    const double err = std::fabs(g - w);
    worst = std::max(worst, err);
    ASSERT_LE(err, tol.atol + tol.rtol * std::fabs(w)) << what << " element " << i << ": got " << g << ", want " << w;
  }
  ::testing::Test::RecordProperty(what + ".max_abs_err", std::to_string(worst));
}

struct CaseParam {
  std::string name;
  Precision precision;
};

void PrintTo(const CaseParam& p, std::ostream* os) { *os << p.name << "/" << PrecisionName(p.precision); }

class FixtureRuns : public ::testing::TestWithParam<CaseParam> {};

TEST_P(FixtureRuns, ReproducesExpectedOutputsAndStates) {
  const CaseParam param = GetParam();
  const fs::path dir = testing::FixturesDir() / "coreml" / param.name;
  std::ifstream in(dir / "case.json");
  const nlohmann::json c = nlohmann::json::parse(in);
  auto inputs = ReadTensors(dir / "inputs.safetensors");
  ASSERT_TRUE(inputs.ok()) << inputs.status().message();
  auto expected = ReadTensors(dir / "expected.safetensors");
  ASSERT_TRUE(expected.ok()) << expected.status().message();

  std::map<std::string, mil::Model> models;
  std::map<std::string, std::unique_ptr<Executable>> executables;
  StateStore states;  // carried across the runs of the case, zero at the start
  int run_index = 0;
  for (const nlohmann::json& run : c["runs"]) {
    const std::string package = run.contains("package") ? run["package"].get<std::string>()
                                                        : c["packages"][0]["package"].get<std::string>();
    const std::string function = run["function"];
    SCOPED_TRACE(::testing::Message() << param.name << " run " << run_index << " (" << package << ":" << function
                                      << ", " << PrecisionName(param.precision) << ")");
    if (!models.count(package)) {
      auto model = mil::coreml::ReadPackage(dir / package);
      ASSERT_TRUE(model.ok()) << model.status().message();
      models.emplace(package, std::move(*model));
    }
    const std::string key = package + ":" + function;
    if (!executables.count(key)) {
      Options opt;
      opt.precision = param.precision;
      auto e = Executable::Compile(models.at(package), function, opt);
      ASSERT_TRUE(e.ok()) << e.status().message();
      executables.emplace(key, std::move(*e));
    }
    std::map<std::string, Tensor> feed;
    for (const auto& [feature, tensor] : run["inputs"].items()) feed[feature] = inputs->at(tensor.get<std::string>());
    std::map<std::string, Tensor> outputs;
    const Status st = executables.at(key)->Run(feed, states, &outputs);
    ASSERT_TRUE(st.ok()) << st.message();
    for (const auto& [feature, tensor] : run["expected"].items()) {
      ASSERT_TRUE(outputs.count(feature)) << "missing output " << feature;
      ExpectMatches(outputs.at(feature), expected->at(tensor.get<std::string>()),
                    ToleranceFor(c, feature, param.precision), feature);
    }
    if (run.contains("expected_state_after")) {
      for (const auto& [state, tensor] : run["expected_state_after"].items()) {
        auto value = states.Read(state);
        ASSERT_TRUE(value.ok()) << value.status().message();
        ExpectMatches(*value, expected->at(tensor.get<std::string>()), ToleranceFor(c, state, param.precision),
                      "state " + state);
      }
    }
    ++run_index;
  }
  EXPECT_GT(run_index, 0);
}

std::vector<CaseParam> AllCases() {
  std::vector<CaseParam> v;
  for (const char* c : kCases) {
    v.push_back({c, Precision::kFp16});
    v.push_back({c, Precision::kFp32});
  }
  return v;
}

INSTANTIATE_TEST_SUITE_P(CoreMlFixtures, FixtureRuns, ::testing::ValuesIn(AllCases()),
                         [](const ::testing::TestParamInfo<CaseParam>& info) {
                           return info.param.name + "_" + PrecisionName(info.param.precision);
                         });

TEST(FixtureRuns, LutWeightsUseTheFusedKernelWithoutDensifying) {
  // The palettized linear must produce the same result as running on the dequantized weights
  // that weights_ref.safetensors holds (the package reader is independent of that file).
  const fs::path dir = testing::FixturesDir() / "coreml" / "linear_lut6_grouped";
  auto model = mil::coreml::ReadPackage(dir / "linear_lut6_grouped.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  Options opt;
  opt.precision = Precision::kFp32;
  auto e = Executable::Compile(*model, "main", opt);
  ASSERT_TRUE(e.ok()) << e.status().message();
  auto ref = ReadTensors(dir / "weights_ref.safetensors");
  ASSERT_TRUE(ref.ok());
  const Tensor& w = ref->at("weight_dequantized");  // [64, 256]
  const Tensor& bias = ref->at("bias");
  // One-hot inputs read single weight columns: every output is exactly W[:, k] + b.
  StateStore states;
  for (int k : {0, 1, 77, 255}) {
    std::vector<float> x(256, 0.0f);
    x[k] = 1.0f;
    std::map<std::string, Tensor> out;
    ASSERT_TRUE((*e)->Run({{"x", Tensor::FromFloats(mil::DType::kFp16, {1, 256}, x)}}, states, &out).ok());
    for (int r = 0; r < 64; ++r) {
      EXPECT_EQ(out.at("y").FloatAt(r), w.FloatAt(r * 256 + k) + bias.FloatAt(r)) << "row " << r << " col " << k;
    }
  }
}

}  // namespace
}  // namespace anemll::runtime
