// Unit tests of the engine's parts that run in one process: fusion planning,
// the identity fill, the stall inspector, the wake schedule, the timeline
// file, handles and the engine's configuration variables.

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "fusion_buffer.h"
#include "fusion_plan.h"
#include "handle_state.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/half.h"
#include "ringtail/core/config.h"
#include "ringtail/core/handle.h"
#include "stall_inspector.h"
#include "timeline.h"
#include "wake_schedule.h"

namespace ringtail::core::detail {
namespace {

using namespace std::chrono_literals;

RoundItem item(OpType op, Shape shape, coll::DataType type = coll::DataType::f32,
               ResponseKind kind = ResponseKind::run) {
  RoundItem i;
  i.response.kind = kind;
  i.response.signature.op = op;
  i.response.signature.dtype = type;
  i.response.signature.shape = std::move(shape);
  return i;
}

std::vector<std::vector<std::size_t>> plan(const std::vector<RoundItem>& items, std::size_t threshold) {
  std::vector<std::vector<std::size_t>> out;
  for (const auto& g : plan_fusion(items, threshold, 2)) out.push_back(g.items);
  return out;
}

TEST(FusionPlan, FusesSameKindUpToTheThreshold) {
  std::vector<RoundItem> items;
  for (int i = 0; i < 5; ++i) items.push_back(item(OpType::allreduce, {256}));  // 1 KiB each
  EXPECT_EQ(plan(items, 64 << 20), (std::vector<std::vector<std::size_t>>{{0, 1, 2, 3, 4}}));
  EXPECT_EQ(plan(items, 2048), (std::vector<std::vector<std::size_t>>{{0, 1}, {2, 3}, {4}}));
  EXPECT_EQ(plan(items, 0), (std::vector<std::vector<std::size_t>>{{0}, {1}, {2}, {3}, {4}}));
}

TEST(FusionPlan, SeparatesDtypesOpsAndRootsButKeepsOrder) {
  std::vector<RoundItem> items;
  items.push_back(item(OpType::allreduce, {4}));
  items.push_back(item(OpType::allreduce, {4}, coll::DataType::f64));
  items.push_back(item(OpType::allreduce, {4}));
  RoundItem b = item(OpType::broadcast, {4});
  b.response.signature.root = 1;
  items.push_back(b);
  items.push_back(item(OpType::allreduce, {4}, coll::DataType::f64));
  RoundItem maxed = item(OpType::allreduce, {4});
  maxed.response.signature.reduce_op = coll::ReduceOp::max;
  items.push_back(maxed);
  items.push_back(item(OpType::alltoall, {4}));
  items.push_back(item(OpType::alltoall, {4}));
  EXPECT_EQ(plan(items, 1 << 20),
            (std::vector<std::vector<std::size_t>>{{0, 2}, {1, 4}, {3}, {5}, {6}, {7}}));
}

TEST(FusionPlan, ErrorsAndControlCloseOpenGroups) {
  std::vector<RoundItem> items;
  items.push_back(item(OpType::allreduce, {4}));
  items.push_back(item(OpType::allreduce, {4}, coll::DataType::f32, ResponseKind::error));
  items.push_back(item(OpType::allreduce, {4}));
  items.push_back(item(OpType::add_process_set, {0, 1}));
  items.push_back(item(OpType::allreduce, {4}));
  EXPECT_EQ(plan(items, 1 << 20), (std::vector<std::vector<std::size_t>>{{0}, {1}, {2}, {3}, {4}}));
}

TEST(FusionPlan, LargeTensorsRunAlone) {
  std::vector<RoundItem> items;
  items.push_back(item(OpType::allreduce, {16}));
  items.push_back(item(OpType::allreduce, {1024}));
  items.push_back(item(OpType::allreduce, {16}));
  EXPECT_EQ(plan(items, 1024), (std::vector<std::vector<std::size_t>>{{0, 2}, {1}}));
}

TEST(FillIdentity, EveryDtypeAndOp) {
  float f[3];
  fill_identity(f, 3, coll::DataType::f32, coll::ReduceOp::min);
  EXPECT_TRUE(std::isinf(f[2]) && f[2] > 0);
  fill_identity(f, 3, coll::DataType::f32, coll::ReduceOp::product);
  EXPECT_EQ(f[1], 1.0f);
  fill_identity(f, 3, coll::DataType::f32, coll::ReduceOp::average);
  EXPECT_EQ(f[0], 0.0f);
  std::int32_t i[2];
  fill_identity(i, 2, coll::DataType::i32, coll::ReduceOp::max);
  EXPECT_EQ(i[1], std::numeric_limits<std::int32_t>::lowest());
  std::uint8_t u[2];
  fill_identity(u, 2, coll::DataType::u8, coll::ReduceOp::min);
  EXPECT_EQ(u[0], 255);
  std::uint16_t h[2];
  fill_identity(h, 2, coll::DataType::f16, coll::ReduceOp::max);
  EXPECT_TRUE(std::isinf(coll::f16_to_float(h[0])));
  fill_identity(h, 2, coll::DataType::bf16, coll::ReduceOp::product);
  EXPECT_EQ(coll::bf16_to_float(h[1]), 1.0f);
}

TEST(FusionBuffer, AlignedAndGrowsOnly) {
  FusionBuffer b;
  std::uint8_t* p = b.reserve(100);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(p) % FusionBuffer::kAlignment, 0u);
  EXPECT_EQ(b.reserve(50), p);
  b.reserve(1 << 20);
  EXPECT_GE(b.capacity(), std::size_t{1} << 20);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(b.reserve(10)) % FusionBuffer::kAlignment, 0u);
}

