// The rendezvous server and client: the store's semantics, blocking and timeouts,
// and the authentication (wrong or missing HMAC, replays, foreign traffic).

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <future>
#include <thread>

#include "ringtail/collectives/error.h"
#include "ringtail/rendezvous/client.h"
#include "ringtail/rendezvous/hmac.h"
#include "ringtail/rendezvous/protocol.h"
#include "ringtail/rendezvous/server.h"

namespace ringtail::rendezvous {
namespace {

using namespace std::chrono_literals;

const std::string kSecret = "0123456789abcdef0123456789abcdef";

std::vector<char> bytes(const std::string& s) { return std::vector<char>(s.begin(), s.end()); }

std::string hex(const Mac& mac) {
  std::string out;
  char buf[3];
  for (unsigned char c : mac) {
    std::snprintf(buf, sizeof buf, "%02x", c);
    out += buf;
  }
  return out;
}

// A client that speaks the wire format by hand, to send what Client never would.
class RawConnection {
 public:
  explicit RawConnection(std::uint16_t port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
      throw std::runtime_error("connect failed");
    }
    std::vector<char> greeting(kGreetingSize);
    read_exact(greeting.data(), greeting.size());
    challenge_ = parse_greeting(greeting);
  }
  ~RawConnection() { ::close(fd_); }

  const Challenge& challenge() const { return challenge_; }

  void send(const std::vector<char>& data) {
    ASSERT_EQ(::send(fd_, data.data(), data.size(), MSG_NOSIGNAL), static_cast<ssize_t>(data.size()));
  }

  // The response's status, or -1 when the server closed the connection instead.
  int read_status() {
    unsigned char header[4];
    if (!read_exact(header, 4)) return -1;
    const std::uint32_t n = (std::uint32_t{header[0]} << 24) | (header[1] << 16) | (header[2] << 8) | header[3];
    std::vector<char> rest(n + kMacSize);
    if (!read_exact(rest.data(), rest.size())) return -1;
    return static_cast<unsigned char>(rest[0]);
  }

  // True when the server has closed the connection (read returns end of file).
  bool closed_by_server() {
    char c;
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, 10000) <= 0) return false;
    return ::recv(fd_, &c, 1, 0) == 0;
  }

 private:
  bool read_exact(void* out, std::size_t n) {
    char* p = static_cast<char*>(out);
    while (n > 0) {
      pollfd pfd{fd_, POLLIN, 0};
      if (::poll(&pfd, 1, 10000) <= 0) return false;
      const ssize_t got = ::recv(fd_, p, n, 0);
      if (got <= 0) return false;
      p += got;
      n -= static_cast<std::size_t>(got);
    }
    return true;
  }

  int fd_ = -1;
  Challenge challenge_{};
};

std::vector<char> set_body(std::uint64_t sequence, const std::string& key, const std::string& value) {
  return BodyWriter().u8(std::uint8_t(Op::set)).u64(sequence).bytes(key).bytes(value).take();
}

std::vector<char> signed_frame(const std::string& secret, const Challenge& challenge,
                               const std::vector<char>& body) {
  return make_frame(body, message_mac(secret, Direction::request, challenge, body));
}

