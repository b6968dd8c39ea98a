// Paths of the gloo backend the shared collectives suite does not reach: the
// ring reduce-scatter with many segments per block, the sized point-to-point
// messages (a size mismatch is an error, not a crash), sendrecv, repeated and
// nested splits under fresh store prefixes, and one-rank communicators.
// Run as collectives.gloo_backend.np{2,3,4}.

#include <gtest/gtest.h>

#include <dirent.h>

#include <numeric>
#include <thread>
#include <tuple>

#include "reference.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using coll::Communicator;
using coll::DataType;
using coll::ReduceOp;

class GlooReduceScatterTest : public ::testing::TestWithParam<std::tuple<DataType, ReduceOp>> {};

// Blocks of about 300k elements span several 256 KiB segments for every dtype,
// so the segment pipeline (forwarding a reduced segment while the next one
// arrives) runs; the block sizes differ per rank and one block is empty.
TEST_P(GlooReduceScatterTest, LargeUnevenBlocksSpanManySegments) {
  const auto [type, op] = GetParam();
  run_on_ranks([type = type, op = op](Communicator& world) {
    const int n = world.size();
    std::vector<std::size_t> counts(static_cast<std::size_t>(n));
    for (int r = 0; r < n; ++r)
      counts[r] = r == 1 ? 0 : 300007 + 4099 * static_cast<std::size_t>(r);
    const std::size_t all = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
    const std::vector<char> send = filled(world.rank(), all, type, op);
    for (int round = 0; round < 2; ++round) {  // twice: scratch space is reused
      std::vector<char> recv(counts[world.rank()] * size_of(type) + 1);
      world.reducescatter(send.data(), recv.data(), counts, type, op);
      const std::size_t offset =
          std::accumulate(counts.begin(), counts.begin() + world.rank(), std::size_t{0});
      std::size_t wrong = 0;
      for (std::size_t i = 0; i < counts[world.rank()]; ++i) {
        const double expected = expected_reduction(n, offset + i, type, op);
        const double got = load(recv.data(), i, type);
        if (std::abs(got - expected) > tolerance(type, std::abs(expected), n) && wrong++ < 3) {
          ADD_FAILURE() << "element " << i << " of block " << world.rank() << " is " << got
                        << ", expected " << expected;
        }
      }
      EXPECT_EQ(wrong, 0u);
    }
  });
}

INSTANTIATE_TEST_SUITE_P(Dtypes, GlooReduceScatterTest,
                         ::testing::Values(std::make_tuple(DataType::f16, ReduceOp::sum),
                                           std::make_tuple(DataType::f64, ReduceOp::average),
                                           std::make_tuple(DataType::i8, ReduceOp::max),
                                           std::make_tuple(DataType::i32, ReduceOp::product),
                                           std::make_tuple(DataType::bf16, ReduceOp::min)),
                         [](const auto& info) {
                           return std::string(to_string(std::get<0>(info.param))) + "_" +
                                  std::string(to_string(std::get<1>(info.param)));
                         });

TEST(GlooReduceScatter, ResultMayOverlapTheInput) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const std::vector<std::size_t> counts(static_cast<std::size_t>(n), 1000);
    const std::size_t all = 1000 * static_cast<std::size_t>(n);
    std::vector<char> data = filled(world.rank(), all, DataType::f32, ReduceOp::sum);
    // The result goes where this rank's own block of the input is.
    char* mine = data.data() + 1000 * static_cast<std::size_t>(world.rank()) * sizeof(float);
    world.reducescatter(data.data(), mine, counts, DataType::f32, ReduceOp::sum);
    for (std::size_t i = 0; i < 1000; ++i) {
      const double expected =
          expected_reduction(n, 1000 * world.rank() + i, DataType::f32, ReduceOp::sum);
      ASSERT_NEAR(load(mine, i, DataType::f32), expected, 1e-4) << "element " << i;
    }
  });
}

// 100 elements travel in the size's own message, 40000 (160 KB, past the
// 64 KiB inline payload) in a second one; a mismatch may cross that line either way.
TEST(GlooPointToPoint, SizeMismatchIsAnErrorAndTheCommunicatorStillWorks) {
  run_on_ranks([](Communicator& world) {
    if (world.rank() < 2) {
      const int peer = 1 - world.rank();
      for (std::size_t sent : {std::size_t{100}, std::size_t{40000}}) {
        std::vector<std::int32_t> data(2 * 40000, world.rank());  // room for every expected count
        for (std::size_t expected : {sent / 2, sent * 2, std::size_t{100} + std::size_t{40000} - sent}) {
          if (world.rank() == 0) {
            world.send(data.data(), sent, DataType::i32, peer, 3);
          } else {
            try {
              world.recv(data.data(), expected, DataType::i32, peer, 3);
              ADD_FAILURE() << "a " << sent << "-element message was received as " << expected;
            } catch (const Error& e) {
              EXPECT_EQ(e.kind(), ErrorKind::mismatch) << e.what();
              EXPECT_NE(std::string(e.what()).find("expected " + std::to_string(expected * 4) +
                                                   " bytes, the message has " + std::to_string(sent * 4)),
                        std::string::npos)
                  << e.what();
            }
          }
        }
        // The message was taken off the connection: the next one is intact.
        std::vector<std::int32_t> fresh(sent);
        for (std::size_t i = 0; i < sent; ++i) fresh[i] = world.rank() == 0 ? static_cast<std::int32_t>(i) : -1;
        if (world.rank() == 0) {
          world.send(fresh.data(), fresh.size(), DataType::i32, peer, 3);
        } else {
          world.recv(fresh.data(), fresh.size(), DataType::i32, peer, 3);
          for (std::size_t i = 0; i < sent; ++i) ASSERT_EQ(fresh[i], static_cast<std::int32_t>(i)) << "element " << i;
        }
      }
    }
    world.barrier();
  });
}

