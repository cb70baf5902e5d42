// Conversions between the protobuf messages (model_spec.proto / mil_spec.proto) and the IR in
// mil/ir.h. Internal to the package reader and writer.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "base/status.h"
#include "mil/ir.h"
#include "mil_spec.pb.h"
#include "model_spec.pb.h"

namespace anemll::mil::coreml {

namespace spec = ::CoreML::Specification;
namespace milspec = ::CoreML::Specification::MILSpec;

// Resolves a BlobFileValue while reading: (file name as stored, metadata offset, value dtype,
// element count, value description for errors) -> the blob's bytes.
using BlobReadFn = std::function<Result<std::shared_ptr<const Buffer>>(
    const std::string& file, uint64_t offset, DType dtype, int64_t count, const std::string& what)>;

// Decides while writing whether a literal goes to weight.bin and, if so, stores it there:
// returns the metadata offset, or nullopt to write the literal inline.
using BlobWriteFn = std::function<Result<std::optional<uint64_t>>(const Literal& lit, const std::string& what)>;

// The file name every blob reference is written with.
inline constexpr const char* kWeightFileName = "@model_path/weights/weight.bin";

Result<DType> DTypeFromProto(int data_type, const std::string& what);
milspec::DataType DTypeToProto(DType dtype);

Result<ValueType> ValueTypeFromProto(const milspec::ValueType& proto, const std::string& what);
Status ValueTypeToProto(const ValueType& type, milspec::ValueType* proto, const std::string& what);

// A Value (immediate tensor / string dictionary / blob reference) as a Literal.
Result<Literal> LiteralFromProto(const milspec::Value& proto, const BlobReadFn& read_blob,
                                 const std::string& what);
// A Literal as a Value: inline, or a blob reference when `blob_offset` is set.
Status LiteralToProto(const Literal& lit, std::optional<uint64_t> blob_offset, milspec::Value* proto,
                      const std::string& what);

// A string scalar Value (the op "name" attribute).
Result<std::string> StringScalarFromProto(const milspec::Value& proto, const std::string& what);
void StringScalarToProto(const std::string& value, milspec::Value* proto);

Result<Program> ProgramFromProto(const milspec::Program& proto, const BlobReadFn& read_blob);
Status ProgramToProto(const Program& program, const BlobWriteFn& write_blob, milspec::Program* proto);

Result<ModelDescription> DescriptionFromProto(const spec::ModelDescription& proto);
Status DescriptionToProto(const ModelDescription& desc, spec::ModelDescription* proto);

}  // namespace anemll::mil::coreml
