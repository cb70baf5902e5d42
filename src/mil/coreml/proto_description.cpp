// Model descriptions: spec::ModelDescription <-> mil::ModelDescription.
#include "mil/coreml/proto_convert.h"

namespace anemll::mil::coreml {

namespace {

Result<ArrayDType> ArrayDTypeFromProto(int v, const std::string& what) {
  switch (v) {
    case static_cast<int>(ArrayDType::kFp32):
    case static_cast<int>(ArrayDType::kFp64):
    case static_cast<int>(ArrayDType::kInt32):
    case static_cast<int>(ArrayDType::kFp16):
    case static_cast<int>(ArrayDType::kInt8):
      return static_cast<ArrayDType>(v);
    default:
      return FormatError(what, ": unknown multiArray dataType ", v);
  }
}

Status ArrayFromProto(const spec::ArrayFeatureType& a, FeatureType* out, const std::string& what) {
  ANEMLL_ASSIGN_OR_RETURN(out->dtype, ArrayDTypeFromProto(a.datatype(), what));
  out->shape.assign(a.shape().begin(), a.shape().end());
  if (a.has_enumeratedshapes()) {
    for (const auto& s : a.enumeratedshapes().shapes()) out->enumerated_shapes.emplace_back(s.shape().begin(), s.shape().end());
  }
  if (a.has_shaperange()) {
    for (const auto& r : a.shaperange().sizeranges()) {
      if (r.lowerbound() > static_cast<uint64_t>(INT64_MAX)) return FormatError(what, ": shape range lower bound too large");
      out->shape_range.emplace_back(static_cast<int64_t>(r.lowerbound()), r.upperbound());
    }
  }
  return Status::Ok();
}

void ArrayToProto(const FeatureType& t, spec::ArrayFeatureType* a) {
  for (int64_t d : t.shape) a->add_shape(d);
  a->set_datatype(static_cast<spec::ArrayFeatureType::ArrayDataType>(t.dtype));
  if (!t.enumerated_shapes.empty()) {
    auto* e = a->mutable_enumeratedshapes();
    for (const auto& s : t.enumerated_shapes) {
      auto* shape = e->add_shapes();
      for (int64_t d : s) shape->add_shape(d);
    }
  } else if (!t.shape_range.empty()) {
    auto* r = a->mutable_shaperange();
    for (const auto& [lo, hi] : t.shape_range) {
      auto* sr = r->add_sizeranges();
      sr->set_lowerbound(static_cast<uint64_t>(lo < 0 ? 0 : lo));
      sr->set_upperbound(hi);
    }
  }
}

Result<FeatureDescription> FeatureFromProto(const spec::FeatureDescription& p, const std::string& list) {
  FeatureDescription f;
  f.name = p.name();
  f.short_description = p.shortdescription();
  const std::string what = StrCat("description ", list, " ", f.name.empty() ? std::string("(unnamed)") : f.name);
  if (f.name.empty()) return FormatError(what, ": feature without a name");
  if (!p.has_type()) return FormatError(what, ": feature has no type");
  const auto& t = p.type();
  f.type.optional = t.isoptional();
  switch (t.Type_case()) {
    case spec::FeatureType::kMultiArrayType:
      f.type.kind = FeatureType::Kind::kMultiArray;
      ANEMLL_RETURN_IF_ERROR(ArrayFromProto(t.multiarraytype(), &f.type, what));
      return f;
    case spec::FeatureType::kStateType:
      if (!t.statetype().has_arraytype()) return FormatError(what, ": state feature has no array type");
      f.type.kind = FeatureType::Kind::kState;
      ANEMLL_RETURN_IF_ERROR(ArrayFromProto(t.statetype().arraytype(), &f.type, what));
      return f;
    case spec::FeatureType::kInt64Type:
      f.type.kind = FeatureType::Kind::kInt64;
      return f;
    case spec::FeatureType::kDoubleType:
      f.type.kind = FeatureType::Kind::kDouble;
      return f;
    case spec::FeatureType::kStringType:
      f.type.kind = FeatureType::Kind::kString;
      return f;
    case spec::FeatureType::kImageType:
      return Unsupported(what, ": image features are not supported");
    case spec::FeatureType::kDictionaryType:
      return Unsupported(what, ": dictionary features are not supported");
    case spec::FeatureType::kSequenceType:
      return Unsupported(what, ": sequence features are not supported");
    case spec::FeatureType::TYPE_NOT_SET:
      break;
  }
  return FormatError(what, ": feature type is not set");
}

void FeatureToProto(const FeatureDescription& f, spec::FeatureDescription* p) {
  p->set_name(f.name);
  if (!f.short_description.empty()) p->set_shortdescription(f.short_description);
  auto* t = p->mutable_type();
  if (f.type.optional) t->set_isoptional(true);
  switch (f.type.kind) {
    case FeatureType::Kind::kMultiArray:
      ArrayToProto(f.type, t->mutable_multiarraytype());
      break;
    case FeatureType::Kind::kState:
      ArrayToProto(f.type, t->mutable_statetype()->mutable_arraytype());
      break;
    case FeatureType::Kind::kInt64:
      t->mutable_int64type();
      break;
    case FeatureType::Kind::kDouble:
      t->mutable_doubletype();
      break;
    case FeatureType::Kind::kString:
      t->mutable_stringtype();
      break;
  }
}

template <typename RepeatedFeatures>
Status FeaturesFromProto(const RepeatedFeatures& list, const std::string& name, std::vector<FeatureDescription>* out) {
  for (const auto& p : list) {
    ANEMLL_ASSIGN_OR_RETURN(FeatureDescription f, FeatureFromProto(p, name));
    out->push_back(std::move(f));
  }
  return Status::Ok();
}

Status CheckFeatures(const std::vector<FeatureDescription>& features, const std::string& list, bool state_list) {
  for (const auto& f : features) {
    if (f.name.empty()) return InvalidArgument("description ", list, ": feature without a name");
    if ((f.type.kind == FeatureType::Kind::kState) != state_list) {
      return InvalidArgument("description ", list, " ", f.name,
                             f.type.kind == FeatureType::Kind::kState ? ": a state feature outside the state list"
                                                                      : ": a non-state feature in the state list");
    }
    if ((f.type.kind == FeatureType::Kind::kMultiArray || f.type.kind == FeatureType::Kind::kState) &&
        f.type.dtype == ArrayDType::kInvalid) {
      return InvalidArgument("description ", list, " ", f.name, ": multiArray without a dataType");
    }
  }
  return Status::Ok();
}

}  // namespace

Result<ModelDescription> DescriptionFromProto(const spec::ModelDescription& proto) {
  ModelDescription d;
  ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(proto.input(), "input", &d.inputs));
  ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(proto.output(), "output", &d.outputs));
  ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(proto.state(), "state", &d.states));
  for (const auto& pf : proto.functions()) {
    FunctionDescription f;
    f.name = pf.name();
    if (f.name.empty()) return FormatError("description functions: function without a name");
    const std::string prefix = StrCat("function ", f.name, " ");
    ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(pf.input(), prefix + "input", &f.inputs));
    ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(pf.output(), prefix + "output", &f.outputs));
    ANEMLL_RETURN_IF_ERROR(FeaturesFromProto(pf.state(), prefix + "state", &f.states));
    d.functions.push_back(std::move(f));
  }
  d.default_function_name = proto.defaultfunctionname();
  if (!d.functions.empty() || !d.default_function_name.empty()) {
    if (!d.inputs.empty() || !d.outputs.empty() || !d.states.empty()) {
      return FormatError("description: multifunction model (functions/defaultFunctionName set) also has top-level inputs/outputs/states");
    }
    if (!d.Function(d.default_function_name)) {
      return FormatError("description: defaultFunctionName \"", d.default_function_name,
                         "\" names none of the described functions");
    }
  }
  const auto& m = proto.metadata();
  d.metadata.short_description = m.shortdescription();
  d.metadata.version = m.versionstring();
  d.metadata.author = m.author();
  d.metadata.license = m.license();
  for (const auto& [k, v] : m.userdefined()) d.metadata.user_defined[k] = v;
  return d;
}

