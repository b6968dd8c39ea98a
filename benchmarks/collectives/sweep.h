#pragma once
// The driver: for every collective, size and contender, the same buffers,
// warm-up, timed iterations and correctness check (nccl-tests' common.cu in
// spirit). Produces one Row per (contender, size).

#include <functional>
#include <string>
#include <vector>

#include "contender.h"
#include "environment.h"

namespace ringtail::bench {

struct Row {
  std::string contender;
  bool ringtail = false;
  Shape shape;
  int iterations = 0;
  double seconds = 0;          // per call, slowest rank's average
  double algbw = 0;            // bytes / s
  double busbw = 0;            // bytes / s
  long long wrong = -1;        // -1: not checked
  std::string skipped;         // why the contender did not run this size
  double bound_seconds = 0;    // memory-bandwidth bound (allreduce on one host), 0: none
  double model_seconds = 0;    // --model prediction, 0: none
};

// Runs `contenders` (all for `op`) over the sizes of the options; calls
// `on_row` as each row completes, to annotate it (bound, model) and print it.
std::vector<Row> sweep(Collective op, Contenders& contenders, Environment& env,
                       const std::function<void(Row&)>& on_row);

// The sizes -b, -e, -f describe.
std::vector<std::size_t> sweep_sizes(const Options& options);

}  // namespace ringtail::bench
