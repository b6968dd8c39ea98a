#pragma once
// Checking, when a DistributedOptimizer is built, that every rank trains the
// same parameters: a name one rank never submits would otherwise leave the
// others waiting for it in step(), with nothing but a stall warning.

#include <string>
#include <vector>

#include "ringtail/torch/context.h"

namespace ringtail::torch::detail {

// Collective. `parameters` are this rank's "name dtype shape" lines (any
// order). Throws Error(mismatch) on every rank, naming a parameter and the
// ranks that differ, when the ranks' sets are not the same. `op_name` names
// the collectives it runs.
void check_same_parameters(Context& ctx, std::vector<std::string> parameters, const std::string& op_name);

}  // namespace ringtail::torch::detail
