#pragma once
// ringtail-bench collectives --predict: the cost model (cost_model.h) applied
// to clusters of AWS GPU instances, 1 to 64 nodes, for one gradient size.

#include <iosfwd>

#include "options.h"

namespace ringtail::bench {

void print_predictions(std::ostream& out, const Options& options);

}  // namespace ringtail::bench
