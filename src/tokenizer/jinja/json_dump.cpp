// json.dumps as transformers' `tojson` filter runs it: ensure_ascii off by default, key order kept
// unless sort_keys, floats as Python repr, optional indent and separators.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "tokenizer/jinja/builtins.h"
#include "tokenizer/jinja/builtins_internal.h"
#include "tokenizer/jinja/pystring.h"

namespace anemll::tokenizer::jinja {
namespace {

void AppendJsonString(const std::string& s, bool ensure_ascii, std::string* out) {
  out->push_back('"');
  size_t pos = 0;
  char buf[16];
  while (pos < s.size()) {
    const size_t start = pos;
    const uint32_t cp = NextCodePoint(s, &pos);
    switch (cp) {
      case '"': *out += "\\\""; continue;
      case '\\': *out += "\\\\"; continue;
      case '\n': *out += "\\n"; continue;
      case '\r': *out += "\\r"; continue;
      case '\t': *out += "\\t"; continue;
      case '\b': *out += "\\b"; continue;
      case '\f': *out += "\\f"; continue;
      default: break;
    }
    if (cp < 0x20) {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      *out += buf;
    } else if (cp < 0x80 || !ensure_ascii) {
      out->append(s, start, pos - start);
    } else if (cp < 0x10000) {
      std::snprintf(buf, sizeof buf, "\\u%04x", cp);
      *out += buf;
    } else {
      const uint32_t v = cp - 0x10000;
      std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xd800 + (v >> 10), 0xdc00 + (v & 0x3ff));
      *out += buf;
    }
  }
  out->push_back('"');
}

class JsonWriter {
 public:
  explicit JsonWriter(const JsonDumpOptions& options) : opts_(options) {}

  Status Write(const Value& v, int level) {
    if (out_.size() > kMaxStringBytes) return InvalidArgument("tojson: output exceeds ", kMaxStringBytes, " bytes");
    if (level > static_cast<int>(kMaxNesting)) return InvalidArgument("tojson: value nested too deeply");
    switch (v.kind()) {
      case Value::Kind::kNone: out_ += "null"; return Status::Ok();
      case Value::Kind::kBool: out_ += v.bool_value() ? "true" : "false"; return Status::Ok();
      case Value::Kind::kInt: out_ += std::to_string(v.int_value()); return Status::Ok();
      case Value::Kind::kFloat: {
        const double d = v.number();
        if (std::isnan(d)) {
          out_ += "NaN";
        } else if (std::isinf(d)) {
          out_ += d > 0 ? "Infinity" : "-Infinity";
        } else {
          out_ += PyFloatRepr(d);
        }
        return Status::Ok();
      }
      case Value::Kind::kString: AppendJsonString(v.str(), opts_.ensure_ascii, &out_); return Status::Ok();
      case Value::Kind::kList: return WriteList(v.list(), level);
      case Value::Kind::kDict: return WriteDict(v.dict(), level);
      default: return InvalidArgument("Object of type ", v.TypeName(), " is not JSON serializable");
    }
  }

  std::string Take() { return std::move(out_); }

 private:
  void Newline(int level) {
    if (!opts_.indent) return;
    out_.push_back('\n');
    for (int k = 0; k < level; ++k) out_ += *opts_.indent;
  }

  Status WriteList(const List& items, int level) {
    if (items.empty()) {
      out_ += "[]";
      return Status::Ok();
    }
    out_.push_back('[');
    for (size_t k = 0; k < items.size(); ++k) {
      if (k) out_ += opts_.item_separator;
      Newline(level + 1);
      ANEMLL_RETURN_IF_ERROR(Write(items[k], level + 1));
    }
    Newline(level);
    out_.push_back(']');
    return Status::Ok();
  }

  Status WriteDict(const Dict& dict, int level) {
    if (dict.items.empty()) {
      out_ += "{}";
      return Status::Ok();
    }
    std::vector<const std::pair<std::string, Value>*> entries;
    for (const auto& kv : dict.items) entries.push_back(&kv);
    if (opts_.sort_keys) {
      std::stable_sort(entries.begin(), entries.end(), [](const auto* a, const auto* b) { return a->first < b->first; });
    }
    out_.push_back('{');
    for (size_t k = 0; k < entries.size(); ++k) {
      if (k) out_ += opts_.item_separator;
      Newline(level + 1);
      AppendJsonString(entries[k]->first, opts_.ensure_ascii, &out_);
      out_ += opts_.key_separator;
      ANEMLL_RETURN_IF_ERROR(Write(entries[k]->second, level + 1));
    }
    Newline(level);
    out_.push_back('}');
    return Status::Ok();
  }

  const JsonDumpOptions& opts_;
  std::string out_;
};

}  // namespace

Result<std::string> DumpJson(const Value& v, const JsonDumpOptions& options) {
  JsonWriter writer(options);
  ANEMLL_RETURN_IF_ERROR(writer.Write(v, 0));
  return writer.Take();
}

}  // namespace anemll::tokenizer::jinja
