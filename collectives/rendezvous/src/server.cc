#include "ringtail/rendezvous/server.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <list>
#include <mutex>
#include <thread>

#include "key_value_table.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"
#include "ringtail/rendezvous/protocol.h"
#include "socket.h"

namespace ringtail::rendezvous {
namespace {

// More connections than any job has ranks; beyond it, connections are refused so
// that a flood of them cannot exhaust the launcher's threads.
constexpr std::size_t kMaxConnections = 4096;
// A waiting request never sleeps longer than this, whatever it asked for.
constexpr auto kMaxWait = std::chrono::hours(24);
// Once a frame's length has arrived, the rest must follow within this time.
constexpr auto kFrameTime = std::chrono::seconds(30);
constexpr std::size_t kMaxHostname = 256;
constexpr std::uint32_t kMaxKeysPerRequest = 1 << 20;

std::uint32_t read_length(const unsigned char* p) {
  return (std::uint32_t{p[0]} << 24) | (std::uint32_t{p[1]} << 16) | (std::uint32_t{p[2]} << 8) | p[3];
}

Clock::time_point deadline_after(std::uint64_t timeout_ms) {
  const auto wait = std::min<std::chrono::milliseconds>(std::chrono::milliseconds(timeout_ms), kMaxWait);
  return Clock::now() + wait;
}

std::vector<std::string> read_keys(BodyReader& in) {
  const std::uint32_t n = in.u32("key count");
  if (n > kMaxKeysPerRequest) {
    throw Error(ErrorKind::invalid_argument, "too many keys in one request: " + std::to_string(n));
  }
  std::vector<std::string> keys;
  keys.reserve(n);
  for (std::uint32_t i = 0; i < n; ++i) keys.push_back(in.string("key", kMaxKeySize));
  return keys;
}

}  // namespace

struct Server::Impl {
  struct Connection {
    Socket socket;
    std::string address;
    std::thread thread;
    std::atomic<bool> done{false};
  };

  std::string secret;
  Socket listener;
  std::uint16_t port = 0;
  int wake_read = -1;
  int wake_write = -1;
  KeyValueTable table;

  mutable std::mutex mutex;  // guards the members below
  std::list<Connection> connections;
  std::vector<PeerInfo> peers;
  bool stopping = false;

  std::atomic<std::uint64_t> refused{0};
  std::thread acceptor;

  ~Impl() {
    if (wake_read >= 0) ::close(wake_read);
    if (wake_write >= 0) ::close(wake_write);
  }

  void accept_loop();
  void reap_finished_connections();
  void serve(Connection& connection);
  void refuse(Connection& connection, const Challenge& challenge, const std::string& reason);
  void respond(Connection& connection, const Challenge& challenge, std::vector<char> body);
  std::vector<char> handle(Connection& connection, Op op, std::uint64_t sequence, BodyReader& in);
};

Server::Server(std::string bind_address, std::uint16_t port, std::string secret)
    : impl_(std::make_unique<Impl>()) {
  if (secret.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "rendezvous server: the secret is empty, which would let anyone use the store");
  }
  impl_->secret = std::move(secret);
  impl_->listener = listen_tcp(bind_address, port, &impl_->port);
  int pipe_fds[2];
  if (::pipe2(pipe_fds, O_CLOEXEC) != 0) {
    throw Error(ErrorKind::backend, std::string("rendezvous server: pipe failed: ") + std::strerror(errno));
  }
  impl_->wake_read = pipe_fds[0];
  impl_->wake_write = pipe_fds[1];
  impl_->acceptor = std::thread([impl = impl_.get()] { impl->accept_loop(); });
  log::debug("rendezvous server listening on ", bind_address, ":", impl_->port);
}

Server::~Server() { stop(); }

std::uint16_t Server::port() const { return impl_->port; }

