// Multi-rank tests of the engine's features: fusion, the response cache's fast
// path, join, the stall inspector, the timeline and process sets. They read
// the counters to see which path ran; no timing decides a result.

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "engine_test_util.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

core::Counters delta(const core::Counters& after, const core::Counters& before) {
  core::Counters d;
  d.rounds = after.rounds - before.rounds;
  d.coordinator_rounds = after.coordinator_rounds - before.coordinator_rounds;
  d.cache_hits = after.cache_hits - before.cache_hits;
  d.cache_misses = after.cache_misses - before.cache_misses;
  d.collectives = after.collectives - before.collectives;
  d.tensors = after.tensors - before.tensors;
  d.fused_tensors = after.fused_tensors - before.fused_tensors;
  d.bytes_fused = after.bytes_fused - before.bytes_fused;
  d.errors = after.errors - before.errors;
  return d;
}

constexpr std::size_t kFusionTensors = 160;
constexpr std::size_t kFloatsPer4KiB = 1024;

// Submits 160 tensors of 4 KiB (one group, or one by one), waits, checks them.
void round_of_160(Runtime& rt, coll::Communicator& world, bool as_group, int step) {
  std::vector<Buffer> buffers;
  buffers.reserve(kFusionTensors);
  std::vector<core::Operation> ops(kFusionTensors);
  for (std::size_t t = 0; t < kFusionTensors; ++t) {
    buffers.emplace_back(DataType::f32, kFloatsPer4KiB);
    for (std::size_t i = 0; i < kFloatsPer4KiB; ++i) buffers[t].set(i, element_value(world.rank(), t + step, i));
    ops[t].name = "fused." + std::to_string(t);
    ops[t].input = buffers[t].view();
    ops[t].reduce_op = ReduceOp::sum;
  }
  std::vector<Handle> handles;
  if (as_group) {
    handles = rt.enqueue_group(ops);
  } else {
    for (auto& op : ops) handles.push_back(rt.enqueue(op));
  }
  std::size_t wrong = 0;
  for (std::size_t t = 0; t < kFusionTensors; ++t) {
    handles[t].wait(kWait);
    wrong += count_wrong(buffers[t], [&](std::size_t i) {
      double s = 0;
      for (int r = 0; r < world.size(); ++r) s += element_value(r, t + step, i);
      return s;
    }, ops[t].name);
  }
  EXPECT_EQ(wrong, 0u);
}

TEST(EngineFeatures, OneHundredSixtySmallTensorsFuse) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    // Submitted together: one collective for all 160.
    auto before = rt->counters();
    round_of_160(*rt, world, true, 0);
    auto d = delta(rt->counters(), before);
    EXPECT_EQ(d.collectives, 1u);
    EXPECT_EQ(d.fused_tensors, kFusionTensors);
    EXPECT_EQ(d.bytes_fused, kFusionTensors * 4096);
    // Submitted one by one, as gradient hooks do: still a handful.
    before = rt->counters();
    round_of_160(*rt, world, false, 1);
    d = delta(rt->counters(), before);
    // How many rounds the submissions spread over depends on scheduling; on an
    // idle machine it is 1 to 3 collectives.
    EXPECT_LT(d.collectives, kFusionTensors / 2) << "one-by-one submissions ran in " << d.collectives
                                                 << " collectives";
    EXPECT_GT(d.fused_tensors, 0u);
    EXPECT_EQ(d.tensors, kFusionTensors);
  });
}

TEST(EngineFeatures, FusionThresholdZeroTurnsFusionOff) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.fusion_threshold_bytes = 0;
    auto rt = make_runtime(world, config);
    const auto before = rt->counters();
    round_of_160(*rt, world, true, 2);
    const auto d = delta(rt->counters(), before);
    EXPECT_EQ(d.collectives, kFusionTensors);
    EXPECT_EQ(d.fused_tensors, 0u);
  });
}

