#include "runtime/package_session.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>

#include "base/half.h"
#include "kernels/half_convert.h"
#include "mil/coreml/package.h"

namespace anemll::runtime {
namespace fs = std::filesystem;
namespace {

constexpr uint16_t kHalfZero = 0x0000;
constexpr uint16_t kHalfMinusInf = 0xFC00;
constexpr uint16_t kHalfOne = 0x3C00;

// Bytes of constant data behind each value of a function that comes from a const or constexpr op.
std::map<std::string, int64_t> ConstantBytes(const mil::Function& fn) {
  std::map<std::string, int64_t> bytes;
  for (const mil::Operation& op : fn.block.operations) {
    int64_t b = 0;
    if (op.type == "const") {
      auto it = op.attributes.find("val");
      if (it != op.attributes.end() && it->second.data) b = static_cast<int64_t>(it->second.data->size());
    } else if (op.type.rfind("constexpr_", 0) == 0) {
      for (const auto& [param, args] : op.inputs) {
        for (const mil::Argument& a : args) {
          if (a.literal && a.literal->data) b += static_cast<int64_t>(a.literal->data->size());
          if (!a.literal) {
            auto it = bytes.find(a.name);
            if (it != bytes.end()) b += it->second;
          }
        }
      }
      for (const auto& [key, lit] : op.attributes) {
        if (lit.data) b += static_cast<int64_t>(lit.data->size());
      }
    } else {
      continue;
    }
    for (const mil::NamedValueType& out : op.outputs) bytes[out.name] = b;
  }
  return bytes;
}

// Weight bytes one call of `fn` reads: every constant, except that a gathered table (the
// embeddings) counts one row.
int64_t WeightBytesRead(const mil::Function& fn) {
  const std::map<std::string, int64_t> bytes = ConstantBytes(fn);
  std::map<std::string, int64_t> rows_of;  // gathered table -> its row count
  for (const mil::Operation& op : fn.block.operations) {
    if (op.type != "gather") continue;
    const mil::Argument* x = op.Input("x");
    if (!x || x->is_literal()) continue;
    for (const mil::Operation& def : fn.block.operations) {
      for (const mil::NamedValueType& out : def.outputs) {
        if (out.name == x->name && !out.type.tensor.shape.empty() && out.type.tensor.shape[0] > 0) {
          rows_of[x->name] = out.type.tensor.shape[0];
        }
      }
    }
  }
  int64_t total = 0;
  std::map<std::string, bool> used;
  for (const mil::Operation& op : fn.block.operations) {
    if (op.type == "const" || op.type.rfind("constexpr_", 0) == 0) continue;
    for (const auto& [param, args] : op.inputs) {
      for (const mil::Argument& a : args) {
        if (a.is_literal() || used[a.name]) continue;
        auto it = bytes.find(a.name);
        if (it == bytes.end()) continue;
        used[a.name] = true;
        auto rows = rows_of.find(a.name);
        total += rows != rows_of.end() ? it->second / rows->second : it->second;
      }
    }
  }
  return total;
}

void SetFloat(Tensor& t, int64_t i, uint16_t half_bits) {
  if (t.dtype() == mil::DType::kFp16) {
    std::memcpy(t.mutable_data() + i * 2, &half_bits, 2);
  } else {
    const float f = HalfToFloat(half_bits);
    std::memcpy(t.mutable_data() + i * 4, &f, 4);
  }
}

void SetInt(Tensor& t, int64_t i, int32_t v) { std::memcpy(t.mutable_data() + i * 4, &v, 4); }

enum class InputKind { kIds, kHidden, kPositions, kMask, kCurrentPos, kUpdateMask };

Result<InputKind> KindOf(const std::string& name, const Executable& exe) {
  if (name == "input_ids") return InputKind::kIds;
  if (name == "hidden_states") return InputKind::kHidden;
  if (name == "position_ids") return InputKind::kPositions;
  if (name == "causal_mask") return InputKind::kMask;
  if (name == "current_pos") return InputKind::kCurrentPos;
  if (name == "update_mask") return InputKind::kUpdateMask;
  return InvalidArgument("function ", exe.name(), ": unexpected input '", name, "'");
}

}  // namespace

PackageModel::~PackageModel() = default;

Result<std::unique_ptr<PackageModel>> PackageModel::Open(const fs::path& path, const PackageModelOptions& options) {
  auto m = std::unique_ptr<PackageModel>(new PackageModel());
  m->options_ = options;
  if (options.threads < 0) return InvalidArgument("threads must be >= 0, got ", options.threads);
  m->pool_ = std::make_unique<ThreadPool>(options.threads > 0 ? options.threads : ThreadPool::HardwareThreads());
  ANEMLL_ASSIGN_OR_RETURN(m->folder_, OpenPackageFolder(path));
  ANEMLL_RETURN_IF_ERROR(m->Load());
  return m;
}

Result<mil::Model*> PackageModel::ReadModel(const fs::path& pkg) {
  for (auto& [p, model] : models_) {
    if (p == pkg) return model.get();
  }
  ANEMLL_ASSIGN_OR_RETURN(mil::Model model, mil::coreml::ReadPackage(pkg));
  models_.emplace_back(pkg, std::make_unique<mil::Model>(std::move(model)));
  return models_.back().second.get();
}

Result<Executable*> PackageModel::Compile(const fs::path& pkg, const std::string& function) {
  ANEMLL_ASSIGN_OR_RETURN(mil::Model * model, ReadModel(pkg));
  Options o;
  o.precision = options_.precision;
  o.lut_dot = options_.lut_dot;
  o.fuse_ops = options_.fuse_ops;
  o.pool = pool_.get();
  auto exe = Executable::Compile(*model, function, o);
  if (!exe.ok()) return exe.status().WithContext(StrCat(pkg.filename().string(), " function ", function));
  executables_.push_back(std::move(*exe));
  return executables_.back().get();
}

Status PackageModel::Load() {
  const FolderMeta& meta = folder_.meta;
  const std::string meta_file = folder_.meta_file.string();
  // The functions each package holds, by name.
  auto functions_of = [&](const fs::path& pkg) -> Result<std::vector<std::string>> {
    ANEMLL_ASSIGN_OR_RETURN(mil::Model * model, ReadModel(pkg));
    std::vector<std::string> names;
    for (const auto& [name, fn] : model->program.functions) names.push_back(name);
    return names;
  };
  auto compile_stage = [&](const fs::path& main, const fs::path& rotate) -> Result<Stage> {
    Stage s;
    ANEMLL_ASSIGN_OR_RETURN(std::vector<std::string> names, functions_of(main));
    auto has = [&](const std::vector<std::string>& v, const char* n) { return std::count(v.begin(), v.end(), n) > 0; };
    if (!has(names, "infer")) {
      return InvalidArgument(main.filename().string(), ": no 'infer' function (functions: ",
                             names.empty() ? std::string("none") : names.front(), names.size() > 1 ? ", ..." : "",
                             ")");
    }
    ANEMLL_ASSIGN_OR_RETURN(s.infer, Compile(main, "infer"));
    if (has(names, "prefill")) {
      ANEMLL_ASSIGN_OR_RETURN(s.prefill, Compile(main, "prefill"));
    }
    const fs::path& rot = rotate.empty() ? main : rotate;
    ANEMLL_ASSIGN_OR_RETURN(std::vector<std::string> rot_names, functions_of(rot));
    if (has(rot_names, "infer_rotate")) {
      ANEMLL_ASSIGN_OR_RETURN(s.infer_rotate, Compile(rot, "infer_rotate"));
    }
    if (has(rot_names, "prefill_rotate")) {
      ANEMLL_ASSIGN_OR_RETURN(s.prefill_rotate, Compile(rot, "prefill_rotate"));
    }
    if (!rotate.empty() && !s.infer_rotate) {
      return InvalidArgument(rotate.filename().string(), ": split-rotate package without 'infer_rotate'");
    }
    return s;
  };

  const mil::Model* head_model = nullptr;
  if (meta.monolithic) {
    ANEMLL_ASSIGN_OR_RETURN(Stage s, compile_stage(folder_.monolithic, {}));
    chunks_.push_back(s);
    ANEMLL_ASSIGN_OR_RETURN(head_model, ReadModel(folder_.monolithic));
    weight_bytes_per_token_ = WeightBytesRead(head_model->program.functions.at("infer"));
  } else {
    ANEMLL_ASSIGN_OR_RETURN(embeddings_, Compile(folder_.embeddings, "main"));
    ANEMLL_ASSIGN_OR_RETURN(lm_head_, Compile(folder_.lm_head, "main"));
    ANEMLL_ASSIGN_OR_RETURN(mil::Model * emb, ReadModel(folder_.embeddings));
    ANEMLL_ASSIGN_OR_RETURN(head_model, ReadModel(folder_.lm_head));
    weight_bytes_per_token_ = WeightBytesRead(emb->program.functions.at("main")) +
                              WeightBytesRead(head_model->program.functions.at("main"));
    for (const ChunkPackages& c : folder_.chunks) {
      ANEMLL_ASSIGN_OR_RETURN(Stage s, compile_stage(c.main, c.rotate));
      chunks_.push_back(s);
      ANEMLL_ASSIGN_OR_RETURN(mil::Model * cm, ReadModel(c.main));
      weight_bytes_per_token_ += WeightBytesRead(cm->program.functions.at("infer"));
    }
  }
  rotates_ = chunks_.front().infer_rotate != nullptr;
  for (const Stage& s : chunks_) {
    if ((s.infer_rotate != nullptr) != rotates_) {
      return InvalidArgument(meta_file, ": some FFN chunks have rotate functions and others do not");
    }
  }
  window_ = meta.sliding_window.value_or(0);
  if (rotates_ && window_ <= 0) {
    return InvalidArgument(meta_file, ": model_info.parameters.sliding_window: needed by the rotate functions");
  }
  mask_width_ = meta.attention_size.value_or(std::max(meta.state_length, rotates_ ? window_ : 0));

  // The mask width the packages expect: the infer function's causal_mask [1,1,1,W].
  const Executable& infer = *chunks_.front().infer;
  for (size_t i = 0; i < infer.input_names().size(); ++i) {
    if (infer.input_names()[i] != "causal_mask") continue;
    const std::vector<int64_t>& shape = infer.input_type(i).shape;
    if (shape.size() == 4 && shape[3] > 0) mask_width_ = shape[3];
  }
  if (mask_width_ < meta.context_length) {
    return InvalidArgument(meta_file, ": causal_mask width ", mask_width_, " is below context_length ",
                           meta.context_length);
  }

  // Vocabulary: the LM head's outputs (logits slices, or argmax with meta's slice sizes).
  const Executable& head = meta.monolithic ? *chunks_.front().infer : *lm_head_;
  int64_t logits_vocab = 0;
  bool argmax = false;
  for (const std::string& out : head.output_names()) {
    if (out == "argmax_idx") argmax = true;
  }
  if (argmax) {
    std::vector<int64_t> sizes = meta.lm_head_chunk_sizes;
    if (sizes.empty() && meta.vocab_size) {
      // ANEMLL's fallback: V div N per slice, the first V mod N slices one more.
      const int64_t n = meta.split_lm_head, v = *meta.vocab_size;
      for (int64_t k = 0; k < n; ++k) sizes.push_back(v / n + (k < v % n ? 1 : 0));
    }
    if (sizes.empty()) {
      return InvalidArgument(meta_file, ": model_info.parameters.lm_head_chunk_sizes: needed for argmax_in_model "
                                        "(or vocab_size)");
    }
    int64_t offset = 0;
    for (int64_t s : sizes) {
      slice_offsets_.push_back(offset);
      offset += s;
    }
    logits_vocab = offset;
  } else {
    // Sum of the logits slices' last dims, read from the LM head model's declared outputs is not
    // possible before a run for every package, so it is measured on the first call; meta's
    // vocab_size (when present) is checked against it then.
    logits_vocab = meta.vocab_size.value_or(0);
  }
  vocab_size_ = logits_vocab;
  if (vocab_size_ == 0) {
    // Run the head once on zeros to learn the vocabulary size.
    PackageSession probe(*this);
    ANEMLL_ASSIGN_OR_RETURN(std::vector<float> logits, probe.Prefill(std::vector<int32_t>{0}));
    vocab_size_ = static_cast<int64_t>(logits.size());
  }
  return Status::Ok();
}

std::unique_ptr<PackageSession> PackageModel::NewSession() const { return std::make_unique<PackageSession>(*this); }

PackageSession::PackageSession(const PackageModel& model) : model_(model) {
  const int64_t W = model.mask_width_, C = model.meta().state_length, B = model.batch_size();
  auto make = [&](Inputs& in, int64_t S) {
    in.ids = Tensor(mil::DType::kInt32, {1, S});
    in.positions = Tensor(mil::DType::kInt32, {S});
    in.mask = Tensor(mil::DType::kFp16, {1, 1, S, W});
    in.current_pos = Tensor(mil::DType::kInt32, {1});
    in.update_mask = Tensor(mil::DType::kFp16, {1, 1, C, S});
  };
  make(single_, 1);
  make(batch_, B);
  stage_out_.resize(model.chunks_.size());
}

void PackageSession::Reset() {
  states_.Reset();
  tokens_.clear();
}

void PackageSession::FillInputs(int64_t pos, const int32_t* ids, int64_t count) {
  Inputs& in = count == 1 ? single_ : batch_;
  const int64_t W = model_.mask_width_, C = model_.meta().state_length;
  for (int64_t k = 0; k < count; ++k) {
    SetInt(in.ids, k, ids[k]);
    SetInt(in.positions, k, static_cast<int32_t>(pos + k));
    // Additive causal mask row of absolute position pos + k: 0 up to it, -inf after.
    for (int64_t j = 0; j < W; ++j) SetFloat(in.mask, k * W + j, j <= pos + k ? kHalfZero : kHalfMinusInf);
  }
  SetInt(in.current_pos, 0, static_cast<int32_t>(pos));
  if (model_.meta().update_mask_prefill && count > 1) {
    for (int64_t r = 0; r < C * count; ++r) SetFloat(in.update_mask, r, kHalfZero);
    for (int64_t k = 0; k < count; ++k) SetFloat(in.update_mask, (pos + k) * count + k, kHalfOne);
  }
}

Status PackageSession::RunStage(Executable* exe, const Tensor* hidden_in, int64_t pos, int64_t count,
                                std::vector<Tensor>* out) {
  const bool prefill = count > 1;
  Inputs& in = count == 1 ? single_ : batch_;
  std::vector<const Tensor*> args;
  args.reserve(exe->input_names().size());
  for (const std::string& name : exe->input_names()) {
    ANEMLL_ASSIGN_OR_RETURN(InputKind kind, KindOf(name, *exe));
    switch (kind) {
      case InputKind::kIds: args.push_back(&in.ids); break;
      case InputKind::kHidden:
        if (!hidden_in) return InvalidArgument("function ", exe->name(), ": input hidden_states has no producer");
        args.push_back(hidden_in);
        break;
      case InputKind::kPositions: args.push_back(&in.positions); break;
      case InputKind::kMask: args.push_back(&in.mask); break;
      case InputKind::kCurrentPos: args.push_back(&in.current_pos); break;
      case InputKind::kUpdateMask:
        if (!prefill || !model_.meta().update_mask_prefill) {
          // Legacy infer with an update mask: one-hot [1,1,C,1] at the position.
          for (int64_t r = 0; r < in.update_mask.num_elements(); ++r) SetFloat(in.update_mask, r, kHalfZero);
          if (count == 1) SetFloat(in.update_mask, pos, kHalfOne);
        }
        args.push_back(&in.update_mask);
        break;
    }
  }
  return exe->Run(args, states_, out);
}

Status PackageSession::ReadLogits(const std::vector<Tensor>& outputs, const Executable& exe) {
  const int64_t V = model_.vocab_size_;
  const std::vector<std::string>& names = exe.output_names();
  auto find = [&](const std::string& n) -> const Tensor* {
    for (size_t i = 0; i < names.size(); ++i) {
      if (names[i] == n) return &outputs[i];
    }
    return nullptr;
  };
  if (const Tensor* idx = find("argmax_idx")) {
    const Tensor* val = find("argmax_val");
    if (!val) return InvalidArgument(exe.name(), ": argmax_idx without argmax_val");
    const int64_t n = std::min<int64_t>(idx->num_elements(), static_cast<int64_t>(model_.slice_offsets_.size()));
    int64_t best = 0;
    for (int64_t k = 1; k < n; ++k) {
      if (val->FloatAt(k) > val->FloatAt(best)) best = k;  // first maximum wins
    }
    const int64_t id = model_.slice_offsets_[static_cast<size_t>(best)] + idx->IntAt(best);
    if (id < 0 || id >= V) return InvalidArgument(exe.name(), ": argmax id ", id, " outside the vocabulary of ", V);
    logits_.assign(static_cast<size_t>(V), -std::numeric_limits<float>::infinity());
    logits_[static_cast<size_t>(id)] = val->FloatAt(best);
    return Status::Ok();
  }
  logits_.clear();
  auto append = [&](const Tensor& t) {
    const size_t at = logits_.size();
    logits_.resize(at + static_cast<size_t>(t.num_elements()));
    if (t.dtype() == mil::DType::kFp16) {
      kernels::HalfToFloat(reinterpret_cast<const uint16_t*>(t.data()), logits_.data() + at,
                           static_cast<size_t>(t.num_elements()));
    } else {
      std::memcpy(logits_.data() + at, t.data(), static_cast<size_t>(t.num_elements()) * sizeof(float));
    }
  };
  if (const Tensor* single = find("logits")) {
    append(*single);
  } else {
    for (int k = 1;; ++k) {
      const Tensor* part = find(StrCat("logits", k));
      if (!part) break;
      append(*part);
    }
  }
  if (logits_.empty()) return InvalidArgument(exe.name(), ": no logits outputs (logits1..N, logits or argmax_idx)");
  if (V > 0 && static_cast<int64_t>(logits_.size()) != V) {
    return InvalidArgument(exe.name(), ": logits have ", logits_.size(), " entries but vocab_size is ", V);
  }
  return Status::Ok();
}

Result<bool> PackageSession::Run(int64_t pos, const int32_t* ids, int64_t count, bool want_logits) {
  const int64_t C = model_.context_length();
  if (pos + count > C) {
    return InvalidArgument("position ", pos + count, " beyond the context of ", C, " tokens");
  }
  const int64_t V = model_.vocab_size_;
  for (int64_t k = 0; k < count; ++k) {
    if (ids[k] < 0 || (V > 0 && ids[k] >= V)) {
      return InvalidArgument("token id ", ids[k], " at position ", pos + k, " is outside the vocabulary of ", V);
    }
  }
  const bool prefill = count > 1;
  const bool rotate = model_.rotates_ && pos >= model_.window_;
  FillInputs(pos, ids, count);
  Inputs& in = prefill ? batch_ : single_;
  const Tensor* hidden = nullptr;
  if (model_.embeddings_) {
    std::vector<const Tensor*> args = {&in.ids};
    ANEMLL_RETURN_IF_ERROR(model_.embeddings_->Run(args, states_, &embed_out_));
    hidden = &embed_out_.front();
  }
  Executable* last = nullptr;
  for (size_t c = 0; c < model_.chunks_.size(); ++c) {
    const PackageModel::Stage& s = model_.chunks_[c];
    Executable* exe = prefill ? (rotate ? s.prefill_rotate : s.prefill) : (rotate ? s.infer_rotate : s.infer);
    if (!exe) return Internal("no ", prefill ? "prefill" : "infer", rotate ? "_rotate" : "", " function");
    ANEMLL_RETURN_IF_ERROR(RunStage(exe, hidden, pos, count, &stage_out_[c]));
    // Chunks chain through output_hidden_states.
    const std::vector<std::string>& outs = exe->output_names();
    for (size_t k = 0; k < outs.size(); ++k) {
      if (outs[k] == "output_hidden_states") hidden = &stage_out_[c][k];
    }
    last = exe;
  }
  if (pos == position()) tokens_.insert(tokens_.end(), ids, ids + count);
  if (!want_logits) return false;
  if (model_.lm_head_) {
    std::vector<const Tensor*> args = {hidden};
    ANEMLL_RETURN_IF_ERROR(model_.lm_head_->Run(args, states_, &head_out_));
    ANEMLL_RETURN_IF_ERROR(ReadLogits(head_out_, *model_.lm_head_));
    return true;
  }
  // Monolithic: logits come from the function itself (a Gemma prefill returns a hidden state).
  const std::vector<std::string>& outs = last->output_names();
  const bool has_logits = std::any_of(outs.begin(), outs.end(), [](const std::string& n) {
    return n.rfind("logits", 0) == 0 || n == "argmax_idx";
  });
  if (!has_logits) return false;
  ANEMLL_RETURN_IF_ERROR(ReadLogits(stage_out_.front(), *last));
  return true;
}

Status PackageSession::Feed(std::span<const int32_t> tokens, const LogitsCallback& on_logits) {
  const int64_t B = model_.batch_size(), W = model_.window_;
  const bool batches = model_.meta().batch_prefill() && B > 1 && model_.chunks_.front().prefill;
  size_t i = 0;
  while (i < tokens.size()) {
    const int64_t pos = position();
    const bool full = i + static_cast<size_t>(B) <= tokens.size() && pos + B <= model_.context_length();
    // A batch may not straddle the end of the window (the switch from filling to rotating).
    const bool straddles = model_.rotates_ && pos < W && pos + B > W;
    const bool has_fn = !(model_.rotates_ && pos >= W) || model_.chunks_.front().prefill_rotate;
    const int64_t count = batches && full && !straddles && has_fn ? B : 1;
    ANEMLL_ASSIGN_OR_RETURN(bool produced, Run(pos, tokens.data() + i, count, static_cast<bool>(on_logits)));
    if (produced) on_logits(position() - 1, logits_);
    i += static_cast<size_t>(count);
  }
  return Status::Ok();
}

Result<std::vector<float>> PackageSession::Prefill(std::span<const int32_t> tokens) {
  if (tokens.empty()) return InvalidArgument("prefill: no tokens");
  if (position() + static_cast<int64_t>(tokens.size()) > model_.context_length()) {
    return InvalidArgument("prefill: ", tokens.size(), " tokens at position ", position(), " exceed the context of ",
                      model_.context_length(), " tokens");
  }
  const int64_t last = position() + static_cast<int64_t>(tokens.size()) - 1;
  if (model_.rotates_ && last >= model_.window_) {
    // Past the window a re-run would rotate the local cache twice: the last token runs once.
    ANEMLL_RETURN_IF_ERROR(Feed(tokens.first(tokens.size() - 1)));
    ANEMLL_RETURN_IF_ERROR(Run(last, &tokens.back(), 1, true).status());
    return logits_;
  }
  // As ANEMLL's hosts do: all tokens through batch prefill (+ infer for the tail), then the last
  // one once more through infer (rewriting its own cache entries) for its logits — cheaper than
  // sending up to B-1 tokens through infer one by one.
  ANEMLL_RETURN_IF_ERROR(Feed(tokens));
  ANEMLL_RETURN_IF_ERROR(Run(last, &tokens.back(), 1, true).status());
  return logits_;
}

Result<std::vector<float>> PackageSession::Step(int32_t token) {
  ANEMLL_RETURN_IF_ERROR(Run(position(), &token, 1, true).status());
  return logits_;
}

}  // namespace anemll::runtime
