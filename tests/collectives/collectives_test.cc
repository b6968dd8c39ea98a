// Multi-rank tests of the Communicator interface, run on every backend by the
// harness (collectives.<backend>.np<N>). Every rank checks its own result
// against a float64 (or exact integer) reference.

#include <gtest/gtest.h>

#include <numeric>
#include <tuple>

#include "reference_check.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/topology.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using coll::Communicator;
using coll::DataType;
using coll::ReduceOp;

const std::size_t kCounts[] = {0, 1, 7, 1023, 1000003};

class AllreduceTest : public ::testing::TestWithParam<std::tuple<DataType, ReduceOp>> {};

TEST_P(AllreduceTest, MatchesReferenceForEveryCountInAndOutOfPlace) {
  const auto [type, op] = GetParam();
  run_on_ranks([type = type, op = op](Communicator& world) {
    for (std::size_t count : kCounts) {
      for (bool in_place : {false, true}) {
        std::vector<char> send = filled(world.rank(), count, type, op);
        std::vector<char> recv(send.size());
        void* out = in_place ? send.data() : recv.data();
        world.allreduce(send.data(), out, count, type, op);
        check_reduced(out, count, type, op, world.size(),
                       "allreduce " + std::string(to_string(type)) + " " +
                           std::string(to_string(op)) + " count " + std::to_string(count) +
                           (in_place ? " in place" : ""));
      }
    }
  });
}

std::string param_name(const ::testing::TestParamInfo<std::tuple<DataType, ReduceOp>>& info) {
  return std::string(to_string(std::get<0>(info.param))) + "_" +
         std::string(to_string(std::get<1>(info.param)));
}

INSTANTIATE_TEST_SUITE_P(DtypesAndOps, AllreduceTest,
                         ::testing::Combine(::testing::ValuesIn(coll::kAllDataTypes),
                                            ::testing::ValuesIn(coll::kAllReduceOps)),
                         param_name);

class ReducescatterTest : public ::testing::TestWithParam<std::tuple<DataType, ReduceOp>> {};

TEST_P(ReducescatterTest, EachRankGetsItsReducedBlock) {
  const auto [type, op] = GetParam();
  run_on_ranks([type = type, op = op](Communicator& world) {
    for (std::size_t base : {std::size_t{0}, std::size_t{1}, std::size_t{1023}}) {
      // Uneven blocks: rank r receives base + r elements.
      std::vector<std::size_t> counts(static_cast<std::size_t>(world.size()));
      for (int r = 0; r < world.size(); ++r) counts[r] = base + static_cast<std::size_t>(r);
      const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
      std::vector<char> send = filled(world.rank(), total, type, op);
      std::vector<char> recv(counts[world.rank()] * size_of(type) + 1);
      world.reducescatter(send.data(), recv.data(), counts, type, op);
      const std::size_t offset =
          std::accumulate(counts.begin(), counts.begin() + world.rank(), std::size_t{0});
      for (std::size_t i = 0; i < counts[world.rank()]; ++i) {
        const double expected = expected_reduction(world.size(), offset + i, type, op);
        const double got = load(recv.data(), i, type);
        ASSERT_NEAR(got, expected, tolerance(type, std::abs(expected), world.size()))
            << "reducescatter element " << i << " of block " << world.rank();
      }
    }
  });
}

INSTANTIATE_TEST_SUITE_P(DtypesAndOps, ReducescatterTest,
                         ::testing::Combine(::testing::Values(DataType::f32, DataType::bf16,
                                                              DataType::i64, DataType::u8),
                                            ::testing::ValuesIn(coll::kAllReduceOps)),
                         param_name);

class DataMovementTest : public ::testing::TestWithParam<DataType> {};

TEST_P(DataMovementTest, AllgatherAndAllgathervPackBlocksInRankOrder) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    const int n = world.size();
    for (std::size_t count : {std::size_t{0}, std::size_t{1}, std::size_t{1023}}) {
      std::vector<char> send = filled(world.rank(), count, type, ReduceOp::sum);
      std::vector<char> recv(count * n * size_of(type) + 1);
      world.allgather(send.data(), recv.data(), count, type);
      for (int r = 0; r < n; ++r) {
        const std::vector<char> expected = filled(r, count, type, ReduceOp::sum);
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(load(recv.data(), r * count + i, type), load(expected.data(), i, type))
              << "allgather block " << r << " element " << i;
        }
      }
    }
    // allgatherv with uneven counts, including a rank that sends nothing.
    std::vector<std::size_t> counts(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r) counts[r] = static_cast<std::size_t>(r * 5);
    const std::size_t total = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
    std::vector<char> send = filled(world.rank(), counts[world.rank()], type, ReduceOp::sum);
    std::vector<char> recv(total * size_of(type) + 1);
    world.allgatherv(send.data(), recv.data(), counts, type);
    std::size_t offset = 0;
    for (int r = 0; r < n; ++r) {
      const std::vector<char> expected = filled(r, counts[r], type, ReduceOp::sum);
      for (std::size_t i = 0; i < counts[r]; ++i) {
        ASSERT_EQ(load(recv.data(), offset + i, type), load(expected.data(), i, type))
            << "allgatherv block " << r << " element " << i;
      }
      offset += counts[r];
    }
  });
}