TEST(EngineFeatures, SteadyLoopTakesTheCacheFastPath) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    constexpr int kTensors = 10;
    std::vector<Buffer> buffers;
    for (int t = 0; t < kTensors; ++t) buffers.emplace_back(DataType::f32, 64);
    auto step = [&](int s) {
      std::vector<Handle> handles;
      for (int t = 0; t < kTensors; ++t) {
        for (std::size_t i = 0; i < 64; ++i) buffers[t].set(i, element_value(world.rank(), t + s, i));
        handles.push_back(rt->allreduce("grad." + std::to_string(t), buffers[t].view(), ReduceOp::sum));
      }
      for (int t = 0; t < kTensors; ++t) {
        handles[t].wait(kWait);
        EXPECT_EQ(count_wrong(buffers[t], [&](std::size_t i) {
          double sum = 0;
          for (int r = 0; r < world.size(); ++r) sum += element_value(r, t + s, i);
          return sum;
        }, "grad"), 0u);
      }
    };
    step(0);  // warm-up: negotiated through rank 0, then cached
    const auto before = rt->counters();
    for (int s = 1; s <= 20; ++s) step(s);
    const auto d = delta(rt->counters(), before);
    // No rank may shut down (a round through rank 0) before every rank has read
    // its counters.
    world.barrier();
    EXPECT_EQ(d.coordinator_rounds, 0u) << "a steady loop went through rank 0";
    EXPECT_EQ(d.cache_hits, 20u * kTensors);
    EXPECT_EQ(d.cache_misses, 0u);
    EXPECT_GT(d.rounds, 0u);
  });
}

// Ranks run out of data after 3, 5 and 8 steps (by rank % 3).
TEST(EngineFeatures, JoinLetsRanksWithLessDataStandBy) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    auto steps_of = [](int r) { return std::vector<int>{3, 5, 8}[static_cast<std::size_t>(r % 3)]; };
    int last_expected = 0;
    for (int r = 0; r < n; ++r) {
      if (steps_of(r) > steps_of(last_expected)) last_expected = r;
    }
    auto value = [](int r, int step, std::size_t i) { return (r + 1) * (step + 1) + static_cast<double>(i); };
    for (int step = 0; step < steps_of(world.rank()); ++step) {
      Buffer sum(DataType::f32, 6), avg(DataType::f64, 6), max(DataType::i32, 6);
      for (std::size_t i = 0; i < 6; ++i) {
        sum.set(i, value(world.rank(), step, i));
        avg.set(i, value(world.rank(), step, i));
        max.set(i, -value(world.rank(), step, i));
      }
      Handle hs = rt->allreduce("sum", sum.view(), ReduceOp::sum);
      Handle ha = rt->allreduce("avg", avg.view(), ReduceOp::average);
      Handle hm = rt->allreduce("max", max.view(), ReduceOp::max);
      hs.wait(kWait);
      ha.wait(kWait);
      hm.wait(kWait);
      double taking_part = 0;
      for (int r = 0; r < n; ++r) taking_part += steps_of(r) > step ? 1 : 0;
      auto expected_sum = [&](std::size_t i) {
        double s = 0;
        for (int r = 0; r < n; ++r) s += steps_of(r) > step ? value(r, step, i) : 0;
        return s;
      };
      const std::string at = " at step " + std::to_string(step);
      EXPECT_EQ(count_wrong(sum, expected_sum, "sum" + at), 0u);
      EXPECT_EQ(count_wrong(avg, [&](std::size_t i) { return expected_sum(i) / taking_part; }, "average" + at), 0u);
      EXPECT_EQ(count_wrong(max, [&](std::size_t i) {
        double m = -1e300;
        for (int r = 0; r < n; ++r) {
          if (steps_of(r) > step) m = std::max(m, -value(r, step, i));
        }
        return m;
      }, "max" + at), 0u);
    }
    EXPECT_EQ(rt->join(), last_expected);
    // After join everybody is back: a plain allreduce over all ranks.
    Buffer b(DataType::f32, 3);
    for (std::size_t i = 0; i < 3; ++i) b.set(i, 1);
    rt->allreduce("after.join", b.view(), ReduceOp::sum).wait(kWait);
    EXPECT_EQ(b.get(2), n);
  });
}

