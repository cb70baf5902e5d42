// ML Program (MIL) intermediate representation: program -> functions -> blocks -> operations ->
// typed values. It mirrors MIL.proto closely (see docs/coreml-format.md) so that a package read
// and written back is the same program, and it is what the builder makes, the .mlpackage
// writer serializes and the runtime compiles into kernel plans.
//
// Shared contract: the coreml reader/writer, the builder and the runtime all use these types.
// Extend additively; do not rename or remove members.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace anemll::mil {

// Element types of MIL tensors (MIL.proto DataType, by name rather than proto number).
enum class DType : uint8_t {
  kInvalid = 0,
  kBool,
  kString,
  kFp16,
  kFp32,
  kFp64,
  kBf16,
  kInt4,
  kInt8,
  kInt16,
  kInt32,
  kInt64,
  kUInt1,
  kUInt2,
  kUInt3,
  kUInt4,
  kUInt6,
  kUInt8,
  kUInt16,
  kUInt32,
  kUInt64,
};

// MIL text name: "fp16", "int32", "uint4", "bool", "string" ...
const char* DTypeName(DType dtype);
// Parses a MIL text name (as used by cast's `dtype` parameter); kInvalid if unknown.
DType DTypeFromName(const std::string& name);
// Bits per element in storage (1..64); 0 for string/invalid.
int DTypeBits(DType dtype);
bool IsFloat(DType dtype);    // fp16, fp32, fp64, bf16
bool IsInteger(DType dtype);  // signed or unsigned integer of any width
bool IsSubByte(DType dtype);  // int4, uint1/2/3/4/6

constexpr int64_t kUnknownDim = -1;

struct TensorType {
  DType dtype = DType::kInvalid;
  std::vector<int64_t> shape;  // rank-0 = scalar; kUnknownDim for an unknown (flexible) dim
  bool unknown_rank = false;   // TensorType.rank == -1 in the proto

  int rank() const { return static_cast<int>(shape.size()); }
  bool is_scalar() const { return !unknown_rank && shape.empty(); }
  bool has_unknown_dims() const;
  // Product of dims; -1 if any dim is unknown.
  int64_t num_elements() const;
  bool operator==(const TensorType&) const = default;
};

// Type of a value: a tensor, or a state wrapping a tensor (stateful models). Tuple/list/dict
// types only occur in attributes (e.g. the program's buildInfo dictionary).
struct ValueType {
  enum class Kind : uint8_t { kTensor, kState, kDict };
  Kind kind = Kind::kTensor;
  TensorType tensor;  // the tensor type, or the tensor a state wraps, or the dict value type

  static ValueType Tensor(DType dtype, std::vector<int64_t> shape) {
    return ValueType{Kind::kTensor, TensorType{dtype, std::move(shape), false}};
  }
  static ValueType State(DType dtype, std::vector<int64_t> shape) {
    return ValueType{Kind::kState, TensorType{dtype, std::move(shape), false}};
  }
  bool operator==(const ValueType&) const = default;
};

// Immutable bytes of a constant. Either owned, or borrowed from a memory-mapped weight.bin that
// `owner` keeps alive (so big weights are never copied on load).
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::vector<uint8_t> bytes);
  Buffer(std::shared_ptr<const void> owner, const uint8_t* data, size_t size)
      : owner_(std::move(owner)), data_(data), size_(size) {}

  const uint8_t* data() const { return data_; }
  size_t size() const { return size_; }
  bool operator==(const Buffer& other) const;  // byte-wise

 private:
  std::shared_ptr<const void> owner_;
  const uint8_t* data_ = nullptr;
  size_t size_ = 0;
};

// Where a constant lives in weight.bin. Set by the reader; the writer assigns its own offsets
// (and reuses one blob for literals that share the same Buffer object or identical bytes).
struct BlobRef {
  std::string file;         // "@model_path/weights/weight.bin"
  uint64_t offset = 0;      // offset of the blob's 64-byte metadata record
  bool operator==(const BlobRef&) const = default;
};

// A literal value (MIL.proto Value): the `val` of a const op, an attribute, or an inline
// constexpr argument.
//
// Data layout in `data`: little-endian, row-major, in the dtype's storage width: fp16/bf16 as
// uint16 bits, bool as one byte per element (0/1), int16/uint16 as 2 bytes, int4 and uint1..6 as
// one continuous LSB-first bit stream (exactly as in weight.bin). Strings go in `strings`.
struct Literal {
  ValueType type;
  std::shared_ptr<const Buffer> data;  // shared so that several ops/functions can share one blob
  std::vector<std::string> strings;    // dtype string
  std::vector<std::pair<std::string, std::string>> string_dict;  // kind == kDict (string -> string)
  std::optional<BlobRef> blob;         // set when read from weight.bin
  std::string doc_string;

  // Scalar/vector accessors for small literals (converting from the stored dtype);
  // element `i` in row-major order. Valid for numeric and bool dtypes.
  double GetDouble(int64_t i = 0) const;
  int64_t GetInt(int64_t i = 0) const;
  int64_t num_elements() const { return type.tensor.num_elements(); }

  // Equal type and contents (blob placement is not compared).
  bool SameValue(const Literal& other) const;