TEST_P(DataMovementTest, BroadcastFromEveryRoot) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    for (int root = 0; root < world.size(); ++root) {
      for (std::size_t count : {std::size_t{0}, std::size_t{7}, std::size_t{100003}}) {
        std::vector<char> buffer = filled(world.rank(), count, type, ReduceOp::sum);
        world.broadcast(buffer.data(), count, type, root);
        const std::vector<char> expected = filled(root, count, type, ReduceOp::sum);
        for (std::size_t i = 0; i < count; ++i) {
          ASSERT_EQ(load(buffer.data(), i, type), load(expected.data(), i, type))
              << "broadcast from root " << root << " element " << i;
        }
      }
    }
  });
}

TEST_P(DataMovementTest, AlltoallAndAlltoallvDeliverEveryBlock) {
  const DataType type = GetParam();
  run_on_ranks([type](Communicator& world) {
    const int n = world.size();
    const int me = world.rank();
    // Element value encodes (sender, receiver, index) so misrouting shows.
    auto value = [](int from, int to, std::size_t i) {
      return static_cast<double>((from * 31 + to * 7 + static_cast<int>(i)) % 50);
    };
    const std::size_t count = 5;
    std::vector<char> send(count * n * size_of(type) + 1);
    for (int to = 0; to < n; ++to) {
      for (std::size_t i = 0; i < count; ++i) store(send.data(), to * count + i, type, value(me, to, i));
    }
    std::vector<char> recv(send.size());
    world.alltoall(send.data(), recv.data(), count, type);
    for (int from = 0; from < n; ++from) {
      for (std::size_t i = 0; i < count; ++i) {
        ASSERT_EQ(load(recv.data(), from * count + i, type), value(from, me, i));
      }
    }
    // alltoallv: rank a sends (a + b) % 3 elements to rank b.
    std::vector<std::size_t> send_counts(n), recv_counts(n);
    for (int r = 0; r < n; ++r) {
      send_counts[r] = static_cast<std::size_t>((me + r) % 3);
      recv_counts[r] = static_cast<std::size_t>((r + me) % 3);
    }
    std::vector<char> vsend(9 * n * size_of(type) + 1), vrecv(9 * n * size_of(type) + 1);
    std::size_t offset = 0;
    for (int to = 0; to < n; ++to) {
      for (std::size_t i = 0; i < send_counts[to]; ++i) store(vsend.data(), offset + i, type, value(me, to, i));
      offset += send_counts[to];
    }
    world.alltoallv(vsend.data(), send_counts, vrecv.data(), recv_counts, type);
    offset = 0;
    for (int from = 0; from < n; ++from) {
      for (std::size_t i = 0; i < recv_counts[from]; ++i) {
        ASSERT_EQ(load(vrecv.data(), offset + i, type), value(from, me, i));
      }
      offset += recv_counts[from];
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, DataMovementTest, ::testing::ValuesIn(coll::kAllDataTypes),
                         [](const auto& info) { return std::string(to_string(info.param)); });

TEST(PointToPoint, RingOfSendAndRecvWithTags) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const int me = world.rank();
    const int next = (me + 1) % n;
    const int prev = (me + n - 1) % n;
    std::vector<std::int64_t> out(1000), in(1000);
    std::iota(out.begin(), out.end(), me * 1000);
    // Even ranks send first so the ring cannot deadlock on a blocking backend.
    for (std::uint32_t tag : {0u, 7u}) {
      if (me % 2 == 0) {
        world.send(out.data(), out.size(), DataType::i64, next, tag);
        world.recv(in.data(), in.size(), DataType::i64, prev, tag);
      } else {
        world.recv(in.data(), in.size(), DataType::i64, prev, tag);
        world.send(out.data(), out.size(), DataType::i64, next, tag);
      }
      for (std::size_t i = 0; i < in.size(); ++i) ASSERT_EQ(in[i], prev * 1000 + std::int64_t(i));
    }
  });
}

