// Rewrites the state-access patterns of KV caches so that a run touches only the slices it
// needs instead of copying whole caches:
//   r = read_state(S); u = slice_update(x=r, ...) [; u2 = slice_update(x=u, ...) ...];
//   write_state(S, u_last)                              (each value used only by the next op)
//     -> anemll.state_slice_update(input=S, update, begin, end, ...)  at the write_state
//   r = read_state(S); k = slice_by_index(x=r, ...) ...                 (r used only by slices,
//                                                                        no write to S in between)
//     -> k = anemll.state_slice(input=S, begin, end, ...)              at each slice
// Both are exact: they read and write the same elements the original ops would.
#pragma once

#include <deque>
#include <set>
#include <string>
#include <vector>

#include "mil/ir.h"

namespace anemll::runtime::internal {

inline constexpr const char* kStateSliceUpdateOp = "anemll.state_slice_update";
inline constexpr const char* kStateSliceOp = "anemll.state_slice";

// The ops to build, in order: pointers into `block` or into `synthetic` (which must outlive them).
std::vector<const mil::Operation*> RewriteStateAccess(const mil::Block& block, const std::set<std::string>& states,
                                                      std::deque<mil::Operation>* synthetic);

}  // namespace anemll::runtime::internal
