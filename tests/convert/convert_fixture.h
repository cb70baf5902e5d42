// Converts a fixture model with the given LUT per part (2 FFN chunks unless monolithic; two
// converter threads), as the LUT and fusion tests need it.
#pragma once

#include <filesystem>
#include <string>

#include "convert/converter.h"
#include "support/test_support.h"

namespace anemll::convert::test_convert {

inline Result<ConvertResult> ConvertFixture(const std::string& model, const std::filesystem::path& out, LutSpec emb,
                                            LutSpec ffn, LutSpec lmh, bool monolithic = false, int context = 64,
                                            int batch = 4) {
  ConvertRequest r;
  r.model_dir = anemll::testing::ModelDir(model);
  r.output_dir = out;
  r.options.context = context;
  r.options.batch = batch;
  r.options.monolithic = monolithic;
  if (!monolithic) r.options.chunks = 2;
  r.options.lut_embeddings = emb;
  r.options.lut_ffn = ffn;
  r.options.lut_lmhead = lmh;
  r.threads = 2;
  return Convert(r);
}

}  // namespace anemll::convert::test_convert
