#pragma once
// The coordinator's check that every rank submitted the same operation under a
// name: operation, dtype, shape (all dimensions, or all but the first for
// allgather and alltoall), reduce op, root, device and scale factors.

#include <optional>
#include <string>
#include <vector>

#include "message.h"

namespace ringtail::core::detail {

// `by_rank[r]` is rank r's request, or null when rank r did not submit one (a
// joined rank). Returns the error message for every rank: it names the
// operation, each field that differs and the ranks holding each value, e.g.
//   allreduce 'w': ranks disagree on shape: [4] on ranks 0, 2; [5] on rank 1
// Returns nullopt when they agree.
std::optional<std::string> find_disagreement(const std::string& name,
                                             const std::vector<const Request*>& by_rank);

}  // namespace ringtail::core::detail
