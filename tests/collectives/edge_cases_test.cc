// Edge cases of the Communicator interface on every backend: results that
// overlap their inputs (in place or part-way), a point-to-point message longer
// than the receive, operations where every count is zero, the cross-rank check
// of count vectors, and communicators split and dropped many times.
// Part of collectives.<backend>.np<N>.

#include <dirent.h>
#include <gtest/gtest.h>

#include <numeric>

#include "reference_check.h"
#include "ringtail/collectives/error.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using coll::Communicator;
using coll::DataType;
using coll::ReduceOp;

int open_descriptors() {
  int n = 0;
  if (DIR* dir = opendir("/proc/self/fd")) {
    while (readdir(dir) != nullptr) ++n;
    closedir(dir);
  }
  return n;
}

int threads() {
  int n = 0;
  if (DIR* dir = opendir("/proc/self/task")) {
    while (readdir(dir) != nullptr) ++n;
    closedir(dir);
  }
  return n;
}

TEST(Overlap, ReducescatterResultInItsOwnBlockOfTheInput) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const std::size_t block = 300001;
    const std::vector<std::size_t> counts(static_cast<std::size_t>(n), block);
    std::vector<char> data = filled(world.rank(), block * n, DataType::f32, ReduceOp::sum);
    char* mine = data.data() + block * world.rank() * sizeof(float);
    world.reducescatter(data.data(), mine, counts, DataType::f32, ReduceOp::sum);
    for (std::size_t i = 0; i < block; ++i) {
      ASSERT_NEAR(load(mine, i, DataType::f32),
                  expected_reduction(n, block * world.rank() + i, DataType::f32, ReduceOp::sum),
                  1e-4)
          << "element " << i;
    }
  });
}

TEST(Overlap, ReducescatterResultAtTheStartOfTheInput) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const std::size_t block = 300001;
    const std::vector<std::size_t> counts(static_cast<std::size_t>(n), block);
    std::vector<char> data = filled(world.rank(), block * n, DataType::f32, ReduceOp::sum);
    world.reducescatter(data.data(), data.data(), counts, DataType::f32, ReduceOp::sum);
    for (std::size_t i = 0; i < block; ++i) {
      ASSERT_NEAR(load(data.data(), i, DataType::f32),
                  expected_reduction(n, block * world.rank() + i, DataType::f32, ReduceOp::sum),
                  1e-4)
          << "element " << i;
    }
  });
}

TEST(Overlap, AllgathervInPlace) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    std::vector<std::size_t> counts(n);
    for (int r = 0; r < n; ++r) counts[r] = 3 + r;
    const std::size_t all = std::accumulate(counts.begin(), counts.end(), std::size_t{0});
    const std::size_t before = std::accumulate(counts.begin(), counts.begin() + world.rank(), std::size_t{0});
    std::vector<std::int32_t> buf(all, -1);
    for (std::size_t i = 0; i < counts[world.rank()]; ++i) buf[before + i] = world.rank() * 100 + int(i);
    world.allgatherv(buf.data() + before, buf.data(), counts, DataType::i32);
    std::size_t off = 0;
    for (int r = 0; r < n; ++r) {
      for (std::size_t i = 0; i < counts[r]; ++i) ASSERT_EQ(buf[off + i], r * 100 + int(i));
      off += counts[r];
    }
  });
}

TEST(Overlap, AlltoallInPlaceDeliversEveryBlock) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const std::size_t count = 50;
    std::vector<std::int32_t> buf(count * n);
    for (int to = 0; to < n; ++to)
      for (std::size_t i = 0; i < count; ++i) buf[to * count + i] = world.rank() * 10000 + to * 100 + int(i);
    world.alltoall(buf.data(), buf.data(), count, DataType::i32);
    for (int from = 0; from < n; ++from)
      for (std::size_t i = 0; i < count; ++i)
        ASSERT_EQ(buf[from * count + i], from * 10000 + world.rank() * 100 + int(i));
  });
}

TEST(Overlap, AllreduceResultShiftedAgainstItsInput) {
  run_on_ranks([](Communicator& world) {
    const std::size_t count = 100003;
    for (std::size_t shift : {std::size_t{1}, std::size_t{5000}}) {
      std::vector<char> data = filled(world.rank(), count, DataType::f32, ReduceOp::sum);
      data.resize((count + shift) * sizeof(float));
      char* out = data.data() + shift * sizeof(float);
      world.allreduce(data.data(), out, count, DataType::f32, ReduceOp::sum);
      check_reduced(out, count, DataType::f32, ReduceOp::sum, world.size(), "shifted allreduce");
    }
  });
}

TEST(Overlap, AllgatherInputInsideAnotherRanksBlock) {
  run_on_ranks([](Communicator& world) {
    const int n = world.size();
    const std::size_t count = 20000;
    std::vector<std::int32_t> buf(count * n, -1);
    // This rank's input sits in the block of the next rank.
    const std::size_t at = ((world.rank() + 1) % n) * count;
    for (std::size_t i = 0; i < count; ++i) buf[at + i] = world.rank() * 100000 + int(i);
    world.allgather(buf.data() + at, buf.data(), count, DataType::i32);
    for (int r = 0; r < n; ++r)
      for (std::size_t i = 0; i < count; ++i) ASSERT_EQ(buf[r * count + i], r * 100000 + int(i)) << r << " " << i;
  });
}

