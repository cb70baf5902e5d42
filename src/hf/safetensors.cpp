#include "hf/safetensors.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <nlohmann/json.hpp>

#include "base/half.h"

namespace anemll::hf {
namespace {

using json = nlohmann::json;

// The safetensors format caps the header at 100 MB; anything larger is a corrupt length field.
constexpr uint64_t kMaxHeaderBytes = 100ull << 20;

struct Span {
  uint64_t begin;
  uint64_t end;
  size_t index;
};

Result<std::vector<int64_t>> ParseShape(const json& j, const std::string& where) {
  if (!j.is_array()) return FormatError(where, ": \"shape\" is not an array");
  std::vector<int64_t> shape;
  for (const auto& d : j) {
    if (!d.is_number_integer() || d.get<int64_t>() < 0) {
      return FormatError(where, ": shape entry ", d.dump(), " is not a non-negative integer");
    }
    shape.push_back(d.get<int64_t>());
  }
  return shape;
}

// numel * element size, or an error when it overflows.
Result<uint64_t> ByteSize(const std::vector<int64_t>& shape, size_t elem, const std::string& where) {
  uint64_t n = elem;
  for (int64_t d : shape) {
    const uint64_t ud = static_cast<uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<uint64_t>::max() / ud) {
      return FormatError(where, ": shape ", ShapeString(shape), " is too large");
    }
    n *= ud;
  }
  return n;
}

}  // namespace

Result<SafetensorsFile> SafetensorsFile::Open(const std::filesystem::path& path) {
  const std::string label = StrCat("safetensors ", path.string());
  SafetensorsFile f;
  ANEMLL_ASSIGN_OR_RETURN(f.file_, MappedFile::Open(path));
  const uint8_t* base = f.file_.data();
  const uint64_t size = f.file_.size();
  if (size < 8) {
    return FormatError(label, ": truncated: file is ", size, " bytes, shorter than the 8-byte header length");
  }
  uint64_t header_len = 0;
  for (int i = 7; i >= 0; --i) header_len = (header_len << 8) | base[i];
  if (header_len > size - 8) {
    return FormatError(label, ": truncated: header length ", header_len, " goes beyond the file of ", size,
                       " bytes");
  }
  if (header_len > kMaxHeaderBytes) {
    return FormatError(label, ": header length ", header_len, " exceeds the 100 MB limit");
  }
  const uint64_t data_size = size - 8 - header_len;
  const uint8_t* data = base + 8 + header_len;

  json header;
  try {
    header = json::parse(reinterpret_cast<const char*>(base + 8), reinterpret_cast<const char*>(data));
  } catch (const json::exception& e) {
    std::string what = e.what();
    return FormatError(label, ": header is not valid JSON (", what, ")");
  }
  if (!header.is_object()) return FormatError(label, ": header is not a JSON object");

  std::vector<Span> spans;
  for (auto it = header.begin(); it != header.end(); ++it) {
    const std::string& name = it.key();
    if (name == "__metadata__") {
      if (!it->is_object()) return FormatError(label, ": __metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (m->is_string()) f.metadata_[m.key()] = m->get<std::string>();
      }
      continue;
    }
    const std::string where = StrCat(label, ": tensor ", name);
    const json& t = *it;
    if (!t.is_object()) return FormatError(where, ": entry is not an object");
    auto dt = t.find("dtype");
    auto sh = t.find("shape");
    auto off = t.find("data_offsets");
    if (dt == t.end() || !dt->is_string()) return FormatError(where, ": missing or non-string \"dtype\"");
    if (sh == t.end()) return FormatError(where, ": missing \"shape\"");
    if (off == t.end()) return FormatError(where, ": missing \"data_offsets\"");
    TensorInfo info;
    info.name = name;
    ANEMLL_ASSIGN_OR_RETURN(info.dtype, ParseDType(dt->get<std::string>(), where));
    ANEMLL_ASSIGN_OR_RETURN(info.shape, ParseShape(*sh, where));
    if (!off->is_array() || off->size() != 2 || !(*off)[0].is_number_unsigned() ||
        !(*off)[1].is_number_unsigned()) {
      return FormatError(where, ": data_offsets ", off->dump(), " is not a pair of non-negative integers");
    }
    const uint64_t begin = (*off)[0].get<uint64_t>();
    const uint64_t end = (*off)[1].get<uint64_t>();
    if (begin > end) {
      return FormatError(where, " data_offsets [", begin, ",", end, "] begin is after end");
    }
    if (end > data_size) {
      return FormatError(where, " data_offsets [", begin, ",", end, "] end beyond data section of ", data_size,
                         " bytes");
    }
    ANEMLL_ASSIGN_OR_RETURN(uint64_t expected, ByteSize(info.shape, DTypeSize(info.dtype), where));
    if (end - begin != expected) {
      return FormatError(where, " data_offsets [", begin, ",", end, "] hold ", end - begin, " bytes, but ",
                         DTypeName(info.dtype), " ", ShapeString(info.shape), " needs ", expected);
    }
    info.data = data + begin;
    info.nbytes = static_cast<size_t>(end - begin);
    spans.push_back({begin, end, f.tensors_.size()});
    f.tensors_.push_back(std::move(info));
  }

  // No two tensors may share bytes (empty tensors occupy nothing).
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  const Span* prev = nullptr;
  for (const Span& s : spans) {
    if (s.begin == s.end) continue;
    if (prev && s.begin < prev->end) {
      return FormatError(label, ": tensors ", f.tensors_[prev->index].name, " [", prev->begin, ",", prev->end,
                         "] and ", f.tensors_[s.index].name, " [", s.begin, ",", s.end, "] overlap");
    }
    prev = &s;
  }

  std::vector<TensorInfo> ordered;
  ordered.reserve(spans.size());
  for (const Span& s : spans) ordered.push_back(std::move(f.tensors_[s.index]));
  f.tensors_ = std::move(ordered);
  for (size_t i = 0; i < f.tensors_.size(); ++i) f.index_[f.tensors_[i].name] = i;
  return f;
}

