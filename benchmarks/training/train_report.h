#pragma once
// What `ringtail-bench train` measured, and how it prints it: a table for
// people, or one JSON line that benchmarks/compare/ reads beside the DDP
// peer's (benchmarks/peers/ddp_train.py prints the same keys).

#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>

#include "train_options.h"

namespace ringtail::bench {

// One rank's timed steps; times are means per step, in milliseconds.
struct RankResult {
  double images_per_second = 0;
  double step_ms = 0;
  double forward_ms = 0;   // model forward and loss
  double backward_ms = 0;  // loss.backward(); gradients' allreduces start here
  double wait_ms = 0;      // DistributedOptimizer::synchronize(): communication not hidden by backward
  double optimizer_ms = 0; // the wrapped optimizer's step
  // Share of each allreduce's lifetime (submitted -> completed) that lay
  // inside backward, averaged over steps: 1 means fully overlapped.
  double overlap = 0;
};

// Fixed layout for exchanging RankResult between ranks as doubles.
constexpr int kRankResultFields = 7;
std::vector<double> to_fields(const RankResult& r);
RankResult from_fields(const double* fields);

struct EngineSettings {
  std::string backend;
  std::string allreduce;
  std::uint64_t fusion_threshold_bytes = 0;
  double cycle_time_ms = 0;
  std::string autotune = "off";  // off, or done: the values above are the tuner's choice
};

struct TrainReport {
  TrainOptions options;
  EngineSettings engine;
  int world = 1;
  std::int64_t parameters = 0;  // trainable values in the model
  std::vector<RankResult> ranks;
  double collectives_per_step = 0;  // rank 0's engine counters over the timed steps
  double tensors_per_step = 0;
};

void print_table(std::ostream& out, const TrainReport& report);
void print_json(std::ostream& out, const TrainReport& report);

}  // namespace ringtail::bench
