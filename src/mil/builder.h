// Builds MIL functions op by op, the way coremltools' pymil builder does, so that our packages
// look like theirs:
// * every op gets a unique name (`linear_0`, `linear_1`, ...; Name() gives it the caller's);
//   a single output is named like its op, several outputs `<op>_0`, `<op>_1`, ...;
// * literal parameters become const ops named `<op>_<param>_<n>` (variadic elements
//   `<op>_<param><i>_<n>`), except for constexpr ops, which take literals inline (iOS18);
// * optional parameters with a non-None default are materialized (linear's zero bias, matmul's
//   transpose flags, concat's interleave, conv's strides/pad/dilations/groups, ...);
// * every op is checked against the iOS18 op table and its output types are inferred.
//
// Big weights: a Literal holds a shared_ptr<const Buffer>; pass the same Buffer to several
// functions and the package writer stores it once.
//
// Errors never abort: the first error is kept (sticky), later calls return invalid Values, and
// Finish() returns it, e.g. "build main: op q_proj (linear): input 'weight' ...".
//
//   FunctionBuilder b("infer");
//   Value x = b.Input("hidden_states", DType::kFp16, {1, 1, 64});
//   Value w = b.Const(weight_literal);
//   Value y = b.Name("q_proj", b.Linear(x, w));   // consts: q_proj_weight_0, q_proj_bias_0
//   b.Output(y);
//   ANEMLL_ASSIGN_OR_RETURN(Function fn, b.Finish());
#pragma once

#include <cstdint>
#include <initializer_list>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "base/status.h"
#include "mil/ir.h"
#include "mil/type_inference.h"

namespace anemll::mil {

// A value made by the builder: its SSA name and type. Default-constructed = invalid (an error
// happened upstream).
struct Value {
  std::string name;
  ValueType type;

  bool valid() const { return !name.empty(); }
  DType dtype() const { return type.tensor.dtype; }
  const std::vector<int64_t>& shape() const { return type.tensor.shape; }
  int rank() const { return type.tensor.rank(); }
};

// An op argument: an earlier value or a literal (materialized as a const op, or passed inline
// to constexpr ops).
class Operand {
 public:
  Operand(Value value) : v_(std::move(value)) {}     // NOLINT: implicit by design
  Operand(Literal literal) : v_(std::move(literal)) {}  // NOLINT: implicit by design

  bool is_literal() const { return std::holds_alternative<Literal>(v_); }
  const Value& value() const { return std::get<Value>(v_); }
  const Literal& literal() const { return std::get<Literal>(v_); }
  const ValueType& type() const { return is_literal() ? literal().type : value().type; }

 private:
  std::variant<Value, Literal> v_;
};

// The elements of a variadic parameter: a braced list of values/literals or a vector of values.
class OperandList {
 public:
  OperandList(std::initializer_list<Operand> items) : items_(items) {}  // NOLINT: implicit
  OperandList(std::vector<Operand> items) : items_(std::move(items)) {}  // NOLINT: implicit
  OperandList(const std::vector<Value>& values) : items_(values.begin(), values.end()) {}  // NOLINT

  const std::vector<Operand>& items() const { return items_; }

 private:
  std::vector<Operand> items_;
};

// Literal helpers for parameters.
Literal Int32Vector(const std::vector<int32_t>& values);
Literal BoolVector(const std::vector<bool>& values);
// A scalar of a float, int32 or bool dtype (fp16 rounds to nearest).
Literal ScalarOf(DType dtype, double value);
// A tensor of `shape` filled with `value` (float, int32 or bool dtype).
Literal Filled(DType dtype, std::vector<int64_t> shape, double value);

struct ConvOptions {
  std::vector<int32_t> strides;    // default: 1 per spatial dim
  std::string pad_type = "valid";  // valid, same, same_lower, custom
  std::vector<int32_t> pad;        // default: 0 (2 per spatial dim)
  std::vector<int32_t> dilations;  // default: 1 per spatial dim
  int32_t groups = 1;
};

// Optional slice parameters (omitted when empty, like coremltools).
struct SliceOptions {
  std::vector<int32_t> stride;
  std::vector<bool> begin_mask, end_mask, squeeze_mask;
};

struct TopkOptions {
  int32_t k = 1;
  int32_t axis = -1;
  bool ascending = false;
  bool sort = true;
  bool return_indices = true;
  DType indices_dtype = DType::kInt32;  // int32 or uint16
};

class FunctionBuilder {
 public:
  explicit FunctionBuilder(std::string function_name = "main", std::string opset = "CoreML8");