TEST(PointToPointSizes, LongerMessageIsAMismatchNamingThePeer) {
  run_on_ranks([](Communicator& world) {
    std::vector<std::int32_t> data(64, world.rank());
    if (world.rank() < 2) {
      const int peer = 1 - world.rank();
      for (bool use_sendrecv : {false, true}) {
        if (world.rank() == 0 && !use_sendrecv) {
          world.send(data.data(), 64, DataType::i32, peer, 9);
          continue;
        }
        try {
          if (use_sendrecv) {
            // Rank 0 sends 64 elements where rank 1 expects 16, and the reverse is fine.
            world.sendrecv(data.data(), world.rank() == 0 ? 64 : 4, peer, data.data() + 32,
                           world.rank() == 0 ? 4 : 16, peer, DataType::i32, 9);
            if (world.rank() == 1) ADD_FAILURE() << "a 64-element message was received as 16";
          } else {
            world.recv(data.data(), 16, DataType::i32, peer, 9);
            ADD_FAILURE() << "a 64-element message was received as 16";
          }
        } catch (const Error& e) {
          EXPECT_EQ(world.rank(), 1) << e.what();
          EXPECT_EQ(e.kind(), ErrorKind::mismatch) << e.what();
          EXPECT_NE(std::string(e.what()).find("from rank 0 (tag 9): expected 64 bytes"),
                    std::string::npos) << e.what();
        }
      }
    }
    world.barrier();
  });
}

TEST(ZeroCounts, EveryCollectiveWithNothingToMove) {
  run_on_ranks([](Communicator& world) {
    const std::vector<std::size_t> zeros(world.size(), 0);
    float x = 0;
    world.alltoallv(&x, zeros, &x, zeros, DataType::f32);
    world.alltoallv(nullptr, zeros, nullptr, zeros, DataType::f32);
    world.allgatherv(nullptr, nullptr, zeros, DataType::f32);
    world.reducescatter(nullptr, nullptr, zeros, DataType::f32, ReduceOp::sum);
    world.broadcast(nullptr, 0, DataType::f32, 0);
    world.allreduce(&x, &x, 0, DataType::f32, ReduceOp::average);
    std::vector<std::size_t> some(world.size(), 0);
    some[0] = 2;
    float two[2] = {1, 2};
    float out[2] = {0, 0};
    world.reducescatter(two, out, some, DataType::f32, ReduceOp::sum);
    if (world.rank() == 0) {
      EXPECT_EQ(out[0], float(world.size()));
    }
  });
}

// Rank 0 thinks block 0 has 2 elements and block 1 one; the others think the
// reverse. The totals agree, so only a check of the vectors themselves can
// tell (unchecked, gloo aborts the process on the longer message).
TEST(CrossRankCheck, CountVectorsWithEqualTotalsThatDifferAreAMismatch) {
  run_on_ranks([](Communicator& world) {
    world.set_check_across_ranks(true);
    const int n = world.size();
    std::vector<std::size_t> counts(static_cast<std::size_t>(n), 1);
    counts[0] = world.rank() == 0 ? 2 : 1;
    counts[1] = world.rank() == 0 ? 1 : 2;
    std::vector<float> send(static_cast<std::size_t>(n) + 1, 1.0f), recv(send.size());
    for (const char* op : {"allgatherv", "reducescatter"}) {
      try {
        if (op[0] == 'a') {
          world.allgatherv(send.data(), recv.data(), counts, DataType::f32);
        } else {
          world.reducescatter(send.data(), recv.data(), counts, DataType::f32, ReduceOp::sum);
        }
        ADD_FAILURE() << op << ": disagreeing recv_counts were not detected";
      } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::mismatch) << e.what();
        EXPECT_NE(std::string(e.what()).find(std::string(op) + ": recv_counts differs across ranks"),
                  std::string::npos)
            << e.what();
      }
    }
    // Agreeing vectors pass, and the communicator still works.
    const std::vector<std::size_t> same(static_cast<std::size_t>(n), 1);
    world.allgatherv(send.data(), recv.data(), same, DataType::f32);
    EXPECT_EQ(recv[static_cast<std::size_t>(n) - 1], 1.0f);
  });
}

TEST(Lifetime, RepeatedSplitsLeakNoDescriptorsOrThreads) {
  run_on_ranks([](Communicator& world) {
    for (int i = 0; i < 3; ++i) world.split(0, world.rank())->barrier();
    const int fds = open_descriptors();
    const int tasks = threads();
    for (int i = 0; i < 30; ++i) {
      auto c = world.split(world.rank() % 2, world.rank());
      std::int64_t v = 1;
      c->allreduce(&v, 1, DataType::i64, ReduceOp::sum);
    }
    world.barrier();
    EXPECT_LE(open_descriptors(), fds) << "descriptors leaked";
    EXPECT_LE(threads(), tasks) << "threads leaked";
  });
}

}  // namespace
}  // namespace ringtail::test