Status DescriptionToProto(const ModelDescription& d, spec::ModelDescription* proto) {
  if (d.is_multifunction()) {
    if (!d.inputs.empty() || !d.outputs.empty() || !d.states.empty()) {
      return InvalidArgument("description: multifunction model also has top-level inputs/outputs/states");
    }
    if (!d.Function(d.default_function_name)) {
      return InvalidArgument("description: default function \"", d.default_function_name,
                             "\" names none of the described functions");
    }
    for (const auto& f : d.functions) {
      const std::string prefix = StrCat("function ", f.name, " ");
      ANEMLL_RETURN_IF_ERROR(CheckFeatures(f.inputs, prefix + "input", false));
      ANEMLL_RETURN_IF_ERROR(CheckFeatures(f.outputs, prefix + "output", false));
      ANEMLL_RETURN_IF_ERROR(CheckFeatures(f.states, prefix + "state", true));
      auto* pf = proto->add_functions();
      pf->set_name(f.name);
      for (const auto& x : f.inputs) FeatureToProto(x, pf->add_input());
      for (const auto& x : f.outputs) FeatureToProto(x, pf->add_output());
      for (const auto& x : f.states) FeatureToProto(x, pf->add_state());
    }
    proto->set_defaultfunctionname(d.default_function_name);
  } else {
    if (!d.default_function_name.empty()) {
      return InvalidArgument("description: default function \"", d.default_function_name,
                             "\" set on a single-function model");
    }
    ANEMLL_RETURN_IF_ERROR(CheckFeatures(d.inputs, "input", false));
    ANEMLL_RETURN_IF_ERROR(CheckFeatures(d.outputs, "output", false));
    ANEMLL_RETURN_IF_ERROR(CheckFeatures(d.states, "state", true));
    for (const auto& x : d.inputs) FeatureToProto(x, proto->add_input());
    for (const auto& x : d.outputs) FeatureToProto(x, proto->add_output());
    for (const auto& x : d.states) FeatureToProto(x, proto->add_state());
  }
  if (d.metadata == Metadata()) return Status::Ok();  // like coremltools: no empty metadata message
  auto* m = proto->mutable_metadata();
  m->set_shortdescription(d.metadata.short_description);
  m->set_versionstring(d.metadata.version);
  m->set_author(d.metadata.author);
  m->set_license(d.metadata.license);
  for (const auto& [k, v] : d.metadata.user_defined) (*m->mutable_userdefined())[k] = v;
  return Status::Ok();
}

}  // namespace anemll::mil::coreml
