// Weight decompression (constexpr_*) and state access (read_state, write_state).
#include <cmath>
#include <cstring>

#include "base/half.h"
#include "kernels/half_convert.h"
#include "kernels/lut_gemm.h"
#include "runtime/ops_common.h"

namespace anemll::runtime::internal {
namespace {

using mil::DType;

// A constexpr parameter as a literal: an inline binding (iOS18) or an attribute (iOS16/17).
std::shared_ptr<const mil::Literal> LiteralParam(const OpBuilder& b, const std::string& param) {
  const mil::Operation& op = b.op();
  auto it = op.inputs.find(param);
  if (it != op.inputs.end() && it->second.size() == 1 && it->second[0].is_literal()) return it->second[0].literal;
  auto at = op.attributes.find(param);
  if (at != op.attributes.end()) return std::make_shared<const mil::Literal>(at->second);
  return nullptr;
}

int LutBits(DType dtype) {
  switch (dtype) {
    case DType::kUInt1: return 1;
    case DType::kUInt2: return 2;
    case DType::kUInt3: return 3;
    case DType::kUInt4: return 4;
    case DType::kUInt6: return 6;
    case DType::kUInt8: return 8;
    default: return 0;
  }
}

DType UIntOfBits(int bits) {
  switch (bits) {
    case 1: return DType::kUInt1;
    case 2: return DType::kUInt2;
    case 3: return DType::kUInt3;
    case 4: return DType::kUInt4;
    case 6: return DType::kUInt6;
    default: return DType::kUInt8;
  }
}

Status CheckBytes(const mil::Literal& lit, const char* what) {
  const int64_t n = lit.type.tensor.num_elements();
  const int bits = mil::DTypeBits(lit.type.tensor.dtype);
  if (n < 0 || bits == 0) return FormatError(what, " has an unknown shape or dtype");
  const size_t need = static_cast<size_t>((n * bits + 7) / 8);
  if (!lit.data || lit.data->size() < need) {
    return FormatError(what, " ", mil::DTypeName(lit.type.tensor.dtype), ShapeString(lit.type.tensor.shape), " holds ",
                       lit.data ? lit.data->size() : 0, " bytes, expected ", need);
  }
  return Status::Ok();
}

Status BuildLutToDense(OpBuilder& b) {
  auto indices = LiteralParam(b, "indices");
  auto lut = LiteralParam(b, "lut");
  if (!indices || !lut) return Unsupported("constexpr_lut_to_dense needs literal 'indices' and 'lut'");
  auto src = std::make_shared<LutSource>();
  const DType lut_dtype = lut->type.tensor.dtype;
  if (lut_dtype != DType::kFp16 && lut_dtype != DType::kFp32 && lut_dtype != DType::kInt8 && lut_dtype != DType::kUInt8) {
    return InvalidArgument("lut dtype ", mil::DTypeName(lut_dtype), " (expected fp16, fp32, int8 or uint8)");
  }
  ANEMLL_RETURN_IF_ERROR(CheckBytes(*lut, "lut"));
  if (b.Has("shape") || b.op().attributes.count("shape")) {
    // iOS16 form: 1-D packed uint8 indices, lut [2^nbits], explicit output shape.
    auto shape_lit = LiteralParam(b, "shape");
    if (!shape_lit) return Unsupported("constexpr_lut_to_dense 'shape' must be a literal");
    std::vector<int64_t> shape;
    for (int64_t i = 0; i < shape_lit->num_elements(); ++i) shape.push_back(shape_lit->GetInt(i));
    const int64_t entries = lut->num_elements();
    int bits = 0;
    while ((int64_t{1} << bits) < entries) ++bits;
    if ((int64_t{1} << bits) != entries || LutBits(UIntOfBits(bits)) != bits) {
      return InvalidArgument("lut has ", entries, " entries, not 2^nbits for nbits in {1,2,3,4,6,8}");
    }
    auto idx = std::make_shared<mil::Literal>(*indices);
    idx->type = mil::ValueType::Tensor(UIntOfBits(bits), shape);
    ANEMLL_RETURN_IF_ERROR(CheckBytes(*idx, "indices"));
    auto l = std::make_shared<mil::Literal>(*lut);
    std::vector<int64_t> lshape(shape.size(), 1);
    lshape.push_back(entries);
    lshape.push_back(1);
    l->type = mil::ValueType::Tensor(lut_dtype, lshape);
    src->indices = idx;
    src->lut = l;
    src->bits = bits;
    src->shape = shape;
    src->groups.assign(shape.size(), 1);
  } else {
    const int bits = LutBits(indices->type.tensor.dtype);
    if (bits == 0) return InvalidArgument("indices dtype ", mil::DTypeName(indices->type.tensor.dtype), " is not uint1..uint8");
    ANEMLL_RETURN_IF_ERROR(CheckBytes(*indices, "indices"));
    const std::vector<int64_t>& ishape = indices->type.tensor.shape;
    const std::vector<int64_t>& lshape = lut->type.tensor.shape;
    const size_t K = ishape.size();
    if (lshape.size() != K + 2 || lshape[K] != (int64_t{1} << bits)) {
      return InvalidArgument("lut ", ShapeString(lshape), " does not fit indices ", ShapeString(ishape), " of ", bits,
                             " bits (expected rank ", K + 2, " with 2^", bits, " palette entries)");
    }
    src->vector_size = lshape[K + 1];
    src->shape = ishape;
    if (src->vector_size < 1) return InvalidArgument("lut vector size ", src->vector_size);
    if (src->vector_size > 1) {
      ANEMLL_ASSIGN_OR_RETURN(int64_t va, b.ConstInt("vector_axis"));
      ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(va, static_cast<int>(K), "vector_axis"));
      src->vector_axis = axis;
      src->shape[axis] *= src->vector_size;
    }
    for (size_t d = 0; d < K; ++d) {
      if (lshape[d] <= 0 || ishape[d] % lshape[d] != 0) {
        return InvalidArgument("lut group dims ", ShapeString(lshape), " do not divide indices ", ShapeString(ishape));
      }
      src->groups.push_back(lshape[d]);
    }
    src->indices = indices;
    src->lut = lut;
    src->bits = bits;
  }
  const DType out_dtype = lut_dtype;
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.ConstOutput(0, out_dtype, src->shape, /*deferred=*/true));
  out->lut = src;
  return Status::Ok();
}

