#include "mil/coreml/package.h"

#include <google/protobuf/io/coded_stream.h>
#include <google/protobuf/io/zero_copy_stream_impl_lite.h>

#include <fstream>
#include <map>
#include <memory>

#include "base/file.h"
#include "mil/coreml/blob_storage.h"
#include "mil/coreml/manifest.h"
#include "mil/coreml/proto_convert.h"
#include "mil/coreml/references.h"

namespace anemll::mil::coreml {

namespace fs = std::filesystem;

namespace {

constexpr const char* kModelPathPrefix = "@model_path/";

// Description and program must agree on the functions they name.
Status CheckFunctions(const Model& model) {
  const auto& desc = model.description;
  const auto& fns = model.program.functions;
  if (desc.is_multifunction()) {
    for (const auto& f : desc.functions) {
      if (!fns.count(f.name)) return FormatError("description names function ", f.name, " that the program lacks");
    }
  } else if (!fns.count("main")) {
    return FormatError("single-function model: the program has no function \"main\"");
  }
  return Status::Ok();
}

// Opens each referenced weight file once, resolving names against the model folder.
class BlobFiles {
 public:
  BlobFiles(fs::path pkg, fs::path model_dir) : pkg_(std::move(pkg)), model_dir_(std::move(model_dir)) {}

  Result<std::shared_ptr<const Buffer>> Read(const std::string& file, uint64_t offset, DType dtype, int64_t count,
                                             const std::string& what) {
    auto it = files_.find(file);
    if (it == files_.end()) {
      ANEMLL_ASSIGN_OR_RETURN(fs::path path, ResolveModelPath(model_dir_, file));
      std::error_code ec;
      // Named relative to the package (Data/com.apple.CoreML/weights/weight.bin): the package
      // path prefixes every read error already.
      const std::string name = path.lexically_relative(pkg_).string();
      if (!fs::is_regular_file(path, ec)) {
        return NotFound("weight file ", name, " is missing but ", what, " references it");
      }
      ANEMLL_ASSIGN_OR_RETURN(auto blob_file, BlobFile::Open(path, name));
      it = files_.emplace(file, std::move(blob_file)).first;
    }
    return it->second->Read(offset, dtype, count, what);
  }

 private:
  fs::path pkg_;
  fs::path model_dir_;
  std::map<std::string, std::shared_ptr<const BlobFile>> files_;
};

Result<Model> ReadPackageImpl(const fs::path& pkg) {
  ANEMLL_ASSIGN_OR_RETURN(PackageFiles files, LocatePackage(pkg));
  ANEMLL_ASSIGN_OR_RETURN(std::string bytes, ReadFile(files.model_file));
  spec::Model proto;
  const std::string model_name = files.model_file.filename().string();
  if (!proto.ParseFromString(bytes)) {
    return FormatError(model_name, ": not a valid Core ML model protobuf (", bytes.size(), " bytes; truncated or corrupt)");
  }
  if (proto.specificationversion() <= 0) {
    return FormatError(model_name, ": specificationVersion ", proto.specificationversion(), " (must be positive)");
  }
  if (!proto.has_mlprogram()) return Unsupported(model_name, ": not an ML Program model (no mlProgram, field 502)");
  Model model;
  model.specification_version = proto.specificationversion();
  ANEMLL_ASSIGN_OR_RETURN(model.description, DescriptionFromProto(proto.description()));
  BlobFiles blobs(pkg, files.model_dir);
  BlobReadFn read_blob = [&blobs](const std::string& file, uint64_t offset, DType dtype, int64_t count,
                                  const std::string& what) { return blobs.Read(file, offset, dtype, count, what); };
  ANEMLL_ASSIGN_OR_RETURN(model.program, ProgramFromProto(proto.mlprogram(), read_blob));
  ANEMLL_RETURN_IF_ERROR(CheckReferences(model.program));
  ANEMLL_RETURN_IF_ERROR(CheckFunctions(model));
  return model;
}

Status WriteBytes(const fs::path& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) return IoError("writing ", path.string(), ": cannot create the file");
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (out.fail()) return IoError("writing ", path.string(), ": write failed");
  return Status::Ok();
}

Status WritePackageImpl(const Model& model, const fs::path& pkg) {
  if (pkg.extension() != ".mlpackage") {
    return InvalidArgument("the package path must end in .mlpackage");
  }
  if (model.specification_version <= 0) {
    return InvalidArgument("specification version ", model.specification_version, " (must be positive)");
  }
  ANEMLL_RETURN_IF_ERROR(CheckReferences(model.program).WithContext("model to write"));
  {
    Status s = CheckFunctions(model);
    if (!s.ok()) return InvalidArgument(s.message());
  }
  ANEMLL_ASSIGN_OR_RETURN(StagedPath staged, StagedPath::Create(pkg, /*directory=*/true));
  const Manifest manifest = StandardManifest();
  const fs::path model_dir = staged.path() / "Data" / "com.apple.CoreML";
  const fs::path weights_dir = model_dir / "weights";
  std::error_code ec;
  fs::create_directories(weights_dir, ec);
  if (ec) return IoError("creating ", weights_dir.string(), ": ", ec.message());

  BlobWriter blobs(weights_dir / "weight.bin");
  const int32_t spec_version = model.specification_version;
  BlobWriteFn write_blob = [&blobs, spec_version](const Literal& lit,
                                                  const std::string& what) -> Result<std::optional<uint64_t>> {
    if (!StoredAsBlob(lit, spec_version)) return std::optional<uint64_t>();
    ANEMLL_ASSIGN_OR_RETURN(uint64_t offset, blobs.Add(lit.type.tensor.dtype, lit.num_elements(), lit.data, what));
    return std::optional<uint64_t>(offset);
  };

  spec::Model proto;
  proto.set_specificationversion(spec_version);
  ANEMLL_RETURN_IF_ERROR(DescriptionToProto(model.description, proto.mutable_description()));
  ANEMLL_RETURN_IF_ERROR(ProgramToProto(model.program, write_blob, proto.mutable_mlprogram()));
  ANEMLL_RETURN_IF_ERROR(blobs.Finish());

  std::string bytes;
  {
    google::protobuf::io::StringOutputStream stream(&bytes);
    google::protobuf::io::CodedOutputStream coded(&stream);
    coded.SetSerializationDeterministic(true);  // sorted map entries: same model, same bytes
    if (!proto.SerializeToCodedStream(&coded)) return Internal("serializing the model protobuf failed");
  }
  ANEMLL_RETURN_IF_ERROR(WriteBytes(model_dir / "model.mlmodel", bytes));
  ANEMLL_RETURN_IF_ERROR(WriteBytes(staged.path() / "Manifest.json", ManifestToJson(manifest)));
  return staged.Commit();
}

}  // namespace

