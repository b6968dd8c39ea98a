// Multi-rank tests of the engine's errors: mismatches and duplicates complete
// with the documented error on every rank, quickly, and the engine goes on
// serving; bad arguments fail at enqueue; shutdown fails what is pending.

#include <thread>

#include "engine_test_util.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

// After an error, the next tensor still works on every rank.
void expect_serving(Runtime& rt, coll::Communicator& world, const std::string& name) {
  Buffer b(DataType::f32, 5);
  for (std::size_t i = 0; i < 5; ++i) b.set(i, element_value(world.rank(), 9, i));
  rt.allreduce(name, b.view(), ReduceOp::sum).wait(kWait);
  EXPECT_EQ(count_wrong(b, [&](std::size_t i) {
    double s = 0;
    for (int r = 0; r < world.size(); ++r) s += element_value(r, 9, i);
    return s;
  }, name), 0u);
}

// Waits at most 2 s and returns the mismatch message.
std::string mismatch_message(Handle& h) {
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(h.wait_for(kWait));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  const Error e = expect_error([&] { h.wait(); }, ErrorKind::mismatch);
  return e.what();
}

TEST(EngineErrors, ShapeMismatchNamesTensorFieldAndRanks) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int odd = world.size() - 1;  // the last rank has another shape
    Buffer b(DataType::f32, 6);
    const std::int64_t rows = world.rank() == odd ? 3 : 2;
    Handle h = rt->allreduce("grad.w", b.view({rows, world.rank() == odd ? 2 : 3}), ReduceOp::sum);
    const std::string msg = mismatch_message(h);
    EXPECT_NE(msg.find("'grad.w'"), std::string::npos) << msg;
    EXPECT_NE(msg.find("shape"), std::string::npos) << msg;
    EXPECT_NE(msg.find("[3, 2] on rank " + std::to_string(odd)), std::string::npos) << msg;
    expect_serving(*rt, world, "after.shape");
  });
}

TEST(EngineErrors, DtypeAndOpMismatches) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const bool odd = world.rank() == 1;
    Buffer f(odd ? DataType::f64 : DataType::f32, 4);
    Buffer g(DataType::f32, 4);
    Handle h1 = rt->allreduce("dtype", f.view(), ReduceOp::sum);
    Handle h2 = rt->allreduce("op", g.view(), odd ? ReduceOp::max : ReduceOp::sum);
    const std::string m1 = mismatch_message(h1);
    EXPECT_NE(m1.find("dtype: f32 on rank"), std::string::npos) << m1;
    EXPECT_NE(m1.find("f64 on rank 1"), std::string::npos) << m1;
    const std::string m2 = mismatch_message(h2);
    EXPECT_NE(m2.find("reduce op"), std::string::npos) << m2;
    EXPECT_NE(m2.find("max on rank 1"), std::string::npos) << m2;
    // An operation mismatch: allreduce on some ranks, broadcast on rank 1.
    Handle h3 = odd ? rt->broadcast("kind", g.view(), 0) : rt->allreduce("kind", g.view());
    const std::string m3 = mismatch_message(h3);
    EXPECT_NE(m3.find("the operation"), std::string::npos) << m3;
    expect_serving(*rt, world, "after.dtype");
    EXPECT_GE(rt->counters().errors, 3u);
  });
}

TEST(EngineErrors, MismatchAgainstACachedSignature) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer b(DataType::f32, 8);
    rt->allreduce("cached", b.view({4}), ReduceOp::sum).wait(kWait);
    rt->allreduce("cached", b.view({4}), ReduceOp::sum).wait(kWait);
    EXPECT_GE(rt->counters().cache_hits, 1u);
    // Rank 0 changes the shape, the others do not: an error naming rank 0.
    Handle h = rt->allreduce("cached", b.view({world.rank() == 0 ? 8 : 4}), ReduceOp::sum);
    const std::string msg = mismatch_message(h);
    EXPECT_NE(msg.find("[8] on rank 0"), std::string::npos) << msg;
    // Every rank changes the shape: that is fine.
    rt->allreduce("cached", b.view({8}), ReduceOp::sum).wait(kWait);
    rt->allreduce("cached", b.view({8}), ReduceOp::sum).wait(kWait);
    expect_serving(*rt, world, "after.cached");
  });
}