const TensorInfo* SafetensorsFile::Find(std::string_view name) const {
  auto it = index_.find(name);
  return it == index_.end() ? nullptr : &tensors_[it->second];
}

Result<std::vector<float>> ToFloat32(const TensorInfo& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<float> out(n);
  const uint8_t* p = t.data;
  switch (t.dtype) {
    case DType::kF32:
      if (n) std::memcpy(out.data(), p, n * 4);
      break;
    case DType::kF64:
      for (size_t i = 0; i < n; ++i) {
        double v;
        std::memcpy(&v, p + 8 * i, 8);
        out[i] = static_cast<float>(v);
      }
      break;
    case DType::kF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = HalfToFloat(h);
      }
      break;
    case DType::kBF16:
      for (size_t i = 0; i < n; ++i) {
        uint16_t h;
        std::memcpy(&h, p + 2 * i, 2);
        out[i] = Bf16ToFloat(h);
      }
      break;
    default:
      return InvalidArgument("tensor ", t.name, " has dtype ", DTypeName(t.dtype),
                             ", expected a float type (F32, F16, BF16)");
  }
  return out;
}

Result<std::vector<float>> ToFloat32(const TensorInfo& t, const std::vector<int64_t>& expected_shape) {
  if (t.shape != expected_shape) {
    return InvalidArgument("tensor ", t.name, " has shape ", ShapeString(t.shape), ", expected ",
                           ShapeString(expected_shape));
  }
  return ToFloat32(t);
}

