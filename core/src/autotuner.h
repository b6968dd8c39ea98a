#pragma once
// The autotuner's search: which candidate (fusion threshold, allreduce
// algorithm, cycle time) to run next, given the score of each sample so far,
// and which one to keep. It measures nothing itself (step_meter.h does) and
// talks to nobody: it is a deterministic function of the samples it is given,
// so ranks that feed it the same samples (the engine agrees them across ranks,
// autotune_session.h) switch to the same candidates at the same round.
//
// The method: coordinate descent over the three parameters, one at a time, in
// the order fusion threshold, algorithm, cycle time (the threshold sets the
// message sizes, the algorithm's speed depends on the size, and the cycle time
// only decides how long ready tensors wait to be batched). For one parameter
// the values race in rungs of successive halving: every contender is measured
// once per rung, round robin (so drifting background load hits them alike),
// and the better half (rounded up) goes on, scored by all its samples so far
// (bytes over seconds, so later rungs are less noisy); a race of two runs two
// rungs. The winner becomes the parameter's value, and the next parameter
// races with it fixed. Each parameter's race starts afresh, so comparisons are
// made between samples taken close in time. docs/architecture.md says why this
// rather than Bayesian optimization.

#include <array>
#include <chrono>
#include <cstddef>
#include <vector>

#include "ringtail/core/config.h"

namespace ringtail::core::detail {

struct TuningCandidate {
  std::size_t fusion_threshold_bytes = 0;
  std::chrono::microseconds cycle_time{0};
  AllreduceAlgorithm allreduce = AllreduceAlgorithm::native;

  bool operator==(const TuningCandidate& o) const {
    return fusion_threshold_bytes == o.fusion_threshold_bytes && cycle_time == o.cycle_time &&
           allreduce == o.allreduce;
  }
  bool operator!=(const TuningCandidate& o) const { return !(*this == o); }
};

// The values each parameter may take; a parameter with one value is not tuned.
struct TuningSpace {
  std::vector<std::size_t> fusion_thresholds;
  std::vector<std::chrono::microseconds> cycle_times;
  std::vector<AllreduceAlgorithm> algorithms;
};

// The engine's grid: fusion thresholds 0 (off), 1, 4, 16 and 64 MiB; cycle
// times 0.5, 1, 2 and 5 ms; each with `start`'s value added if it is not
// there; the algorithms as given (`start`'s must be among them).
TuningSpace tuning_grid(const TuningCandidate& start, std::vector<AllreduceAlgorithm> algorithms);

class Autotuner {
 public:
  enum class Parameter { fusion_threshold, allreduce, cycle_time };

  struct Trial {
    std::size_t number = 0;  // 1, 2, ... (0: the choice, in chosen())
    Parameter searching = Parameter::fusion_threshold;
    TuningCandidate candidate;
    double bytes = 0;
    double seconds = 0;
    double score = 0;  // bytes per second
  };

  // `start` must lie in `space` and every parameter needs a value
  // (Error(invalid_argument) otherwise). Starts with `start` running.
  Autotuner(TuningSpace space, const TuningCandidate& start);

  bool done() const { return racing_ >= kParameters; }
  // What runs now: the candidate to measure, or the choice once done().
  TuningCandidate current() const;
  // current()'s index in the space (row-major over threshold, algorithm,
  // cycle): the engine checks that every rank runs the same one.
  std::size_t position() const;
  // Number of samples recorded so far.
  std::size_t samples() const { return samples_; }

  // Records a sample of current(): `bytes` reduced in `seconds`, and moves on.
  // Must not be called once done().
  Trial record(double bytes, double seconds);
  // Once done(): the choice, with the totals of its samples in the last race
  // it ran in (zeros when nothing was tuned).
  Trial chosen() const { return chosen_; }

 private:
  static constexpr std::size_t kParameters = 3;
  struct Total {
    double bytes = 0;
    double seconds = 0;
    double score() const { return seconds > 0 ? bytes / seconds : 0.0; }
  };

  std::size_t values(std::size_t parameter) const;
  // Starts the race of the first parameter from `parameter` on that has more
  // than one value, or finishes.
  void start_race(std::size_t parameter);
  TuningCandidate candidate(const std::array<std::size_t, kParameters>& at) const;

  TuningSpace space_;
  std::array<std::size_t, kParameters> best_{};  // value index per parameter (in search order)
  std::size_t racing_ = 0;  // the parameter racing now (search order); kParameters: done
  std::vector<std::size_t> contenders_;  // value indices, in this rung's order
  std::size_t turn_ = 0;                 // next contender to measure in this rung
  std::size_t rung_ = 0;
  std::vector<Total> totals_;  // per value of the racing parameter
  std::size_t samples_ = 0;
  Trial chosen_;
};

const char* parameter_name(Autotuner::Parameter p);

}  // namespace ringtail::core::detail
