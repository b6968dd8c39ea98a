#pragma once
// Tensor fusion: which of a round's responses share one collective. Responses
// of the same kind, dtype, device and reduce op (and root, for broadcast) are
// packed together, in list order, until the next one would take the group past
// the fusion threshold; a response larger than the threshold runs alone. The
// plan depends only on the round's list and the threshold, which are the same
// on every rank, so every rank runs the same collectives in the same order.

#include <cstddef>
#include <vector>

#include "controller.h"

namespace ringtail::core::detail {

struct FusionGroup {
  std::vector<std::size_t> items;  // indices into Round::items, in list order
  std::size_t bytes = 0;           // what the group puts in the fusion buffer
};

// Groups in the order of their first item. Errors, shutdowns and process-set
// changes are groups of their own and close every open group (nothing is
// reordered across them). threshold 0: every response alone.
std::vector<FusionGroup> plan_fusion(const std::vector<RoundItem>& items, std::size_t threshold,
                                     int set_size);

// The bytes a response puts in the fusion buffer (allgather: its share of the
// gathered result, estimated from the response's shape).
std::size_t fusion_bytes(const Response& response, int set_size);

}  // namespace ringtail::core::detail
