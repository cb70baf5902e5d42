// The programs of the coremltools-written fixture packages pass our validation: op table,
// parameter names and dtypes, const-ness, and our inferred output types agree with the ones
// coremltools declared.
#include <gtest/gtest.h>

#include "mil/coreml/package.h"
#include "mil/printer.h"
#include "mil/validate.h"
#include "support/test_support.h"

namespace anemll::mil {
namespace {

const char* kPackages[] = {
    "linear_fp16/linear_fp16.mlpackage",
    "conv1x1_fp16/conv1x1_fp16.mlpackage",
    "linear_lut4_grouped/linear_lut4_grouped.mlpackage",
    "linear_lut6_grouped/linear_lut6_grouped.mlpackage",
    "linear_lut4_tensor/linear_lut4_tensor.mlpackage",
    "kv_state_multifunction/kv_state_multifunction.mlpackage",
    "enumerated_embeddings/enumerated_embeddings.mlpackage",
    "lm_head_split_argmax/lm_head_split.mlpackage",
    "lm_head_split_argmax/lm_head_split_argmax.mlpackage",
    "metadata/metadata.mlpackage",
};

class FixturePrograms : public ::testing::TestWithParam<const char*> {};

TEST_P(FixturePrograms, Validate) {
  auto model = coreml::ReadPackage(testing::FixturesDir() / "coreml" / GetParam());
  ASSERT_TRUE(model.ok()) << model.status().message();
  Status st = ValidateProgram(model->program);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(PrintProgram(model->program).empty());
}

INSTANTIATE_TEST_SUITE_P(Coremltools, FixturePrograms, ::testing::ValuesIn(kPackages));

TEST(FixturePrograms, KvStatePrintout) {
  auto model = coreml::ReadPackage(testing::FixturesDir() / "coreml" / "kv_state_multifunction" /
                                   "kv_state_multifunction.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::string text = PrintFunction("infer", model->program.functions.at("infer"));
  for (const char* line : {
           "func infer(fp16[1,1,8] x, int32[1] current_pos, fp16[1,1,1,16] causal_mask, "
           "state<fp16[2,1,16,8]> kv_cache) {\n",
           "  const fp16[8,8] q_proj_weight_0 = blob@64\n",
           "  fp16[1,1,8] q_proj = linear(x=x, weight=q_proj_weight_0, bias=q_proj_bias_0)\n",
           "  write_state[coreml_update_state_0_write_state](input=kv_cache, data=kv_slice_update)\n",
           "  fp16[2,1,16,8] coreml_update_state_0 = read_state(input=kv_cache)\n",
           "  const fp16 scores_scaled_y_0 = 0.3535\n",
           "} -> (y)\n"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin:\n" << text;
  }
}

TEST(FixturePrograms, LutProgramPrintsInlineLiterals) {
  auto model = coreml::ReadPackage(testing::FixturesDir() / "coreml" / "linear_lut4_grouped" /
                                   "linear_lut4_grouped.mlpackage");
  ASSERT_TRUE(model.ok()) << model.status().message();
  const std::string text = PrintProgram(model->program);
  EXPECT_NE(text.find("  fp16[64,256] y_weight_0_palettized = constexpr_lut_to_dense(indices=<uint4[64,256] blob@64>, "
                      "lut=<fp16[4,1,16,1] blob@8320>)\n"),
            std::string::npos)
      << text;
}

}  // namespace
}  // namespace anemll::mil