  // Function inputs, in declaration order.
  Value Input(const std::string& name, DType dtype, std::vector<int64_t> shape);
  Value StateInput(const std::string& name, DType dtype, std::vector<int64_t> shape);

  // Renames the op that made `value` (it must be the most recent op) to `name`: its output
  // becomes `name` (several outputs `name_0`, ...) and the consts made for its literal
  // parameters `name_<param>_<n>`. Returns the renamed value(s). Renaming after the op is built
  // keeps nested calls safe: in Name("y", Add(Mul(a, b), c)) only the add is named.
  Value Name(const std::string& name, const Value& value);
  std::vector<Value> Name(const std::string& name, const std::vector<Value>& values);

  // Any op of the table: parameter -> operands (several only for variadic parameters).
  // Literal parameters are materialized, registry defaults added, outputs inferred.
  std::vector<Value> Op(const std::string& type,
                        const std::vector<std::pair<std::string, std::vector<Operand>>>& params);
  // Op() for single-output ops.
  Value Op1(const std::string& type,
            const std::vector<std::pair<std::string, std::vector<Operand>>>& params);

  // ---- constants ----
  Value Const(Literal value);
  // iOS18 palettized weight: indices uint1..8 with the output shape, lut
  // [g_0..g_{K-1}, 2^nbits, vector_size]; vector_axis required when vector_size > 1.
  Value ConstexprLutToDense(Literal indices, Literal lut, std::optional<int32_t> vector_axis = {});
  // `data` may be a literal or the output of another constexpr op.
  Value ConstexprBlockwiseShiftScale(Operand data, Literal scale, std::optional<Literal> offset = {});
  Value ConstexprAffineDequantize(Literal quantized_data, Literal zero_point, Literal scale, int32_t axis);
  Value ConstexprCast(Literal source_val, DType output_dtype);

  // ---- linear algebra ----
  // bias defaults to zeros of the weight dtype (materialized, as coremltools does).
  Value Linear(Operand x, Operand weight, std::optional<Operand> bias = {});
  Value Matmul(Operand x, Operand y, bool transpose_x = false, bool transpose_y = false);
  Value Conv(Operand x, Operand weight, std::optional<Operand> bias = {}, const ConvOptions& options = {});

  // ---- elementwise (numpy broadcasting) ----
  Value Add(Operand x, Operand y);
  Value Sub(Operand x, Operand y);
  Value Mul(Operand x, Operand y);
  Value RealDiv(Operand x, Operand y);
  Value Pow(Operand x, Operand y);
  Value Maximum(Operand x, Operand y);
  Value Minimum(Operand x, Operand y);
  Value FloorDiv(Operand x, Operand y);
  Value Equal(Operand x, Operand y);
  Value NotEqual(Operand x, Operand y);
  Value Less(Operand x, Operand y);
  Value LessEqual(Operand x, Operand y);
  Value Greater(Operand x, Operand y);
  Value GreaterEqual(Operand x, Operand y);
  Value LogicalAnd(Operand x, Operand y);
  Value LogicalOr(Operand x, Operand y);
  Value LogicalXor(Operand x, Operand y);
  Value LogicalNot(Operand x);
  Value Select(Operand cond, Operand a, Operand b);

  // ---- unary / activations ----
  Value Sqrt(Operand x);
  Value Rsqrt(Operand x, double epsilon = 1e-12);  // epsilon in x's dtype
  Value Exp(Operand x);
  Value Log(Operand x, double epsilon = 1e-45);
  Value Sin(Operand x);
  Value Cos(Operand x);
  Value Tanh(Operand x);
  Value Sigmoid(Operand x);
  Value Silu(Operand x);
  Value Relu(Operand x);
  Value Gelu(Operand x, const std::string& mode = "EXACT");  // EXACT, TANH_APPROXIMATION, SIGMOID_APPROXIMATION
  Value Erf(Operand x);
  Value Square(Operand x);
  Value Abs(Operand x);
  Value Softmax(Operand x, int32_t axis = -1);
  Value Clip(Operand x, double alpha, double beta);  // bounds in x's dtype
  Value Cast(Operand x, DType dtype);

