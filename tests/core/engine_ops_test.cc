// Multi-rank tests: every operation through the engine gives the right result,
// whatever order the ranks submit in.

#include <algorithm>
#include <atomic>
#include <numeric>
#include <random>

#include "engine_test_util.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

// Tensor t is summed when t is odd and averaged when even (integer averages
// truncate toward zero); the float64 reference of its element i.
double expected_sum_or_average(int n, std::size_t t, std::size_t i, DataType type) {
  double sum = 0;
  for (int r = 0; r < n; ++r) sum += element_value(r, t, i);
  if (t % 2) return sum;
  return type == DataType::i32 ? std::trunc(sum / n) : sum / n;
}

TEST(EngineOps, TwoHundredTensorsInDifferentOrdersPerRank) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    const DataType types[] = {DataType::f32, DataType::f64, DataType::i32, DataType::bf16, DataType::f16};
    constexpr std::size_t kTensors = 200;
    // Two passes: the first negotiates through rank 0, the second hits the cache.
    for (int pass = 0; pass < 2; ++pass) {
      std::vector<std::size_t> order(kTensors);
      std::iota(order.begin(), order.end(), 0);
      std::mt19937 rng(static_cast<unsigned>(1000 * pass + world.rank() + 1));
      std::shuffle(order.begin(), order.end(), rng);

      std::vector<Buffer> buffers;
      buffers.reserve(kTensors);
      for (std::size_t t = 0; t < kTensors; ++t) {
        buffers.emplace_back(types[t % 5], 1 + (t * 37) % 300);
        for (std::size_t i = 0; i < buffers[t].count(); ++i) buffers[t].set(i, element_value(world.rank(), t, i));
      }
      std::vector<Handle> handles(kTensors);
      for (std::size_t t : order) {
        const ReduceOp op = t % 2 ? ReduceOp::sum : ReduceOp::average;
        handles[t] = rt->allreduce("tensor." + std::to_string(t), buffers[t].view(), op);
      }
      std::size_t wrong = 0;
      for (std::size_t t = 0; t < kTensors; ++t) {
        handles[t].wait(kWait);
        wrong += count_wrong(buffers[t], [&](std::size_t i) {
          return expected_sum_or_average(n, t, i, types[t % 5]);
        }, "tensor." + std::to_string(t));
      }
      EXPECT_EQ(wrong, 0u) << "pass " << pass;
    }
    const core::Counters c = rt->counters();
    EXPECT_EQ(c.tensors, 2 * kTensors);
    EXPECT_EQ(c.errors, 0u);
    EXPECT_EQ(c.cache_misses, kTensors);
    EXPECT_EQ(c.cache_hits, kTensors);
  });
}

// The engine's fusion buffer through each of ringtail's own algorithms
// (RINGTAIL_ALLREDUCE): fused and unfused tensors of several dtypes.
TEST(EngineOps, EveryAllreduceAlgorithmReducesFusedTensors) {
  run_on_ranks([](coll::Communicator& world) {
    const int n = world.size();
    for (core::AllreduceAlgorithm algorithm :
         {core::AllreduceAlgorithm::ring, core::AllreduceAlgorithm::hierarchical,
          core::AllreduceAlgorithm::shm}) {
      core::Config config = test_config();
      config.allreduce = algorithm;
      auto rt = make_runtime(world, config);
      const DataType types[] = {DataType::f32, DataType::f64, DataType::i32, DataType::bf16};
      constexpr std::size_t kTensors = 40;
      std::vector<Buffer> buffers;
      buffers.reserve(kTensors);
      std::vector<Handle> handles(kTensors);
      for (std::size_t t = 0; t < kTensors; ++t) {
        // One large tensor per dtype runs past the default 1 MiB segment.
        buffers.emplace_back(types[t % 4], t < 4 ? 300001 : 1 + (t * 53) % 700);
        for (std::size_t i = 0; i < buffers[t].count(); ++i) buffers[t].set(i, element_value(world.rank(), t, i));
        handles[t] = rt->allreduce("t." + std::to_string(t), buffers[t].view(),
                                   t % 2 ? ReduceOp::sum : ReduceOp::average);
      }
      std::size_t wrong = 0;
      for (std::size_t t = 0; t < kTensors; ++t) {
        handles[t].wait(kWait);
        wrong += count_wrong(buffers[t], [&](std::size_t i) {
          return expected_sum_or_average(n, t, i, types[t % 4]);
        }, std::string(core::to_string(algorithm)) + " t." + std::to_string(t));
      }
      EXPECT_EQ(wrong, 0u) << core::to_string(algorithm);
    }
  });
}

