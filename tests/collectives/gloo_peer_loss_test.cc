// The gloo backend when things go wrong: a rank that dies mid-collective, a rank
// that stops responding, a receive nobody sends, a peer that closed its
// communicator early, a rank that never arrives at the rendezvous or claims a
// rank already taken, and bad configuration. Every case must end in a clear
// ringtail::Error naming the rank to blame, never in a hang.
//
// Run as collectives.gloo_peer_loss.np3 (three forked ranks); the rendezvous
// and configuration tests build their worlds on threads of one process.

#include <gtest/gtest.h>

#include <cctype>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail_test/ranks.h"

namespace ringtail::test {
namespace {

using namespace std::chrono_literals;
using coll::Communicator;
using coll::DataType;
using coll::ReduceOp;

// Whether `message` names "rank N" (and not, say, rank N0).
bool names_rank(const std::string& message, int rank) {
  const std::string needle = "rank " + std::to_string(rank);
  for (auto at = message.find(needle); at != std::string::npos; at = message.find(needle, at + 1)) {
    const auto end = at + needle.size();
    if (end == message.size() || !std::isdigit(static_cast<unsigned char>(message[end])))
      return true;
  }
  return false;
}

// Survivors run collectives until one fails, then check what the error says
// and that the communicator now fails at once with the same kind of error.
void run_until_the_victim_is_lost(Communicator& world, int victim) {
  std::vector<float> data(1 << 18, 1.0f);
  Error first(ErrorKind::backend, "no error");
  bool failed = false;
  for (int i = 0; i < 100000 && !failed; ++i) {
    try {
      world.allreduce(data.data(), data.size(), DataType::f32, ReduceOp::max);
    } catch (const Error& e) {
      first = e;
      failed = true;
    }
  }
  ASSERT_TRUE(failed) << "rank " << world.rank() << " never noticed that rank " << victim
                      << " died";
  EXPECT_TRUE(first.kind() == ErrorKind::peer_lost || first.kind() == ErrorKind::timeout)
      << to_string(first.kind()) << ": " << first.what();
  EXPECT_TRUE(names_rank(first.what(), victim))
      << "rank " << world.rank() << ": the error does not name rank " << victim << ": "
      << first.what();

  // Later calls fail at once, with the same kind and the same culprit.
  for (auto call : {0, 1, 2, 3}) {
    try {
      if (call == 0) world.barrier();
      if (call == 1) world.allreduce(data.data(), 16, DataType::f32, ReduceOp::sum);
      if (call == 2) world.split(0, world.rank());
      if (call == 3) world.allreduce(nullptr, 0, DataType::f32, ReduceOp::sum);
      ADD_FAILURE() << "call " << call << " succeeded on a broken communicator";
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), first.kind()) << e.what();
      EXPECT_TRUE(names_rank(e.what(), victim)) << e.what();
    }
  }
}

RunOptions peer_loss_options(int victim) {
  RunOptions options;
  options.ranks_that_may_exit = {victim};
  options.operation_timeout = 5s;
  // Not a timing check: a survivor that has not failed by then is hanging.
  options.deadline = 60s;
  return options;
}

void lose_rank(int victim) {
  run_on_ranks(
      [victim](Communicator& world) {
        // A few good rounds first, so every connection has carried data.
        std::vector<float> warm(1024, 1.0f);
        for (int i = 0; i < 3; ++i) {
          world.allreduce(warm.data(), warm.size(), DataType::f32, ReduceOp::sum);
        }
        if (world.rank() == victim) {
          // Die from another thread while this one is inside a collective.
          std::thread([] {
            std::this_thread::sleep_for(20ms);
            std::_Exit(3);
          }).detach();
          std::vector<float> data(1 << 18, 1.0f);
          for (;;) world.allreduce(data.data(), data.size(), DataType::f32, ReduceOp::max);
        }
        run_until_the_victim_is_lost(world, victim);
      },
      peer_loss_options(victim));
}

TEST(GlooPeerLoss, LastRankDiesMidCollectiveAndEverySurvivorNamesIt) {
  if (world_size() < 2) GTEST_SKIP() << "needs two ranks";
  lose_rank(world_size() - 1);
}