// A joined rank may not change the process sets: the others would count it
// out and its own request would wait forever.
TEST(EngineFeatures, AJoinedRankCannotChangeProcessSets) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const core::ProcessSetId id = rt->add_process_set({0});
    // The last rank joins only after the others have tried (the harness's own
    // world orders that), so they are still joined while they try.
    const bool last = world.rank() == world.size() - 1;
    Handle joined;
    if (!last) {
      joined = rt->join_async();
      Error e = expect_error([&] { rt->add_process_set({0}); }, ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("has joined"), std::string::npos) << e.what();
      e = expect_error([&] { rt->remove_process_set(id); }, ErrorKind::invalid_argument);
      EXPECT_NE(std::string(e.what()).find("has joined"), std::string::npos) << e.what();
    }
    world.barrier();
    if (last) joined = rt->join_async();
    joined.wait(kWait);
    // Once the join has completed, the sets can change again.
    rt->remove_process_set(id);
  });
}

// While some ranks have joined, allgather takes rows from the others only,
// broadcast reaches every rank, and the joined ranks take part unseen.
TEST(EngineFeatures, GatherAndBroadcastWhileRanksHaveJoined) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    const int active = n - 1;  // the last rank keeps going; the others join at once
    if (world.rank() != active) {
      EXPECT_EQ(rt->join(), active);
      return;
    }
    Buffer rows(DataType::i32, 4), shared(DataType::f32, 3);
    for (std::size_t i = 0; i < 4; ++i) rows.set(i, 10 + static_cast<double>(i));
    for (std::size_t i = 0; i < 3; ++i) shared.set(i, 7);
    Handle g = rt->allgather("gather", rows.view({2, 2}));
    Handle b = rt->broadcast("bcast", shared.view(), active);
    Buffer r(DataType::i64, 1);
    r.set(0, 5);
    Handle s = rt->allreduce("reduce", r.view(), ReduceOp::average);
    g.wait(kWait);
    b.wait(kWait);
    s.wait(kWait);
    EXPECT_EQ(g.output().shape, (core::Shape{2, 2}));
    EXPECT_EQ(Buffer::load(static_cast<char*>(g.output().data) + 12, DataType::i32), 13);
    EXPECT_EQ(shared.get(2), 7);
    EXPECT_EQ(r.get(0), 5);  // an average over the one rank that took part
    // A broadcast whose root has joined cannot run: an error, not a hang.
    if (n > 1) {
      Buffer x(DataType::f32, 2);
      expect_error([&] { rt->broadcast("from.joined", x.view(), 0).wait(kWait); }, ErrorKind::mismatch);
    }
    EXPECT_EQ(rt->join(), active);
  });
}

TEST(EngineFeatures, StallWarningNamesTheMissingRank) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.stall_check_seconds = 0.3;
    auto rt = make_runtime(world, config);
    const int late = world.size() - 1;
    Buffer b(DataType::f32, 4);
    Handle h;
    if (world.rank() != late) h = rt->allreduce("late.tensor", b.view(), ReduceOp::sum);
    if (world.rank() == 0) {
      // The warning comes from rank 0's background thread; there is nothing to
      // block on, so look for it every 10 ms until a generous deadline (a
      // loaded machine may take a while; no duration decides the result).
      const auto deadline = std::chrono::steady_clock::now() + kWait;
      while (rt->counters().stall_warnings == 0 && std::chrono::steady_clock::now() < deadline) {
        std::this_thread::sleep_for(10ms);
      }
      const std::string report = rt->last_stall_report();
      EXPECT_NE(report.find("rank " + std::to_string(late) + " has not submitted [late.tensor]"),
                std::string::npos) << report;
    }
    world.barrier();  // the late rank submits only after rank 0 saw the warning
    if (world.rank() == late) h = rt->allreduce("late.tensor", b.view(), ReduceOp::sum);
    h.wait(kWait);
  });
}

