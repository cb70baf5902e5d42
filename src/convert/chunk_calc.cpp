#include "convert/chunk_calc.h"

#include <algorithm>
#include <cctype>
#include <cmath>

namespace anemll::convert {

ParamCounts CountParams(const hf::ModelSpec& s) {
  ParamCounts c;
  const int64_t H = s.hidden_size, D = s.head_dim, I = s.intermediate_size, V = s.vocab_size;
  const int64_t q_width = s.num_heads * D, kv_width = s.num_kv_heads * D;
  c.num_layers = s.num_layers;
  c.attention = H * q_width + 2 * H * kv_width + q_width * H;
  if (s.qkv_bias) c.attention += q_width + 2 * kv_width;
  if (s.o_bias) c.attention += H;
  if (s.qk_norm) c.attention += 2 * D;
  c.mlp = 3 * H * I;
  if (s.mlp_bias) c.mlp += 2 * I + H;
  c.norms = (s.gemma_norms ? 4 : 2) * H;
  c.embeddings = V * H;
  c.lm_head = s.tie_word_embeddings ? 0 : V * H;
  c.final_norm = H;
  return c;
}

Result<hf::ModelSpec> LoadSpecForSizing(const std::filesystem::path& path) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    const fs::path config = path / "config.json";
    if (!fs::is_regular_file(config, ec)) return NotFound(path.string(), ": no config.json in this folder");
    return hf::LoadModelSpec(config);
  }
  if (!fs::exists(path, ec)) return NotFound(path.string(), ": no such model folder or config.json");
  return hf::LoadModelSpec(path);
}

Result<int> ParseSizingBits(const std::string& flag, const std::string& text) {
  std::string t;
  for (char c : text) {
    if (!std::isspace(static_cast<unsigned char>(c))) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (size_t comma = t.find(','); comma != std::string::npos) t.resize(comma);
  if (t.empty() || t == "none" || t == "no" || t == "false" || t == "fp16") return 16;
  if (t.size() > 4 || !std::all_of(t.begin(), t.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)); })) {
    return InvalidArgument(flag, " \"", text, "\": not a LUT bit width (1, 2, 3, 4, 6, 8, or 16/none for fp16)");
  }
  return std::stoi(t);
}

Status ValidateChunkSizing(const ChunkSizing& z) {
  static constexpr int kAllowedBits[] = {1, 2, 3, 4, 6, 8, 16};
  if (std::find(std::begin(kAllowedBits), std::end(kAllowedBits), z.lut_bits) == std::end(kAllowedBits)) {
    return InvalidArgument("--lut ", z.lut_bits, ": LUT bits must be one of 1, 2, 3, 4, 6, 8 or 16 (no LUT)");
  }
  if (!std::isfinite(z.overhead) || z.overhead <= 0) {
    return InvalidArgument("--overhead ", z.overhead, ": must be a positive factor (e.g. 1.10)");
  }
  if (!std::isfinite(z.max_chunk_mb) || z.max_chunk_mb <= 0) {
    return InvalidArgument("--max-chunk-mb ", z.max_chunk_mb, ": must be positive");
  }
  return Status::Ok();
}

double EstimatedLayersBytes(const ParamCounts& c, int64_t layers, int lut_bits, double overhead) {
  double bytes = static_cast<double>(c.layer()) * static_cast<double>(layers) * 2.0;  // fp16
  if (lut_bits < 16) bytes *= static_cast<double>(lut_bits) / 16.0;
  return bytes * overhead;
}

std::vector<ChunkEstimate> EstimateChunks(const ParamCounts& c, int num_chunks, int lut_bits, double overhead) {
  std::vector<ChunkEstimate> chunks;
  const int L = static_cast<int>(c.num_layers);
  for (int i = 0; i < num_chunks; ++i) {
    ChunkEstimate e;
    e.layers = ChunkLayerRange(L, num_chunks, i);
    e.bytes = EstimatedLayersBytes(c, e.layers.size(), lut_bits, overhead);
    chunks.push_back(e);
  }
  return chunks;
}

double LargestChunkBytes(const ParamCounts& c, int num_chunks, int lut_bits, double overhead) {
  double largest = 0;
  for (const ChunkEstimate& e : EstimateChunks(c, num_chunks, lut_bits, overhead)) largest = std::max(largest, e.bytes);
  return largest;
}

int RecommendChunkCount(const ParamCounts& c, const ChunkSizing& z) {
  const int L = static_cast<int>(c.num_layers);
  const double limit = z.max_chunk_mb * kBytesPerMb;
  for (int n = 1; n <= L; ++n) {
    if (LargestChunkBytes(c, n, z.lut_bits, z.overhead) <= limit) return n;
  }
  return std::max(1, L);
}

}  // namespace anemll::convert
