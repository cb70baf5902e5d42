#include "convert/plan.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>

#include "convert/chunk_calc.h"

namespace anemll::convert {
namespace {

constexpr int64_t kAneMaxDim = 16384;           // rows of one LM-head slice
constexpr int64_t kAneMinStateLength = 256;     // shorter states may not be placed on the ANE
constexpr const char* kUnifiedState = "model_model_kv_cache_0";
constexpr const char* kLocalState = "model_model_kv_cache_local";
constexpr const char* kGlobalState = "model_model_kv_cache_global";

bool ValidPrefix(const std::string& p) {
  if (p.empty()) return false;
  for (char c : p) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') return false;
  }
  return true;
}

}  // namespace

const char* FunctionKindName(FunctionKind kind) {
  switch (kind) {
    case FunctionKind::kInfer: return "infer";
    case FunctionKind::kPrefill: return "prefill";
    case FunctionKind::kInferRotate: return "infer_rotate";
    case FunctionKind::kPrefillRotate: return "prefill_rotate";
  }
  return "?";
}

std::vector<FunctionKind> ConversionPlan::package_functions() const {
  if (rotate_functions && (monolithic || !split_rotate)) {
    return {FunctionKind::kInfer, FunctionKind::kInferRotate, FunctionKind::kPrefill, FunctionKind::kPrefillRotate};
  }
  return {FunctionKind::kInfer, FunctionKind::kPrefill};
}

std::vector<FunctionKind> ConversionPlan::rotate_package_functions() const {
  if (rotate_functions && split_rotate && !monolithic) return {FunctionKind::kInferRotate, FunctionKind::kPrefillRotate};
  return {};
}

Status ParseFp16Scale(const std::string& text, double* alpha, bool* is_auto) {
  *alpha = 1.0;
  *is_auto = false;
  if (text.empty()) return Status::Ok();
  if (text == "auto") {
    *is_auto = true;
    return Status::Ok();
  }
  char* end = nullptr;
  const double v = std::strtod(text.c_str(), &end);
  if (end == text.c_str() || *end != '\0' || !std::isfinite(v) || v <= 0.0 || v > 1.0) {
    return InvalidArgument("--fp16-scale: \"", text, "\" is not \"auto\" or a number in (0, 1]");
  }
  *alpha = v;
  return Status::Ok();
}

