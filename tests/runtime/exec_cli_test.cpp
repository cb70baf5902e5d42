// `anemll exec` end to end on the kv_state_multifunction fixture: prefill with --state-out, then
// infer continuing from that state with --state-in; plus the CLI's error reporting.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>

#include "runtime/tensor_io.h"
#include "support/test_support.h"

namespace anemll::runtime {
namespace {

namespace fs = std::filesystem;
using anemll::testing::CliResult;
using anemll::testing::RunCli;
using anemll::testing::TempDir;

const fs::path kCase = anemll::testing::FixturesDir() / "coreml" / "kv_state_multifunction";

struct Tol {
  double atol, rtol;
};

// The case's bound for fp16 storage with fp32 accumulation (what `exec --precision fp16` does).
Tol CaseTolerance(const std::string& feature) {
  std::ifstream in(kCase / "case.json");
  const nlohmann::json c = nlohmann::json::parse(in);
  const auto& t = c["tolerance"][feature];
  return {t["atol_if_fp32_accumulation"].get<double>(), t["rtol"].get<double>()};
}

void ExpectClose(const Tensor& got, const Tensor& want, Tol tol, const std::string& what) {
  ASSERT_EQ(got.shape(), want.shape()) << what;
  ASSERT_EQ(got.dtype(), mil::DType::kFp32) << what << " is written as F32";
  for (int64_t i = 0; i < want.num_elements(); ++i) {
    ASSERT_NEAR(got.FloatAt(i), want.FloatAt(i), tol.atol + tol.rtol * std::fabs(want.FloatAt(i))) << what << " " << i;
  }
}

// Writes the inputs of step `step` under their feature names.
fs::path StepInputs(const TempDir& tmp, int step) {
  auto all = ReadTensors(kCase / "inputs.safetensors");
  EXPECT_TRUE(all.ok());
  std::map<std::string, Tensor> feed;
  for (const char* f : {"x", "current_pos", "causal_mask"}) feed[f] = all->at(StrCat("step", step, ".", f));
  const fs::path p = tmp / StrCat("in", step, ".safetensors");
  EXPECT_TRUE(WriteTensors(p, feed).ok());
  return p;
}

TEST(ExecCli, PrefillThenInferCarryingTheState) {
  TempDir tmp;
  auto expected = ReadTensors(kCase / "expected.safetensors");
  ASSERT_TRUE(expected.ok());
  const std::string pkg = (kCase / "kv_state_multifunction.mlpackage").string();

  CliResult r = RunCli({"exec", pkg, "--function", "prefill", "--inputs", StepInputs(tmp, 0).string(), "--out",
                        (tmp / "out0.safetensors").string(), "--state-out", (tmp / "state0.safetensors").string()});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out0 = ReadTensors(tmp / "out0.safetensors");
  auto st0 = ReadTensors(tmp / "state0.safetensors");
  ASSERT_TRUE(out0.ok() && st0.ok());
  ExpectClose(out0->at("y"), expected->at("step0.y"), CaseTolerance("y"), "step0 y");
  ExpectClose(st0->at("kv_cache"), expected->at("step0.kv_cache"), CaseTolerance("kv_cache"), "step0 kv_cache");

  // The default function is infer.
  r = RunCli({"exec", pkg, "--inputs", StepInputs(tmp, 1).string(), "--out", (tmp / "out1.safetensors").string(),
              "--state-in", (tmp / "state0.safetensors").string(), "--state-out", (tmp / "state1.safetensors").string(),
              "--threads", "2"});
  ASSERT_EQ(r.exit_code, 0) << r.err;
  auto out1 = ReadTensors(tmp / "out1.safetensors");
  auto st1 = ReadTensors(tmp / "state1.safetensors");
  ASSERT_TRUE(out1.ok() && st1.ok());
  ExpectClose(out1->at("y"), expected->at("step1.y"), CaseTolerance("y"), "step1 y");
  ExpectClose(st1->at("kv_cache"), expected->at("step1.kv_cache"), CaseTolerance("kv_cache"), "step1 kv_cache");
}

void ExpectOneLineError(const CliResult& r, std::initializer_list<const char*> parts) {
  EXPECT_NE(r.exit_code, 0);
  ASSERT_FALSE(r.err.empty());
  EXPECT_EQ(r.err.find('\n'), r.err.size() - 1) << r.err;
  EXPECT_EQ(r.err.rfind("anemll exec: ", 0), 0u) << r.err;
  for (const char* p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "missing '" << p << "' in: " << r.err;
}

TEST(ExecCli, ErrorsAreOneLineNamingTheFileAndField) {
  TempDir tmp;
  const std::string pkg = (kCase / "kv_state_multifunction.mlpackage").string();
  const std::string out = (tmp / "o.safetensors").string();
  // An inputs file without current_pos.
  auto all = ReadTensors(kCase / "inputs.safetensors");
  ASSERT_TRUE(all.ok());
  const fs::path partial = tmp / "partial.safetensors";
  ASSERT_TRUE(WriteTensors(partial, {{"x", all->at("step1.x")}, {"causal_mask", all->at("step1.causal_mask")}}).ok());
  ExpectOneLineError(RunCli({"exec", pkg, "--inputs", partial.string(), "--out", out}),
                     {"partial.safetensors", "current_pos"});
  ExpectOneLineError(RunCli({"exec", pkg, "--inputs", StepInputs(tmp, 1).string(), "--out", out, "--precision", "bf16"}),
                     {"--precision", "bf16"});
  ExpectOneLineError(RunCli({"exec", pkg, "--function", "decode", "--inputs", StepInputs(tmp, 1).string(), "--out", out}),
                     {"decode", "infer", "prefill"});
  // Prefill inputs fed to infer: wrong x shape.
  ExpectOneLineError(RunCli({"exec", pkg, "--inputs", StepInputs(tmp, 0).string(), "--out", out}),
                     {"input x", "[1,4,8]", "[1,1,8]"});
  // A state file with a tensor that is not a state.
  const fs::path bad_state = tmp / "bad_state.safetensors";
  ASSERT_TRUE(WriteTensors(bad_state, {{"kv", all->at("step1.x")}}).ok());
  ExpectOneLineError(RunCli({"exec", pkg, "--inputs", StepInputs(tmp, 1).string(), "--out", out, "--state-in",
                             bad_state.string()}),
                     {"bad_state.safetensors", "'kv'", "kv_cache"});
  ExpectOneLineError(RunCli({"exec", (tmp / "missing.mlpackage").string(), "--inputs", partial.string(), "--out", out}),
                     {"missing.mlpackage"});
  EXPECT_FALSE(fs::exists(out));
}

}  // namespace
}  // namespace anemll::runtime
