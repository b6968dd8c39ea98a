#pragma once
// Autotuning inside the engine (RINGTAIL_AUTOTUNE): measures samples of
// training steps (step_meter.h), agrees each sample across ranks, feeds it to
// the search (autotuner.h), logs the trials (autotune_log.h, rank 0) and says
// when the engine must switch parameters.
//
// Agreement. Every rank ends a sample at the same round (steps come from the
// round's list). There, before the round runs, the ranks allreduce (max) one
// small vector over the global set's communicator: the sample's seconds (so
// the score is the slowest rank's, which is what a synchronous step waits
// for), and the candidate's position and the sample's bytes, each also
// negated, so max(x) == -max(-x) proves every rank had the same. The search
// is a deterministic function of what it is fed, so every rank then switches
// to the same candidate before the same round runs: the fusion threshold and
// the algorithm, which decide which collectives run, change between rounds
// identically everywhere.

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <vector>

#include "autotune_log.h"
#include "autotuner.h"
#include "controller.h"
#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"
#include "step_meter.h"

namespace ringtail::core::detail {

class AutotuneSession {
 public:
  using Clock = std::chrono::steady_clock;
  // Steps not measured at the start, and steps per sample. About twenty
  // samples make a search (autotuner.h), so tuning takes about
  // kWarmupSteps + 20 * kStepsPerSample steps.
  static constexpr std::size_t kWarmupSteps = 3;
  static constexpr std::size_t kStepsPerSample = 3;

  // `log`: rank 0's CSV, or null.
  AutotuneSession(Autotuner tuner, StepMeter meter, std::unique_ptr<AutotuneLog> log);

  // Every rank, with the global set's round before it runs. Collective over
  // `comm` in the rounds where a sample ends (the same on every rank). Returns
  // the candidate to run from this round on, when it is not the one running.
  std::optional<TuningCandidate> on_round(const Round& round, coll::Communicator& comm,
                                          Clock::time_point now);

  bool done() const { return tuner_.done(); }
  TuningCandidate current() const { return tuner_.current(); }
  std::size_t samples() const { return tuner_.samples(); }

 private:
  Autotuner tuner_;
  StepMeter meter_;
  std::unique_ptr<AutotuneLog> log_;
  std::vector<double> agreed_;  // the allreduced vector (reused)
};

// The algorithms the autotuner may try over `world`: the configured one when
// RINGTAIL_ALLREDUCE names one; with `auto`, what `auto` resolved to
// (`running`: shm on one host, else native), native and ring, and
// hierarchical when the ranks span several hosts (ring and hierarchical need
// host memory and more than one rank). Collective over `world` when it has to
// find the hosts.
std::vector<AllreduceAlgorithm> tunable_algorithms(const Config& config, coll::Communicator& world,
                                                   AllreduceAlgorithm running);

}  // namespace ringtail::core::detail