  // ---- reductions / normalization ----
  Value ReduceMean(Operand x, const std::vector<int32_t>& axes, bool keep_dims = false);
  Value ReduceSum(Operand x, const std::vector<int32_t>& axes, bool keep_dims = false);
  Value ReduceMax(Operand x, const std::vector<int32_t>& axes, bool keep_dims = false);
  Value ReduceMin(Operand x, const std::vector<int32_t>& axes, bool keep_dims = false);
  Value ReduceArgmax(Operand x, int32_t axis = -1, bool keep_dims = false, DType output_dtype = DType::kInt32);
  // gamma/beta omitted when not given; epsilon in x's dtype.
  Value LayerNorm(Operand x, const std::vector<int32_t>& axes, std::optional<Operand> gamma = {},
                  std::optional<Operand> beta = {}, double epsilon = 1e-5);

  // ---- shaping ----
  Value Concat(const OperandList& values, int32_t axis, bool interleave = false);
  std::vector<Value> Split(Operand x, int32_t axis, int32_t num_splits);
  std::vector<Value> SplitSizes(Operand x, int32_t axis, const std::vector<int32_t>& sizes);
  Value Reshape(Operand x, const std::vector<int32_t>& shape);
  Value Reshape(Operand x, Operand shape);  // runtime shape
  Value Transpose(Operand x, const std::vector<int32_t>& perm);
  Value ExpandDims(Operand x, const std::vector<int32_t>& axes);
  Value Squeeze(Operand x, std::optional<std::vector<int32_t>> axes = {});
  Value SliceByIndex(Operand x, Operand begin, Operand end, const SliceOptions& options = {});
  Value SliceBySize(Operand x, Operand begin, Operand size);
  Value SliceUpdate(Operand x, Operand update, Operand begin, Operand end,
                    const SliceOptions& options = {});
  Value Gather(Operand x, Operand indices, int32_t axis = 0, int32_t batch_dims = 0,
               bool validate_indices = false);
  Value GatherAlongAxis(Operand x, Operand indices, int32_t axis = 0, bool validate_indices = false);
  Value BandPart(Operand x, int32_t lower = -1, int32_t upper = -1);
  Value Fill(Operand shape, Operand value);
  Value FillLike(Operand ref_tensor, Operand value);
  Value Range1d(Operand end, Operand start, Operand step);
  Value Tile(Operand x, Operand reps);
  // {values, indices} (indices only with return_indices).
  std::vector<Value> Topk(Operand x, const TopkOptions& options = {});

  // ---- attention / states ----
  Value ScaledDotProductAttention(Operand query, Operand key, Operand value,
                                  std::optional<Operand> attn_mask = {});
  Value ReadState(const Value& state);
  // `name` names the op (write_state has no output to pass to Name()).
  void WriteState(const Value& state, Operand data, const std::string& name = "");

  // ---- finishing ----
  // Adds a block output (in order). The output is named like the value.
  void Output(const Value& value);
  // The function (validated); or the first error.
  Result<Function> Finish();

  const Status& status() const { return status_; }
  const std::string& function_name() const { return function_name_; }
  const TypeEnv& env() const { return env_; }

 private:
  std::string UniqueName(const std::string& base);
  std::string AutoOpName(const std::string& type);
  void Fail(Status status);
  // Adds a function input (tensor or state); `what` names it in errors.
  Value DeclareInput(const std::string& name, ValueType type, const char* what);
  // Makes a const op for a literal parameter of op `op_name`.
  Value MaterializeConst(const std::string& op_name, const std::string& label, Literal literal);
  Value Binary(const std::string& type, Operand x, Operand y);
  Value Unary(const std::string& type, Operand x);
  Value Reduce(const std::string& type, Operand x, const std::vector<int32_t>& axes, bool keep_dims);

  std::string function_name_;
  Function function_;
  TypeEnv env_;
  std::set<std::string> used_names_;
  std::map<std::string, int> type_counters_;
  // The most recent op (index into the block) and the consts made for it (index, label).
  size_t last_op_ = SIZE_MAX;
  std::vector<std::pair<size_t, std::string>> last_op_consts_;
  std::vector<std::pair<size_t, std::string>> pending_consts_;
  Status status_;
  bool finished_ = false;
};

}  // namespace anemll::mil