TEST(GlooPeerLoss, MiddleRankDiesMidCollectiveAndEverySurvivorNamesIt) {
  if (world_size() < 3) GTEST_SKIP() << "needs three ranks";
  lose_rank(1);
}

TEST(GlooPeerLoss, RankThatStopsRespondingMakesTheOthersFailInsteadOfHang) {
  if (world_size() < 2) GTEST_SKIP() << "needs two ranks";
  const int sleeper = world_size() - 1;
  RunOptions options;
  options.operation_timeout = 1s;
  options.deadline = 60s;
  run_on_ranks(
      [sleeper](Communicator& world) {
        std::int64_t value = 1;
        world.allreduce(&value, 1, DataType::i64, ReduceOp::sum);
        if (world.rank() == sleeper) {
          // Simulates a rank stuck elsewhere: it comes back long after the
          // others gave up, and finds the communicator closed.
          std::this_thread::sleep_for(3s);
        }
        try {
          world.allreduce(&value, 1, DataType::i64, ReduceOp::sum);
          ADD_FAILURE() << "rank " << world.rank() << ": allreduce succeeded";
        } catch (const Error& e) {
          EXPECT_TRUE(e.kind() == ErrorKind::timeout || e.kind() == ErrorKind::peer_lost)
              << e.what();
          if (e.kind() == ErrorKind::timeout) {
            EXPECT_NE(std::string(e.what()).find("allreduce"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("1000 ms"), std::string::npos) << e.what();
          }
        }
      },
      options);
}

TEST(GlooPeerLoss, ReceiveThatIsNeverSentTimesOutNamingThePeer) {
  if (world_size() < 2) GTEST_SKIP() << "needs two ranks";
  RunOptions options;
  options.operation_timeout = 1s;
  options.deadline = 60s;
  run_on_ranks(
      [](Communicator& world) {
        // Ranks 0 and 1 both wait for each other; ranks from 2 up close their
        // communicator at once, and must not be blamed for it.
        if (world.rank() > 1) return;
        const int peer = 1 - world.rank();
        std::int64_t value = 0;
        try {
          world.recv(&value, 1, DataType::i64, peer, 9);
          ADD_FAILURE() << "rank " << world.rank() << " received a message nobody sent";
        } catch (const Error& e) {
          // The first rank to time out closes its connections; the other then
          // reports the timeout its peer noticed (from the peer's notice), or,
          // should that notice be late, the lost connection.
          EXPECT_TRUE(e.kind() == ErrorKind::timeout || e.kind() == ErrorKind::peer_lost)
              << e.what();
          EXPECT_TRUE(names_rank(e.what(), peer)) << e.what();
          if (e.kind() == ErrorKind::timeout) {
            EXPECT_NE(std::string(e.what()).find("1000 ms"), std::string::npos) << e.what();
          }
          for (int r = 2; r < world.size(); ++r) EXPECT_FALSE(names_rank(e.what(), r)) << e.what();
        }
      },
      options);
}

TEST(GlooPeerLoss, PeerThatClosedItsCommunicatorIsNamedAsSuch) {
  if (world_size() < 2) GTEST_SKIP() << "needs two ranks";
  RunOptions options;
  options.operation_timeout = 5s;
  options.deadline = 60s;
  run_on_ranks(
      [](Communicator& world) {
        // Every rank but 0 is done; rank 0 still expects a message from rank 1.
        if (world.rank() != 0) return;
        std::int64_t value = 0;
        try {
          world.recv(&value, 1, DataType::i64, 1, 4);
          ADD_FAILURE() << "received a message nobody sent";
        } catch (const Error& e) {
          EXPECT_EQ(e.kind(), ErrorKind::peer_lost) << e.what();
          EXPECT_TRUE(names_rank(e.what(), 1)) << e.what();
          EXPECT_NE(std::string(e.what()).find("closed its communicator"), std::string::npos)
              << e.what();
        }
      },
      options);
}

// Rendezvous: worlds built on threads of this process, one per rank.

// A fresh store directory, removed however the test ends.
struct TempDir {
  explicit TempDir(const std::string& tag) : path(make_temp_dir(tag)) {}
  ~TempDir() { remove_tree(path); }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::string path;
};

std::vector<std::future<void>> start_ranks(const std::vector<int>& ranks, int size,
                                           const std::string& store,
                                           std::chrono::milliseconds timeout,
                                           std::function<void(int, std::exception_ptr)> check) {
  std::vector<std::future<void>> ranks_done;
  for (int rank : ranks) {
    ranks_done.push_back(std::async(std::launch::async, [=] {
      std::exception_ptr error;
      try {
        auto world = coll::create_world(gloo_world_options(rank, size, store, timeout));
      } catch (...) {
        error = std::current_exception();
      }
      check(rank, error);
    }));
  }
  return ranks_done;
}

TEST(GlooRendezvous, MissingPeerTimesOutNamingIt) {
  const TempDir dir("gloo-missing-peer");
  const std::string& store = dir.path;
  // Ranks 0 and 1 of a world of 3 arrive; rank 2 never does.
  auto ranks = start_ranks({0, 1}, 3, store, 1000ms, [&store](int rank, std::exception_ptr error) {
    ASSERT_TRUE(error) << "rank " << rank << " built a world without rank 2";
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
      EXPECT_NE(std::string(e.what()).find("rank 2 of a world of 3 did not arrive within 1000 ms"),
                std::string::npos)
          << e.what();
      EXPECT_NE(std::string(e.what()).find(store), std::string::npos) << e.what();
    } catch (const std::exception& e) {
      ADD_FAILURE() << "not a ringtail::Error: " << e.what();
    }
  });
  for (auto& r : ranks) r.get();
}

