// `anemll chunk-calc --model HF_DIR|config.json [--lut B] [--max-chunk-mb 950] [--overhead 1.10]
// [--auto]`: how many FFN chunks a model needs so that no chunk exceeds a size limit, the way
// ANEMLL's calc_chunk_split estimates it (fp16 bytes × bits/16 × overhead, MB = MiB). Prints the
// per-layer size, the split at the recommended count, a table of the largest chunk for
// FP16/LUT8/LUT6/LUT4 at 1–4 chunks and the recommendation per LUT; --auto prints only the count.
#include <cstdio>
#include <iterator>
#include <memory>
#include <string>

#include "cli/command.h"
#include "convert/chunk_calc.h"

namespace anemll::cli {
namespace {

using convert::ChunkSizing;
using convert::kBytesPerMb;
using convert::ParamCounts;

struct ChunkCalcFlags {
  std::string model;
  std::string lut = "16";
  double max_chunk_mb = 950;
  double overhead = 1.10;
  bool auto_only = false;
};

std::string LutLabel(int bits) { return bits >= 16 ? std::string("FP16") : StrCat("LUT", bits); }

double Mb(double bytes) { return bytes / kBytesPerMb; }

int RunChunkCalc(const ChunkCalcFlags& f) {
  const std::string cmd = "chunk-calc";
  auto bits = convert::ParseSizingBits("--lut", f.lut);
  if (!bits.ok()) return Fail(cmd, bits.status());
  ChunkSizing sizing;
  sizing.lut_bits = *bits;
  sizing.max_chunk_mb = f.max_chunk_mb;
  sizing.overhead = f.overhead;
  if (Status s = convert::ValidateChunkSizing(sizing); !s.ok()) return Fail(cmd, s);
  auto spec = convert::LoadSpecForSizing(f.model);
  if (!spec.ok()) return Fail(cmd, spec.status());
  if (spec->num_layers < 1) return Fail(cmd, StrCat(f.model, ": num_hidden_layers ", spec->num_layers, ": no layers to split"));

  const ParamCounts c = convert::CountParams(*spec);
  const int recommended = convert::RecommendChunkCount(c, sizing);
  if (f.auto_only) {
    std::printf("%d\n", recommended);
    return 0;
  }

  const hf::ModelSpec& s = *spec;
  // Small models get more decimals so that their sizes do not print as 0.00.
  const int prec = Mb(2.0 * static_cast<double>(c.layer())) < 1.0 ? 4 : 2;
  std::printf("model: %s (%s), %lld layers, hidden %lld, intermediate %lld, heads %lld (KV %lld), head_dim %lld, "
              "vocab %lld\n",
              s.model_type.c_str(), f.model.c_str(), static_cast<long long>(s.num_layers),
              static_cast<long long>(s.hidden_size), static_cast<long long>(s.intermediate_size),
              static_cast<long long>(s.num_heads), static_cast<long long>(s.num_kv_heads),
              static_cast<long long>(s.head_dim), static_cast<long long>(s.vocab_size));
  std::printf("per layer: %lld parameters (attention %lld, mlp %lld, norms %lld) = %.*f MB fp16\n",
              static_cast<long long>(c.layer()), static_cast<long long>(c.attention), static_cast<long long>(c.mlp),
              static_cast<long long>(c.norms), prec, Mb(2.0 * static_cast<double>(c.layer())));
  char lm_head[96] = "tied to the embeddings";
  if (c.lm_head > 0) {
    std::snprintf(lm_head, sizeof lm_head, "%lld parameters (%.*f MB fp16)", static_cast<long long>(c.lm_head), prec,
                  Mb(2.0 * static_cast<double>(c.lm_head)));
  }
  std::printf("outside the chunks: embeddings %lld parameters (%.*f MB fp16), LM head %s, final norm %lld\n",
              static_cast<long long>(c.embeddings), prec, Mb(2.0 * static_cast<double>(c.embeddings)), lm_head,
              static_cast<long long>(c.final_norm));
  std::printf("sizing: %s, overhead x%.2f, limit %g MB per chunk; per layer %.*f MB\n",
              LutLabel(sizing.lut_bits).c_str(), sizing.overhead, sizing.max_chunk_mb, prec,
              Mb(convert::EstimatedLayersBytes(c, 1, sizing.lut_bits, sizing.overhead)));
  const bool fits = convert::LargestChunkBytes(c, recommended, sizing.lut_bits, sizing.overhead) <=
                    sizing.max_chunk_mb * kBytesPerMb;
  std::printf("recommended: %d chunk(s)%s\n", recommended, fits ? "" : " (one layer per chunk; still above the limit)");
  const auto chunks = convert::EstimateChunks(c, recommended, sizing.lut_bits, sizing.overhead);
  for (size_t i = 0; i < chunks.size(); ++i) {
    const auto& e = chunks[i];
    std::printf("  chunk %zu/%zu: layers %d-%d (%d) %.*f MB\n", i + 1, chunks.size(), e.layers.begin,
                e.layers.end - 1, e.layers.size(), prec, Mb(e.bytes));
  }

  static constexpr int kTableBits[] = {16, 8, 6, 4};
  std::printf("largest chunk (MB, overhead x%.2f):\n  chunks", sizing.overhead);
  for (int b : kTableBits) std::printf(" %10s", LutLabel(b).c_str());
  std::printf("\n");
  for (int n = 1; n <= 4 && n <= s.num_layers; ++n) {
    std::printf("  %6d", n);
    for (int b : kTableBits) std::printf(" %10.*f", prec, Mb(convert::LargestChunkBytes(c, n, b, sizing.overhead)));
    std::printf("\n");
  }
  std::printf("recommended at %g MB:", sizing.max_chunk_mb);
  for (size_t i = 0; i < std::size(kTableBits); ++i) {
    ChunkSizing z = sizing;
    z.lut_bits = kTableBits[i];
    std::printf("%s %s %d", i ? "," : "", LutLabel(z.lut_bits).c_str(), convert::RecommendChunkCount(c, z));
  }
  std::printf("\n");
  return 0;
}

CommandRegistrar registrar(
    "chunk-calc", "Recommend the FFN chunk count that keeps every chunk under a size limit",
    [](CLI::App* sub) -> std::function<int()> {
      auto f = std::make_shared<ChunkCalcFlags>();
      sub->add_option("--model", f->model, "Hugging Face model folder or its config.json")->required();
      sub->add_option("--lut", f->lut, "LUT bits of the FFN weights: 1, 2, 3, 4, 6, 8, or 16 for fp16 (default 16)");
      sub->add_option("--max-chunk-mb", f->max_chunk_mb, "Largest chunk allowed, in MB (MiB; default 950)");
      sub->add_option("--overhead", f->overhead, "Size factor for package overhead (default 1.10)");
      sub->add_flag("--auto", f->auto_only, "Print only the recommended chunk count");
      return [f] { return RunChunkCalc(*f); };
    });

}  // namespace
}  // namespace anemll::cli