TEST(EngineFeatures, StallShutdownEndsTheJobWithAnError) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    config.stall_check_seconds = 0.2;
    config.stall_shutdown_seconds = 0.6;
    auto rt = make_runtime(world, config);
    const int late = world.size() - 1;
    Buffer b(DataType::f32, 4);
    // The last rank never submits "never"; it waits on a tensor of its own.
    Handle h = rt->allreduce(world.rank() == late ? "other" : "never", b.view(), ReduceOp::sum);
    EXPECT_TRUE(h.wait_for(kWait));
    const Error e = expect_error([&] { h.wait(); }, ErrorKind::shut_down);
    EXPECT_NE(std::string(e.what()).find("stall shutdown"), std::string::npos) << e.what();
    EXPECT_TRUE(rt->is_shut_down());
    expect_error([&] { rt->allreduce("after", b.view()); }, ErrorKind::shut_down);
  });
}

// The spans of a timeline file, by track (tensor) name.
std::map<std::string, std::set<std::string>> timeline_phases(const std::string& path) {
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  std::map<int, std::string> tracks;
  std::map<std::string, std::set<std::string>> phases;
  for (const auto& e : trace) {
    if (e["ph"] == "M") tracks[e["tid"].get<int>()] = e["args"]["name"].get<std::string>();
  }
  for (const auto& e : trace) {
    if (e["ph"] == "X") phases[tracks[e["tid"].get<int>()]].insert(e["name"].get<std::string>());
  }
  return phases;
}

TEST(EngineFeatures, TimelineRecordsEveryPhase) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    std::string dir;
    if (world.rank() == 0) {
      dir = make_temp_dir("timeline");
      config.timeline_path = dir + "/timeline.json";
    }
    std::string allreduce_algorithm;  // what RINGTAIL_ALLREDUCE=auto resolved to
    {
      auto rt = make_runtime(world, config);
      allreduce_algorithm = core::to_string(rt->tuned_parameters().allreduce);
      Buffer a(DataType::f32, 100), b(DataType::f32, 100), c(DataType::f64, 10);
      std::vector<core::Operation> ops(2);
      ops[0].name = "fused.a";
      ops[0].input = a.view();
      ops[1].name = "fused.b";
      ops[1].input = b.view();
      for (Handle& h : rt->enqueue_group(ops)) h.wait(kWait);
      rt->broadcast("bcast.c", c.view(), 0).wait(kWait);
    }
    if (world.rank() != 0) return;
    auto phases = timeline_phases(config.timeline_path);
    const std::string backend(world.backend());
    EXPECT_EQ(phases["fused.a"],
              (std::set<std::string>{"NEGOTIATE", "QUEUE", "PACK",
                                     backend + "." + allreduce_algorithm + ".allreduce", "UNPACK"}));
    EXPECT_TRUE(phases["bcast.c"].count("NEGOTIATE"));
    EXPECT_TRUE(phases["bcast.c"].count(backend + ".native.broadcast"));
    remove_tree(dir);
  });
}

