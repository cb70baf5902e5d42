// The op table against the registry dump it was transcribed from (src/mil/mil-ops-ios18.txt):
// every op, parameter, type domain, flag and default must match.
#include "mil/op_table.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "support/test_support.h"

namespace anemll::mil {
namespace {

struct FileParam {
  std::string name, kind, type_var;
  std::vector<std::string> dtypes;
  bool is_const = false, optional = false;
  std::optional<std::string> default_text;
  bool operator==(const FileParam&) const = default;
};

struct FileOp {
  std::string type, defined_in, first_opset;
  std::vector<std::pair<std::string, std::vector<std::string>>> domains;
  std::vector<FileParam> params;
  bool operator==(const FileOp&) const = default;
};

std::filesystem::path RegistryFile() {
  return testing::FixturesDir().parent_path().parent_path() / "src" / "mil" / "mil-ops-ios18.txt";
}

// "['fp16', 'fp32']" -> {fp16, fp32}
std::vector<std::string> ParseQuotedList(const std::string& text) {
  std::vector<std::string> out;
  size_t pos = 0;
  while ((pos = text.find('\'', pos)) != std::string::npos) {
    const size_t close = text.find('\'', pos + 1);
    if (close == std::string::npos) break;
    out.push_back(text.substr(pos + 1, close - pos - 1));
    pos = close + 1;
  }
  return out;
}

bool StartsWith(const std::string& s, const std::string& prefix) { return s.rfind(prefix, 0) == 0; }

struct Registry {
  std::vector<FileOp> ops;                 // in file order, duplicates included
  std::set<std::string> not_registered;    // "### x: NOT REGISTERED"
};

// Lines:
//   ### <op>  (effective class <opset>.<module>.<op>; defined in opsets <first>,...)
//   ### <op>: NOT REGISTERED
//     type_domains: {'T': ['fp16', 'fp32'], ...}
//     - <param>: <Kind> [<type var> | ['dtype', ...]] [const] [optional] [default=<text>]
Registry ParseRegistry(const std::filesystem::path& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  Registry reg;
  std::string line;
  FileOp* cur = nullptr;
  while (std::getline(in, line)) {
    if (StartsWith(line, "### ")) {
      const std::string rest = line.substr(4);
      if (rest.size() > 16 && rest.substr(rest.size() - 16) == ": NOT REGISTERED") {
        reg.not_registered.insert(rest.substr(0, rest.size() - 16));
        cur = nullptr;
        continue;
      }
      const size_t name_end = rest.find("  (effective class ");
      const size_t opset_end = rest.find('.', name_end);
      const size_t first = rest.find("defined in opsets ");
      EXPECT_TRUE(name_end != std::string::npos && opset_end != std::string::npos && first != std::string::npos)
          << line;
      if (name_end == std::string::npos || opset_end == std::string::npos || first == std::string::npos) continue;
      const size_t first_begin = first + 18;
      const size_t first_end = rest.find_first_of(",)", first_begin);
      reg.ops.push_back(FileOp{rest.substr(0, name_end), rest.substr(name_end + 19, opset_end - name_end - 19),
                               rest.substr(first_begin, first_end - first_begin), {}, {}});
      cur = &reg.ops.back();
    } else if (cur && StartsWith(line, "  type_domains: ")) {
      // {'T': ['fp16', 'fp32'], 'U': [...]}: a name, then its bracketed list.
      size_t pos = 0;
      while ((pos = line.find('\'', pos)) != std::string::npos) {
        const size_t close = line.find('\'', pos + 1);
        const size_t list_begin = line.find('[', close);
        const size_t list_end = line.find(']', list_begin);
        cur->domains.emplace_back(line.substr(pos + 1, close - pos - 1),
                                  ParseQuotedList(line.substr(list_begin, list_end - list_begin + 1)));
        pos = list_end + 1;
      }
    } else if (cur && StartsWith(line, "  - ")) {
      FileParam p;
      const size_t colon = line.find(": ", 4);
      p.name = line.substr(4, colon - 4);
      std::istringstream words(line.substr(colon + 2));
      words >> p.kind;
      std::string rest;
      std::getline(words, rest);
      rest.erase(0, rest.find_first_not_of(' ') == std::string::npos ? rest.size() : rest.find_first_not_of(' '));
      if (!rest.empty() && rest[0] == '[') {
        const size_t close = rest.find(']');
        p.dtypes = ParseQuotedList(rest.substr(0, close + 1));
        rest = rest.substr(close + 1);
      }
      std::istringstream flags(rest);
      std::string w;
      while (flags >> w) {
        if (w == "const") {
          p.is_const = true;
        } else if (w == "optional") {
          p.optional = true;
        } else if (StartsWith(w, "default=")) {
          p.default_text = rest.substr(rest.find("default=") + 8);
          break;
        } else {
          p.type_var = w;
        }
      }
      cur->params.push_back(p);
    } else {
      ADD_FAILURE() << "unexpected registry line: " << line;
    }
  }
  return reg;
}

const char* KindName(InputKind kind) {
  switch (kind) {
    case InputKind::kTensor: return "TensorInputType";
    case InputKind::kTuple: return "TupleInputType";
    case InputKind::kState: return "StateInputType";
    case InputKind::kInternal: return "InternalInputType";
  }
  return "?";
}

FileOp FromTable(const OpSignature& sig) {
  FileOp op{sig.type, sig.defined_in, sig.first_opset, {}, {}};
  for (const TypeDomain& d : sig.type_domains) {
    std::vector<std::string> names;
    for (DType t : d.dtypes) names.push_back(DTypeName(t));
    op.domains.emplace_back(d.name, names);
  }
  for (const ParamSpec& p : sig.params) {
    FileParam fp;
    fp.name = p.name;
    fp.kind = KindName(p.kind);
    fp.type_var = p.type_var;
    if (p.type_var.empty()) {
      for (DType t : p.dtypes) fp.dtypes.push_back(DTypeName(t));
    }
    fp.is_const = p.is_const;
    fp.optional = p.optional;
    fp.default_text = p.default_text;
    op.params.push_back(fp);
  }
  return op;
}

std::string Describe(const FileOp& op) {
  std::ostringstream s;
  s << op.type << " (" << op.defined_in << ", since " << op.first_opset << ") domains{";
  for (const auto& [name, dtypes] : op.domains) {
    s << name << ":";
    for (const auto& d : dtypes) s << d << ",";
    s << " ";
  }
  s << "} params{";
  for (const FileParam& p : op.params) {
    s << p.name << ":" << p.kind << ":" << p.type_var << "[";
    for (const auto& d : p.dtypes) s << d << ",";
    s << "]" << (p.is_const ? " const" : "") << (p.optional ? " optional" : "");
    if (p.default_text) s << " default=" << *p.default_text;
    s << "; ";
  }
  return s.str() + "}";
}

TEST(OpTable, MatchesRegistryFile) {
  const Registry reg = ParseRegistry(RegistryFile());
  ASSERT_GT(reg.ops.size(), 60u);
  std::map<std::string, FileOp> first;
  std::vector<std::string> order;
  for (const FileOp& op : reg.ops) {
    auto [it, inserted] = first.emplace(op.type, op);
    if (inserted) {
      order.push_back(op.type);
    } else {
      EXPECT_EQ(it->second, op) << "registry lists " << op.type << " twice, differently";
    }
  }
  for (const std::string& type : order) {
    const OpSignature* sig = FindOp(type);
    ASSERT_NE(sig, nullptr) << "op " << type << " missing from the table";
    EXPECT_TRUE(sig->in_registry) << type;
    EXPECT_EQ(Describe(FromTable(*sig)), Describe(first.at(type)));
  }
  // Table order follows the file; the supplementary ops come last and are not in the file.
  std::vector<std::string> table_registry_order;
  for (const OpSignature& sig : AllOps()) {
    if (sig.in_registry) {
      table_registry_order.push_back(sig.type);
    } else {
      EXPECT_EQ(first.count(sig.type), 0u) << sig.type << " is in the file but marked supplementary";
    }
  }
  EXPECT_EQ(table_registry_order, order);
}

TEST(OpTable, SupplementaryOpsAreExactlyTheDocumentedOnes) {
  const Registry reg = ParseRegistry(RegistryFile());
  std::set<std::string> supplementary;
  for (const OpSignature& sig : AllOps()) {
    if (!sig.in_registry) supplementary.insert(sig.type);
  }
  EXPECT_EQ(supplementary, (std::set<std::string>{"write_state", "reduce_min", "logical_or", "logical_xor"}));
  // write_state is a proto op, never registered in pymil (coreml_update_state lowers to it).
  EXPECT_TRUE(reg.not_registered.count("write_state"));
  // Ops the registry says do not exist stay out of the table.
  for (const char* absent : {"neg", "rms_norm", "argmax", "coreml_update_state"}) {
    EXPECT_TRUE(reg.not_registered.count(absent)) << absent;
    EXPECT_EQ(FindOp(absent), nullptr) << absent;
  }
  // The supplements mirror their registered siblings.
  for (const auto& [supplement, sibling] : {std::pair<const char*, const char*>{"reduce_min", "reduce_max"},
                                             {"logical_or", "logical_and"},
                                             {"logical_xor", "logical_and"}}) {
    FileOp op = FromTable(*FindOp(supplement));
    op.type = sibling;
    EXPECT_EQ(Describe(op), Describe(FromTable(*FindOp(sibling)))) << supplement;
  }
}

TEST(OpTable, HasEveryOpAnemllUses) {
  for (const char* type :
       {"const", "linear", "matmul", "conv", "add", "sub", "mul", "real_div", "pow", "maximum", "minimum",
        "rsqrt", "sqrt", "exp", "log", "sin", "cos", "tanh", "sigmoid", "silu", "relu", "gelu", "erf",
        "square", "abs", "softmax", "layer_norm", "reduce_mean", "reduce_sum", "reduce_max", "reduce_min",
        "reduce_argmax", "concat", "split", "slice_by_index", "slice_by_size", "slice_update", "reshape",
        "transpose", "expand_dims", "squeeze", "gather", "gather_along_axis", "cast", "clip", "select",
        "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
        "logical_or", "logical_xor", "logical_not", "band_part", "fill", "fill_like", "range_1d", "tile",
        "topk", "scaled_dot_product_attention", "read_state", "write_state", "constexpr_lut_to_dense",
        "constexpr_blockwise_shift_scale", "constexpr_affine_dequantize", "constexpr_cast"}) {
    EXPECT_NE(FindOp(type), nullptr) << type;
  }
  EXPECT_EQ(FindOp("no_such_op"), nullptr);
}

TEST(OpTable, ParamSpecsResolveTypeVariables) {
  const OpSignature* linear = FindOp("linear");
  ASSERT_NE(linear, nullptr);
  const ParamSpec* weight = linear->Param("weight");
  ASSERT_NE(weight, nullptr);
  EXPECT_EQ(weight->type_var, "U");
  EXPECT_TRUE(weight->is_const);
  EXPECT_FALSE(weight->optional);
  EXPECT_TRUE(weight->AllowsDType(DType::kFp16));
  EXPECT_FALSE(weight->AllowsDType(DType::kInt8));
  EXPECT_EQ(linear->Param("wieght"), nullptr);

  const OpSignature* concat = FindOp("concat");
  EXPECT_TRUE(concat->Param("values")->variadic());
  EXPECT_TRUE(concat->Param("values")->AllowsDType(DType::kBool));  // tuples: any dtype
  EXPECT_TRUE(concat->Param("interleave")->has_literal_default());
  EXPECT_FALSE(FindOp("squeeze")->Param("axes")->has_literal_default());  // default=None

  const OpSignature* lut = FindOp("constexpr_lut_to_dense");
  EXPECT_TRUE(lut->is_constexpr());
  EXPECT_EQ(DTypeList(lut->Param("indices")->dtypes), "uint1, uint2, uint3, uint4, uint6, uint8");
  EXPECT_EQ(FindOp("read_state")->Param("input")->kind, InputKind::kState);
}

}  // namespace
}  // namespace anemll::mil
