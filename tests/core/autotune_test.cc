// Multi-rank tests of autotuning (RINGTAIL_AUTOTUNE): a training-like loop of
// allreduces runs until tuning ends, which must happen within a bounded number
// of steps; every result is checked against a float64 reference through every
// switch of fusion threshold, cycle time and algorithm; every rank must end
// with the same parameters; rank 0's CSV must have one row per sample and the
// choice. Which candidate wins depends on timing, so no test looks at it.

#include <algorithm>
#include <fstream>
#include <set>
#include <sstream>

#include "engine_test_util.h"
#include "ringtail/core/tuned_parameters.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using core::AllreduceAlgorithm;
using core::AutotuneState;
using core::TunedParameters;

// One training step's gradients: sizes on both sides of the fusion
// thresholds tried (1, 4, 16, 64 MiB), two dtypes (which never fuse together),
// sum and average.
struct Gradient {
  const char* name;
  DataType type;
  std::size_t count;
  ReduceOp op;
};
const std::vector<Gradient> kGradients = {
    {"layer1.weight", DataType::f32, 300, ReduceOp::sum},
    {"layer1.bias", DataType::f64, 40000, ReduceOp::average},
    {"layer2.weight", DataType::f32, 700001, ReduceOp::sum},
    {"layer2.bias", DataType::f32, 1001, ReduceOp::average},
};
constexpr std::size_t kStepsPerSample = 3;  // AutotuneSession::kStepsPerSample
// Warm-up (3 steps) plus at most 21 samples of 3 steps, with room to spare.
constexpr int kMaxTuningSteps = 300;

double step_bytes() {
  double b = 0;
  for (const Gradient& g : kGradients) b += static_cast<double>(g.count * coll::size_of(g.type));
  return b;
}

// Submits every gradient of `step` (as hooks do, one by one), waits and checks
// each against the float64 reference. `contributors`: the ranks still
// training (the others have joined).
void run_step(Runtime& rt, int rank, int contributors, int step) {
  std::vector<Buffer> buffers;
  buffers.reserve(kGradients.size());
  std::vector<Handle> handles;
  for (std::size_t t = 0; t < kGradients.size(); ++t) {
    const Gradient& g = kGradients[t];
    buffers.emplace_back(g.type, g.count);
    for (std::size_t i = 0; i < g.count; ++i) buffers[t].set(i, element_value(rank, t + step, i));
    handles.push_back(rt.allreduce(g.name, buffers[t].view(), g.op));
  }
  for (std::size_t t = 0; t < kGradients.size(); ++t) {
    const Gradient& g = kGradients[t];
    handles[t].wait(kWait);
    const std::size_t wrong = count_wrong(buffers[t], [&](std::size_t i) {
      double sum = 0;
      for (int r = 0; r < contributors; ++r) sum += element_value(r, t + step, i);
      return g.op == ReduceOp::average ? sum / contributors : sum;
    }, std::string(g.name) + " at step " + std::to_string(step));
    ASSERT_EQ(wrong, 0u) << g.name << " at step " << step << " under "
                         << core::to_string(rt.tuned_parameters().allreduce) << ", threshold "
                         << rt.tuned_parameters().fusion_threshold_bytes;
  }
}

// Runs steps until tuning has ended on every rank (agreed over `world`, so
// every rank runs the same number of steps). Returns the steps run.
int tune(Runtime& rt, coll::Communicator& world) {
  int step = 0;
  for (; step < kMaxTuningSteps; ++step) {
    run_step(rt, world.rank(), world.size(), step);
    if (::testing::Test::HasFatalFailure()) return step;
    std::int32_t done = rt.tuned_parameters().state == AutotuneState::done ? 1 : 0;
    world.allreduce(&done, 1, DataType::i32, ReduceOp::min);
    if (done) return step + 1;
  }
  return step;
}