// Reads element i of a constexpr data literal as double (sub-byte ints included).
double LiteralValue(const mil::Literal& lit, int64_t i) {
  const DType dt = lit.type.tensor.dtype;
  if (mil::IsSubByte(dt)) {
    uint32_t v = kernels::ReadPackedIndex(lit.data->data(), mil::DTypeBits(dt), i);
    if (dt == DType::kInt4 && (v & 8u)) return static_cast<double>(static_cast<int32_t>(v | ~0xfu));
    return v;
  }
  return lit.GetDouble(i);
}

// Value of a constexpr parameter that may also be a named value (the output of another
// constexpr op): returned as a slot.
Result<Slot*> ParamSlot(OpBuilder& b, const std::string& param) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * s, b.Input(param));
  if (!s->is_const) return InvalidArgument("input '", param, "' must be a constant");
  return s;
}

Status BuildBlockwiseShiftScale(OpBuilder& b) {
  auto data_lit = LiteralParam(b, "data");
  Slot* data_slot = nullptr;
  std::vector<int64_t> dshape;
  if (data_lit) {
    ANEMLL_RETURN_IF_ERROR(CheckBytes(*data_lit, "data"));
    dshape = data_lit->type.tensor.shape;
  } else {
    ANEMLL_ASSIGN_OR_RETURN(data_slot, ParamSlot(b, "data"));
    dshape = data_slot->shape;
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * scale, ParamSlot(b, "scale"));
  Slot* offset = nullptr;
  if (b.Has("offset")) {
    ANEMLL_ASSIGN_OR_RETURN(offset, ParamSlot(b, "offset"));
  }
  const size_t rank = dshape.size();
  if (scale->shape.size() != rank || (offset && offset->shape != scale->shape)) {
    return InvalidArgument("scale ", ShapeString(scale->shape), " / offset must have the rank of data ", ShapeString(dshape));
  }
  std::vector<int64_t> block(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (scale->shape[d] <= 0 || dshape[d] % scale->shape[d] != 0) {
      return InvalidArgument("scale ", ShapeString(scale->shape), " does not divide data ", ShapeString(dshape));
    }
    block[d] = dshape[d] / scale->shape[d];
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.ConstOutput(0, scale->dtype, dshape));
  const std::vector<int64_t> ds = Strides(dshape), ss = Strides(scale->shape);
  for (int64_t i = 0; i < out->count; ++i) {
    int64_t si = 0;
    for (size_t d = 0; d < rank; ++d) si += ((i / ds[d]) % dshape[d]) / block[d] * ss[d];
    const double v = data_lit ? LiteralValue(*data_lit, i) : SlotDouble(*data_slot, i);
    const double r = SlotDouble(*scale, si) * (v - (offset ? SlotDouble(*offset, si) : 0.0));
    if (out->storage == Storage::kF16) {
      reinterpret_cast<uint16_t*>(out->data)[i] = FloatToHalf(static_cast<float>(r));
    } else {
      out->f32()[i] = static_cast<float>(r);
    }
  }
  return Status::Ok();
}

