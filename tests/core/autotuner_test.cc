// Unit tests of autotuning's parts in one process: the search against
// synthetic scores (it must find the best candidate, within a bounded number
// of samples, whatever the noise that cannot reorder the candidates), step
// and sample detection from round lists, and the CSV log.

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "autotune_log.h"
#include "autotuner.h"
#include "ringtail/collectives/error.h"
#include "step_meter.h"
#include "wake_schedule.h"

namespace ringtail::core::detail {
namespace {

using namespace std::chrono_literals;
using std::chrono::microseconds;
constexpr std::size_t MiB = std::size_t{1} << 20;

TuningCandidate default_start() {
  return TuningCandidate{64 * MiB, microseconds(1000), AllreduceAlgorithm::native};
}

std::vector<AllreduceAlgorithm> three_algorithms() {
  return {AllreduceAlgorithm::native, AllreduceAlgorithm::ring, AllreduceAlgorithm::hierarchical};
}

// A synthetic throughput with its maximum at (4 MiB, ring, 2 ms): a product
// of one factor per parameter, so the best value of each parameter does not
// depend on the others (what coordinate descent assumes).
double synthetic_score(const TuningCandidate& c) {
  const std::map<std::size_t, double> threshold = {
      {0, 0.40}, {1 * MiB, 0.80}, {4 * MiB, 1.00}, {16 * MiB, 0.90}, {64 * MiB, 0.70}};
  const std::map<AllreduceAlgorithm, double> algorithm = {
      {AllreduceAlgorithm::native, 0.8}, {AllreduceAlgorithm::ring, 1.0}, {AllreduceAlgorithm::hierarchical, 0.6}};
  const std::map<long long, double> cycle = {{500, 0.85}, {1000, 0.9}, {2000, 1.0}, {5000, 0.7}};
  return 1e9 * threshold.at(c.fusion_threshold_bytes) * algorithm.at(c.allreduce) *
         cycle.at(c.cycle_time.count());
}

// Runs a search to its end, feeding score(candidate) (times noise) as bytes
// reduced in one second. Returns the number of samples.
template <typename Score>
std::size_t run_search(Autotuner& tuner, Score score, std::size_t limit = 1000) {
  std::size_t n = 0;
  while (!tuner.done() && n < limit) {
    const Autotuner::Trial t = tuner.record(score(tuner.current(), n), 1.0);
    EXPECT_EQ(t.number, n + 1);
    ++n;
  }
  return n;
}

TEST(Autotuner, FindsTheBestCandidateOfASyntheticScore) {
  Autotuner tuner(tuning_grid(default_start(), three_algorithms()), default_start());
  EXPECT_FALSE(tuner.done());
  EXPECT_EQ(tuner.current(), default_start());  // starts with what runs
  const std::size_t samples = run_search(tuner, [](const TuningCandidate& c, std::size_t) { return synthetic_score(c); });
  ASSERT_TRUE(tuner.done());
  const TuningCandidate want{4 * MiB, microseconds(2000), AllreduceAlgorithm::ring};
  EXPECT_EQ(tuner.current(), want);
  EXPECT_EQ(tuner.chosen().candidate, want);
  EXPECT_DOUBLE_EQ(tuner.chosen().score, synthetic_score(want));
  // Successive halving per parameter: 5 + 3 + 2 thresholds, 3 + 2 algorithms,
  // 4 + 2 cycle times.
  EXPECT_EQ(samples, 21u);
  EXPECT_EQ(tuner.samples(), samples);
}

TEST(Autotuner, NoiseThatCannotReorderCandidatesDoesNotChangeTheChoice) {
  for (unsigned seed = 1; seed <= 20; ++seed) {
    Autotuner tuner(tuning_grid(default_start(), three_algorithms()), default_start());
    // +-2 % deterministic noise; the nearest competitors differ by 10 %.
    unsigned state = seed;
    run_search(tuner, [&](const TuningCandidate& c, std::size_t) {
      state = state * 1103515245u + 12345u;
      const double noise = 1.0 + 0.02 * ((static_cast<double>((state >> 16) & 0x7fff) / 16383.5) - 1.0);
      return synthetic_score(c) * noise;
    });
    ASSERT_TRUE(tuner.done());
    EXPECT_EQ(tuner.current(), (TuningCandidate{4 * MiB, microseconds(2000), AllreduceAlgorithm::ring}))
        << "seed " << seed;
  }
}

TEST(Autotuner, EveryCandidateCanWinAndTheSearchIsBounded) {
  // Whatever the best corner of the grid, the search ends within its bound
  // and finds it (the scores are separable).
  const TuningSpace space = tuning_grid(default_start(), {AllreduceAlgorithm::native, AllreduceAlgorithm::ring});
  for (std::size_t t = 0; t < space.fusion_thresholds.size(); ++t) {
    for (std::size_t a = 0; a < space.algorithms.size(); ++a) {
      for (std::size_t c = 0; c < space.cycle_times.size(); ++c) {
        const TuningCandidate best{space.fusion_thresholds[t], space.cycle_times[c], space.algorithms[a]};
        auto distance = [&](const TuningCandidate& x) {
          const auto ti = std::find(space.fusion_thresholds.begin(), space.fusion_thresholds.end(),
                                    x.fusion_threshold_bytes) - space.fusion_thresholds.begin();
          const auto ci = std::find(space.cycle_times.begin(), space.cycle_times.end(), x.cycle_time) -
                          space.cycle_times.begin();
          return std::abs(static_cast<double>(ti) - static_cast<double>(t)) +
                 std::abs(static_cast<double>(ci) - static_cast<double>(c)) + (x.allreduce == best.allreduce ? 0 : 1);
        };
        Autotuner tuner(space, default_start());
        const std::size_t samples =
            run_search(tuner, [&](const TuningCandidate& x, std::size_t) { return 1000.0 / (1.0 + distance(x)); });
        ASSERT_TRUE(tuner.done());
        EXPECT_EQ(tuner.current(), best);
        EXPECT_EQ(samples, 10u + 4u + 6u);
      }
    }
  }
}

TEST(Autotuner, TiesKeepTheRunningValueAndOneValueIsNotTuned) {
  TuningSpace space;
  space.fusion_thresholds = {0, 4 * MiB, 64 * MiB};
  space.cycle_times = {microseconds(1000)};
  space.algorithms = {AllreduceAlgorithm::ring};
  const TuningCandidate start{4 * MiB, microseconds(1000), AllreduceAlgorithm::ring};
  Autotuner tuner(space, start);
  std::vector<TuningCandidate> ran;
  while (!tuner.done()) {
    ran.push_back(tuner.current());
    EXPECT_EQ(tuner.record(100, 1).searching, Autotuner::Parameter::fusion_threshold);
  }
  EXPECT_EQ(ran.size(), 3u + 2u);  // only the threshold races
  EXPECT_EQ(ran.front(), start);
  EXPECT_EQ(tuner.current(), start);
  EXPECT_THROW(tuner.record(1, 1), Error);
}

TEST(Autotuner, NothingToTuneIsDoneAtOnce) {
  TuningSpace space;
  space.fusion_thresholds = {MiB};
  space.cycle_times = {microseconds(500)};
  space.algorithms = {AllreduceAlgorithm::native};
  const TuningCandidate start{MiB, microseconds(500), AllreduceAlgorithm::native};
  Autotuner tuner(space, start);
  EXPECT_TRUE(tuner.done());
  EXPECT_EQ(tuner.current(), start);
  EXPECT_EQ(tuner.samples(), 0u);
}

TEST(Autotuner, PositionsAreDistinctAndTheStartMustBeInTheSpace) {
  const TuningSpace space = tuning_grid(default_start(), three_algorithms());
  Autotuner tuner(space, default_start());
  std::map<std::size_t, TuningCandidate> seen;
  while (!tuner.done()) {
    auto [it, inserted] = seen.emplace(tuner.position(), tuner.current());
    if (!inserted) {
      EXPECT_EQ(it->second, tuner.current());
    }
    tuner.record(synthetic_score(tuner.current()), 1);
  }
  EXPECT_LT(seen.rbegin()->first, space.fusion_thresholds.size() * space.algorithms.size() * space.cycle_times.size());

  TuningCandidate outside = default_start();
  outside.allreduce = AllreduceAlgorithm::ring;
  EXPECT_THROW(Autotuner(tuning_grid(default_start(), {AllreduceAlgorithm::native}), outside), Error);
  EXPECT_THROW(Autotuner(TuningSpace{}, default_start()), Error);
}

TEST(Autotuner, GridAddsTheConfiguredValues) {
  const TuningCandidate start{3 * MiB, microseconds(700), AllreduceAlgorithm::native};
  const TuningSpace space = tuning_grid(start, {AllreduceAlgorithm::native});
  EXPECT_EQ(space.fusion_thresholds, (std::vector<std::size_t>{0, 1 * MiB, 3 * MiB, 4 * MiB, 16 * MiB, 64 * MiB}));
  EXPECT_EQ(space.cycle_times, (std::vector<microseconds>{microseconds(500), microseconds(700), microseconds(1000),
                                                          microseconds(2000), microseconds(5000)}));
  Autotuner tuner(space, start);
  EXPECT_EQ(tuner.current(), start);
}

RoundItem allreduce_item(const std::string& name, std::int64_t floats, ResponseKind kind = ResponseKind::run,
                         OpType op = OpType::allreduce) {
  RoundItem i;
  i.response.kind = kind;
  i.response.name = name;
  i.response.signature.op = op;
  i.response.signature.dtype = coll::DataType::f32;
  i.response.signature.shape = {floats};
  return i;
}

TEST(StepMeter, StepsStartWhenANameComesBackAndSamplesCoverWholeRounds) {
  StepMeter meter(/*warmup_steps=*/2, /*steps_per_sample=*/2);
  const auto t0 = StepMeter::Clock::now();
  auto at = [&](int ms) { return t0 + std::chrono::milliseconds(ms); };
  // One step = "a" (4 bytes * 10) then "b" and "c" (4 * 100 each), over two rounds;
  // broadcasts and errors neither count nor start steps.
  std::vector<std::vector<RoundItem>> step = {
      {allreduce_item("a", 10), allreduce_item("bc", 7, ResponseKind::run, OpType::broadcast)},
      {allreduce_item("b", 100), allreduce_item("c", 100), allreduce_item("a", 5, ResponseKind::error)}};
  int ms = 0;
  std::vector<StepMeter::Sample> samples;
  std::vector<int> ended_at;
  for (int s = 0; s < 9; ++s) {
    for (const auto& round : step) {
      if (auto sample = meter.on_round(round, 2, at(ms))) {
        samples.push_back(*sample);
        ended_at.push_back(ms);
      }
      ms += 10;
    }
  }
  // Steps start at rounds 0, 2, 4, ...; the second and third step starts end
  // the warm-up (steps 1 and 2); samples of two steps end at steps 5 and 7 and 9.
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(ended_at, (std::vector<int>{80, 120, 160}));
  for (const auto& s : samples) {
    EXPECT_EQ(s.steps, 2u);
    EXPECT_DOUBLE_EQ(s.bytes, 2 * (40.0 + 800.0));
    EXPECT_EQ(s.elapsed, std::chrono::milliseconds(40));
  }
  EXPECT_TRUE(meter.measuring());
}

TEST(StepMeter, ALoopThatNeverRepeatsANameStillHasSteps) {
  StepMeter meter(0, 1);
  const auto now = StepMeter::Clock::now();
  std::size_t samples = 0;
  for (std::size_t i = 0; i < 3 * StepMeter::kMaxStepTensors + 1; ++i) {
    if (meter.on_round({allreduce_item("unique." + std::to_string(i), 1)}, 2, now)) ++samples;
  }
  EXPECT_EQ(samples, 2u);  // step starts at 16384 (measuring begins), 32768, 49152
}

TEST(AutotuneLog, WritesTheTrialsAndTheChoiceAsCsv) {
  const std::string path = ::testing::TempDir() + "ringtail_autotune_log_test.csv";
  {
    AutotuneLog log(path);
    Autotuner::Trial t;
    t.number = 1;
    t.searching = Autotuner::Parameter::allreduce;
    t.candidate = {4 * MiB, microseconds(500), AllreduceAlgorithm::ring};
    t.bytes = 3e6;
    t.seconds = 0.5;
    t.score = 6e6;
    log.trial(t);
    t.searching = Autotuner::Parameter::cycle_time;
    log.chosen(t);
  }
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0], "trial,searching,fusion_threshold_bytes,cycle_time_ms,allreduce,bytes,seconds,bytes_per_second");
  EXPECT_EQ(lines[1], "1,allreduce,4194304,0.5,ring,3000000,0.500000,6000000");
  EXPECT_EQ(lines[2], "chosen,cycle_time,4194304,0.5,ring,3000000,0.500000,6000000");
  std::remove(path.c_str());

  try {
    AutotuneLog bad("/nonexistent-dir/x/log.csv");
    ADD_FAILURE() << "an unwritable path must throw";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_AUTOTUNE_LOG"), std::string::npos) << e.what();
  }
}

TEST(WakeSchedule, TheAutotunerChangesTheCycle) {
  WakeSchedule s(1000us, 100000us);
  s.set_cycle(5000us);
  EXPECT_EQ(s.cycle(), 5000us);
  const auto now = WakeSchedule::Clock::now();
  s.after_round(WakeSchedule::Outcome::active, now);
  EXPECT_EQ(s.next(), now + 5000us);
}

}  // namespace
}  // namespace ringtail::core::detail