  static Literal Fp32(std::vector<int64_t> shape, const std::vector<float>& values);
  static Literal Fp16(std::vector<int64_t> shape, const std::vector<float>& values);  // rounds
  static Literal Fp16Bits(std::vector<int64_t> shape, std::vector<uint16_t> bits);
  static Literal Int32(std::vector<int64_t> shape, const std::vector<int32_t>& values);
  static Literal Bool(std::vector<int64_t> shape, const std::vector<bool>& values);
  static Literal String(const std::string& value);
  static Literal ScalarFp32(float v) { return Fp32({}, {v}); }
  static Literal ScalarInt32(int32_t v) { return Int32({}, {v}); }
  static Literal ScalarBool(bool v) { return Bool({}, {v}); }
  // Raw packed bytes in the dtype's storage layout (see above).
  static Literal Raw(DType dtype, std::vector<int64_t> shape, std::shared_ptr<const Buffer> data);
};

// One binding of an operation parameter: a reference to an earlier value by name, or a literal
// (iOS18 constexpr ops take their constant inputs as literals).
struct Argument {
  std::string name;                        // non-empty: a value name
  std::shared_ptr<const Literal> literal;  // otherwise: an inline literal

  static Argument Ref(std::string name) { return Argument{std::move(name), nullptr}; }
  static Argument Lit(Literal lit) {
    return Argument{std::string(), std::make_shared<const Literal>(std::move(lit))};
  }
  bool is_literal() const { return name.empty(); }
};

struct NamedValueType {
  std::string name;
  ValueType type;
  bool operator==(const NamedValueType&) const = default;
};

struct Block;

struct Operation {
  std::string type;  // op kind: "const", "linear", "constexpr_lut_to_dense", ...
  std::string name;  // attributes["name"]
  // Parameter -> bindings (more than one only for variadic parameters such as concat's values).
  std::map<std::string, std::vector<Argument>> inputs;
  std::vector<NamedValueType> outputs;
  // Attributes other than "name" (a const op's "val"; iOS16/17 constexpr parameters).
  std::map<std::string, Literal> attributes;
  std::vector<Block> blocks;  // nested blocks (control flow; not used by anemll's graphs)

  // The single binding of a parameter, or nullptr if absent.
  const Argument* Input(const std::string& param) const;
};

struct Block {
  std::vector<NamedValueType> inputs;  // only for nested blocks
  std::vector<Operation> operations;   // topologically sorted
  std::vector<std::string> outputs;    // names of the values the block returns
};

struct Function {
  std::vector<NamedValueType> inputs;  // tensors and states, in declared order
  std::string opset = "CoreML8";
  Block block;                         // block_specializations[opset]
};

struct Program {
  int64_t version = 1;
  std::map<std::string, Function> functions;
  std::map<std::string, Literal> attributes;  // e.g. "buildInfo"
};

// ---- Model description (Model.proto / FeatureTypes.proto) ------------------------------------

// ArrayFeatureType.dataType
enum class ArrayDType : int32_t {
  kInvalid = 0,
  kFp32 = 65568,
  kFp64 = 65600,
  kInt32 = 131104,
  kFp16 = 65552,
  kInt8 = 131080,
};

struct FeatureType {
  enum class Kind : uint8_t { kMultiArray, kState, kInt64, kDouble, kString };
  Kind kind = Kind::kMultiArray;
  ArrayDType dtype = ArrayDType::kInvalid;
  std::vector<int64_t> shape;                            // default / fixed shape (may be empty)
  std::vector<std::vector<int64_t>> enumerated_shapes;   // EnumeratedShapes
  std::vector<std::pair<int64_t, int64_t>> shape_range;  // ShapeRange (lower, upper; -1 unbounded)
  bool optional = false;
  bool operator==(const FeatureType&) const = default;
};

struct FeatureDescription {
  std::string name;
  std::string short_description;
  FeatureType type;
  bool operator==(const FeatureDescription&) const = default;
};

struct FunctionDescription {
  std::string name;
  std::vector<FeatureDescription> inputs;
  std::vector<FeatureDescription> outputs;
  std::vector<FeatureDescription> states;
  bool operator==(const FunctionDescription&) const = default;
};

struct Metadata {
  std::string short_description;
  std::string version;
  std::string author;
  std::string license;
  std::map<std::string, std::string> user_defined;
  bool operator==(const Metadata&) const = default;
};

struct ModelDescription {
  // Single-function models ("main"): top-level lists. Multifunction: `functions` +
  // `default_function_name`, top-level lists empty.
  std::vector<FeatureDescription> inputs;
  std::vector<FeatureDescription> outputs;
  std::vector<FeatureDescription> states;
  std::vector<FunctionDescription> functions;
  std::string default_function_name;
  Metadata metadata;
  bool operator==(const ModelDescription&) const = default;

  bool is_multifunction() const { return !functions.empty(); }
  // The description of one function (for single-function models, "main" maps to the top-level
  // lists); nullopt if there is no such function.
  std::optional<FunctionDescription> Function(const std::string& name) const;
  std::vector<std::string> FunctionNames() const;
};

struct Model {
  int32_t specification_version = 9;
  ModelDescription description;
  Program program;
};

}  // namespace anemll::mil
