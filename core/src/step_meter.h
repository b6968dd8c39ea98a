#pragma once
// What the autotuner's score is measured over: training steps, found in the
// global process set's round lists, and the allreduce bytes and wall time of a
// sample of several steps.
//
// A step is the run of allreduces between two appearances of the same tensor
// name: a training loop reduces every gradient once per step under the same
// name, so the first name that comes back marks the start of the next step
// (Horovod's autotuner counts steps the same way). Names are never in flight
// twice, so a round holds at most one such start, and a new step starts with a
// whole round. A loop that never repeats a name counts a step every
// kMaxStepTensors tensors.
//
// Everything that decides where steps and samples end comes from the round's
// list, which is the same on every rank, so every rank ends a sample at the
// same round; only the elapsed time is local (the session agrees it).
//
// A sample covers whole rounds: from the round that starts its first step
// (inclusive) to the round that starts the step after its last (exclusive);
// its time runs between the same two moments, taken before those rounds run.
// The first `warmup_steps` steps (at least the first, whose start no name
// marks) are not measured: cache misses through rank 0, first allocations,
// the framework's own warm-up.

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

#include "controller.h"

namespace ringtail::core::detail {

class StepMeter {
 public:
  using Clock = std::chrono::steady_clock;
  static constexpr std::size_t kMaxStepTensors = 16384;

  struct Sample {
    double bytes = 0;        // allreduce bytes, the same on every rank
    std::size_t steps = 0;
    Clock::duration elapsed{};  // this rank's wall time
  };

  StepMeter(std::size_t warmup_steps, std::size_t steps_per_sample);

  // Called with each global round's list before it runs, at `now`. Returns the
  // sample that ends here; the next sample starts here, with this round.
  std::optional<Sample> on_round(const std::vector<RoundItem>& items, int set_size, Clock::time_point now);

  bool measuring() const { return measuring_; }

 private:
  std::size_t steps_per_sample_;
  std::size_t warmup_left_;
  std::unordered_set<std::string> seen_;  // names of the step running now
  bool measuring_ = false;
  Sample sample_;
  Clock::time_point start_;
};

}  // namespace ringtail::core::detail
