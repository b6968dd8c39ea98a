// The gloo backend's rendezvous through ringtail's rendezvous server (what
// ringtail-run provides when there is no shared file system). Ranks are threads
// of this process, each with its own gloo world, talking over loopback.

#include <gtest/gtest.h>

#include <future>
#include <vector>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"
#include "ringtail/rendezvous/server.h"

namespace ringtail::test {
namespace {

using namespace std::chrono_literals;
using coll::DataType;
using coll::ReduceOp;

const std::string kSecret = "gloo-tcp-store-test-secret-0123456789";

coll::WorldOptions tcp_world(int rank, int size, std::uint16_t port, const std::string& secret,
                             std::chrono::milliseconds timeout) {
  coll::WorldOptions options;
  options.backend = "gloo";
  options.rank = rank;
  options.size = size;
  options.store_address = "127.0.0.1:" + std::to_string(port);
  options.store_secret = secret;
  options.store_prefix = "tcp-store-test";
  options.gloo_interface = "127.0.0.1";
  options.timeout = timeout;
  return options;
}

// Runs `body(rank)` on `ranks` threads at once and returns what each threw.
template <typename Body>
std::vector<std::exception_ptr> on_threads(int ranks, Body body) {
  std::vector<std::future<void>> running;
  for (int r = 0; r < ranks; ++r) running.push_back(std::async(std::launch::async, body, r));
  std::vector<std::exception_ptr> errors;
  for (auto& f : running) {
    try {
      f.get();
      errors.push_back(nullptr);
    } catch (...) {
      errors.push_back(std::current_exception());
    }
  }
  return errors;
}

std::string message_of(const std::exception_ptr& error) {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
}

TEST(GlooTcpStore, ThreeRanksMeetThroughTheServerAndSplit) {
  rendezvous::Server server("127.0.0.1", 0, kSecret);
  const int size = 3;
  const auto errors = on_threads(size, [&](int rank) {
    auto world = coll::create_world(tcp_world(rank, size, server.port(), kSecret, 10s));
    std::vector<float> data(1000, float(rank + 1));
    world->allreduce(data.data(), data.size(), DataType::f32, ReduceOp::sum);
    EXPECT_EQ(data[999], 6.0f);
    auto pair = world->split(rank == 2 ? 1 : 0, rank);
    std::int64_t members = 1;
    pair->allreduce(&members, 1, DataType::i64, ReduceOp::sum);
    EXPECT_EQ(members, rank == 2 ? 1 : 2);
  });
  for (const auto& e : errors) EXPECT_FALSE(e) << message_of(e);
  EXPECT_EQ(server.peers().size(), std::size_t{size});
}

TEST(GlooTcpStore, MissingRankTimesOutNamingIt) {
  rendezvous::Server server("127.0.0.1", 0, kSecret);
  const auto errors = on_threads(
      2, [&](int rank) { coll::create_world(tcp_world(rank, 3, server.port(), kSecret, 1000ms)); });
  for (const auto& e : errors) {
    ASSERT_TRUE(e);
    try {
      std::rethrow_exception(e);
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::timeout) << error.what();
      EXPECT_NE(std::string(error.what()).find("rank 2 of a world of 3 did not arrive"),
                std::string::npos)
          << error.what();
      EXPECT_NE(std::string(error.what()).find("rendezvous server 127.0.0.1:"), std::string::npos)
          << error.what();
    }
  }
}

TEST(GlooTcpStore, WrongSecretIsRefusedWithAClearError) {
  rendezvous::Server server("127.0.0.1", 0, kSecret);
  try {
    coll::create_world(tcp_world(0, 1, server.port(), "not-the-secret-not-the-secret", 2000ms));
    FAIL() << "a world was built with the wrong secret";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_RENDEZVOUS_ADDR"), std::string::npos)
        << e.what();
  }
  EXPECT_GT(server.refused_requests(), 0u);
}

TEST(GlooTcpStore, MalformedAddressIsNamed) {
  try {
    coll::WorldOptions options = tcp_world(0, 1, 0, kSecret, 1000ms);
    options.store_address = "127.0.0.1";
    coll::create_world(options);
    FAIL() << "an address without a port was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("RINGTAIL_RENDEZVOUS_ADDR"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace ringtail::test