Result<PackageFiles> LocatePackage(const fs::path& pkg) {
  ANEMLL_ASSIGN_OR_RETURN(Manifest manifest, ReadManifest(pkg));
  const ManifestItem* root = manifest.Find(manifest.root_identifier);
  const fs::path rel(root->path);
  if (rel.empty() || rel.is_absolute()) {
    return FormatError("Manifest.json: root item path \"", root->path, "\" is not a relative path");
  }
  for (const auto& part : rel) {
    if (part == "..") return FormatError("Manifest.json: root item path \"", root->path, "\" leaves the package");
  }
  PackageFiles files;
  files.model_file = pkg / "Data" / rel;
  std::error_code ec;
  if (!fs::is_regular_file(files.model_file, ec)) {
    return NotFound("Manifest.json: root item path \"", root->path, "\" (", files.model_file.string(),
                    ") does not exist");
  }
  files.model_dir = files.model_file.parent_path();
  return files;
}

Result<fs::path> ResolveModelPath(const fs::path& model_dir, const std::string& file) {
  const std::string prefix = kModelPathPrefix;
  if (file.compare(0, prefix.size(), prefix) != 0) {
    return FormatError("blob file name \"", file, "\" does not start with ", prefix);
  }
  const fs::path rel(file.substr(prefix.size()));
  if (rel.empty() || rel.is_absolute()) return FormatError("blob file name \"", file, "\" is not a relative path");
  for (const auto& part : rel) {
    if (part == "..") return FormatError("blob file name \"", file, "\" leaves the model folder");
  }
  return model_dir / rel;
}

bool StoredAsBlob(const Literal& lit, int32_t specification_version) {
  if (lit.type.kind != ValueType::Kind::kTensor) return false;
  if (lit.num_elements() < kMinBlobElements) return false;
  switch (lit.type.tensor.dtype) {
    case DType::kFp16: case DType::kFp32: case DType::kBf16: case DType::kUInt8: case DType::kInt8:
    case DType::kInt4: case DType::kUInt1: case DType::kUInt2: case DType::kUInt3: case DType::kUInt4:
    case DType::kUInt6:
      return true;
    case DType::kInt16: case DType::kUInt16: case DType::kInt32: case DType::kUInt32:
      return specification_version >= 9;
    default:
      return false;
  }
}

Result<Model> ReadPackage(const fs::path& pkg) {
  auto model = ReadPackageImpl(pkg);
  if (!model.ok()) {
    const std::string& msg = model.status().message();
    // Manifest errors already start with "package <pkg>".
    if (msg.rfind("package ", 0) == 0) return model.status();
    return model.status().WithContext(StrCat("package ", pkg.string()));
  }
  return model;
}

Status WritePackage(const Model& model, const fs::path& pkg) {
  Status s = WritePackageImpl(model, pkg);
  if (!s.ok()) return s.WithContext(StrCat("writing package ", pkg.string()));
  return s;
}

}  // namespace anemll::mil::coreml
