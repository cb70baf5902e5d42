// Helpers for the .mlpackage tests: the fixture list, a parser for the proto-level listing in
// program.txt, a minimal safetensors reader, and package copying/corruption helpers.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "mil/ir.h"
#include "support/test_support.h"

namespace anemll::mil::coreml::testutil {

namespace fs = std::filesystem;

struct FixturePackage {
  std::string case_name;     // folder under tests/fixtures/coreml
  std::string package_name;  // "<x>.mlpackage"
  fs::path case_dir;
  fs::path package;
  fs::path program_txt;
};

inline std::vector<FixturePackage> FixturePackages() {
  const fs::path root = anemll::testing::FixturesDir() / "coreml";
  std::ifstream in(root / "index.json");
  nlohmann::json index = nlohmann::json::parse(in);
  std::vector<FixturePackage> out;
  for (auto it = index.begin(); it != index.end(); ++it) {
    const auto& pkgs = it.value()["packages"];
    for (const auto& p : pkgs) {
      FixturePackage f;
      f.case_name = it.value()["folder"].get<std::string>();
      f.package_name = p.get<std::string>();
      f.case_dir = root / f.case_name;
      f.package = f.case_dir / f.package_name;
      const std::string stem = fs::path(f.package_name).stem().string();
      f.program_txt = pkgs.size() > 1 ? f.case_dir / ("program." + stem + ".txt") : f.case_dir / "program.txt";
      out.push_back(f);
    }
  }
  return out;
}

inline std::string Slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline void WriteAll(const fs::path& p, const std::string& bytes) {
  std::ofstream out(p, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

// Proto DataType names as printed in program.txt.
inline std::string ProtoDTypeName(DType d) {
  switch (d) {
    case DType::kBool: return "BOOL";
    case DType::kString: return "STRING";
    case DType::kFp16: return "FLOAT16";
    case DType::kFp32: return "FLOAT32";
    case DType::kFp64: return "FLOAT64";
    case DType::kBf16: return "BFLOAT16";
    case DType::kInt4: return "INT4";
    case DType::kInt8: return "INT8";
    case DType::kInt16: return "INT16";
    case DType::kInt32: return "INT32";
    case DType::kInt64: return "INT64";
    case DType::kUInt1: return "UINT1";
    case DType::kUInt2: return "UINT2";
    case DType::kUInt3: return "UINT3";
    case DType::kUInt4: return "UINT4";
    case DType::kUInt6: return "UINT6";
    case DType::kUInt8: return "UINT8";
    case DType::kUInt16: return "UINT16";
    case DType::kUInt32: return "UINT32";
    case DType::kUInt64: return "UINT64";
    default: return "?";
  }
}

// "FLOAT16[1,?,8]" / "state<FLOAT16[2,1,16,8]>" as in program.txt.
inline std::string ProtoTypeText(const ValueType& t) {
  std::string s = ProtoDTypeName(t.tensor.dtype) + "[";
  for (size_t i = 0; i < t.tensor.shape.size(); ++i) {
    if (i) s += ",";
    s += t.tensor.shape[i] < 0 ? std::string("?") : std::to_string(t.tensor.shape[i]);
  }
  s += "]";
  return t.kind == ValueType::Kind::kState ? "state<" + s + ">" : s;
}

// One operation line of the proto-level listing.
struct ListedOp {
  std::vector<std::string> outputs;              // "name:TYPE[...]"
  std::string type;
  std::string name;
  std::map<std::string, std::string> args;       // param -> "value", "(a, b)" or "<literal ...>"
  std::string const_text;                        // const ops: the storage text after the type
};

struct ListedFunction {
  std::string name;
  std::string opset;
  std::vector<std::string> inputs;  // "name:TYPE[...]"
  std::vector<ListedOp> ops;
  std::vector<std::string> outputs;
};

// Splits on ", " at nesting depth 0 (parentheses, brackets, angle brackets).
inline std::vector<std::string> SplitTopLevel(const std::string& s) {
  std::vector<std::string> parts;
  int depth = 0;
  std::string cur;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (c == '(' || c == '[' || c == '<') ++depth;
    if (c == ')' || c == ']' || c == '>') --depth;
    if (depth == 0 && c == ',' && i + 1 < s.size() && s[i + 1] == ' ') {
      parts.push_back(cur);
      cur.clear();
      ++i;
      continue;
    }
    cur += c;
  }
  if (!cur.empty()) parts.push_back(cur);
  return parts;
}

inline std::map<std::string, ListedFunction> ParseListing(const std::string& text) {
  std::map<std::string, ListedFunction> fns;
  std::istringstream in(text.substr(text.find("# ---- proto-level")));
  std::string line;
  ListedFunction* cur = nullptr;
  const std::regex fn_re(R"(^function (\w+) \(opset (\w+)\): inputs (.*)$)");
  const std::regex op_re(R"(^  (.*?) = (\w+)\[([^\]]*)\](.*)$)");
  std::smatch m;
  while (std::getline(in, line)) {
    if (std::regex_match(line, m, fn_re)) {
      cur = &fns[m[1]];
      cur->name = m[1];
      cur->opset = m[2];
      cur->inputs = SplitTopLevel(m[3]);
    } else if (cur && line.rfind("  block outputs: [", 0) == 0) {
      std::string list = line.substr(std::string("  block outputs: [").size());
      list.pop_back();
      for (auto& s : SplitTopLevel(list)) cur->outputs.push_back(s.substr(1, s.size() - 2));
    } else if (cur && std::regex_match(line, m, op_re)) {
      ListedOp op;
      if (m[1] != "(no outputs)") op.outputs = SplitTopLevel(m[1]);
      op.type = m[2];
      op.name = m[3];
      std::string rest = m[4];
      if (op.type == "const") {
        op.const_text = rest.substr(1);
      } else {
        EXPECT_TRUE(!rest.empty() && rest.front() == '(' && rest.back() == ')') << line;
        for (const auto& a : SplitTopLevel(rest.substr(1, rest.size() - 2))) {
          const size_t eq = a.find('=');
          op.args[a.substr(0, eq)] = a.substr(eq + 1);
        }
      }
      cur->ops.push_back(op);
    }
  }
  return fns;
}

// ---- safetensors (8-byte header length, JSON header, data) ------------------------------------

struct SafeTensor {
  std::string dtype;
  std::vector<int64_t> shape;
  std::string bytes;
};

inline std::map<std::string, SafeTensor> ReadSafetensors(const fs::path& path) {
  const std::string file = Slurp(path);
  std::map<std::string, SafeTensor> out;
  if (file.size() < 8) return out;
  uint64_t n = 0;
  std::memcpy(&n, file.data(), 8);
  const nlohmann::json header = nlohmann::json::parse(file.substr(8, n));
  const size_t data = 8 + n;
  for (auto it = header.begin(); it != header.end(); ++it) {
    if (it.key() == "__metadata__") continue;
    SafeTensor t;
    t.dtype = it.value()["dtype"];
    t.shape = it.value()["shape"].get<std::vector<int64_t>>();
    const auto off = it.value()["data_offsets"].get<std::vector<size_t>>();
    t.bytes = file.substr(data + off[0], off[1] - off[0]);
    out[it.key()] = t;
  }
  return out;
}

// Copies a fixture package into `dir` and returns the copy's path.
inline fs::path CopyPackage(const fs::path& pkg, const fs::path& dir) {
  const fs::path dst = dir / pkg.filename();
  fs::copy(pkg, dst, fs::copy_options::recursive);
  return dst;
}

inline fs::path ModelFile(const fs::path& pkg) { return pkg / "Data" / "com.apple.CoreML" / "model.mlmodel"; }
inline fs::path WeightFile(const fs::path& pkg) {
  return pkg / "Data" / "com.apple.CoreML" / "weights" / "weight.bin";
}

}  // namespace anemll::mil::coreml::testutil
