// Manifest.json of an .mlpackage: which files (items) the package holds and which one is the
// root model. Item paths are relative to `<package>/Data/`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "base/status.h"

namespace anemll::mil::coreml {

struct ManifestItem {
  std::string identifier;   // a UUID string
  std::string author;       // "com.apple.CoreML"
  std::string description;  // "CoreML Model Specification" / "CoreML Model Weights"
  std::string name;         // "model.mlmodel" / "weights"
  std::string path;         // "com.apple.CoreML/model.mlmodel", relative to Data/
};

struct Manifest {
  std::string file_format_version = "1.0.0";
  std::vector<ManifestItem> items;
  std::string root_identifier;

  const ManifestItem* Find(const std::string& identifier) const;
};

// Reads and checks `<pkg>/Manifest.json`: version "major.minor.patch" not newer than 1.0.0, every
// item with its four string keys, and a root identifier naming an item.
Result<Manifest> ReadManifest(const std::filesystem::path& pkg);

// The two-item manifest anemll writes (model.mlmodel as root, the weights folder), with fresh
// identifiers.
Manifest StandardManifest();

// Manifest JSON text (4-space indent, sorted keys).
std::string ManifestToJson(const Manifest& manifest);

// A random (version 4) UUID in lower-case 8-4-4-4-12 form.
std::string NewUuid();

}  // namespace anemll::mil::coreml
