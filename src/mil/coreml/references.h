// Name resolution checks on a program: every value an operation (or a block's output list)
// refers to by name must be defined earlier — a function input, a nested block's input, or an
// output of an earlier operation in the same or an enclosing block.
#pragma once

#include "base/status.h"
#include "mil/ir.h"

namespace anemll::mil::coreml {

// Fails on the first dangling reference, naming the function, op, parameter and value.
Status CheckReferences(const Program& program);

}  // namespace anemll::mil::coreml