Status BuildAffineDequantize(OpBuilder& b) {
  auto q = LiteralParam(b, "quantized_data");
  if (!q) return Unsupported("constexpr_affine_dequantize needs a literal 'quantized_data'");
  ANEMLL_RETURN_IF_ERROR(CheckBytes(*q, "quantized_data"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * zp, ParamSlot(b, "zero_point"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * scale, ParamSlot(b, "scale"));
  const std::vector<int64_t>& shape = q->type.tensor.shape;
  ANEMLL_ASSIGN_OR_RETURN(int64_t axis_raw, b.ConstInt("axis", 0));
  ANEMLL_ASSIGN_OR_RETURN(int axis, NormalizeAxis(axis_raw, static_cast<int>(shape.size()), "axis"));
  for (const Slot* s : {zp, scale}) {
    if (s->count != 1 && s->count != shape[axis]) {
      return InvalidArgument("scale/zero_point has ", s->count, " values, expected 1 or ", shape[axis]);
    }
  }
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.ConstOutput(0, scale->dtype, shape));
  const std::vector<int64_t> st = Strides(shape);
  for (int64_t i = 0; i < out->count; ++i) {
    const int64_t c = (i / st[axis]) % shape[axis];
    const double z = SlotDouble(*zp, zp->count == 1 ? 0 : c), s = SlotDouble(*scale, scale->count == 1 ? 0 : c);
    const double r = s * (LiteralValue(*q, i) - z);
    if (out->storage == Storage::kF16) {
      reinterpret_cast<uint16_t*>(out->data)[i] = FloatToHalf(static_cast<float>(r));
    } else {
      out->f32()[i] = static_cast<float>(r);
    }
  }
  return Status::Ok();
}

Status BuildConstexprCast(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * src, ParamSlot(b, "source_val"));
  ANEMLL_ASSIGN_OR_RETURN(std::string name, b.ConstString("output_dtype"));
  const DType to = mil::DTypeFromName(name);
  if (to != DType::kFp32 && to != DType::kFp16) return Unsupported("constexpr_cast to '", name, "'");
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.ConstOutput(0, to, src->shape));
  for (int64_t i = 0; i < out->count; ++i) {
    const float v = static_cast<float>(SlotDouble(*src, i));
    if (out->storage == Storage::kF16) {
      reinterpret_cast<uint16_t*>(out->data)[i] = FloatToHalf(v);
    } else {
      out->f32()[i] = v;
    }
  }
  return Status::Ok();
}