// RINGTAIL_ALLGATHER reaches the engine: with `hierarchical` on ranks that
// claim two host names (hosts of 1 and 1, 2 and 1, 2 and 2 ranks), allgathers
// of different row counts per rank, fused and alone, come out as with the
// backend's allgather, and the timeline names the algorithm that ran.
TEST(EngineFeatures, AllgatherRunsTheConfiguredAlgorithm) {
  run_on_ranks([](coll::Communicator& world) {
    const int n = world.size();
    core::Config config = test_config();
    config.allgather = core::AllgatherAlgorithm::hierarchical;
    config.world.hostname = "fake-host-" + std::to_string(world.rank() * 2 / n);
    std::string dir;
    if (world.rank() == 0) {
      dir = make_temp_dir("allgather");
      config.timeline_path = dir + "/timeline.json";
    }
    constexpr std::int64_t kCols = 5;
    const auto rows_of = [](int r, int t) { return static_cast<std::int64_t>(t == 0 ? r + 1 : (3 * r) % 4); };
    {
      auto rt = make_runtime(world, config);
      for (int round = 0; round < 2; ++round) {
        std::vector<Buffer> inputs;
        std::vector<core::Operation> ops(2);
        for (int t = 0; t < 2; ++t) {
          inputs.emplace_back(DataType::f32, static_cast<std::size_t>(rows_of(world.rank(), t) * kCols));
          for (std::size_t i = 0; i < inputs.back().count(); ++i) {
            inputs.back().set(i, 1000 * world.rank() + 100 * t + 10 * round + static_cast<int>(i % 7));
          }
        }
        for (int t = 0; t < 2; ++t) {
          ops[t].type = core::OpType::allgather;
          ops[t].name = "gather." + std::to_string(t);
          ops[t].input = inputs[t].view({rows_of(world.rank(), t), kCols});
        }
        // Round 0 fuses both tensors into one allgather; round 1 sends them alone.
        std::vector<Handle> handles;
        if (round == 0) {
          handles = rt->enqueue_group(ops);
        } else {
          for (auto& op : ops) handles.push_back(rt->enqueue_group({op}).front());
        }
        for (int t = 0; t < 2; ++t) {
          handles[t].wait(kWait);
          const TensorView out = handles[t].output();
          std::int64_t rows = 0;
          for (int r = 0; r < n; ++r) rows += rows_of(r, t);
          ASSERT_EQ(out.shape, (core::Shape{rows, kCols}));
          std::size_t at = 0;
          for (int r = 0; r < n; ++r) {
            for (std::int64_t i = 0; i < rows_of(r, t) * kCols; ++i, ++at) {
              EXPECT_EQ(Buffer::load(static_cast<char*>(out.data) + at * 4, DataType::f32),
                        1000 * r + 100 * t + 10 * round + i % 7)
                  << "tensor " << t << " round " << round << " element " << at;
            }
          }
        }
      }
    }
    if (world.rank() != 0) return;
    auto phases = timeline_phases(config.timeline_path);
    EXPECT_TRUE(phases["gather.0"].count(std::string(world.backend()) + ".hierarchical.allgather"))
        << "the allgather did not run the hierarchical algorithm";
    remove_tree(dir);
  });
}

// A job that creates and removes sets for a long time: set ids keep growing
// (they are never reused) while the rounds say which live sets have work by
// position, so a set with an id past 64, beside an older one, still runs.
TEST(EngineFeatures, SetsCreatedLateStillRunAfterManyCameAndWent) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    std::vector<int> all(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) all[static_cast<std::size_t>(r)] = r;
    const core::ProcessSetId early = rt->add_process_set(all);
    core::ProcessSetId last = early;
    for (int i = 0; i < 70; ++i) {
      last = rt->add_process_set({0});
      rt->remove_process_set(last);
    }
    const core::ProcessSetId late = rt->add_process_set(all);
    EXPECT_GT(late, last);
    Buffer a(DataType::f32, 4), b(DataType::f32, 4);
    for (std::size_t i = 0; i < 4; ++i) {
      a.set(i, element_value(world.rank(), 1, i));
      b.set(i, element_value(world.rank(), 2, i));
    }
    Handle ha = rt->allreduce("in.early", a.view(), ReduceOp::sum, early);
    Handle hb = rt->allreduce("in.late", b.view(), ReduceOp::sum, late);
    ha.wait(kWait);
    hb.wait(kWait);
    for (std::size_t i = 0; i < 4; ++i) {
      double sa = 0, sb = 0;
      for (int r = 0; r < n; ++r) {
        sa += element_value(r, 1, i);
        sb += element_value(r, 2, i);
      }
      EXPECT_EQ(a.get(i), sa) << "element " << i;
      EXPECT_EQ(b.get(i), sb) << "element " << i;
    }
  });
}