TEST(EngineOps, PrescalePostscaleAndOutOfPlace) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    Buffer in(DataType::f32, 33), out(DataType::f32, 33);
    for (std::size_t i = 0; i < in.count(); ++i) in.set(i, element_value(world.rank(), 0, i));
    core::Operation op;
    op.name = "scaled";
    op.input = in.view();
    op.output = out.view();
    op.reduce_op = ReduceOp::average;
    op.prescale = 0.5;
    op.postscale = 3.0;
    rt->enqueue(op).wait(kWait);
    EXPECT_EQ(count_wrong(out, [&](std::size_t i) {
      double sum = 0;
      for (int r = 0; r < n; ++r) sum += element_value(r, 0, i);
      return 0.5 * sum / n * 3.0;
    }, "out"), 0u);
    // The input is untouched when the output is elsewhere.
    EXPECT_EQ(count_wrong(in, [&](std::size_t i) { return element_value(world.rank(), 0, i); }, "in"), 0u);
  });
}

TEST(EngineOps, MinMaxProductAndZeroSizedTensors) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    Buffer mn(DataType::i64, 10), mx(DataType::f64, 10), prod(DataType::f32, 10), empty(DataType::f32, 0);
    for (std::size_t i = 0; i < 10; ++i) {
      mn.set(i, element_value(world.rank(), 1, i));
      mx.set(i, element_value(world.rank(), 2, i));
      prod.set(i, 1 + (world.rank() + i) % 2);
    }
    auto h1 = rt->allreduce("min", mn.view(), ReduceOp::min);
    auto h2 = rt->allreduce("max", mx.view(), ReduceOp::max);
    auto h3 = rt->allreduce("prod", prod.view(), ReduceOp::product);
    auto h4 = rt->allreduce("empty", empty.view(), ReduceOp::sum);
    for (auto* h : {&h1, &h2, &h3, &h4}) h->wait(kWait);
    EXPECT_EQ(count_wrong(mn, [&](std::size_t i) {
      double v = 1e300;
      for (int r = 0; r < n; ++r) v = std::min(v, element_value(r, 1, i));
      return v;
    }, "min"), 0u);
    EXPECT_EQ(count_wrong(mx, [&](std::size_t i) {
      double v = -1e300;
      for (int r = 0; r < n; ++r) v = std::max(v, element_value(r, 2, i));
      return v;
    }, "max"), 0u);
    EXPECT_EQ(count_wrong(prod, [&](std::size_t i) {
      double v = 1;
      for (int r = 0; r < n; ++r) v *= 1 + (r + i) % 2;
      return v;
    }, "product"), 0u);
  });
}

TEST(EngineOps, BroadcastFromEveryRoot) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    std::vector<Buffer> buffers;
    std::vector<Handle> handles;
    for (int root = 0; root < world.size(); ++root) {
      buffers.emplace_back(DataType::f64, 17 + root);
      Buffer& b = buffers.back();
      for (std::size_t i = 0; i < b.count(); ++i) b.set(i, element_value(world.rank(), root, i));
    }
    for (int root = 0; root < world.size(); ++root) {
      handles.push_back(rt->broadcast("bcast." + std::to_string(root), buffers[root].view(), root));
    }
    for (int root = 0; root < world.size(); ++root) {
      handles[root].wait(kWait);
      EXPECT_EQ(count_wrong(buffers[root], [&](std::size_t i) { return element_value(root, root, i); },
                            "broadcast from " + std::to_string(root)), 0u);
    }
  });
}

TEST(EngineOps, AllgatherWithDifferentRowsPerRank) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    constexpr std::int64_t kCols = 3;
    // Two tensors in one round (fused), rank r contributes r + 1 and 2 * r rows.
    std::vector<Buffer> inputs;
    std::vector<Handle> handles;
    for (int t = 0; t < 2; ++t) {
      const std::int64_t rows = t == 0 ? world.rank() + 1 : 2 * world.rank();
      inputs.emplace_back(DataType::i32, static_cast<std::size_t>(rows * kCols));
      for (std::size_t i = 0; i < inputs.back().count(); ++i) {
        inputs.back().set(i, 1000 * world.rank() + 100 * t + static_cast<int>(i));
      }
    }
    std::vector<core::Operation> ops(2);
    for (int t = 0; t < 2; ++t) {
      ops[t].type = core::OpType::allgather;
      ops[t].name = "gather." + std::to_string(t);
      ops[t].input = inputs[t].view({static_cast<std::int64_t>(inputs[t].count()) / kCols, kCols});
    }
    handles = rt->enqueue_group(ops);
    for (int t = 0; t < 2; ++t) {
      handles[t].wait(kWait);
      const TensorView out = handles[t].output();
      std::int64_t rows = 0;
      for (int r = 0; r < n; ++r) rows += t == 0 ? r + 1 : 2 * r;
      ASSERT_EQ(out.shape, (core::Shape{rows, kCols}));
      std::size_t at = 0;
      for (int r = 0; r < n; ++r) {
        const std::int64_t r_rows = t == 0 ? r + 1 : 2 * r;
        for (std::int64_t i = 0; i < r_rows * kCols; ++i, ++at) {
          EXPECT_EQ(Buffer::load(static_cast<char*>(out.data) + at * 4, DataType::i32),
                    1000 * r + 100 * t + i) << "tensor " << t << " element " << at;
        }
      }
    }
  });
}