Status BuildSparseToDense(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * nz, ParamSlot(b, "nonzero_data"));
  auto mask = LiteralParam(b, "mask");
  if (!mask || mask->type.tensor.dtype != DType::kUInt1) return Unsupported("constexpr_sparse_to_dense needs a uint1 mask");
  ANEMLL_RETURN_IF_ERROR(CheckBytes(*mask, "mask"));
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.ConstOutput(0, nz->dtype, mask->type.tensor.shape));
  int64_t k = 0;
  for (int64_t i = 0; i < out->count; ++i) {
    const bool set = kernels::ReadPackedIndex(mask->data->data(), 1, i) != 0;
    if (set && k >= nz->count) return InvalidArgument("mask has more set bits than the ", nz->count, " nonzero values");
    const double v = set ? SlotDouble(*nz, k++) : 0.0;
    if (out->storage == Storage::kF16) {
      reinterpret_cast<uint16_t*>(out->data)[i] = FloatToHalf(static_cast<float>(v));
    } else if (out->storage == Storage::kF32) {
      out->f32()[i] = static_cast<float>(v);
    } else {
      out->i32()[i] = static_cast<int32_t>(v);
    }
  }
  return Status::Ok();
}

Status BuildReadState(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * st, b.Input("input"));
  if (st->state < 0) return InvalidArgument("input '", st->name, "' is not a state");
  ANEMLL_ASSIGN_OR_RETURN(Slot * out, b.Output(0, st->dtype, st->shape));
  b.SideEffects();
  b.NoRounding();
  const int index = st->state;
  b.SetRun([out, index](const RunContext& ctx) {
    StateTensor* s = ctx.plan->states[static_cast<size_t>(index)].bound;
    if (s->fp16) {
      kernels::HalfToFloat(s->half_data(), out->f32(), static_cast<size_t>(out->count));
    } else {
      std::memcpy(out->f32(), s->float_data(), out->bytes());
    }
    return Status::Ok();
  });
  return Status::Ok();
}

Status BuildWriteState(OpBuilder& b) {
  ANEMLL_ASSIGN_OR_RETURN(Slot * st, b.Input("input"));
  if (st->state < 0) return InvalidArgument("input '", st->name, "' is not a state");
  ANEMLL_ASSIGN_OR_RETURN(Slot * data, b.Input("data"));
  ANEMLL_RETURN_IF_ERROR(RequireFloat(data, "data"));
  ANEMLL_ASSIGN_OR_RETURN(data, b.AsF32(data));
  if (data->shape != st->shape) {
    return InvalidArgument("data ", ShapeString(data->shape), " does not match state ", st->name, " ",
                           ShapeString(st->shape));
  }
  b.SideEffects();
  const int index = st->state;
  b.SetRun([data, index](const RunContext& ctx) {
    StateTensor* s = ctx.plan->states[static_cast<size_t>(index)].bound;
    if (s->fp16) {
      kernels::FloatToHalf(data->f32(), s->half_data(), static_cast<size_t>(data->count));
    } else {
      std::memcpy(s->float_data(), data->f32(), data->bytes());
    }
    return Status::Ok();
  });
  return Status::Ok();
}

}  // namespace

void RegisterConstOps(std::map<std::string, OpBuildFn>& r) {
  r["constexpr_lut_to_dense"] = &BuildLutToDense;
  r["constexpr_blockwise_shift_scale"] = &BuildBlockwiseShiftScale;
  r["constexpr_affine_dequantize"] = &BuildAffineDequantize;
  r["constexpr_cast"] = &BuildConstexprCast;
  r["constexpr_sparse_to_dense"] = &BuildSparseToDense;
  r["read_state"] = &BuildReadState;
  r["write_state"] = &BuildWriteState;
}

}  // namespace anemll::runtime::internal
