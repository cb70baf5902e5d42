// .mlpackage reading and writing: Manifest.json, Data/com.apple.CoreML/model.mlmodel (the
// Core ML model protobuf holding an ML Program) and weights/weight.bin (blob storage).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil::coreml {

// Literals with at least this many elements go to weight.bin; smaller ones are written inline.
constexpr int64_t kMinBlobElements = 10;

// Reads a package. Weight data is not copied: blob literals borrow from the memory-mapped
// weight.bin, which stays mapped while any of them is alive. Checks the manifest, the model
// protobuf, every blob reference (sentinel, dtype, size, bounds) and that every op input names a
// value defined before it. Errors name the package and the op/value/field.
Result<Model> ReadPackage(const std::filesystem::path& pkg);

// Writes `model` as `pkg` (a path ending in ".mlpackage"). The package is built in a temporary
// sibling and renamed into place, replacing an existing one. Literals that share a Buffer object
// or hold identical bytes of one dtype are stored once. A model without blobs gets an empty
// weights/ folder.
Status WritePackage(const Model& model, const std::filesystem::path& pkg);

// Files of a package as found through its manifest.
struct PackageFiles {
  std::filesystem::path model_file;  // <pkg>/Data/com.apple.CoreML/model.mlmodel
  std::filesystem::path model_dir;   // what "@model_path" stands for
};
Result<PackageFiles> LocatePackage(const std::filesystem::path& pkg);

// Resolves a blob file name such as "@model_path/weights/weight.bin" against the model folder;
// rejects names that do not start with "@model_path/" or leave the folder.
Result<std::filesystem::path> ResolveModelPath(const std::filesystem::path& model_dir, const std::string& file);

// Whether the writer stores `lit` in weight.bin (>= kMinBlobElements elements of a blob dtype;
// 16/32-bit integers only from specification version 9).
bool StoredAsBlob(const Literal& lit, int32_t specification_version);

}  // namespace anemll::mil::coreml
