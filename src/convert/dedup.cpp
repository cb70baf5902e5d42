#include "convert/dedup.h"

#include <cmath>
#include <cstring>
#include <map>
#include <memory>

#include "mil/coreml/package.h"

namespace anemll::convert {
namespace {

using mil::DType;
using mil::Literal;
using mil::Operation;

constexpr double kDefaultStrictMaxAbs = 0.01;  // ANEMLL's --strict bound

// A constexpr_lut_to_dense op of a function and where its indices and LUT literals live.
struct LutWeight {
  Operation* op = nullptr;
  std::string key;
  bool in_attributes = false;  // iOS16/17: parameters are attributes; iOS18: inline input literals
  std::shared_ptr<const Literal> indices, lut;
  bool ios16_form = false;     // packed 1-D indices + "shape" parameter
};

// A dense blob constant (const op) of a function.
struct DenseConst {
  const Operation* op = nullptr;
  std::string key;
  const Literal* value = nullptr;
};

struct FunctionConsts {
  std::vector<LutWeight> lut_weights;
  std::vector<DenseConst> dense;
};

std::shared_ptr<const Literal> LiteralParam(const Operation& op, const std::string& param, bool* in_attributes) {
  auto it = op.inputs.find(param);
  if (it != op.inputs.end()) {
    if (it->second.size() == 1 && it->second[0].is_literal() && it->second[0].literal) {
      *in_attributes = false;
      return it->second[0].literal;
    }
    return nullptr;  // bound to another op's output: not a constant we can share
  }
  auto at = op.attributes.find(param);
  if (at != op.attributes.end()) {
    *in_attributes = true;
    return std::make_shared<const Literal>(at->second);
  }
  return nullptr;
}

bool IsBlobFloat(const Literal& lit) {
  const DType d = lit.type.tensor.dtype;
  return lit.type.kind == mil::ValueType::Kind::kTensor && mil::IsFloat(d) && lit.num_elements() >= mil::coreml::kMinBlobElements;
}

void Collect(mil::Block& block, FunctionConsts* out) {
  for (Operation& op : block.operations) {
    if (op.type == "constexpr_lut_to_dense") {
      LutWeight w;
      w.op = &op;
      w.key = NormalizedConstKey(op.name);
      bool attr_i = false, attr_l = false;
      w.indices = LiteralParam(op, "indices", &attr_i);
      w.lut = LiteralParam(op, "lut", &attr_l);
      if (w.indices && w.lut && attr_i == attr_l) {
        w.in_attributes = attr_i;
        w.ios16_form = op.inputs.count("shape") > 0 || op.attributes.count("shape") > 0;
        out->lut_weights.push_back(std::move(w));
      }
    } else if (op.type == "const") {
      auto it = op.attributes.find("val");
      if (it != op.attributes.end() && IsBlobFloat(it->second)) {
        out->dense.push_back({&op, NormalizedConstKey(op.name), &it->second});
      }
    }
    for (mil::Block& nested : op.blocks) Collect(nested, out);
  }
}

// Element i of a packed LSB-first stream of `bits`-wide unsigned integers.
inline uint32_t PackedIndex(const uint8_t* bytes, size_t size, int bits, int64_t i) {
  if (bits == 8) return bytes[i];
  const uint64_t pos = static_cast<uint64_t>(i) * static_cast<uint64_t>(bits);
  const size_t byte = static_cast<size_t>(pos >> 3);
  uint32_t word = bytes[byte];
  if (byte + 1 < size) word |= static_cast<uint32_t>(bytes[byte + 1]) << 8;
  return (word >> (pos & 7)) & ((1u << bits) - 1u);
}

// A palettized tensor ready to dequantize: value[p] = lut[group(p)][indices[p]].
struct LutView {
  std::vector<int64_t> shape;   // indices (= output) shape
  std::vector<int64_t> block;   // per dim: positions sharing one LUT coordinate (I_d / g_d)
  std::vector<int64_t> gstride; // per dim: stride of the LUT coordinate in group units
  int bits = 0;
  int64_t entries = 0;          // 2^bits
  int64_t elements = 0;
  const uint8_t* idx = nullptr;
  size_t idx_size = 0;
  std::vector<double> table;    // [groups * entries]
};

Result<LutView> ViewOf(const LutWeight& w) {
  if (w.ios16_form) return Unsupported("iOS16-form constexpr_lut_to_dense (packed indices + shape)");
  const Literal& ind = *w.indices;
  const Literal& lut = *w.lut;
  LutView v;
  v.bits = mil::DTypeBits(ind.type.tensor.dtype);
  const DType id = ind.type.tensor.dtype;
  if (id != DType::kUInt1 && id != DType::kUInt2 && id != DType::kUInt3 && id != DType::kUInt4 &&
      id != DType::kUInt6 && id != DType::kUInt8) {
    return InvalidArgument("indices dtype ", mil::DTypeName(id), " is not uint1/2/3/4/6/8");
  }
  const DType ld = lut.type.tensor.dtype;
  if (ld != DType::kFp16 && ld != DType::kFp32 && ld != DType::kInt8 && ld != DType::kUInt8) {
    return InvalidArgument("lut dtype ", mil::DTypeName(ld), " is not fp16/fp32/int8/uint8");
  }
  v.shape = ind.type.tensor.shape;
  const auto& ls = lut.type.tensor.shape;
  const size_t K = v.shape.size();
  v.entries = int64_t{1} << v.bits;
  if (ind.type.tensor.has_unknown_dims() || lut.type.tensor.has_unknown_dims() || ls.size() != K + 2) {
    return InvalidArgument("lut rank ", ls.size(), " is not indices rank ", K, " + 2");
  }
  if (ls[K] != v.entries) return InvalidArgument("lut has ", ls[K], " entries per table, expected 2^", v.bits);
  if (ls[K + 1] != 1) return Unsupported("vector LUTs (vector size ", ls[K + 1], ")");
  v.block.resize(K);
  v.gstride.assign(K, 0);
  int64_t groups = 1;
  for (size_t d = K; d-- > 0;) {
    if (ls[d] <= 0 || v.shape[d] % ls[d] != 0) {
      return InvalidArgument("lut dim ", d, " (", ls[d], ") does not divide indices dim ", v.shape[d]);
    }
    v.block[d] = v.shape[d] / ls[d];
    v.gstride[d] = groups;
    groups *= ls[d];
  }
  v.elements = ind.num_elements();
  const size_t need = static_cast<size_t>((v.elements * v.bits + 7) / 8);
  if (!ind.data || ind.data->size() < need) {
    return InvalidArgument("indices hold ", ind.data ? ind.data->size() : 0, " bytes, expected ", need);
  }
  const size_t lut_need = static_cast<size_t>(lut.num_elements()) * static_cast<size_t>(mil::DTypeBits(ld) / 8);
  if (!lut.data || lut.data->size() < lut_need) {
    return InvalidArgument("lut holds ", lut.data ? lut.data->size() : 0, " bytes, expected ", lut_need);
  }
  v.idx = ind.data->data();
  v.idx_size = ind.data->size();
  v.table.resize(static_cast<size_t>(lut.num_elements()));
  for (int64_t i = 0; i < lut.num_elements(); ++i) v.table[static_cast<size_t>(i)] = lut.GetDouble(i);
  return v;
}

struct Metrics {
  double cosine = 1.0, mean_abs = 0.0, max_abs = 0.0;
};

// Dequantizes both tensors (same indices and LUT shapes) position by position in float64.
Metrics Compare(const LutView& a, const LutView& b) {
  const size_t K = a.shape.size();
  std::vector<int64_t> pos(K, 0);
  double dot = 0, na = 0, nb = 0, sum_abs = 0, max_abs = 0;
  for (int64_t i = 0; i < a.elements; ++i) {
    int64_t group = 0;
    for (size_t d = 0; d < K; ++d) group += (pos[d] / a.block[d]) * a.gstride[d];
    const double x = a.table[static_cast<size_t>(group * a.entries + PackedIndex(a.idx, a.idx_size, a.bits, i))];
    const double y = b.table[static_cast<size_t>(group * b.entries + PackedIndex(b.idx, b.idx_size, b.bits, i))];
    dot += x * y;
    na += x * x;
    nb += y * y;
    const double diff = std::fabs(x - y);
    sum_abs += diff;
    if (!(diff <= max_abs)) max_abs = diff;  // also carries a NaN through
    for (size_t d = K; d-- > 0;) {  // row-major increment
      if (++pos[d] < a.shape[d]) break;
      pos[d] = 0;
    }
  }
  Metrics m;
  if (na == 0 && nb == 0) {
    m.cosine = 1.0;
  } else if (na == 0 || nb == 0) {
    m.cosine = 0.0;
  } else {
    m.cosine = dot / std::sqrt(na * nb);
  }
  m.mean_abs = a.elements > 0 ? sum_abs / static_cast<double>(a.elements) : 0.0;
  m.max_abs = max_abs;
  return m;
}

bool SameType(const Literal& a, const Literal& b) { return a.type == b.type; }

uint64_t LiteralBytes(const Literal& l) { return l.data ? l.data->size() : 0; }

// Makes the target op use the anchor's literals (the same Buffers, so one blob each). Works across
// forms: an attribute copy of a literal still references the anchor's buffers.
void PointAt(LutWeight& target, const LutWeight& anchor) {
  Operation& op = *target.op;
  if (target.in_attributes) {
    op.attributes["indices"] = *anchor.indices;
    op.attributes["lut"] = *anchor.lut;
  } else {
    op.inputs["indices"] = {mil::Argument{std::string(), anchor.indices}};
    op.inputs["lut"] = {mil::Argument{std::string(), anchor.lut}};
  }
  target.indices = anchor.indices;
  target.lut = anchor.lut;
}

DedupDecision Decide(const std::string& function, LutWeight& target, const LutWeight& anchor, const DedupOptions& o) {
  DedupDecision d;
  d.function = function;
  d.key = target.key;
  d.target_op = target.op->name;
  d.anchor_op = anchor.op->name;
  d.elements = target.indices->num_elements();
  d.bytes = LiteralBytes(*target.indices) + LiteralBytes(*target.lut);
  if (!SameType(*target.indices, *anchor.indices) || !SameType(*target.lut, *anchor.lut) ||
      target.ios16_form != anchor.ios16_form) {
    d.reason = DedupReason::kRejectedShape;
    d.detail = StrCat("indices ", mil::DTypeName(target.indices->type.tensor.dtype), " vs ",
                      mil::DTypeName(anchor.indices->type.tensor.dtype), ", shapes differ or dtypes differ");
    return d;
  }
  if (target.indices->SameValue(*anchor.indices) && target.lut->SameValue(*anchor.lut)) {
    d.reason = DedupReason::kIdentical;
    PointAt(target, anchor);  // share the very buffers
    return d;
  }
  auto tv = ViewOf(target);
  auto av = ViewOf(anchor);
  if (!tv.ok() || !av.ok()) {
    d.reason = DedupReason::kRejectedDeqFail;
    d.detail = (!tv.ok() ? tv.status() : av.status()).message();
    return d;
  }
  const Metrics m = Compare(*av, *tv);
  d.cosine = m.cosine;
  d.mean_abs = m.mean_abs;
  d.max_abs = m.max_abs;
  std::optional<double> max_bound = o.max_abs_threshold;
  if (o.strict && !max_bound) max_bound = kDefaultStrictMaxAbs;
  const bool close = m.cosine >= o.cos_threshold && m.mean_abs <= o.mean_abs_threshold &&
                     (!max_bound || m.max_abs <= *max_bound);
  if (!close) {
    d.reason = DedupReason::kRejectedThreshold;
    return d;
  }
  PointAt(target, anchor);
  d.reason = DedupReason::kDeqClose;
  return d;
}

// Key -> entries in program order (a key may repeat; its k-th use pairs with the anchor's k-th).
template <typename T>
std::map<std::string, std::vector<T*>> ByKey(std::vector<T>& items) {
  std::map<std::string, std::vector<T*>> m;
  for (T& item : items) m[item.key].push_back(&item);
  return m;
}

}  // namespace

const char* DedupReasonName(DedupReason r) {
  switch (r) {
    case DedupReason::kIdentical: return "identical";
    case DedupReason::kDeqClose: return "deq_close";
    case DedupReason::kRejectedThreshold: return "rejected_threshold";
    case DedupReason::kRejectedShape: return "rejected_shape";
    case DedupReason::kRejectedDeqFail: return "rejected_deq_fail";
  }
  return "?";
}

int64_t DedupReport::count(DedupReason reason) const {
  int64_t n = 0;
  for (const DedupDecision& d : decisions) n += d.reason == reason;
  return n;
}

std::string NormalizedConstKey(const std::string& name) {
  size_t end = name.size();
  while (end > 0 && name[end - 1] >= '0' && name[end - 1] <= '9') --end;
  // Keep names that are only a suffix ("_12"): an empty key would match unrelated constants.
  if (end == name.size() || end <= 1 || name[end - 1] != '_') return name;
  return name.substr(0, end - 1);
}

Status ValidateDedupOptions(const DedupOptions& o) {
  if (!std::isfinite(o.cos_threshold) || o.cos_threshold < -1.0 || o.cos_threshold > 1.0) {
    return InvalidArgument("--cos-threshold ", o.cos_threshold, ": must be in [-1, 1]");
  }
  if (!std::isfinite(o.mean_abs_threshold) || o.mean_abs_threshold < 0) {
    return InvalidArgument("--mean-abs-threshold ", o.mean_abs_threshold, ": must be a non-negative number");
  }
  if (o.max_abs_threshold && (!std::isfinite(*o.max_abs_threshold) || *o.max_abs_threshold < 0)) {
    return InvalidArgument("--max-abs-threshold ", *o.max_abs_threshold, ": must be a non-negative number");
  }
  return Status::Ok();
}

std::vector<std::string> FunctionOrder(const mil::Model& model) {
  std::vector<std::string> names;
  for (const mil::FunctionDescription& f : model.description.functions) {
    if (model.program.functions.count(f.name)) names.push_back(f.name);
  }
  for (const auto& [name, fn] : model.program.functions) {
    bool listed = false;
    for (const std::string& n : names) listed = listed || n == name;
    if (!listed) names.push_back(name);
  }
  return names;
}

Result<DedupReport> DedupFunctions(mil::Model* model, const DedupOptions& options) {
  ANEMLL_RETURN_IF_ERROR(ValidateDedupOptions(options));
  DedupReport report;
  const std::vector<std::string> order = FunctionOrder(*model);
  if (order.empty()) return InvalidArgument("the program has no functions");
  report.anchor = options.anchor.empty() ? order.front() : options.anchor;
  auto anchor_it = model->program.functions.find(report.anchor);
  if (anchor_it == model->program.functions.end()) {
    std::string have;
    for (const std::string& n : order) have += (have.empty() ? "" : ", ") + n;
    return NotFound("anchor function \"", report.anchor, "\" does not exist (functions: ", have, ")");
  }
  FunctionConsts anchor;
  Collect(anchor_it->second.block, &anchor);
  auto anchor_luts = ByKey(anchor.lut_weights);
  auto anchor_dense = ByKey(anchor.dense);

  for (const std::string& name : order) {
    if (name == report.anchor) continue;
    report.targets.push_back(name);
    FunctionConsts target;
    Collect(model->program.functions[name].block, &target);
    std::map<std::string, size_t> used;  // key -> anchor entries consumed
    for (LutWeight& w : target.lut_weights) {
      auto it = anchor_luts.find(w.key);
      const size_t k = used[w.key]++;
      if (it == anchor_luts.end() || k >= it->second.size()) {
        ++report.unmatched;
        continue;
      }
      DedupDecision d = Decide(name, w, *it->second[k], options);
      ++report.examined;
      switch (d.reason) {
        case DedupReason::kIdentical: ++report.identical; break;
        case DedupReason::kDeqClose: ++report.replaced; break;
        default: ++report.rejected; break;
      }
      report.decisions.push_back(std::move(d));
    }
    std::map<std::string, size_t> used_dense;
    for (DenseConst& c : target.dense) {
      auto it = anchor_dense.find(c.key);
      const size_t k = used_dense[c.key]++;
      if (it == anchor_dense.end() || k >= it->second.size()) continue;
      if (c.value->SameValue(*it->second[k]->value)) {
        ++report.dense_identical;
      } else {
        ++report.dense_different;
      }
    }
  }
  return report;
}

}  // namespace anemll::convert