// Every rank's parameters, over `world`, must equal this rank's.
void expect_same_on_every_rank(const TunedParameters& p, coll::Communicator& world) {
  const std::int64_t mine[] = {static_cast<std::int64_t>(p.fusion_threshold_bytes), p.cycle_time.count(),
                               static_cast<std::int64_t>(p.allreduce), static_cast<std::int64_t>(p.trials),
                               static_cast<std::int64_t>(p.state)};
  constexpr std::size_t kFields = 5;
  std::vector<std::int64_t> all(kFields * static_cast<std::size_t>(world.size()));
  world.allgather(mine, all.data(), kFields, DataType::i64);
  for (int r = 0; r < world.size(); ++r) {
    for (std::size_t f = 0; f < kFields; ++f) {
      EXPECT_EQ(all[static_cast<std::size_t>(r) * kFields + f], mine[f])
          << "field " << f << " differs between rank " << world.rank() << " and rank " << r;
    }
  }
}

struct LogRow {
  std::string trial, searching, algorithm;
  std::size_t threshold = 0;
  double cycle_ms = 0, bytes = 0, seconds = 0, score = 0;
};

std::vector<LogRow> read_log(const std::string& path, std::string* header) {
  std::ifstream in(path);
  std::vector<LogRow> rows;
  std::getline(in, *header);
  for (std::string line; std::getline(in, line);) {
    std::stringstream ss(line);
    std::vector<std::string> f;
    for (std::string cell; std::getline(ss, cell, ',');) f.push_back(cell);
    EXPECT_EQ(f.size(), 8u) << line;
    if (f.size() != 8) continue;
    rows.push_back({f[0], f[1], f[4], std::stoull(f[2]), std::stod(f[3]), std::stod(f[5]), std::stod(f[6]),
                    std::stod(f[7])});
  }
  return rows;
}

// Rank 0's CSV: a row per sample, numbered, each over exactly kStepsPerSample
// steps' bytes (so steps were found where they are), then the choice.
void check_log(const std::string& path, const TunedParameters& p, const std::set<double>& cycles_ms,
               const std::set<std::string>& algorithms) {
  std::string header;
  const std::vector<LogRow> rows = read_log(path, &header);
  EXPECT_EQ(header, "trial,searching,fusion_threshold_bytes,cycle_time_ms,allreduce,bytes,seconds,bytes_per_second");
  ASSERT_EQ(rows.size(), p.trials + 1);
  std::set<std::size_t> thresholds;
  std::set<double> cycles;
  std::set<std::string> raced_algorithms;
  for (std::size_t i = 0; i < p.trials; ++i) {
    const LogRow& row = rows[i];
    EXPECT_EQ(row.trial, std::to_string(i + 1));
    EXPECT_DOUBLE_EQ(row.bytes, kStepsPerSample * step_bytes()) << "trial " << row.trial;
    EXPECT_GT(row.seconds, 0.0);
    EXPECT_GT(row.score, 0.0);
    if (row.searching == "fusion_threshold") thresholds.insert(row.threshold);
    if (row.searching == "cycle_time") cycles.insert(row.cycle_ms);
    if (row.searching == "allreduce") raced_algorithms.insert(row.algorithm);
  }
  EXPECT_EQ(thresholds, (std::set<std::size_t>{0, 1 << 20, 4 << 20, 16 << 20, 64 << 20}));
  EXPECT_EQ(cycles, cycles_ms);
  EXPECT_EQ(raced_algorithms, algorithms);
  const LogRow& chosen = rows.back();
  EXPECT_EQ(chosen.trial, "chosen");
  EXPECT_EQ(chosen.threshold, p.fusion_threshold_bytes);
  EXPECT_DOUBLE_EQ(chosen.cycle_ms, static_cast<double>(p.cycle_time.count()) / 1000.0);
  EXPECT_EQ(chosen.algorithm, core::to_string(p.allreduce));
  const double samples = chosen.bytes / (kStepsPerSample * step_bytes());
  EXPECT_GE(samples, 1.0);
  EXPECT_DOUBLE_EQ(samples, std::round(samples));
}

