#include "mil/coreml/manifest.h"

#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>

#include "base/file.h"

namespace anemll::mil::coreml {

namespace fs = std::filesystem;
using nlohmann::json;

const ManifestItem* Manifest::Find(const std::string& identifier) const {
  for (const auto& item : items) {
    if (item.identifier == identifier) return &item;
  }
  return nullptr;
}

namespace {

// Parses "a.b.c" into three numbers; false if it is not of that form.
bool ParseVersion(const std::string& text, int v[3]) {
  int part = 0;
  size_t i = 0;
  while (part < 3) {
    if (i >= text.size() || text[i] < '0' || text[i] > '9') return false;
    long value = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      value = value * 10 + (text[i] - '0');
      if (value > 1000000) return false;
      ++i;
    }
    v[part++] = static_cast<int>(value);
    if (part < 3) {
      if (i >= text.size() || text[i] != '.') return false;
      ++i;
    }
  }
  return i == text.size();
}

}  // namespace

Result<Manifest> ReadManifest(const fs::path& pkg) {
  const fs::path path = pkg / "Manifest.json";
  const std::string where = StrCat("package ", pkg.string(), ": Manifest.json");
  std::error_code ec;
  if (!fs::is_directory(pkg, ec)) return NotFound("package ", pkg.string(), ": no such package directory");
  if (!fs::exists(path, ec)) return NotFound(where, " is missing");
  ANEMLL_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  json doc;
  try {
    doc = json::parse(text);
  } catch (const json::exception& e) {
    return FormatError(where, ": invalid JSON (", e.what(), ")");
  }
  if (!doc.is_object()) return FormatError(where, ": top level is not an object");
  Manifest m;
  auto version = doc.find("fileFormatVersion");
  if (version == doc.end() || !version->is_string()) {
    return FormatError(where, ": fileFormatVersion is missing or not a string");
  }
  m.file_format_version = version->get<std::string>();
  int v[3];
  if (!ParseVersion(m.file_format_version, v)) {
    return FormatError(where, ": fileFormatVersion \"", m.file_format_version, "\" is not major.minor.patch");
  }
  if (v[0] > 1 || (v[0] == 1 && (v[1] > 0 || v[2] > 0))) {
    return Unsupported(where, ": fileFormatVersion ", m.file_format_version, " is newer than 1.0.0");
  }
  auto entries = doc.find("itemInfoEntries");
  if (entries == doc.end() || !entries->is_object()) {
    return FormatError(where, ": itemInfoEntries is missing or not an object");
  }
  for (auto it = entries->begin(); it != entries->end(); ++it) {
    if (!it.value().is_object()) return FormatError(where, ": item ", it.key(), " is not an object");
    ManifestItem item;
    item.identifier = it.key();
    const std::pair<const char*, std::string*> keys[] = {
        {"author", &item.author}, {"description", &item.description}, {"name", &item.name}, {"path", &item.path}};
    for (const auto& [key, dst] : keys) {
      auto f = it.value().find(key);
      if (f == it.value().end() || !f->is_string()) {
        return FormatError(where, ": item ", it.key(), " has no string \"", key, "\"");
      }
      *dst = f->get<std::string>();
    }
    m.items.push_back(std::move(item));
  }
  auto root = doc.find("rootModelIdentifier");
  if (root == doc.end() || !root->is_string()) {
    return FormatError(where, ": rootModelIdentifier is missing or not a string");
  }
  m.root_identifier = root->get<std::string>();
  if (!m.Find(m.root_identifier)) {
    return FormatError(where, ": rootModelIdentifier ", m.root_identifier, " names no item in itemInfoEntries");
  }
  return m;
}

Manifest StandardManifest() {
  Manifest m;
  ManifestItem model{NewUuid(), "com.apple.CoreML", "CoreML Model Specification", "model.mlmodel",
                     "com.apple.CoreML/model.mlmodel"};
  ManifestItem weights{NewUuid(), "com.apple.CoreML", "CoreML Model Weights", "weights",
                       "com.apple.CoreML/weights"};
  m.root_identifier = model.identifier;
  m.items = {std::move(model), std::move(weights)};
  return m;
}

std::string ManifestToJson(const Manifest& manifest) {
  json entries = json::object();
  for (const auto& item : manifest.items) {
    entries[item.identifier] = json{{"author", item.author},
                                    {"description", item.description},
                                    {"name", item.name},
                                    {"path", item.path}};
  }
  json doc{{"fileFormatVersion", manifest.file_format_version},
           {"itemInfoEntries", entries},
           {"rootModelIdentifier", manifest.root_identifier}};
  return doc.dump(4) + "\n";
}

std::string NewUuid() {
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  static std::mt19937_64 rng = [] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }();
  uint8_t b[16];
  for (int i = 0; i < 16; i += 8) {
    uint64_t r = rng();
    for (int j = 0; j < 8; ++j) b[i + j] = static_cast<uint8_t>(r >> (8 * j));
  }
  b[6] = static_cast<uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  char out[37];
  std::snprintf(out, sizeof out, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
                b[14], b[15]);
  return out;
}

}  // namespace anemll::mil::coreml