TEST(Split, EvenAndOddRanksFormCommunicatorsOrderedByKey) {
  run_on_ranks([](Communicator& world) {
    const int me = world.rank();
    // Reverse order inside each half through the key.
    auto half = world.split(me % 2, -me);
    ASSERT_NE(half, nullptr);
    const int members = (world.size() + 1 - me % 2) / 2;
    EXPECT_EQ(half->size(), members);
    EXPECT_EQ(half->rank(), members - 1 - me / 2);
    std::int64_t value = me;
    half->allreduce(&value, 1, DataType::i64, ReduceOp::sum);
    std::int64_t expected = 0;
    for (int r = me % 2; r < world.size(); r += 2) expected += r;
    EXPECT_EQ(value, expected);
    // A negative color takes no part.
    auto none = world.split(me == 0 ? -1 : 0, me);
    if (me == 0) {
      EXPECT_EQ(none, nullptr);
    } else {
      ASSERT_NE(none, nullptr);
      EXPECT_EQ(none->size(), world.size() - 1);
      none->barrier();
    }
  });
}

TEST(Topology, OneHostGivesLocalRanksEqualToRanks) {
  run_on_ranks([](Communicator& world) {
    auto t = coll::split_by_host(world, "host-a");
    EXPECT_EQ(t.topology.local_rank, world.rank());
    EXPECT_EQ(t.topology.local_size, world.size());
    EXPECT_EQ(t.topology.cross_size, 1);
    EXPECT_EQ(t.local->size(), world.size());
    EXPECT_EQ(t.cross->size(), 1);
  });
}

TEST(Topology, UnevenHostsFromHostNames) {
  run_on_ranks([](Communicator& world) {
    // Rank 0 alone on host "a", the others on "b": uneven hosts.
    const std::string host = world.rank() == 0 ? "a" : "b";
    auto t = coll::split_by_host(world, host);
    EXPECT_EQ(t.topology.num_hosts(), world.size() > 1 ? 2 : 1);
    EXPECT_EQ(t.topology.local_rank, world.rank() == 0 ? 0 : world.rank() - 1);
    EXPECT_EQ(t.topology.local_size, world.rank() == 0 ? 1 : world.size() - 1);
    EXPECT_EQ(t.topology.cross_size, t.topology.local_rank == 0 ? 2 : 1);
    EXPECT_EQ(t.cross->size(), t.topology.cross_size);
    EXPECT_EQ(t.local->size(), t.topology.local_size);
    EXPECT_FALSE(world.size() > 2 && t.topology.homogeneous());
  });
}

TEST(BadInput, LocalArgumentErrorsNameTheProblemAndSendNothing) {
  run_on_ranks([](Communicator& world) {
    float x = 1;
    auto expect_invalid = [](auto&& call, const std::string& needle) {
      try {
        call();
        ADD_FAILURE() << "expected an error mentioning '" << needle << "'";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
      }
    };
    expect_invalid([&] { world.allreduce(nullptr, &x, 3, DataType::f32, ReduceOp::sum); }, "send buffer is null");
    expect_invalid([&] { world.broadcast(&x, 1, DataType::f32, world.size()); }, "root");
    expect_invalid([&] { world.broadcast(&x, 1, DataType::f32, -1); }, "outside the communicator");
    expect_invalid([&] { world.allgatherv(&x, &x, {1}, DataType::f32); }, "recv_counts has 1 entries");
    expect_invalid([&] { world.send(&x, 1, DataType::f32, world.rank(), 0); }, "peer is this rank");
    // A null buffer with a zero count is fine.
    world.allreduce(nullptr, nullptr, 0, DataType::f32, ReduceOp::sum);
  });
}

TEST(BadInput, CountsThatDisagreeAcrossRanksAreAMismatchOnEveryRank) {
  run_on_ranks([](Communicator& world) {
    world.set_check_across_ranks(true);
    std::vector<float> data(10, 1.0f);
    const std::size_t count = world.rank() == 0 ? 10 : 9;
    try {
      world.allreduce(data.data(), count, DataType::f32, ReduceOp::sum);
      ADD_FAILURE() << "mismatched counts were not detected";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::mismatch);
      EXPECT_NE(std::string(e.what()).find("count differs"), std::string::npos) << e.what();
    }
    // The communicator still works afterwards.
    world.allreduce(data.data(), 10, DataType::f32, ReduceOp::sum);
    EXPECT_FLOAT_EQ(data[0], float(world.size()));
  });
}

}  // namespace
}  // namespace ringtail::test