TEST(EngineOps, ReducescatterSplitsTheFirstDimension) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    const std::int64_t rows = 2 * n + 1, cols = 2;  // uneven: the first rank gets one more
    Buffer in(DataType::f32, static_cast<std::size_t>(rows * cols));
    for (std::size_t i = 0; i < in.count(); ++i) in.set(i, element_value(world.rank(), 3, i));
    core::Operation op;
    op.type = core::OpType::reducescatter;
    op.name = "rs";
    op.input = in.view({rows, cols});
    op.reduce_op = ReduceOp::sum;
    std::vector<float> mine;
    op.allocate_output = [&](const core::Shape& shape) {
      mine.resize(static_cast<std::size_t>(core::num_elements(shape)));
      return mine.data();
    };
    Handle h = rt->enqueue(op);
    h.wait(kWait);
    const std::int64_t my_rows = rows / n + (world.rank() < rows % n ? 1 : 0);
    const std::int64_t first = (rows / n) * world.rank() + std::min<std::int64_t>(world.rank(), rows % n);
    EXPECT_EQ(h.output().shape, (core::Shape{my_rows, cols}));
    ASSERT_EQ(mine.size(), static_cast<std::size_t>(my_rows * cols));
    for (std::size_t i = 0; i < mine.size(); ++i) {
      double want = 0;
      for (int r = 0; r < n; ++r) want += element_value(r, 3, static_cast<std::size_t>(first * cols) + i);
      EXPECT_EQ(mine[i], want) << "element " << i;
    }
  });
}

TEST(EngineOps, AlltoallWithUnevenSplits) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    const int n = world.size();
    const int me = world.rank();
    // Rank r sends (r + d) % 3 rows to rank d; row values say who sent them.
    std::vector<std::int64_t> splits(static_cast<std::size_t>(n));
    std::int64_t rows = 0;
    for (int d = 0; d < n; ++d) rows += splits[static_cast<std::size_t>(d)] = (me + d) % 3;
    Buffer in(DataType::i64, static_cast<std::size_t>(rows));
    std::size_t at = 0;
    for (int d = 0; d < n; ++d) {
      for (std::int64_t k = 0; k < splits[static_cast<std::size_t>(d)]; ++k) in.set(at++, 100 * me + d);
    }
    core::Operation op;
    op.type = core::OpType::alltoall;
    op.name = "a2a";
    op.input = in.view({rows});
    op.splits = splits;
    Handle h = rt->enqueue(op);
    h.wait(kWait);
    const auto arrived = h.received_splits();
    ASSERT_EQ(arrived.size(), static_cast<std::size_t>(n));
    const TensorView out = h.output();
    at = 0;
    for (int s = 0; s < n; ++s) {
      EXPECT_EQ(arrived[static_cast<std::size_t>(s)], (s + me) % 3);
      for (std::int64_t k = 0; k < arrived[static_cast<std::size_t>(s)]; ++k) {
        EXPECT_EQ(Buffer::load(static_cast<char*>(out.data) + 8 * at++, DataType::i64), 100 * s + me);
      }
    }
  });
}

TEST(EngineOps, BarrierAndCallbacks) {
  run_on_ranks([](coll::Communicator& world) {
    auto rt = make_runtime(world);
    std::atomic<int> calls{0};
    core::Operation op;
    op.type = core::OpType::barrier;
    op.name = "barrier";
    op.on_complete = [&](std::exception_ptr e) {
      if (!e) ++calls;
    };
    Handle h = rt->enqueue(op);
    h.wait(kWait);
    // The callback runs before or right after wait() returns; it has run by the
    // time the runtime is gone.
    rt.reset();
    EXPECT_EQ(calls.load(), 1);
  });
}

}  // namespace
}  // namespace ringtail::test