TEST(GlooPointToPoint, SendrecvShiftsARingBothWaysAtOnce) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const int me = world.rank();
    for (std::size_t count : {std::size_t{0}, std::size_t{3}, std::size_t{1} << 20}) {
      std::vector<std::int64_t> out(count), in(count, -1);
      std::iota(out.begin(), out.end(), std::int64_t{me} << 32);
      const int next = (me + 1) % n;
      const int prev = (me + n - 1) % n;
      world.sendrecv(out.data(), count, next, in.data(), count, prev, DataType::i64, 5);
      for (std::size_t i = 0; i < count; i += 997) {
        ASSERT_EQ(in[i], (std::int64_t{prev} << 32) + std::int64_t(i));
      }
    }
  });
}

TEST(GlooSplit, RepeatedAndNestedSplitsGetTheirOwnRendezvous) {
  run_on_ranks([](Communicator& world) {
    const int me = world.rank();
    for (int round = 0; round < 3; ++round) {
      auto half = world.split(me % 2, me);
      ASSERT_NE(half, nullptr);
      std::int64_t sum = me;
      half->allreduce(&sum, 1, DataType::i64, ReduceOp::sum);
      std::int64_t expected = 0;
      for (int r = me % 2; r < world.size(); r += 2) expected += r;
      EXPECT_EQ(sum, expected);
      // A split of a split, and a split into communicators of one rank.
      auto alone = half->split(half->rank(), 0);
      ASSERT_NE(alone, nullptr);
      EXPECT_EQ(alone->size(), 1);
      std::int64_t own = me;
      alone->allreduce(&own, 1, DataType::i64, ReduceOp::sum);
      EXPECT_EQ(own, me);
      std::vector<float> gathered(1);
      float mine = float(me);
      alone->allgather(&mine, gathered.data(), 1, DataType::f32);
      EXPECT_EQ(gathered[0], float(me));
      std::vector<std::size_t> one = {1};
      alone->reducescatter(&mine, gathered.data(), one, DataType::f32, ReduceOp::max);
      alone->alltoall(&mine, gathered.data(), 1, DataType::f32);
      alone->broadcast(&mine, 1, DataType::f32, 0);
      alone->barrier();
      EXPECT_EQ(gathered[0], float(me));
    }
    // The parent still works after its children are gone.
    std::int64_t count = 1;
    world.allreduce(&count, 1, DataType::i64, ReduceOp::sum);
    EXPECT_EQ(count, world.size());
  });
}

}  // namespace
}  // namespace ringtail::test

namespace ringtail::test {
namespace {

int count_entries(const char* dir_path) {
  int n = 0;
  if (DIR* dir = opendir(dir_path)) {
    while (readdir(dir) != nullptr) ++n;
    closedir(dir);
  }
  return n;
}

// A job that builds and drops whole worlds (and their splits) many times must
// end with the descriptors and threads it started with.
TEST(GlooLifetime, WorldsBuiltAndDroppedLeaveNoDescriptorsOrThreads) {
  const std::string dir = make_temp_dir("gloo-lifetime");
  auto cycle = [&dir](int round) {
    std::vector<std::thread> ranks;
    for (int r = 0; r < 2; ++r) {
      ranks.emplace_back([&, r] {
        coll::WorldOptions options = gloo_world_options(r, 2, dir, std::chrono::seconds(10));
        options.store_prefix = "round" + std::to_string(round);
        auto world = coll::create_world(options);
        auto child = world->split(0, r);
        std::int64_t v = 1;
        child->allreduce(&v, 1, DataType::i64, ReduceOp::sum);
        EXPECT_EQ(v, 2);
      });
    }
    for (auto& t : ranks) t.join();
  };
  cycle(0);
  const int fds = count_entries("/proc/self/fd");
  const int threads = count_entries("/proc/self/task");
  for (int round = 1; round <= 10; ++round) cycle(round);
  EXPECT_LE(count_entries("/proc/self/fd"), fds);
  EXPECT_LE(count_entries("/proc/self/task"), threads);
  remove_tree(dir);
}

}  // namespace
}  // namespace ringtail::test