void Server::stop() {
  {
    std::lock_guard<std::mutex> lock(impl_->mutex);
    if (impl_->stopping) return;
    impl_->stopping = true;
    for (auto& c : impl_->connections) c.socket.shutdown();
  }
  const char byte = 0;
  while (::write(impl_->wake_write, &byte, 1) < 0 && errno == EINTR) {
  }
  impl_->table.stop();
  if (impl_->acceptor.joinable()) impl_->acceptor.join();
  // No new connection can appear now that the acceptor has ended.
  for (auto& c : impl_->connections) {
    if (c.thread.joinable()) c.thread.join();
  }
  impl_->connections.clear();
  impl_->listener = Socket();
}

std::vector<PeerInfo> Server::peers() const {
  std::lock_guard<std::mutex> lock(impl_->mutex);
  return impl_->peers;
}

std::uint64_t Server::refused_requests() const { return impl_->refused.load(); }

void Server::Impl::accept_loop() {
  while (true) {
    pollfd fds[2] = {{listener.fd(), POLLIN, 0}, {wake_read, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      log::error("rendezvous server: poll failed: ", std::strerror(errno));
      return;
    }
    if (fds[1].revents != 0) return;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listener.fd(), nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;  // the client gave up already, or a transient error
    Socket socket(fd);
    reap_finished_connections();
    std::lock_guard<std::mutex> lock(mutex);
    if (stopping) return;
    if (connections.size() >= kMaxConnections) {
      ++refused;
      log::warning("rendezvous: refused a connection from ", peer_address(fd), ": ",
                   connections.size(), " connections are open already");
      continue;
    }
    Connection& c = connections.emplace_back();
    c.socket = std::move(socket);
    c.address = peer_address(c.socket.fd());
    c.thread = std::thread([this, &c] { serve(c); });
  }
}

void Server::Impl::reap_finished_connections() {
  std::list<Connection> finished;
  {
    std::lock_guard<std::mutex> lock(mutex);
    for (auto it = connections.begin(); it != connections.end();) {
      auto next = std::next(it);
      if (it->done.load()) finished.splice(finished.end(), connections, it);
      it = next;
    }
  }
  for (auto& c : finished) c.thread.join();
}

void Server::Impl::serve(Connection& connection) {
  try {
    Challenge challenge{};
    random_bytes(challenge.data(), challenge.size());
    const std::vector<char> greeting = make_greeting(challenge);
    connection.socket.send_all(greeting.data(), greeting.size());
    std::uint64_t last_sequence = 0;
    while (true) {
      unsigned char header[4];
      if (!connection.socket.receive_all(header, sizeof header, std::nullopt)) break;
      const std::uint32_t size = read_length(header);
      if (size < kMinBodySize || size > kMaxBodySize) {
        refuse(connection, challenge,
               "it is a frame of " + std::to_string(size) + " bytes, not a ringtail rendezvous request");
        break;
      }
      std::vector<char> body(size);
      Mac mac{};
      const auto frame_deadline = Clock::now() + kFrameTime;
      connection.socket.receive_all(body.data(), body.size(), frame_deadline);
      connection.socket.receive_all(mac.data(), mac.size(), frame_deadline);
      if (!macs_equal(mac, message_mac(secret, Direction::request, challenge, body))) {
        refuse(connection, challenge,
               "its HMAC is missing or wrong (the sender does not hold this job's secret)");
        break;
      }
      BodyReader in(body);
      const auto op = static_cast<Op>(in.u8("operation"));
      const std::uint64_t sequence = in.u64("sequence");
      if (sequence <= last_sequence) {
        refuse(connection, challenge,
               "it is a replay (sequence " + std::to_string(sequence) + " after " +
                   std::to_string(last_sequence) + ")");
        break;
      }
      last_sequence = sequence;
      std::vector<char> reply;
      try {
        reply = handle(connection, op, sequence, in);
      } catch (const Error& e) {
        if (e.kind() == ErrorKind::shut_down) {
          respond(connection, challenge,
                  BodyWriter().u8(std::uint8_t(Status::shutting_down)).u64(sequence).bytes(std::string(e.what())).take());
          break;
        }
        reply = BodyWriter().u8(std::uint8_t(Status::bad_request)).u64(sequence).bytes(std::string(e.what())).take();
      }
      respond(connection, challenge, std::move(reply));
    }
  } catch (const std::exception& e) {
    // A client that vanished mid-request, or the server stopping: nothing to answer.
    log::debug("rendezvous: connection from ", connection.address, " ended: ", e.what());
  }
  // The peer sees the end now; the descriptor is closed when the acceptor or
  // stop() joins this thread, so it cannot be reused while stop() may touch it.
  connection.socket.shutdown();
  connection.done.store(true);
}

void Server::Impl::refuse(Connection& connection, const Challenge& challenge, const std::string& reason) {
  ++refused;
  log::warning("rendezvous: refused a request from ", connection.address.empty() ? "?" : connection.address,
               " because ", reason);
  try {
    respond(connection, challenge,
            BodyWriter().u8(std::uint8_t(Status::refused)).u64(0).bytes("refused: " + reason).take());
  } catch (const std::exception&) {
    // The peer may be gone already; the refusal is logged either way.
  }
}

void Server::Impl::respond(Connection& connection, const Challenge& challenge, std::vector<char> body) {
  const Mac mac = message_mac(secret, Direction::response, challenge, body);
  const std::vector<char> frame = make_frame(body, mac);
  connection.socket.send_all(frame.data(), frame.size());
}

std::vector<char> Server::Impl::handle(Connection& connection, Op op, std::uint64_t sequence, BodyReader& in) {
  // Every field is read and the request checked for trailing bytes before it acts.
  auto expect_end = [&] {
    if (!in.at_end()) {
      throw Error(ErrorKind::invalid_argument,
                  std::string("malformed rendezvous message: extra bytes after a ") + to_string(op) + " request");
    }
  };
  BodyWriter out;
  auto ok = [&]() -> BodyWriter& { return out.u8(std::uint8_t(Status::ok)).u64(sequence); };
  switch (op) {
    case Op::hello: {
      PeerInfo peer;
      peer.address = connection.address;
      peer.hostname = in.string("host name", kMaxHostname);
      peer.pid = in.u32("pid");
      expect_end();
      std::lock_guard<std::mutex> lock(mutex);
      peers.push_back(std::move(peer));
      return ok().take();
    }
    case Op::set: {
      const std::string key = in.string("key", kMaxKeySize);
      std::vector<char> value = in.bytes("value", kMaxBodySize);
      expect_end();
      table.set(key, std::move(value));
      return ok().take();
    }
    case Op::get: {
      const std::uint64_t timeout_ms = in.u64("timeout");
      const std::string key = in.string("key", kMaxKeySize);
      expect_end();
      const auto value = table.get(key, deadline_after(timeout_ms));
      if (!value) return out.u8(std::uint8_t(Status::timeout)).u64(sequence).take();
      return ok().bytes(*value).take();
    }
    case Op::wait: {
      const std::uint64_t timeout_ms = in.u64("timeout");
      const std::vector<std::string> keys = read_keys(in);
      expect_end();
      const std::vector<std::string> missing = table.wait(keys, deadline_after(timeout_ms));
      if (missing.empty()) return ok().take();
      out.u8(std::uint8_t(Status::timeout)).u64(sequence).u32(static_cast<std::uint32_t>(missing.size()));
      for (const auto& key : missing) out.bytes(key);
      return out.take();
    }
    case Op::check: {
      const std::vector<std::string> keys = read_keys(in);
      expect_end();
      return ok().u8(table.contains_all(keys) ? 1 : 0).take();
    }
    case Op::add: {
      const std::string key = in.string("key", kMaxKeySize);
      const std::int64_t delta = in.i64("delta");
      expect_end();
      return ok().i64(table.add(key, delta)).take();
    }
  }
  throw Error(ErrorKind::invalid_argument,
              "unknown rendezvous operation " + std::to_string(static_cast<int>(op)));
}

}  // namespace ringtail::rendezvous
