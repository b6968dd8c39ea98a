#include "autotuner.h"

#include <algorithm>

#include "ringtail/collectives/error.h"
#include "ringtail/core/tuned_parameters.h"

namespace ringtail::core {

const char* to_string(AutotuneState s) {
  switch (s) {
    case AutotuneState::off: return "off";
    case AutotuneState::tuning: return "tuning";
    case AutotuneState::done: return "done";
  }
  return "?";
}

}  // namespace ringtail::core

namespace ringtail::core::detail {
namespace {

constexpr std::size_t kThreshold = 0;
constexpr std::size_t kAlgorithm = 1;
constexpr std::size_t kCycle = 2;

template <typename T>
std::size_t index_of(const std::vector<T>& values, const T& v, const char* what) {
  const auto it = std::find(values.begin(), values.end(), v);
  if (it == values.end()) {
    throw Error(ErrorKind::invalid_argument, std::string("autotuner: the starting ") + what +
                                                 " is not among the values to try");
  }
  return static_cast<std::size_t>(it - values.begin());
}

template <typename T>
void add_sorted(std::vector<T>& values, const T& v) {
  if (std::find(values.begin(), values.end(), v) == values.end()) values.push_back(v);
  std::sort(values.begin(), values.end());
}

}  // namespace

const char* parameter_name(Autotuner::Parameter p) {
  switch (p) {
    case Autotuner::Parameter::fusion_threshold: return "fusion_threshold";
    case Autotuner::Parameter::allreduce: return "allreduce";
    case Autotuner::Parameter::cycle_time: return "cycle_time";
  }
  return "?";
}

TuningSpace tuning_grid(const TuningCandidate& start, std::vector<AllreduceAlgorithm> algorithms) {
  using std::chrono::microseconds;
  constexpr std::size_t MiB = std::size_t{1} << 20;
  TuningSpace space;
  space.fusion_thresholds = {0, 1 * MiB, 4 * MiB, 16 * MiB, 64 * MiB};
  add_sorted(space.fusion_thresholds, start.fusion_threshold_bytes);
  space.cycle_times = {microseconds(500), microseconds(1000), microseconds(2000), microseconds(5000)};
  add_sorted(space.cycle_times, start.cycle_time);
  space.algorithms = std::move(algorithms);
  return space;
}

Autotuner::Autotuner(TuningSpace space, const TuningCandidate& start) : space_(std::move(space)) {
  if (space_.fusion_thresholds.empty() || space_.cycle_times.empty() || space_.algorithms.empty()) {
    throw Error(ErrorKind::invalid_argument, "autotuner: every parameter needs at least one value");
  }
  best_[kThreshold] = index_of(space_.fusion_thresholds, start.fusion_threshold_bytes, "fusion threshold");
  best_[kAlgorithm] = index_of(space_.algorithms, start.allreduce, "allreduce algorithm");
  best_[kCycle] = index_of(space_.cycle_times, start.cycle_time, "cycle time");
  chosen_.candidate = start;
  start_race(0);
}

std::size_t Autotuner::values(std::size_t parameter) const {
  switch (parameter) {
    case kThreshold: return space_.fusion_thresholds.size();
    case kAlgorithm: return space_.algorithms.size();
    default: return space_.cycle_times.size();
  }
}

TuningCandidate Autotuner::candidate(const std::array<std::size_t, kParameters>& at) const {
  TuningCandidate c;
  c.fusion_threshold_bytes = space_.fusion_thresholds[at[kThreshold]];
  c.allreduce = space_.algorithms[at[kAlgorithm]];
  c.cycle_time = space_.cycle_times[at[kCycle]];
  return c;
}

TuningCandidate Autotuner::current() const {
  if (done()) return chosen_.candidate;
  std::array<std::size_t, kParameters> at = best_;
  at[racing_] = contenders_[turn_];
  return candidate(at);
}

std::size_t Autotuner::position() const {
  std::array<std::size_t, kParameters> at = best_;
  if (!done()) at[racing_] = contenders_[turn_];
  return (at[kThreshold] * values(kAlgorithm) + at[kAlgorithm]) * values(kCycle) + at[kCycle];
}

void Autotuner::start_race(std::size_t parameter) {
  racing_ = parameter;
  while (racing_ < kParameters && values(racing_) < 2) ++racing_;
  if (done()) {
    chosen_.number = 0;
    chosen_.candidate = candidate(best_);
    return;
  }
  // The value running now goes first (no switch), the others in grid order.
  contenders_.clear();
  contenders_.push_back(best_[racing_]);
  for (std::size_t v = 0; v < values(racing_); ++v) {
    if (v != best_[racing_]) contenders_.push_back(v);
  }
  totals_.assign(values(racing_), Total{});
  turn_ = 0;
  rung_ = 0;
}

Autotuner::Trial Autotuner::record(double bytes, double seconds) {
  if (done()) throw Error(ErrorKind::invalid_argument, "autotuner: a sample after the search ended");
  Trial trial;
  trial.number = ++samples_;
  trial.searching = static_cast<Parameter>(racing_);
  trial.candidate = current();
  trial.bytes = bytes;
  trial.seconds = seconds;
  trial.score = Total{bytes, seconds}.score();

  Total& total = totals_[contenders_[turn_]];
  total.bytes += bytes;
  total.seconds += seconds;
  if (++turn_ < contenders_.size()) return trial;

  // End of a rung: the better half goes on (both of a pair, once more).
  // stable_sort keeps the rung's order among equal scores, so ties go to the
  // value that ran first (the incumbent).
  std::stable_sort(contenders_.begin(), contenders_.end(), [&](std::size_t a, std::size_t b) {
    return totals_[a].score() > totals_[b].score();
  });
  const std::size_t keep = contenders_.size() == 2 && rung_ == 0 ? 2 : (contenders_.size() + 1) / 2;
  contenders_.resize(keep);
  turn_ = 0;
  ++rung_;
  if (keep > 1) return trial;

  best_[racing_] = contenders_.front();
  const Total& winner = totals_[contenders_.front()];
  chosen_.searching = static_cast<Parameter>(racing_);
  chosen_.bytes = winner.bytes;
  chosen_.seconds = winner.seconds;
  chosen_.score = winner.score();
  start_race(racing_ + 1);
  return trial;
}

}  // namespace ringtail::core::detail
