// Structural comparison of two models, ignoring where constants are stored (inline vs blob and
// blob offsets): used to check that writing and reading a package gives back the same model.
#pragma once

#include <string>

#include "mil/ir.h"

namespace anemll::mil::coreml {

// Empty if `a` and `b` are equal; otherwise a one-line description of the first difference,
// e.g. "function main: op 3 (linear y): input weight differs".
std::string FirstDifference(const Model& a, const Model& b);
std::string FirstDifference(const Program& a, const Program& b);

}  // namespace anemll::mil::coreml