Result<std::vector<int64_t>> ToInt64(const TensorInfo& t) {
  const size_t n = static_cast<size_t>(t.numel());
  std::vector<int64_t> out(n);
  const uint8_t* p = t.data;
  auto read = [&](auto sample) {
    using T = decltype(sample);
    for (size_t i = 0; i < n; ++i) {
      T v;
      std::memcpy(&v, p + sizeof(T) * i, sizeof(T));
      out[i] = static_cast<int64_t>(v);
    }
  };
  switch (t.dtype) {
    case DType::kI64: read(int64_t{}); break;
    case DType::kI32: read(int32_t{}); break;
    case DType::kI16: read(int16_t{}); break;
    case DType::kI8: read(int8_t{}); break;
    case DType::kU8: read(uint8_t{}); break;
    case DType::kBool: read(uint8_t{}); break;
    default:
      return InvalidArgument("tensor ", t.name, " has dtype ", DTypeName(t.dtype), ", expected an integer type");
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Writer

Status SafetensorsWriter::Add(std::string name, DType dtype, std::vector<int64_t> shape, std::string bytes) {
  if (name.empty() || name == "__metadata__") return InvalidArgument("safetensors: invalid tensor name \"", name, "\"");
  for (const auto& e : entries_) {
    if (e.name == name) return InvalidArgument("safetensors: tensor ", name, " added twice");
  }
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("safetensors: tensor ", name, " has negative shape ", ShapeString(shape));
  }
  const uint64_t expected = static_cast<uint64_t>(NumElements(shape)) * DTypeSize(dtype);
  if (bytes.size() != expected) {
    return InvalidArgument("safetensors: tensor ", name, " ", DTypeName(dtype), " ", ShapeString(shape), " needs ",
                           expected, " bytes, got ", bytes.size());
  }
  entries_.push_back({std::move(name), dtype, std::move(shape), std::move(bytes)});
  return Status::Ok();
}

namespace {
template <typename T>
std::string RawBytes(std::span<const T> v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}
Status CountMatches(const std::string& name, const std::vector<int64_t>& shape, size_t count) {
  for (int64_t d : shape) {
    if (d < 0) return InvalidArgument("safetensors: tensor ", name, " has negative shape ", ShapeString(shape));
  }
  if (static_cast<uint64_t>(NumElements(shape)) != count) {
    return InvalidArgument("safetensors: tensor ", name, " shape ", ShapeString(shape), " does not match ", count,
                           " values");
  }
  return Status::Ok();
}
}  // namespace

Status SafetensorsWriter::AddF32(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  ANEMLL_RETURN_IF_ERROR(CountMatches(name, shape, values.size()));
  return Add(std::move(name), DType::kF32, std::move(shape), RawBytes(values));
}

Status SafetensorsWriter::AddF16(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  ANEMLL_RETURN_IF_ERROR(CountMatches(name, shape, values.size()));
  std::vector<uint16_t> h(values.size());
  for (size_t i = 0; i < values.size(); ++i) h[i] = FloatToHalf(values[i]);
  return Add(std::move(name), DType::kF16, std::move(shape), RawBytes(std::span<const uint16_t>(h)));
}

Status SafetensorsWriter::AddBF16(std::string name, std::vector<int64_t> shape, std::span<const float> values) {
  ANEMLL_RETURN_IF_ERROR(CountMatches(name, shape, values.size()));
  std::vector<uint16_t> h(values.size());
  for (size_t i = 0; i < values.size(); ++i) h[i] = FloatToBf16(values[i]);
  return Add(std::move(name), DType::kBF16, std::move(shape), RawBytes(std::span<const uint16_t>(h)));
}

Status SafetensorsWriter::AddI32(std::string name, std::vector<int64_t> shape, std::span<const int32_t> values) {
  ANEMLL_RETURN_IF_ERROR(CountMatches(name, shape, values.size()));
  return Add(std::move(name), DType::kI32, std::move(shape), RawBytes(values));
}

Status SafetensorsWriter::AddI64(std::string name, std::vector<int64_t> shape, std::span<const int64_t> values) {
  ANEMLL_RETURN_IF_ERROR(CountMatches(name, shape, values.size()));
  return Add(std::move(name), DType::kI64, std::move(shape), RawBytes(values));
}

std::string SafetensorsWriter::Serialize() const {
  json header = json::object();
  if (!metadata_.empty()) {
    json meta = json::object();
    for (const auto& [k, v] : metadata_) meta[k] = v;
    header["__metadata__"] = meta;
  }
  uint64_t offset = 0;
  for (const auto& e : entries_) {
    header[e.name] = {{"dtype", DTypeName(e.dtype)}, {"shape", e.shape}, {"data_offsets", {offset, offset + e.bytes.size()}}};
    offset += e.bytes.size();
  }
  std::string text = header.dump();
  // Pad with spaces so the data section starts 8-byte aligned.
  while ((text.size() + 8) % 8 != 0) text.push_back(' ');
  std::string out;
  out.reserve(8 + text.size() + offset);
  const uint64_t n = text.size();
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((n >> (8 * i)) & 0xff));
  out += text;
  for (const auto& e : entries_) out += e.bytes;
  return out;
}

Status SafetensorsWriter::Write(const std::filesystem::path& path) const {
  return WriteFileAtomic(path, Serialize());
}

}  // namespace anemll::hf