Result<ConversionPlan> MakePlan(const hf::ModelSpec& spec, const ConvertOptions& o) {
  ConversionPlan p;
  p.spec = spec;
  const bool gemma = spec.family == hf::Family::kGemma3;
  const int L = static_cast<int>(spec.num_layers);

  if (o.context <= 0) return InvalidArgument("--context ", o.context, ": must be positive");
  if (o.batch <= 0) return InvalidArgument("--batch ", o.batch, ": must be positive");
  if (o.context > kAneMaxDim) {
    return InvalidArgument("--context ", o.context, ": above the largest supported context ", kAneMaxDim);
  }
  p.context = o.context;
  if (gemma && spec.sliding_window > 0) {
    p.window = spec.sliding_window;
    if (p.context < p.window) {
      p.notes.push_back(StrCat("context ", p.context, " raised to the sliding window ", p.window,
                               " (Gemma 3 needs the whole window in the cache)"));
      p.context = p.window;
    }
  } else if (spec.has_sliding_layers()) {
    // Other families with sliding layers: exact only while the window covers the whole context.
    if (p.context > spec.sliding_window) {
      return Unsupported(spec.model_type, " with sliding-window layers (window ", spec.sliding_window,
                         ") is supported only up to a context of the window; got --context ", p.context);
    }
  }
  if (o.batch > p.context) {
    return InvalidArgument("--batch ", o.batch, " is larger than the context ", p.context);
  }
  p.batch = o.batch;
  if (p.context < kAneMinStateLength) {
    p.warnings.push_back(StrCat("context ", p.context, " is below the ANE minimum state length ", kAneMinStateLength,
                                ": fine for the CPU runtime, but Core ML may not run these packages on the ANE"));
  }
  p.mask_width = std::max(p.context, p.window);

  // Chunks.
  p.monolithic = o.monolithic;
  if (o.chunks && *o.chunks < 1) return InvalidArgument("--chunk ", *o.chunks, ": must be at least 1");
  if (o.chunks && *o.chunks > L) {
    return InvalidArgument("--chunk ", *o.chunks, ": chunk count above the layer count ", L);
  }
  if (p.monolithic) {
    p.num_chunks = 1;
  } else if (o.chunk_auto) {
    // calc_chunk_split's rule at the FFN LUT's bits (16 without one).
    ChunkSizing sizing;
    sizing.lut_bits = o.lut_ffn.enabled() ? o.lut_ffn.bits : 16;
    sizing.max_chunk_mb = o.max_chunk_mb;
    ANEMLL_RETURN_IF_ERROR(ValidateChunkSizing(sizing));
    const ParamCounts counts = CountParams(spec);
    p.num_chunks = RecommendChunkCount(counts, sizing);
    p.notes.push_back(StrCat("--chunk auto: ", p.num_chunks, " chunk(s) for ", L, " layers (",
                             sizing.lut_bits < 16 ? StrCat("LUT", sizing.lut_bits) : std::string("FP16"),
                             ", largest chunk ",
                             LargestChunkBytes(counts, p.num_chunks, sizing.lut_bits, sizing.overhead) / kBytesPerMb,
                             " MB, limit ", sizing.max_chunk_mb, " MB)"));
  } else {
    p.num_chunks = o.chunks ? *o.chunks : std::min(2, std::max(1, L));
  }

  // Prefix.
  p.prefix = o.prefix.empty() ? DefaultPrefix(spec.model_type) : o.prefix;
  if (!ValidPrefix(p.prefix)) {
    return InvalidArgument("--prefix \"", o.prefix, "\": use letters, digits, '_', '-' or '.'");
  }

  // Cache layout.
  p.single_cache = gemma && o.single_cache;
  if (o.single_cache && !gemma) p.notes.push_back("--single-cache has no effect: the model already uses one KV cache");
  if (p.single_cache && p.context > p.window) {
    return InvalidArgument("--single-cache needs a context up to the sliding window ", p.window, "; got --context ",
                           p.context, " (drop --single-cache to use split caches with rotation)");
  }
  p.split_cache = gemma && p.window > 0 && !p.single_cache;
  p.rotate_functions = p.split_cache && p.context > p.window;
  p.split_rotate = o.split_rotate && p.rotate_functions && !p.monolithic;
  if (o.split_rotate && !p.split_rotate) {
    p.notes.push_back(p.monolithic ? "--split-rotate has no effect on a monolithic package"
                                   : "--split-rotate has no effect: no rotate functions (context within the window)");
  }
  if (p.rotate_functions && p.window % p.batch != 0) {
    return InvalidArgument("--batch ", p.batch, " must divide the sliding window ", p.window,
                           " (hosts switch from prefill to prefill_rotate at a batch boundary)");
  }
  p.dynamic_prefill_slice = !o.static_prefill_slice;
  p.update_mask_prefill = gemma && o.static_prefill_slice;

  const int64_t KVH = spec.num_kv_heads, D = spec.head_dim;
  p.layer_cache.resize(static_cast<size_t>(L));
  if (p.split_cache) {
    int64_t n_local = 0, n_global = 0;
    for (int i = 0; i < L; ++i) (spec.layer_kinds[static_cast<size_t>(i)] == hf::AttentionKind::kSliding ? n_local : n_global)++;
    int local_state = -1, global_state = -1;
    if (n_local > 0) {
      local_state = static_cast<int>(p.states.size());
      p.states.push_back({kLocalState, {2 * n_local, KVH, p.window, D}});
    }
    if (n_global > 0) {
      global_state = static_cast<int>(p.states.size());
      p.states.push_back({kGlobalState, {2 * n_global, KVH, p.context, D}});
    }
    int64_t r_local = 0, r_global = 0;
    for (int i = 0; i < L; ++i) {
      LayerCache& c = p.layer_cache[static_cast<size_t>(i)];
      c.local = spec.layer_kinds[static_cast<size_t>(i)] == hf::AttentionKind::kSliding;
      if (c.local) {
        c.state = local_state;
        c.k_slot = r_local;
        c.v_slot = r_local + n_local;
        c.length = p.window;
        ++r_local;
      } else {
        c.state = global_state;
        c.k_slot = r_global;
        c.v_slot = r_global + n_global;
        c.length = p.context;
        ++r_global;
      }
    }
  } else {
    p.states.push_back({kUnifiedState, {2 * static_cast<int64_t>(L), KVH, p.context, D}});
    for (int i = 0; i < L; ++i) {
      LayerCache& c = p.layer_cache[static_cast<size_t>(i)];
      c.state = 0;
      c.k_slot = i;
      c.v_slot = i + L;
      c.length = p.context;
    }
  }

  // LM head split: ANEMLL's count, raised until every slice fits the ANE's 16384 rows.
  p.argmax = o.argmax;
  p.lm_head_split = DefaultLmHeadSplit(spec.model_type);
  const int default_split = p.lm_head_split;
  while ((spec.vocab_size + p.lm_head_split - 1) / p.lm_head_split > kAneMaxDim) ++p.lm_head_split;
  if (p.lm_head_split != default_split) {
    p.notes.push_back(StrCat("LM head split into ", p.lm_head_split, " slices (not ", default_split, ") so that each of the ",
                             spec.vocab_size, " vocabulary rows' slices stays within ", kAneMaxDim, " rows"));
  }
  p.lm_head_sizes = LmHeadChunkSizes(spec.vocab_size, p.lm_head_split);

  // FP16 scaling and clamp.
  ANEMLL_RETURN_IF_ERROR(ParseFp16Scale(o.fp16_scale, &p.fp16_scale, &p.fp16_scale_auto));
  if (o.clamp) {
    if (!std::isfinite(*o.clamp) || *o.clamp <= 0 || *o.clamp > 65504.0) {
      return InvalidArgument("--clamp ", *o.clamp, ": must be in (0, 65504]");
    }
    p.clamp = o.clamp;
  }
  p.lut_embeddings = o.lut_embeddings;
  if (gemma && !o.fp16_scale.empty() && p.lut_embeddings.enabled()) {
    // ANEMLL's rule: a LUT on the scaled embedding table made the gather return constants.
    p.notes.push_back(StrCat("embeddings stay fp16 with --fp16-scale on Gemma 3 (--lut1 ", o.lut_embeddings.ToString(),
                             " ignored, as ANEMLL does)"));
    p.lut_embeddings = LutSpec{0, 8, false};
  }
  p.lut_ffn = o.lut_ffn;
  p.lut_lmhead = o.lut_lmhead;
  return p;
}

}  // namespace anemll::convert