TEST(Hmac, MatchesRfc4231TestCase2) {
  HmacSha256 mac("Jefe");
  const std::string data = "what do ya want for nothing?";
  mac.update(data.data(), data.size());
  EXPECT_EQ(hex(mac.finish()), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

TEST(Hmac, ComparesAndMakesRandomSecrets) {
  Mac a{};
  Mac b{};
  EXPECT_TRUE(macs_equal(a, b));
  b[31] = 1;
  EXPECT_FALSE(macs_equal(a, b));
  const std::string s1 = random_hex(32);
  const std::string s2 = random_hex(32);
  EXPECT_EQ(s1.size(), 64u);
  EXPECT_NE(s1, s2);
  EXPECT_EQ(s1.find_first_not_of("0123456789abcdef"), std::string::npos);
}

TEST(Endpoint, ParsesHostPortAndRejectsNonsense) {
  EXPECT_EQ(parse_endpoint("127.0.0.1:29500").host, "127.0.0.1");
  EXPECT_EQ(parse_endpoint("127.0.0.1:29500").port, 29500);
  EXPECT_EQ(parse_endpoint("[::1]:80").host, "::1");
  EXPECT_EQ(parse_endpoint("node-1:1").port, 1);
  for (const char* bad : {"", "host", "host:", ":80", "host:0", "host:65536", "host:8x", "::1:80", "[::1]80"}) {
    EXPECT_THROW(parse_endpoint(bad), Error) << bad;
  }
}

TEST(Rendezvous, SetGetCheckAdd) {
  Server server("127.0.0.1", 0, kSecret);
  Client client("127.0.0.1", server.port(), kSecret, 5s);
  const std::vector<char> binary = {'a', '\0', 'b', char(0xff)};
  client.set("binary", binary);
  client.set("empty", {});
  EXPECT_EQ(client.get("binary"), binary);
  EXPECT_TRUE(client.get("empty").empty());
  EXPECT_TRUE(client.check({"binary", "empty"}));
  EXPECT_FALSE(client.check({"binary", "absent"}));
  EXPECT_EQ(client.add("counter", 5), 5);
  EXPECT_EQ(client.add("counter", -2), 3);
  EXPECT_EQ(client.get("counter"), bytes("3"));
  EXPECT_THROW(client.add("binary", 1), Error);  // not a number; the connection stays usable
  client.set("binary", bytes("replaced"));
  EXPECT_EQ(client.get("binary"), bytes("replaced"));
}

TEST(Rendezvous, RecordsAuthenticatedPeers) {
  Server server("127.0.0.1", 0, kSecret);
  Client a("127.0.0.1", server.port(), kSecret, 5s);
  Client b("localhost", server.port(), kSecret, 5s);
  const auto peers = server.peers();
  ASSERT_EQ(peers.size(), 2u);
  EXPECT_EQ(peers[0].pid, static_cast<std::uint32_t>(getpid()));
  EXPECT_FALSE(peers[0].hostname.empty());
  EXPECT_EQ(peers[0].address, "127.0.0.1");
}

TEST(Rendezvous, GetWaitsForAnotherClientsSet) {
  Server server("127.0.0.1", 0, kSecret);
  Client reader("127.0.0.1", server.port(), kSecret, 20s);
  auto value = std::async(std::launch::async, [&] { return reader.get("late"); });
  Client writer("127.0.0.1", server.port(), kSecret, 5s);
  writer.set("late", bytes("here"));
  EXPECT_EQ(value.get(), bytes("here"));
}

TEST(Rendezvous, GetTimesOutNamingTheKey) {
  Server server("127.0.0.1", 0, kSecret);
  Client client("127.0.0.1", server.port(), kSecret, 200ms);
  try {
    client.get("never-set");
    FAIL() << "get returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    EXPECT_NE(std::string(e.what()).find("never-set"), std::string::npos) << e.what();
  }
  client.set("after", bytes("x"));  // a timeout leaves the connection usable
  EXPECT_EQ(client.get("after"), bytes("x"));
}

TEST(Rendezvous, WaitNamesOnlyTheMissingKeys) {
  Server server("127.0.0.1", 0, kSecret);
  Client client("127.0.0.1", server.port(), kSecret, 5s);
  client.set("present", bytes("1"));
  try {
    client.wait({"present", "missing"}, 200ms);
    FAIL() << "wait returned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    const std::string what = e.what();
    EXPECT_NE(what.find("'missing'"), std::string::npos) << what;
    EXPECT_EQ(what.find("'present'"), std::string::npos) << what;
  }
}

TEST(Rendezvous, ManyClientsMeet) {
  Server server("127.0.0.1", 0, kSecret);
  constexpr int kClients = 16;
  std::vector<std::string> keys;
  for (int i = 0; i < kClients; ++i) keys.push_back("rank/" + std::to_string(i));
  std::vector<std::future<std::string>> results;
  for (int i = 0; i < kClients; ++i) {
    results.push_back(std::async(std::launch::async, [&, i] {
      Client c("127.0.0.1", server.port(), kSecret, 20s);
      c.set(keys[i], bytes(std::to_string(i * i)));
      c.wait(keys, 20s);
      const auto next = c.get(keys[(i + 1) % kClients]);
      return std::string(next.begin(), next.end());
    }));
  }
  for (int i = 0; i < kClients; ++i) {
    const int next = (i + 1) % kClients;
    EXPECT_EQ(results[i].get(), std::to_string(next * next));
  }
}

TEST(Rendezvous, StopWakesAWaitingGet) {
  auto server = std::make_unique<Server>("127.0.0.1", 0, kSecret);
  Client client("127.0.0.1", server->port(), kSecret, 60s);
  std::promise<void> sent;
  auto result = std::async(std::launch::async, [&] {
    sent.set_value();
    client.get("never");
  });
  sent.get_future().wait();
  server->stop();  // must not wait for the 60 s
  EXPECT_THROW(result.get(), Error);
  server.reset();
}

TEST(RendezvousSecurity, WrongSecretIsRefusedAndLogged) {
  Server server("127.0.0.1", 0, kSecret);
  testing::internal::CaptureStderr();
  try {
    Client intruder("127.0.0.1", server.port(), "not-the-secret", 5s);
    FAIL() << "a client with the wrong secret connected";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("refused"), std::string::npos) << e.what();
  }
  const std::string log = testing::internal::GetCapturedStderr();
  EXPECT_NE(log.find("refused a request from 127.0.0.1"), std::string::npos) << log;
  EXPECT_NE(log.find("HMAC"), std::string::npos) << log;
  EXPECT_EQ(server.refused_requests(), 1u);
  EXPECT_TRUE(server.peers().empty());
}

TEST(RendezvousSecurity, MissingOrForgedMacIsRefused) {
  Server server("127.0.0.1", 0, kSecret);
  {
    RawConnection raw(server.port());
    raw.send(make_frame(set_body(1, "k", "v"), Mac{}));  // all-zero MAC
    EXPECT_EQ(raw.read_status(), int(Status::refused));
    EXPECT_TRUE(raw.closed_by_server());
  }
  {
    RawConnection raw(server.port());
    raw.send(signed_frame("guessed-secret", raw.challenge(), set_body(1, "k", "v")));
    EXPECT_EQ(raw.read_status(), int(Status::refused));
  }
  {
    RawConnection raw(server.port());  // not the protocol at all
    const std::string http = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
    raw.send(std::vector<char>(http.begin(), http.end()));
    EXPECT_EQ(raw.read_status(), int(Status::refused));
  }
  EXPECT_EQ(server.refused_requests(), 3u);
  Client client("127.0.0.1", server.port(), kSecret, 5s);
  EXPECT_FALSE(client.check({"k"}));  // no refused request wrote anything
}

TEST(RendezvousSecurity, ReplayedRequestsAreRefused) {
  Server server("127.0.0.1", 0, kSecret);
  std::vector<char> captured;
  {
    RawConnection first(server.port());
    captured = signed_frame(kSecret, first.challenge(), set_body(1, "k", "first"));
    first.send(captured);
    EXPECT_EQ(first.read_status(), int(Status::ok));
    first.send(captured);  // the same bytes again on the same connection
    EXPECT_EQ(first.read_status(), int(Status::refused));
  }
  {
    RawConnection second(server.port());  // and on a new connection (new challenge)
    second.send(captured);
    EXPECT_EQ(second.read_status(), int(Status::refused));
  }
  EXPECT_EQ(server.refused_requests(), 2u);
}

TEST(RendezvousSecurity, EmptySecretsAreRejected) {
  EXPECT_THROW(Server("127.0.0.1", 0, ""), Error);
  Server server("127.0.0.1", 0, kSecret);
  EXPECT_THROW(Client("127.0.0.1", server.port(), "", 1s), Error);
}

TEST(Rendezvous, UnreachableServerTimesOut) {
  std::uint16_t port = 0;
  {
    Server probe("127.0.0.1", 0, kSecret);
    port = probe.port();
  }  // nothing listens there any more
  try {
    Client client("127.0.0.1", port, kSecret, 300ms);
    FAIL() << "connected to a stopped server";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::timeout);
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(port)), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace ringtail::rendezvous