TEST(EngineErrors, DuplicateNameIsRefusedAtEnqueue) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer a(DataType::f32, 4), b(DataType::f32, 4);
    // A name only this rank submits stays in flight until shutdown, so the
    // second submission surely finds it there.
    const std::string name = "dup." + std::to_string(world.rank());
    Handle first = rt->allreduce(name, a.view(), ReduceOp::sum);
    const auto start = std::chrono::steady_clock::now();
    const Error e = expect_error([&] { rt->allreduce(name, b.view(), ReduceOp::sum); },
                                 ErrorKind::invalid_argument);
    EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
    EXPECT_NE(std::string(e.what()).find("'" + name + "'"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("submitted again"), std::string::npos) << e.what();
    // Twice in one group: refused as a whole.
    std::vector<core::Operation> group(2);
    for (auto& op : group) {
      op.name = "twice";
      op.input = b.view();
    }
    expect_error([&] { rt->enqueue_group(group); }, ErrorKind::invalid_argument);
    expect_serving(*rt, world, "twice");  // nothing of the refused group was queued
    EXPECT_FALSE(first.test());
    world.barrier();  // every rank checked before any shuts down (which stops all)
    rt.reset();
    expect_error([&] { first.wait(); }, ErrorKind::shut_down);
  });
}

TEST(EngineErrors, BadArgumentsFailAtEnqueue) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer b(DataType::f32, 4);
    expect_error([&] { rt->allreduce("", b.view()); }, ErrorKind::invalid_argument);
    expect_error([&] { rt->allreduce("ringtail.x", b.view()); }, ErrorKind::invalid_argument);
    expect_error([&] { rt->allreduce("null", TensorView{nullptr, DataType::f32, {4}, {}}); },
                 ErrorKind::invalid_argument);
    expect_error([&] { rt->broadcast("root", b.view(), world.size()); }, ErrorKind::invalid_argument);
    expect_error([&] { rt->allreduce("set", b.view(), ReduceOp::sum, 42); }, ErrorKind::invalid_argument);
    expect_error([&] { rt->allreduce("gpu", TensorView{b.data(), DataType::f32, {4}, {coll::MemoryKind::cuda, 0}}); },
                 ErrorKind::invalid_argument);
    core::Operation a2a;
    a2a.type = core::OpType::alltoall;
    a2a.name = "a2a";
    a2a.input = b.view({4});
    a2a.splits = {1};
    expect_error([&] { rt->enqueue(a2a); }, ErrorKind::invalid_argument);
    core::Operation scaled;
    scaled.type = core::OpType::broadcast;
    scaled.name = "scaled";
    scaled.input = b.view();
    scaled.prescale = 2;
    expect_error([&] { rt->enqueue(scaled); }, ErrorKind::invalid_argument);
    expect_serving(*rt, world, "after.bad");
  });
}

TEST(EngineErrors, ShutdownFailsPendingHandlesOnEveryRank) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer b(DataType::f32, 4);
    // A name only this rank submits: it can never run.
    Handle h = rt->allreduce("only." + std::to_string(world.rank()), b.view());
    world.barrier();
    if (world.rank() == 0) rt->shutdown();
    // The other ranks find out from rank 0; their handles fail too.
    EXPECT_TRUE(h.wait_for(kWait));
    const Error e = expect_error([&] { h.wait(); }, ErrorKind::shut_down);
    EXPECT_NE(std::string(e.what()).find("rank 0"), std::string::npos) << e.what();
    rt->shutdown();
    EXPECT_TRUE(rt->is_shut_down());
    expect_error([&] { rt->allreduce("late", b.view()); }, ErrorKind::shut_down);
  });
}

TEST(EngineErrors, DestructorFailsPendingHandles) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer b(DataType::f32, 4);
    std::exception_ptr seen;
    core::Operation op;
    op.name = "orphan." + std::to_string(world.rank());
    op.input = b.view();
    op.on_complete = [&](std::exception_ptr e) { seen = e; };
    Handle h = rt->enqueue(op);
    world.barrier();  // every rank enqueued before any shuts down (which stops all)
    rt.reset();       // never throws; joins the background thread
    ASSERT_TRUE(h.test());
    expect_error([&] { h.wait(); }, ErrorKind::shut_down);
    EXPECT_TRUE(seen);
  });
}

// A watchdog or signal-handling thread may call shutdown() while the owner
// does too (or destroys the runtime): every call returns once the engine has
// stopped. Two threads joining the background thread at once used to hang.
TEST(EngineErrors, ShutdownFromSeveralThreadsAtOnceReturns) {
  RunOptions options;
  options.deadline = std::chrono::seconds(20);
  run_on_ranks([](coll::Communicator& world) {
    for (int round = 0; round < 3; ++round) {
      auto rt = make_runtime(world);
      Buffer b(DataType::f32, 4);
      Handle pending = rt->allreduce("only." + std::to_string(world.rank()), b.view());
      world.barrier();  // every rank enqueued before any shuts down (which stops all)
      std::vector<std::thread> callers;
      for (int t = 0; t < 3; ++t) callers.emplace_back([&] { rt->shutdown(); });
      rt->shutdown();
      for (auto& c : callers) c.join();
      EXPECT_TRUE(rt->is_shut_down());
      ASSERT_TRUE(pending.test());
      expect_error([&] { pending.wait(); }, ErrorKind::shut_down);
      rt.reset();
    }
  }, options);
}