TEST(StallInspector, WarnsAfterTheLimitNamingRanksAndTensors) {
  StallInspector inspector(10.0, 0.0);
  const auto t0 = StallInspector::Clock::now();
  const std::string a = "grad.a", b = "grad.b";
  std::vector<StallInspector::Waiting> waiting{{&a, {2}}, {&b, {2, 3}}};
  EXPECT_TRUE(inspector.check(waiting, t0).warning.empty());
  EXPECT_TRUE(inspector.check(waiting, t0 + 5s).warning.empty());
  const auto verdict = inspector.check(waiting, t0 + 11s);
  EXPECT_NE(verdict.warning.find("rank 2 has not submitted [grad.a, grad.b]"), std::string::npos)
      << verdict.warning;
  EXPECT_NE(verdict.warning.find("rank 3 has not submitted [grad.b]"), std::string::npos);
  EXPECT_TRUE(verdict.shutdown.empty());
  // Not again within the period; again after it.
  EXPECT_TRUE(inspector.check(waiting, t0 + 12s).warning.empty());
  EXPECT_FALSE(inspector.check(waiting, t0 + 22s).warning.empty());
}

TEST(StallInspector, ListsAtMostFiveNamesPerRank) {
  StallInspector inspector(1.0, 0.0);
  std::vector<std::string> names;
  for (int i = 0; i < 8; ++i) names.push_back("t" + std::to_string(i));
  std::vector<StallInspector::Waiting> waiting;
  for (const auto& n : names) waiting.push_back({&n, {1}});
  const auto t0 = StallInspector::Clock::now();
  inspector.check(waiting, t0);
  const auto w = inspector.check(waiting, t0 + 2s).warning;
  EXPECT_NE(w.find("[t0, t1, t2, t3, t4, and 3 more]"), std::string::npos) << w;
}

TEST(StallInspector, ForgetsCompletedTensorsAndShutsDown) {
  StallInspector inspector(1.0, 3.0);
  const auto t0 = StallInspector::Clock::now();
  const std::string a = "a";
  inspector.check({{&a, {1}}}, t0);
  inspector.check({}, t0 + 2s);  // a completed
  EXPECT_TRUE(inspector.check({{&a, {1}}}, t0 + 2500ms).shutdown.empty());
  const auto v = inspector.check({{&a, {1}}}, t0 + 6s);
  EXPECT_NE(v.shutdown.find("'a' waited 3.5 s for rank 1"), std::string::npos) << v.shutdown;
}

TEST(WakeSchedule, ProductiveActiveIdle) {
  WakeSchedule s(1000us, 8000us);
  const auto t = WakeSchedule::Clock::now();
  s.after_round(WakeSchedule::Outcome::productive, t);
  EXPECT_EQ(s.next(), t);
  EXPECT_FALSE(s.wake_on_local_work());
  s.after_round(WakeSchedule::Outcome::active, t);
  EXPECT_EQ(s.next(), t + 1ms);
  EXPECT_FALSE(s.wake_on_local_work());
  // Idle: heartbeats back off 1, 2, 4, 8, 8 ms.
  const std::chrono::milliseconds expected[] = {1ms, 2ms, 4ms, 8ms, 8ms};
  for (auto e : expected) {
    s.after_round(WakeSchedule::Outcome::idle, t);
    EXPECT_EQ(s.next(), t + e);
    EXPECT_TRUE(s.wake_on_local_work());
  }
  s.after_round(WakeSchedule::Outcome::productive, t);
  s.after_round(WakeSchedule::Outcome::idle, t);
  EXPECT_EQ(s.next(), t + 1ms);
}

