// Types and literal values: milspec::ValueType / Value <-> mil::ValueType / Literal.
#include <cstring>
#include <limits>

#include "base/half.h"
#include "mil/coreml/proto_convert.h"
#include "mil/coreml/sub_byte.h"

namespace anemll::mil::coreml {

namespace {

struct DTypeProto {
  DType dtype;
  milspec::DataType proto;
};

constexpr DTypeProto kDTypeProtos[] = {
    {DType::kBool, milspec::BOOL},     {DType::kString, milspec::STRING}, {DType::kFp16, milspec::FLOAT16},
    {DType::kFp32, milspec::FLOAT32},  {DType::kFp64, milspec::FLOAT64},  {DType::kBf16, milspec::BFLOAT16},
    {DType::kInt4, milspec::INT4},     {DType::kInt8, milspec::INT8},     {DType::kInt16, milspec::INT16},
    {DType::kInt32, milspec::INT32},   {DType::kInt64, milspec::INT64},   {DType::kUInt1, milspec::UINT1},
    {DType::kUInt2, milspec::UINT2},   {DType::kUInt3, milspec::UINT3},   {DType::kUInt4, milspec::UINT4},
    {DType::kUInt6, milspec::UINT6},   {DType::kUInt8, milspec::UINT8},   {DType::kUInt16, milspec::UINT16},
    {DType::kUInt32, milspec::UINT32}, {DType::kUInt64, milspec::UINT64},
};

std::string TypeText(const TensorType& t) {
  std::string s = DTypeName(t.dtype);
  if (t.unknown_rank) return s + "[*]";
  s += "[";
  for (size_t i = 0; i < t.shape.size(); ++i) {
    if (i) s += ",";
    s += t.shape[i] < 0 ? std::string("?") : std::to_string(t.shape[i]);
  }
  return s + "]";
}

template <typename T>
std::shared_ptr<const Buffer> BufferOf(const std::vector<T>& values) {
  std::vector<uint8_t> bytes(values.size() * sizeof(T));
  if (!bytes.empty()) std::memcpy(bytes.data(), values.data(), bytes.size());
  return std::make_shared<const Buffer>(std::move(bytes));
}

// Integer range of a (non-float) dtype.
void IntRange(DType dt, int64_t* lo, int64_t* hi) {
  const int bits = DTypeBits(dt);
  const bool is_signed = dt == DType::kInt4 || dt == DType::kInt8 || dt == DType::kInt16 ||
                         dt == DType::kInt32 || dt == DType::kInt64;
  if (bits >= 64) {
    *lo = is_signed ? std::numeric_limits<int64_t>::min() : 0;
    *hi = std::numeric_limits<int64_t>::max();
  } else if (is_signed) {
    *lo = -(int64_t{1} << (bits - 1));
    *hi = (int64_t{1} << (bits - 1)) - 1;
  } else {
    *lo = 0;
    *hi = (int64_t{1} << bits) - 1;
  }
}

// Integer values (from ints/longInts/bools) into the storage layout of an integer or bool dtype.
Result<std::shared_ptr<const Buffer>> StoreInts(DType dt, const std::vector<int64_t>& v, const std::string& what) {
  int64_t lo = 0, hi = 1;
  if (dt != DType::kBool) IntRange(dt, &lo, &hi);
  if (dt == DType::kUInt64) lo = std::numeric_limits<int64_t>::min();  // longInts carry the bit pattern
  for (int64_t x : v) {
    if (x < lo || x > hi) {
      return FormatError(what, ": value ", x, " does not fit ", DTypeName(dt));
    }
  }
  if (IsSubByte(dt)) {
    std::vector<int32_t> w(v.begin(), v.end());
    return std::make_shared<const Buffer>(PackSubByte(dt, w));
  }
  switch (dt) {
    case DType::kBool:
    case DType::kInt8:
    case DType::kUInt8: {
      std::vector<uint8_t> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = static_cast<uint8_t>(v[i]);
      return std::make_shared<const Buffer>(std::move(b));
    }
    case DType::kInt16:
    case DType::kUInt16: {
      std::vector<uint16_t> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = static_cast<uint16_t>(v[i]);
      return BufferOf(b);
    }
    case DType::kInt32:
    case DType::kUInt32: {
      std::vector<uint32_t> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = static_cast<uint32_t>(v[i]);
      return BufferOf(b);
    }
    case DType::kInt64:
    case DType::kUInt64:
      return BufferOf(v);
    default:
      return FormatError(what, ": integer values cannot hold ", DTypeName(dt));
  }
}

// Float values (from floats/doubles) into the storage layout of a float dtype.
Result<std::shared_ptr<const Buffer>> StoreFloats(DType dt, const std::vector<double>& v, const std::string& what) {
  switch (dt) {
    case DType::kFp16: {
      std::vector<uint16_t> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = FloatToHalf(static_cast<float>(v[i]));
      return BufferOf(b);
    }
    case DType::kBf16: {
      std::vector<uint16_t> b(v.size());
      for (size_t i = 0; i < v.size(); ++i) b[i] = FloatToBf16(static_cast<float>(v[i]));
      return BufferOf(b);
    }
    case DType::kFp32: {
      std::vector<float> b(v.begin(), v.end());
      return BufferOf(b);
    }
    case DType::kFp64:
      return BufferOf(v);
    default:
      return FormatError(what, ": float values cannot hold ", DTypeName(dt));
  }
}

// Reads an immediate TensorValue into `lit` (whose type is already set).
Status DecodeTensorValue(const milspec::TensorValue& tv, Literal* lit, const std::string& what) {
  const DType dt = lit->type.tensor.dtype;
  const int64_t n = lit->num_elements();
  auto check_count = [&](int64_t got) -> Status {
    if (got != n) {
      return FormatError(what, ": ", got, " values for ", TypeText(lit->type.tensor), " (", n, " elements)");
    }
    return Status::Ok();
  };
  using TV = milspec::TensorValue;
  switch (tv.value_case()) {
    case TV::kFloats: {
      ANEMLL_RETURN_IF_ERROR(check_count(tv.floats().values_size()));
      std::vector<double> v(tv.floats().values().begin(), tv.floats().values().end());
      ANEMLL_ASSIGN_OR_RETURN(lit->data, StoreFloats(dt, v, what + " (floats)"));
      return Status::Ok();
    }
    case TV::kDoubles: {
      ANEMLL_RETURN_IF_ERROR(check_count(tv.doubles().values_size()));
      std::vector<double> v(tv.doubles().values().begin(), tv.doubles().values().end());
      ANEMLL_ASSIGN_OR_RETURN(lit->data, StoreFloats(dt, v, what + " (doubles)"));
      return Status::Ok();
    }
    case TV::kInts: {
      ANEMLL_RETURN_IF_ERROR(check_count(tv.ints().values_size()));
      std::vector<int64_t> v(tv.ints().values().begin(), tv.ints().values().end());
      ANEMLL_ASSIGN_OR_RETURN(lit->data, StoreInts(dt, v, what + " (ints)"));
      return Status::Ok();
    }
    case TV::kLongInts: {
      ANEMLL_RETURN_IF_ERROR(check_count(tv.longints().values_size()));
      std::vector<int64_t> v(tv.longints().values().begin(), tv.longints().values().end());
      ANEMLL_ASSIGN_OR_RETURN(lit->data, StoreInts(dt, v, what + " (longInts)"));
      return Status::Ok();
    }
    case TV::kBools: {
      if (dt != DType::kBool) return FormatError(what, ": bools cannot hold ", DTypeName(dt));
      ANEMLL_RETURN_IF_ERROR(check_count(tv.bools().values_size()));
      std::vector<int64_t> v(tv.bools().values().begin(), tv.bools().values().end());
      ANEMLL_ASSIGN_OR_RETURN(lit->data, StoreInts(dt, v, what));
      return Status::Ok();
    }
    case TV::kStrings: {
      if (dt != DType::kString) return FormatError(what, ": strings cannot hold ", DTypeName(dt));
      ANEMLL_RETURN_IF_ERROR(check_count(tv.strings().values_size()));
      lit->strings.assign(tv.strings().values().begin(), tv.strings().values().end());
      return Status::Ok();
    }
    case TV::kBytes: {
      if (dt == DType::kString || DTypeBits(dt) == 0) {
        return FormatError(what, ": raw bytes cannot hold ", DTypeName(dt));
      }
      const std::string& bytes = tv.bytes().values();
      const uint64_t expected = StorageBytes(dt, static_cast<uint64_t>(n));
      if (bytes.size() != expected) {
        return FormatError(what, ": ", bytes.size(), " bytes for ", TypeText(lit->type.tensor), ", expected ",
                           expected);
      }
      lit->data = std::make_shared<const Buffer>(std::vector<uint8_t>(bytes.begin(), bytes.end()));
      return Status::Ok();
    }
    case TV::VALUE_NOT_SET:
      if (n == 0) {
        if (dt != DType::kString) lit->data = std::make_shared<const Buffer>();
        return Status::Ok();
      }
      return FormatError(what, ": tensor value is empty for ", TypeText(lit->type.tensor));
  }
  return FormatError(what, ": unknown tensor value field");
}

// Reads a scalar string Value (dictionary keys/values, the op "name" attribute).
Result<std::string> ScalarString(const milspec::Value& v, const std::string& what) {
  if (v.value_case() != milspec::Value::kImmediateValue || !v.immediatevalue().has_tensor() ||
      !v.immediatevalue().tensor().has_strings() || v.immediatevalue().tensor().strings().values_size() != 1) {
    return FormatError(what, ": expected a string scalar");
  }
  return v.immediatevalue().tensor().strings().values(0);
}

void SetScalarString(const std::string& s, milspec::Value* v) {
  v->mutable_type()->mutable_tensortype()->set_datatype(milspec::STRING);
  v->mutable_immediatevalue()->mutable_tensor()->mutable_strings()->add_values(s);
}

}  // namespace

Result<DType> DTypeFromProto(int data_type, const std::string& what) {
  for (const auto& d : kDTypeProtos) {
    if (d.proto == data_type) return d.dtype;
  }
  if (data_type == milspec::FLOAT8E4M3FN || data_type == milspec::FLOAT8E5M2) {
    return Unsupported(what, ": fp8 data type ", data_type, " is not supported");
  }
  return FormatError(what, ": unknown data type ", data_type);
}

milspec::DataType DTypeToProto(DType dtype) {
  for (const auto& d : kDTypeProtos) {
    if (d.dtype == dtype) return d.proto;
  }
  return milspec::UNUSED_TYPE;
}

namespace {

Result<TensorType> TensorTypeFromProto(const milspec::TensorType& t, const std::string& what) {
  TensorType out;
  ANEMLL_ASSIGN_OR_RETURN(out.dtype, DTypeFromProto(t.datatype(), what));
  if (t.rank() == -1) {
    out.unknown_rank = true;
    return out;
  }
  if (t.rank() < 0 || t.rank() != t.dimensions_size()) {
    return FormatError(what, ": tensor rank ", t.rank(), " with ", t.dimensions_size(), " dimensions");
  }
  for (const auto& d : t.dimensions()) {
    if (d.has_constant()) {
      if (d.constant().size() > (uint64_t{1} << 62)) {
        return FormatError(what, ": dimension ", d.constant().size(), " is too large");
      }
      out.shape.push_back(static_cast<int64_t>(d.constant().size()));
    } else if (d.has_unknown()) {
      out.shape.push_back(kUnknownDim);
    } else {
      return FormatError(what, ": dimension ", out.shape.size(), " is neither constant nor unknown");
    }
  }
  return out;
}

Status TensorTypeToProto(const TensorType& t, milspec::TensorType* p, const std::string& what) {
  if (t.dtype == DType::kInvalid) return InvalidArgument(what, ": tensor type has no dtype");
  p->set_datatype(DTypeToProto(t.dtype));
  if (t.unknown_rank) {
    p->set_rank(-1);
    return Status::Ok();
  }
  p->set_rank(static_cast<int64_t>(t.shape.size()));
  for (int64_t d : t.shape) {
    auto* dim = p->add_dimensions();
    if (d < 0) {
      dim->mutable_unknown()->set_variadic(false);
    } else {
      dim->mutable_constant()->set_size(static_cast<uint64_t>(d));
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ValueType> ValueTypeFromProto(const milspec::ValueType& proto, const std::string& what) {
  ValueType out;
  switch (proto.type_case()) {
    case milspec::ValueType::kTensorType: {
      out.kind = ValueType::Kind::kTensor;
      ANEMLL_ASSIGN_OR_RETURN(out.tensor, TensorTypeFromProto(proto.tensortype(), what));
      return out;
    }
    case milspec::ValueType::kStateType: {
      if (!proto.statetype().wrappedtype().has_tensortype()) {
        return Unsupported(what, ": state type wraps a non-tensor type");
      }
      out.kind = ValueType::Kind::kState;
      ANEMLL_ASSIGN_OR_RETURN(out.tensor, TensorTypeFromProto(proto.statetype().wrappedtype().tensortype(), what));
      return out;
    }
    case milspec::ValueType::kDictionaryType: {
      const auto& d = proto.dictionarytype();
      if (!d.keytype().has_tensortype() || d.keytype().tensortype().datatype() != milspec::STRING ||
          !d.valuetype().has_tensortype()) {
        return Unsupported(what, ": only string-keyed dictionaries of tensors are supported");
      }
      out.kind = ValueType::Kind::kDict;
      ANEMLL_ASSIGN_OR_RETURN(out.tensor, TensorTypeFromProto(d.valuetype().tensortype(), what));
      return out;
    }
    case milspec::ValueType::kListType:
      return Unsupported(what, ": list types are not supported");
    case milspec::ValueType::kTupleType:
      return Unsupported(what, ": tuple types are not supported");
    case milspec::ValueType::TYPE_NOT_SET:
      break;
  }
  return FormatError(what, ": value type is not set");
}

Status ValueTypeToProto(const ValueType& type, milspec::ValueType* proto, const std::string& what) {
  switch (type.kind) {
    case ValueType::Kind::kTensor:
      return TensorTypeToProto(type.tensor, proto->mutable_tensortype(), what);
    case ValueType::Kind::kState:
      return TensorTypeToProto(type.tensor, proto->mutable_statetype()->mutable_wrappedtype()->mutable_tensortype(),
                               what);
    case ValueType::Kind::kDict: {
      auto* d = proto->mutable_dictionarytype();
      d->mutable_keytype()->mutable_tensortype()->set_datatype(milspec::STRING);
      return TensorTypeToProto(type.tensor, d->mutable_valuetype()->mutable_tensortype(), what);
    }
  }
  return InvalidArgument(what, ": unknown value kind");
}

Result<Literal> LiteralFromProto(const milspec::Value& proto, const BlobReadFn& read_blob,
                                 const std::string& what) {
  if (!proto.has_type()) return FormatError(what, ": value has no type");
  Literal lit;
  ANEMLL_ASSIGN_OR_RETURN(lit.type, ValueTypeFromProto(proto.type(), what));
  lit.doc_string = proto.docstring();
  if (lit.type.kind == ValueType::Kind::kState) return FormatError(what, ": a literal cannot have a state type");
  if (lit.type.kind == ValueType::Kind::kDict) {
    if (proto.value_case() != milspec::Value::kImmediateValue || !proto.immediatevalue().has_dictionary()) {
      return FormatError(what, ": dictionary literal has no dictionary value");
    }
    if (lit.type.tensor.dtype != DType::kString) {
      return Unsupported(what, ": only string -> string dictionaries are supported");
    }
    for (const auto& kv : proto.immediatevalue().dictionary().values()) {
      ANEMLL_ASSIGN_OR_RETURN(std::string key, ScalarString(kv.key(), what + " key"));
      ANEMLL_ASSIGN_OR_RETURN(std::string value, ScalarString(kv.value(), what + " value of " + key));
      lit.string_dict.emplace_back(std::move(key), std::move(value));
    }
    return lit;
  }
  const int64_t n = lit.num_elements();
  if (n < 0) return FormatError(what, ": literal of type ", TypeText(lit.type.tensor), " has unknown dimensions");
  switch (proto.value_case()) {
    case milspec::Value::kBlobFileValue: {
      const auto& blob = proto.blobfilevalue();
      if (!read_blob) return FormatError(what, ": blob reference without a weight file");
      ANEMLL_ASSIGN_OR_RETURN(lit.data, read_blob(blob.filename(), blob.offset(), lit.type.tensor.dtype, n, what));
      lit.blob = BlobRef{blob.filename(), blob.offset()};
      return lit;
    }
    case milspec::Value::kImmediateValue: {
      const auto& imm = proto.immediatevalue();
      if (!imm.has_tensor()) return Unsupported(what, ": only tensor immediate values are supported");
      ANEMLL_RETURN_IF_ERROR(DecodeTensorValue(imm.tensor(), &lit, what));
      return lit;
    }
    case milspec::Value::VALUE_NOT_SET:
      break;
  }
  return FormatError(what, ": value has neither an immediate value nor a blob reference");
}

Status LiteralToProto(const Literal& lit, std::optional<uint64_t> blob_offset, milspec::Value* proto,
                      const std::string& what) {
  if (!lit.doc_string.empty()) proto->set_docstring(lit.doc_string);
  if (lit.type.kind == ValueType::Kind::kState) return InvalidArgument(what, ": a literal cannot have a state type");
  ANEMLL_RETURN_IF_ERROR(ValueTypeToProto(lit.type, proto->mutable_type(), what));
  if (lit.type.kind == ValueType::Kind::kDict) {
    auto* dict = proto->mutable_immediatevalue()->mutable_dictionary();
    for (const auto& [k, v] : lit.string_dict) {
      auto* kv = dict->add_values();
      SetScalarString(k, kv->mutable_key());
      SetScalarString(v, kv->mutable_value());
    }
    return Status::Ok();
  }
  const DType dt = lit.type.tensor.dtype;
  const int64_t n = lit.num_elements();
  if (n < 0) return InvalidArgument(what, ": literal of type ", TypeText(lit.type.tensor), " has unknown dimensions");
  if (blob_offset) {
    auto* blob = proto->mutable_blobfilevalue();
    blob->set_filename(kWeightFileName);
    blob->set_offset(*blob_offset);
    return Status::Ok();
  }
  auto* tv = proto->mutable_immediatevalue()->mutable_tensor();
  if (dt == DType::kString) {
    if (static_cast<int64_t>(lit.strings.size()) != n) {
      return InvalidArgument(what, ": ", lit.strings.size(), " strings for ", TypeText(lit.type.tensor));
    }
    auto* s = tv->mutable_strings();
    for (const auto& str : lit.strings) s->add_values(str);
    return Status::Ok();
  }
  const uint64_t expected = StorageBytes(dt, static_cast<uint64_t>(n));
  const size_t have = lit.data ? lit.data->size() : 0;
  if (have != expected) {
    return InvalidArgument(what, ": literal data has ", have, " bytes, ", TypeText(lit.type.tensor), " needs ",
                           expected);
  }
  const uint8_t* p = have ? lit.data->data() : nullptr;
  auto load = [&](auto sample, int64_t i) {
    decltype(sample) v;
    std::memcpy(&v, p + i * sizeof v, sizeof v);
    return v;
  };
  switch (dt) {
    case DType::kFp32: {
      auto* f = tv->mutable_floats();
      for (int64_t i = 0; i < n; ++i) f->add_values(load(float{}, i));
      return Status::Ok();
    }
    case DType::kFp64: {
      auto* f = tv->mutable_doubles();
      for (int64_t i = 0; i < n; ++i) f->add_values(load(double{}, i));
      return Status::Ok();
    }
    case DType::kInt16:
    case DType::kUInt16:
    case DType::kInt32: {
      auto* f = tv->mutable_ints();
      for (int64_t i = 0; i < n; ++i) {
        int32_t v = dt == DType::kInt16    ? load(int16_t{}, i)
                    : dt == DType::kUInt16 ? load(uint16_t{}, i)
                                           : load(int32_t{}, i);
        f->add_values(v);
      }
      return Status::Ok();
    }
    case DType::kInt64:
    case DType::kUInt64: {
      auto* f = tv->mutable_longints();
      for (int64_t i = 0; i < n; ++i) f->add_values(load(int64_t{}, i));
      return Status::Ok();
    }
    case DType::kBool: {
      auto* f = tv->mutable_bools();
      for (int64_t i = 0; i < n; ++i) f->add_values(p[i] != 0);
      return Status::Ok();
    }
    default:  // fp16, bf16, int8, uint8, uint32 and sub-byte types: raw bytes
      tv->mutable_bytes()->set_values(p ? std::string(reinterpret_cast<const char*>(p), have) : std::string());
      return Status::Ok();
  }
}

Result<std::string> StringScalarFromProto(const milspec::Value& proto, const std::string& what) {
  return ScalarString(proto, what);
}

void StringScalarToProto(const std::string& value, milspec::Value* proto) { SetScalarString(value, proto); }

}  // namespace anemll::mil::coreml