TEST(EngineFeatures, ProcessSetsNegotiateOnTheirOwn) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    std::vector<int> even, odd;
    for (int r = 0; r < n; ++r) (r % 2 ? odd : even).push_back(r);
    const core::ProcessSetId evens = rt->add_process_set(even);
    const core::ProcessSetId odds = rt->add_process_set(odd);
    EXPECT_NE(evens, odds);
    const bool is_even = world.rank() % 2 == 0;
    const core::ProcessSetId mine = is_even ? evens : odds;
    const core::ProcessSetId other = is_even ? odds : evens;
    const core::ProcessSetInfo info = rt->process_set(mine);
    EXPECT_EQ(info.ranks, is_even ? even : odd);
    EXPECT_EQ(info.rank, world.rank() / 2);
    EXPECT_EQ(rt->process_set(other).rank, -1);

    // The same name in the global set and in my set: two different tensors.
    Buffer in_set(DataType::f64, 8), global(DataType::f64, 8);
    for (std::size_t i = 0; i < 8; ++i) {
      in_set.set(i, element_value(world.rank(), 4, i));
      global.set(i, element_value(world.rank(), 5, i));
    }
    Handle hs = rt->allreduce("x", in_set.view(), ReduceOp::sum, mine);
    Handle hg = rt->allreduce("x", global.view(), ReduceOp::sum);
    hs.wait(kWait);
    hg.wait(kWait);
    EXPECT_EQ(count_wrong(in_set, [&](std::size_t i) {
      double s = 0;
      for (int r : info.ranks) s += element_value(r, 4, i);
      return s;
    }, "set allreduce"), 0u);
    EXPECT_EQ(count_wrong(global, [&](std::size_t i) {
      double s = 0;
      for (int r = 0; r < n; ++r) s += element_value(r, 5, i);
      return s;
    }, "global allreduce"), 0u);
    expect_error([&] { rt->allreduce("y", global.view(), ReduceOp::sum, other); }, ErrorKind::invalid_argument);

    rt->remove_process_set(evens);
    expect_error([&] { rt->allreduce("z", global.view(), ReduceOp::sum, evens); }, ErrorKind::invalid_argument);
    if (!is_even) rt->allreduce("still", global.view(), ReduceOp::sum, odds).wait(kWait);
    rt->remove_process_set(odds);
  });
}

// Names are per set in a group too: one group may carry the same name to two
// sets (it used to be refused as a name "submitted again").
TEST(EngineFeatures, OneGroupMayUseANameInTwoSets) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    std::vector<int> everyone(static_cast<std::size_t>(world.size()));
    for (int r = 0; r < world.size(); ++r) everyone[static_cast<std::size_t>(r)] = r;
    const core::ProcessSetId all = rt->add_process_set(everyone);
    Buffer a(DataType::f32, 4), b(DataType::f32, 4);
    for (std::size_t i = 0; i < 4; ++i) {
      a.set(i, 1);
      b.set(i, 2);
    }
    std::vector<core::Operation> group(2);
    for (std::size_t k = 0; k < 2; ++k) {
      group[k].name = "grad.w";
      group[k].input = k == 0 ? a.view() : b.view();
      group[k].reduce_op = ReduceOp::sum;
    }
    group[1].process_set = all;
    std::vector<Handle> handles = rt->enqueue_group(group);
    ASSERT_EQ(handles.size(), 2u);
    for (Handle& h : handles) h.wait(kWait);
    EXPECT_EQ(a.get(3), world.size());
    EXPECT_EQ(b.get(3), 2 * world.size());
    // Twice in the same set is still refused.
    group[1].process_set = core::kGlobalProcessSet;
    expect_error([&] { rt->enqueue_group(group); }, ErrorKind::invalid_argument);
    rt->remove_process_set(all);
  });
}

}  // namespace
}  // namespace ringtail::test