TEST(Timeline, WritesAChromeTraceOffTheCallingThread) {
  const std::string path = ::testing::TempDir() + "ringtail-timeline-unit.json";
  const auto t0 = Timeline::Clock::now();
  {
    Timeline timeline(path, t0);
    timeline.submit({{"grad \"w\"", "NEGOTIATE", t0, t0 + 5us},
                     {"grad \"w\"", "mpi.native.allreduce", t0 + 5us, t0 + 9us},
                     {"b", "QUEUE", t0, t0 + 1us}});
    timeline.submit({{"b", "UNPACK", t0 + 2us, t0 + 3us}});
  }
  std::ifstream in(path);
  const nlohmann::json trace = nlohmann::json::parse(in);
  ASSERT_TRUE(trace.is_array());
  int spans = 0;
  std::set<std::string> tracks;
  for (const auto& e : trace) {
    if (e["ph"] == "M") tracks.insert(e["args"]["name"].get<std::string>());
    if (e["ph"] == "X") ++spans;
  }
  EXPECT_EQ(spans, 4);
  EXPECT_EQ(tracks, (std::set<std::string>{"grad \"w\"", "b"}));
  EXPECT_EQ(trace[1]["name"], "NEGOTIATE");
  EXPECT_EQ(trace[1]["dur"], 5);
  std::remove(path.c_str());
}

TEST(Timeline, UnwritablePathIsAClearError) {
  try {
    Timeline t("/nonexistent-dir/x.json", Timeline::Clock::now());
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_TIMELINE"), std::string::npos);
  }
}

TEST(Handle, WaitTestErrorAndTimeout) {
  auto state = std::make_shared<HandleState>("t");
  int calls = 0;
  std::exception_ptr seen;
  state->callback = [&](std::exception_ptr e) {
    ++calls;
    seen = e;
  };
  Handle h(state);
  EXPECT_FALSE(h.test());
  EXPECT_FALSE(h.error());
  EXPECT_FALSE(h.wait_for(1ms));
  try {
    h.wait(5ms);
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
  }
  EXPECT_THROW(h.output(), Error);
  std::thread completer([&] {
    state->complete(Failure{ErrorKind::mismatch, "bad shape"});
  });
  try {
    h.wait();
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::mismatch);
  }
  completer.join();
  EXPECT_TRUE(h.test());
  EXPECT_TRUE(h.error());
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(seen);
  EXPECT_FALSE(Handle().valid());
  EXPECT_FALSE(Handle().test());
}

// A timeout of milliseconds::max() means "as long as it takes": it used to
// overflow steady_clock (now() + timeout in nanoseconds wraps into the past),
// so wait_for() returned false and wait(timeout) threw a timeout at once.
TEST(Handle, HugeTimeoutsWaitForCompletion) {
  auto state = std::make_shared<HandleState>("long");
  Handle h(state);
  std::thread completer([&] {
    std::this_thread::sleep_for(50ms);
    state->complete(std::nullopt);
  });
  EXPECT_TRUE(h.wait_for(std::chrono::milliseconds::max()));
  completer.join();
  auto second = std::make_shared<HandleState>("longer");
  Handle h2(second);
  std::thread completer2([&] {
    std::this_thread::sleep_for(50ms);
    second->complete(std::nullopt);
  });
  EXPECT_NO_THROW(h2.wait(std::chrono::milliseconds::max()));
  completer2.join();
  // A negative timeout is "do not wait".
  auto idle = std::make_shared<HandleState>("idle");
  EXPECT_FALSE(Handle(idle).wait_for(-5ms));
}

TEST(Handle, ThrowingCallbackIsContained) {
  auto state = std::make_shared<HandleState>("t");
  state->callback = [](std::exception_ptr) { throw std::runtime_error("oops"); };
  state->value = 7;
  state->complete(std::nullopt);
  Handle h(state);
  h.wait();
  EXPECT_EQ(h.value(), 7);
}

TEST(Config, EngineVariables) {
  const Config c = Config::from_variables({{"RINGTAIL_FUSION_THRESHOLD", "0"},
                                           {"RINGTAIL_CYCLE_TIME_MS", "2.5"},
                                           {"RINGTAIL_HEARTBEAT_MS", "50"},
                                           {"RINGTAIL_CACHE_CAPACITY", "4096"},
                                           {"RINGTAIL_STALL_CHECK_SECONDS", "5"},
                                           {"RINGTAIL_STALL_SHUTDOWN_SECONDS", "30"}});
  EXPECT_EQ(c.fusion_threshold_bytes, 0u);
  EXPECT_EQ(c.cycle_time, 2500us);
  EXPECT_EQ(c.heartbeat_max, 50000us);
  EXPECT_EQ(c.cache_capacity, 4096u);
  EXPECT_EQ(c.stall_check_seconds, 5.0);
  EXPECT_EQ(c.stall_shutdown_seconds, 30.0);
  EXPECT_THROW(Config::from_variables({{"RINGTAIL_CYCLE_TIME_MS", "0"}}), Error);
  EXPECT_THROW(Config::from_variables({{"RINGTAIL_HEARTBEAT_MS", "-1"}}), Error);
  EXPECT_THROW(Config::from_variables({{"RINGTAIL_FUSION_THRESHOLD", "lots"}}), Error);
}

}  // namespace
}  // namespace ringtail::core::detail