TEST(GlooRendezvous, RankClaimedTwiceIsAClearError) {
  const TempDir dir("gloo-twice");
  const std::string& store = dir.path;
  // The first claimant publishes its record, then waits in vain for rank 1.
  auto first = start_ranks({0}, 2, store, 2000ms, [](int, std::exception_ptr error) {
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::timeout) << e.what();
    }
  });
  // gloo's file store is not race-free for two simultaneous writers of one key,
  // so the second claimant starts once the first one's record is there.
  const auto give_up = std::chrono::steady_clock::now() + 10s;
  while (std::filesystem::is_empty(store) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(5ms);
  }
  auto second = start_ranks({0}, 2, store, 2000ms, [](int, std::exception_ptr error) {
    ASSERT_TRUE(error);
    try {
      std::rethrow_exception(error);
    } catch (const Error& e) {
      EXPECT_EQ(e.kind(), ErrorKind::invalid_argument) << e.what();
      EXPECT_NE(std::string(e.what()).find("rank 0 cannot publish"), std::string::npos) << e.what();
    }
  });
  second.front().get();
  first.front().get();
}

TEST(GlooConfiguration, NoStoreIsAnErrorNamingTheVariables) {
  coll::WorldOptions options;
  options.backend = "gloo";
  options.rank = 0;
  options.size = 2;
  try {
    coll::create_world(options);
    FAIL() << "a gloo world without a store was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_GLOO_FILE_STORE"), std::string::npos)
        << e.what();
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_RENDEZVOUS_ADDR"), std::string::npos)
        << e.what();
  }
}

TEST(GlooConfiguration, StoreDirectoryThatDoesNotExistIsNamed) {
  coll::WorldOptions options = gloo_world_options(0, 2, "/nonexistent/ringtail-store", 1000ms);
  try {
    coll::create_world(options);
    FAIL() << "a world over a missing directory was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("/nonexistent/ringtail-store"), std::string::npos)
        << e.what();
  }
}

TEST(GlooConfiguration, RankAndSizeMustBeSet) {
  const TempDir dir("gloo-no-rank");
  const std::string& store = dir.path;
  coll::WorldOptions options = gloo_world_options(0, 2, store, 1000ms);
  options.rank = -1;
  try {
    coll::create_world(options);
    FAIL() << "a world without a rank was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_RANK"), std::string::npos) << e.what();
  }
}

TEST(GlooConfiguration, InterfaceThatDoesNotExistIsNamed) {
  const TempDir dir("gloo-bad-iface");
  const std::string& store = dir.path;
  coll::WorldOptions options = gloo_world_options(0, 1, store, 1000ms);
  options.gloo_interface = "no-such-host.invalid";
  try {
    coll::create_world(options);
    FAIL() << "a world on a missing interface was built";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("no-such-host.invalid"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_GLOO_IFACE"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ringtail::test