// A completion callback may shut the runtime down (it must not wait for the
// thread it runs on).
TEST(EngineErrors, ShutdownFromACompletionCallback) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    Buffer b(DataType::f32, 4);
    core::Operation op;
    op.name = "last";
    op.input = b.view();
    op.on_complete = [&](std::exception_ptr) { rt->shutdown(); };
    Handle h = rt->enqueue(op);
    h.wait(kWait);
    rt->shutdown();
    EXPECT_TRUE(rt->is_shut_down());
  });
}

// An output allocator that fails on one rank fails that rank's handle only,
// whatever it throws; the engine goes on serving on every rank. (A throw of
// something that is no std::exception used to stop that rank's engine alone,
// so the other ranks waited for it in their next round.)
TEST(EngineErrors, AThrowingOutputAllocatorFailsOnlyItsHandle) {
  RunOptions options;
  options.deadline = std::chrono::seconds(20);
  options.operation_timeout = std::chrono::seconds(10);
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    for (int variant = 0; variant < 2; ++variant) {
      Buffer rows(DataType::f32, 4);
      core::Operation op;
      op.type = core::OpType::allgather;
      op.name = "gather." + std::to_string(variant);
      op.input = rows.view({2, 2});
      if (world.rank() == 0) {
        op.allocate_output = [variant](const core::Shape&) -> void* {
          if (variant == 0) throw std::runtime_error("out of pinned memory");
          throw 42;  // not a std::exception
        };
      }
      Handle h = rt->enqueue(op);
      ASSERT_TRUE(h.wait_for(kWait));
      if (world.rank() == 0) {
        const Error e = expect_error([&] { h.wait(); }, ErrorKind::invalid_argument);
        EXPECT_NE(std::string(e.what()).find("'" + op.name + "'"), std::string::npos) << e.what();
      } else {
        h.wait();
        EXPECT_EQ(h.output().shape, (core::Shape{2 * world.size(), 2}));
      }
      expect_serving(*rt, world, "after.allocator." + std::to_string(variant));
    }
  }, options);
}

TEST(EngineErrors, ConfigurationsThatMustAgreeAreChecked) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    if (world.rank() == 1) config.fusion_threshold_bytes = 1024;
    const Error e = expect_error([&] { make_runtime(world, config); }, ErrorKind::mismatch);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_FUSION_THRESHOLD"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("1024 on rank 1"), std::string::npos) << e.what();
  });
}

// The ring's segment size and the shm area decide message sizes and segment
// layouts. Ranks that disagreed used to fail at the first allreduce with
// "message truncated" (ring) or fall back silently to the backend's allreduce
// with a warning about /dev/shm (auto); now construction names the variable.
TEST(EngineErrors, AlgorithmSizesThatMustAgreeAreChecked) {
  RunOptions options;
  options.deadline = std::chrono::seconds(20);
  options.operation_timeout = std::chrono::seconds(10);
  run_on_ranks([](coll::Communicator& world) {
    const bool odd = world.rank() == 1;
    core::Config ring = test_config();
    ring.allreduce = core::AllreduceAlgorithm::ring;
    ring.ring_segment_bytes = odd ? 4096 : 64;
    Error e = expect_error([&] { make_runtime(world, ring); }, ErrorKind::mismatch);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_RING_SEGMENT_BYTES"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("4096 on rank 1"), std::string::npos) << e.what();

    core::Config shm = test_config();  // RINGTAIL_ALLREDUCE=auto: shm on one machine
    shm.shm_area_bytes = odd ? 65536 : 4096;
    e = expect_error([&] { make_runtime(world, shm); }, ErrorKind::mismatch);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_SHM_AREA_BYTES"), std::string::npos) << e.what();

    core::Config gather = test_config();  // a hierarchical allgather is built collectively
    gather.allgather = odd ? core::AllgatherAlgorithm::hierarchical : core::AllgatherAlgorithm::flat;
    e = expect_error([&] { make_runtime(world, gather); }, ErrorKind::mismatch);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_ALLGATHER"), std::string::npos) << e.what();
  }, options);
}

TEST(EngineErrors, AFailedStartFailsEveryRank) {
  run_on_ranks([](coll::Communicator& world) {
    core::Config config = test_config();
    if (world.rank() == 0) config.timeline_path = "/nonexistent-dir/timeline.json";
    expect_error([&] { make_runtime(world, config); }, ErrorKind::invalid_argument);
  });
}

}  // namespace
}  // namespace ringtail::test