// The whole scenario: tune, check agreement and the log, then run on with the
// choice, which must stay.
void tune_and_check(coll::Communicator& world, core::Config config, std::size_t expected_samples,
                    const std::set<std::string>& raced_algorithms,
                    const std::set<double>& raced_cycles_ms = {0.5, 1, 2, 5}) {
  const std::string dir = make_temp_dir("autotune");
  config.autotune = true;
  config.autotune_log = dir + "/trials.csv";
  auto rt = make_runtime(world, config);
  const TunedParameters initial = rt->tuned_parameters();
  EXPECT_EQ(initial.state, AutotuneState::tuning);
  EXPECT_EQ(initial.fusion_threshold_bytes, config.fusion_threshold_bytes);
  EXPECT_EQ(initial.trials, 0u);

  const int steps = tune(*rt, world);
  ASSERT_FALSE(::testing::Test::HasFatalFailure());
  const TunedParameters p = rt->tuned_parameters();
  ASSERT_EQ(p.state, AutotuneState::done) << "tuning did not end within " << kMaxTuningSteps << " steps";
  // The search's length is fixed by the grid, so tuning takes a known number of steps.
  EXPECT_EQ(p.trials, expected_samples);
  EXPECT_LE(steps, static_cast<int>(3 + (expected_samples + 1) * kStepsPerSample));
  expect_same_on_every_rank(p, world);

  for (int step = steps; step < steps + 6; ++step) run_step(*rt, world.rank(), world.size(), step);
  const TunedParameters after = rt->tuned_parameters();
  EXPECT_EQ(after.fusion_threshold_bytes, p.fusion_threshold_bytes);
  EXPECT_EQ(after.cycle_time, p.cycle_time);
  EXPECT_EQ(after.allreduce, p.allreduce);
  EXPECT_EQ(after.trials, p.trials);
  world.barrier();  // nobody shuts down before every rank has read its parameters
  rt.reset();
  if (world.rank() == 0) check_log(config.autotune_log, p, raced_cycles_ms, raced_algorithms);
  remove_tree(dir);
}

TEST(Autotune, ConvergesAgreesAndStaysCorrect) {
  run_on_ranks([](coll::Communicator& world) {
    // 5 + 3 + 2 thresholds, 3 + 2 algorithms (one host: shm races too), 4 + 2
    // cycle times.
    tune_and_check(world, test_config(), 21, {"native", "ring", "shm"});
  });
}

TEST(Autotune, TriesHierarchicalWhenRanksSpanHosts) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.world.hostname = "node" + std::to_string(world.rank());  // one rank per "host"
    tune_and_check(world, config, 21, {"native", "ring", "hierarchical"});
  });
}

TEST(Autotune, AConfiguredAlgorithmIsKept) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.allreduce = AllreduceAlgorithm::ring;
    config.cycle_time = std::chrono::microseconds(3000);  // joins the grid
    // 5 + 3 + 2 thresholds, 5 + 3 + 2 cycle times, no algorithm race.
    tune_and_check(world, config, 20, {}, {0.5, 1, 2, 3, 5});
    // Without autotuning the configured values are reported.
    auto rt = make_runtime(world, config);
    EXPECT_EQ(rt->tuned_parameters().allreduce, AllreduceAlgorithm::ring);
    EXPECT_EQ(rt->tuned_parameters().state, AutotuneState::off);
  });
}

// A rank that runs out of data during tuning still takes part in every
// switch (it runs every round); the others tune on and stay correct.
TEST(Autotune, ARankThatJoinsKeepsInStep) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.autotune = true;
    auto rt = make_runtime(world, config);
    const int last = world.size() - 1;
    int step = 0;
    for (; step < 8; ++step) run_step(*rt, world.rank(), world.size(), step);
    if (world.rank() != last) {
      // The last rank joins now: the others contribute alone.
      for (; step < kMaxTuningSteps && rt->tuned_parameters().state != AutotuneState::done; ++step) {
        run_step(*rt, world.rank(), world.size() - 1, step);
        if (::testing::Test::HasFatalFailure()) break;
      }
    }
    const int last_to_join = rt->join();  // one of those that trained on
    EXPECT_GE(last_to_join, 0);
    EXPECT_LT(last_to_join, last);
    const TunedParameters p = rt->tuned_parameters();
    EXPECT_EQ(p.state, AutotuneState::done);
    expect_same_on_every_rank(p, world);
  });
}

TEST(Autotune, MustBeOnOnEveryRank) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.autotune = world.rank() == 0;
    const Error e = expect_error([&] { make_runtime(world, config); }, ErrorKind::mismatch);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_AUTOTUNE"), std::string::npos) << e.what();
  });
}

}  // namespace
}  // namespace ringtail::test
