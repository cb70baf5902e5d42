// The op table, transcribed from mil-ops-ios18.txt (same order; the registry lists squeeze and
// split twice, identically, and they appear once here). op_table_test parses the text file and
// checks every entry, so a transcription slip fails the build's tests.
#include "mil/op_table.h"

#include <algorithm>
#include <initializer_list>
#include <map>

namespace anemll::mil {
namespace {

constexpr DType Bool = DType::kBool, Str = DType::kString, F16 = DType::kFp16, F32 = DType::kFp32,
                I4 = DType::kInt4, I8 = DType::kInt8, I16 = DType::kInt16, I32 = DType::kInt32,
                U1 = DType::kUInt1, U2 = DType::kUInt2, U3 = DType::kUInt3, U4 = DType::kUInt4,
                U6 = DType::kUInt6, U8 = DType::kUInt8, U16 = DType::kUInt16;

enum Flags : unsigned { kConst = 1, kOpt = 2 };

ParamSpec MakeParam(const char* name, InputKind kind, unsigned flags, const char* default_text) {
  ParamSpec p;
  p.name = name;
  p.kind = kind;
  p.is_const = (flags & kConst) != 0;
  p.optional = (flags & kOpt) != 0;
  if (default_text) p.default_text = default_text;
  return p;
}

// A tensor parameter whose domain is a type variable of the op.
ParamSpec Var(const char* name, const char* var, unsigned flags = 0,
              const char* default_text = nullptr) {
  ParamSpec p = MakeParam(name, InputKind::kTensor, flags, default_text);
  p.type_var = var;
  return p;
}

// A tensor parameter with an explicit dtype list.
ParamSpec List(const char* name, std::initializer_list<DType> dtypes, unsigned flags = 0,
               const char* default_text = nullptr) {
  ParamSpec p = MakeParam(name, InputKind::kTensor, flags, default_text);
  p.dtypes = dtypes;
  return p;
}

ParamSpec Tuple(const char* name) { return MakeParam(name, InputKind::kTuple, 0, nullptr); }
ParamSpec State(const char* name) { return MakeParam(name, InputKind::kState, 0, nullptr); }
ParamSpec Internal(const char* name, unsigned flags) {
  return MakeParam(name, InputKind::kInternal, flags, nullptr);
}

OpSignature Op(const char* type, const char* defined_in, const char* first_opset,
               std::vector<TypeDomain> domains, std::vector<ParamSpec> params,
               bool in_registry = true) {
  OpSignature op;
  op.type = type;
  op.defined_in = defined_in;
  op.first_opset = first_opset;
  op.type_domains = std::move(domains);
  op.params = std::move(params);
  op.in_registry = in_registry;
  for (ParamSpec& p : op.params) {
    if (p.type_var.empty()) continue;
    for (const TypeDomain& d : op.type_domains) {
      if (d.name == p.type_var) p.dtypes = d.dtypes;
    }
  }
  return op;
}

std::vector<OpSignature> BuildTable() {
  return {
      Op("const", "iOS15", "iOS13", {},
         {Internal("val", kConst)}),
      Op("linear", "iOS17", "iOS13", {{"T", {F16, F32, I32}}, {"U", {F16, F32, I32}}},
         {Var("x", "T"), Var("weight", "U", kConst), Var("bias", "U", kConst | kOpt)}),
      Op("matmul", "iOS17", "iOS13", {{"T", {F16, F32, I32}}, {"U", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "U"), List("transpose_x", {Bool}, kConst | kOpt, "False"),
          List("transpose_y", {Bool}, kConst | kOpt, "False")}),
      Op("conv", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), Var("weight", "U"), Var("bias", "U", kOpt),
          List("strides", {I32}, kConst | kOpt), List("pad_type", {Str}, kConst | kOpt),
          List("pad", {I32}, kConst | kOpt), List("dilations", {I32}, kConst | kOpt),
          List("groups", {I32}, kConst | kOpt)}),
      Op("add", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("sub", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("mul", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("real_div", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("rsqrt", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), Var("epsilon", "U", kConst | kOpt)}),
      Op("sqrt", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("pow", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("reduce_mean", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt, "None"),
          List("keep_dims", {Bool}, kConst | kOpt, "False")}),
      Op("reduce_sum", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt, "None"),
          List("keep_dims", {Bool}, kConst | kOpt, "False")}),
      Op("reduce_max", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt, "None"),
          List("keep_dims", {Bool}, kConst | kOpt, "False")}),
      Op("softmax", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T"), List("axis", {I32}, kConst | kOpt, "-1")}),
      Op("layer_norm", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt), Var("gamma", "U", kConst | kOpt),
          Var("beta", "U", kConst | kOpt), Var("epsilon", "U", kConst | kOpt)}),
      Op("gelu", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T"), List("mode", {Str}, kConst | kOpt, "'EXACT'")}),
      Op("silu", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("sigmoid", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("tanh", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("exp", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("concat", "iOS15", "iOS13", {},
         {Tuple("values"), List("axis", {I32}, kConst),
          List("interleave", {Bool}, kConst | kOpt, "False")}),
      Op("split", "iOS15", "iOS13", {{"T", {F16, F32, I32, Bool}}},
         {Var("x", "T"), List("num_splits", {I32}, kConst | kOpt),
          List("split_sizes", {I32}, kConst | kOpt), List("axis", {I32}, kConst)}),
      Op("slice_by_index", "iOS17", "iOS13",
         {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}, {"U", {I8, I16, I32}}},
         {Var("x", "T"), Var("begin", "U"), Var("end", "U"),
          Var("stride", "U", kConst | kOpt, "None"),
          List("begin_mask", {Bool}, kConst | kOpt, "None"),
          List("end_mask", {Bool}, kConst | kOpt, "None"),
          List("squeeze_mask", {Bool}, kConst | kOpt, "None")}),
      Op("slice_by_size", "iOS17", "iOS13",
         {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}, {"U", {I8, I16, I32}}},
         {Var("x", "T"), Var("begin", "U"), Var("size", "U")}),
      Op("reshape", "iOS17", "iOS13",
         {{"T", {F16, F32, I8, U8, I16, U16, I32, Bool}}, {"U", {I8, I16, I32}}},
         {Var("x", "T"), Var("shape", "U")}),
      Op("transpose", "iOS17", "iOS13", {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}},
         {Var("x", "T"), List("perm", {I32}, kConst)}),
      Op("expand_dims", "iOS17", "iOS13", {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}},
         {Var("x", "T"), List("axes", {I32}, kConst)}),
      Op("squeeze", "iOS17", "iOS13", {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt, "None")}),
      Op("gather", "iOS17", "iOS13",
         {{"T", {F16, F32, I32, I16, U16, I8, U8}}, {"I", {I32, I16, U16, I8, U8}}},
         {Var("x", "T"), Var("indices", "I"), List("axis", {I32}, kConst | kOpt, "0"),
          List("batch_dims", {I32}, kConst | kOpt, "0"),
          List("validate_indices", {Bool}, kConst | kOpt, "False")}),
      Op("gather_along_axis", "iOS17", "iOS13",
         {{"T", {F16, F32, I32, I16, U16, I8, U8}}, {"I", {I32, I16, U16, I8, U8}}},
         {Var("x", "T"), Var("indices", "I"), List("axis", {I32}, kConst | kOpt, "0"),
          List("validate_indices", {Bool}, kConst | kOpt, "False")}),
      Op("cast", "iOS17", "iOS13", {{"T", {F16, F32, I8, U8, I16, U16, I32, Bool}}},
         {Var("x", "T"), List("dtype", {Str}, kConst)}),
      Op("clip", "iOS17", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T"), Var("alpha", "T", kConst), Var("beta", "T", kConst)}),
      Op("select", "iOS15", "iOS13", {{"T", {F16, F32, Bool, I32}}},
         {List("cond", {Bool}), Var("a", "T"), Var("b", "T")}),
      Op("greater_equal", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("less", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("band_part", "iOS15", "iOS13", {{"T", {F16, F32, I32, Bool}}},
         {Var("x", "T"), List("lower", {I32}, kConst | kOpt, "-1"),
          List("upper", {I32}, kConst | kOpt, "-1")}),
      Op("fill", "iOS15", "iOS13", {{"T", {F16, F32, I32, Bool}}},
         {List("shape", {I32}), Var("value", "T", kConst | kOpt, "0.0")}),
      Op("reduce_argmax", "iOS17", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axis", {I32}, kConst | kOpt, "-1"),
          List("keep_dims", {Bool}, kConst | kOpt, "False"),
          List("output_dtype", {Str}, kConst | kOpt, "'int32'")}),
      Op("topk", "iOS17", "iOS13",
         {{"T", {F16, F32, I8, I16, I32, U8, U16}}, {"K", {I8, I16, I32}}},
         {Var("x", "T"), Var("k", "K", kConst | kOpt), List("axis", {I32}, kConst | kOpt),
          List("ascending", {Bool}, kConst | kOpt), List("sort", {Bool}, kConst | kOpt),
          List("return_indices", {Bool}, kConst | kOpt),
          List("output_indices_dtype", {Str}, kConst | kOpt)}),
      Op("scaled_dot_product_attention", "iOS18", "iOS18",
         {{"T", {F16, F32}}, {"M", {Bool, F16, F32}}},
         {Var("query", "T"), Var("key", "T"), Var("value", "T"), Var("attn_mask", "M", kOpt)}),
      Op("read_state", "iOS18", "iOS18", {},
         {State("input")}),
      Op("constexpr_lut_to_dense", "iOS18", "iOS16",
         {{"IndicesT", {U1, U2, U3, U4, U6, U8}}, {"T", {I8, U8, F16, F32}}},
         {Var("indices", "IndicesT", kConst), Var("lut", "T", kConst),
          List("vector_axis", {I32}, kConst | kOpt)}),
      Op("constexpr_blockwise_shift_scale", "iOS18", "iOS18",
         {{"SrcT", {I4, U4, I8, U8, F16, F32}}, {"DstT", {F16, F32}},
          {"OffsetT", {I4, U4, I8, U8, F16, F32}}},
         {Var("data", "SrcT", kConst), Var("scale", "DstT", kConst),
          Var("offset", "OffsetT", kConst | kOpt)}),
      Op("constexpr_affine_dequantize", "iOS16", "iOS16",
         {{"SrcT", {U8, I8}}, {"ZeroPointT", {U8, I8, F32}}, {"DstT", {F16, F32}}},
         {Var("quantized_data", "SrcT", kConst), Var("zero_point", "ZeroPointT", kConst),
          Var("scale", "DstT", kConst), List("axis", {I32}, kConst)}),
      Op("sin", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("cos", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("slice_update", "iOS18", "iOS18",
         {{"T", {F16, F32, I8, I16, I32, U8, U16, Bool}}, {"U", {I8, I16, I32}}},
         {Var("x", "T"), Var("update", "T"), Var("begin", "U"), Var("end", "U"),
          Var("stride", "U", kConst | kOpt, "None"),
          List("begin_mask", {Bool}, kConst | kOpt, "None"),
          List("end_mask", {Bool}, kConst | kOpt, "None"),
          List("squeeze_mask", {Bool}, kConst | kOpt, "None")}),
      Op("equal", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("greater", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("less_equal", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("not_equal", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("logical_and", "iOS15", "iOS13", {{"T", {Bool}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("logical_not", "iOS15", "iOS13", {},
         {List("x", {Bool})}),
      Op("maximum", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("minimum", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("square", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T")}),
      Op("abs", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T")}),
      Op("log", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), Var("epsilon", "U", kConst | kOpt)}),
      Op("floor_div", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), Var("y", "T")}),
      Op("fill_like", "iOS16", "iOS16",
         {{"T", {F16, F32, I32, Bool}}, {"U", {F16, F32, I32, Bool}}},
         {Var("ref_tensor", "T"), Var("value", "U", kConst | kOpt, "0.0")}),
      Op("range_1d", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("end", "T"), Var("start", "T"), Var("step", "T")}),
      Op("tile", "iOS15", "iOS13", {{"T", {F16, F32, I32, Bool}}},
         {Var("x", "T"), List("reps", {I32})}),
      Op("argsort", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axis", {I32}, kConst | kOpt, "-1"),
          List("ascending", {Bool}, kConst | kOpt, "False")}),
      Op("cumsum", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axis", {I32}, kConst | kOpt, "0"),
          List("exclusive", {Bool}, kConst | kOpt, "False"),
          List("reverse", {Bool}, kConst | kOpt, "False")}),
      Op("erf", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("relu", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T")}),
      Op("batch_norm", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), Var("mean", "U", kConst), Var("variance", "U", kConst),
          Var("gamma", "U", kConst | kOpt, "None"), Var("beta", "U", kConst | kOpt, "None"),
          Var("epsilon", "U", kConst | kOpt, "1e-05")}),
      Op("constexpr_sparse_to_dense", "iOS18", "iOS16", {{"T", {I4, U4, I8, U8, F16, F32}}},
         {Var("nonzero_data", "T", kConst), List("mask", {U1}, kConst)}),
      Op("constexpr_cast", "iOS18", "iOS16", {},
         {List("source_val", {F16}, kConst), List("output_dtype", {Str}, kConst)}),
      Op("constexpr_lut_to_sparse", "iOS18", "iOS18",
         {{"IndicesT", {U1, U2, U3, U4, U6, U8}}, {"T", {I8, U8, F16, F32}}},
         {List("indices_mask", {U1}, kConst), Var("indices_nonzero_data", "IndicesT", kConst),
          Var("lut", "T", kConst), List("vector_axis", {I32}, kConst | kOpt)}),
      Op("constexpr_sparse_blockwise_shift_scale", "iOS18", "iOS18",
         {{"SrcT", {I4, U4, I8, U8, F16, F32}}, {"DstT", {F16, F32}},
          {"OffsetT", {I4, U4, I8, U8, F16, F32}}},
         {List("data_mask", {U1}, kConst), Var("nonzero_data", "SrcT", kConst),
          Var("scale", "DstT", kConst), Var("offset", "OffsetT", kConst | kOpt)}),
      Op("dequantize", "iOS17", "iOS17", {{"DstT", {F16, F32}}, {"SrcT", {U8, I8}}},
         {Var("input", "SrcT"), Var("zero_point", "SrcT", kConst | kOpt),
          Var("scale", "DstT", kConst), List("axis", {I32}, kConst | kOpt)}),
      Op("quantize", "iOS17", "iOS17", {{"SrcT", {F16, F32}}, {"DstT", {U8, I8}}},
         {Var("input", "SrcT"), Var("zero_point", "DstT", kConst | kOpt),
          Var("scale", "SrcT", kConst), List("axis", {I32}, kConst | kOpt),
          List("output_dtype", {Str}, kConst)}),
      Op("one_hot", "iOS15", "iOS13", {{"T", {F16, F32, I32, Bool}}},
         {List("indices", {I32}), List("one_hot_vector_size", {I32}),
          List("axis", {I32}, kConst | kOpt, "-1"), Var("on_value", "T", kConst | kOpt, "1"),
          Var("off_value", "T", kConst | kOpt, "0")}),
      Op("pad", "iOS15", "iOS13", {{"T", {F16, F32}}},
         {Var("x", "T"), List("pad", {I32}), List("mode", {Str}, kConst | kOpt, "'constant'"),
          Var("constant_val", "T", kConst | kOpt, "0.0")}),
      Op("stack", "iOS15", "iOS13", {},
         {Tuple("values"), List("axis", {I32}, kConst)}),
      Op("inverse", "iOS17", "iOS13", {{"T", {F16, F32}}, {"U", {F16, F32}}},
         {Var("x", "T"), Var("epsilon", "U", kConst | kOpt)}),
      Op("einsum", "iOS15", "iOS13", {},
         {Tuple("values"), List("equation", {Str}, kConst)}),

      // Not in the registry dump, but part of the iOS18 op set: write_state is the proto op that
      // coremltools' coreml_update_state lowers to (see coreml-format.md, section e);
      // reduce_min and logical_or/xor are the iOS15 siblings of reduce_max and logical_and.
      Op("write_state", "iOS18", "iOS18", {},
         {State("input"), MakeParam("data", InputKind::kTensor, 0, nullptr)}, false),
      Op("reduce_min", "iOS15", "iOS13", {{"T", {F16, F32, I32}}},
         {Var("x", "T"), List("axes", {I32}, kConst | kOpt, "None"),
          List("keep_dims", {Bool}, kConst | kOpt, "False")},
         false),
      Op("logical_or", "iOS15", "iOS13", {{"T", {Bool}}}, {Var("x", "T"), Var("y", "T")}, false),
      Op("logical_xor", "iOS15", "iOS13", {{"T", {Bool}}}, {Var("x", "T"), Var("y", "T")}, false),
  };
}

}  // namespace

bool ParamSpec::AllowsDType(DType dtype) const {
  return dtypes.empty() || std::find(dtypes.begin(), dtypes.end(), dtype) != dtypes.end();
}

const ParamSpec* OpSignature::Param(std::string_view name) const {
  for (const ParamSpec& p : params) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const TypeDomain* OpSignature::Domain(std::string_view name) const {
  for (const TypeDomain& d : type_domains) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const std::vector<OpSignature>& AllOps() {
  static const std::vector<OpSignature> kOps = BuildTable();
  return kOps;
}

const OpSignature* FindOp(std::string_view type) {
  static const std::map<std::string_view, const OpSignature*> kIndex = [] {
    std::map<std::string_view, const OpSignature*> index;
    for (const OpSignature& op : AllOps()) index.emplace(op.type, &op);
    return index;
  }();
  auto it = kIndex.find(type);
  return it == kIndex.end() ? nullptr : it->second;
}

std::string DTypeList(const std::vector<DType>& dtypes) {
  std::string out;
  for (DType d : dtypes) {
    if (!out.empty()) out += ", ";
    out += DTypeName(d);
  }
  return out;
}

}  // namespace anemll::mil
