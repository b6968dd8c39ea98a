#include "ringtail/rendezvous/client.h"

#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <functional>
#include <mutex>

#include "ringtail/collectives/error.h"
#include "ringtail/rendezvous/protocol.h"
#include "socket.h"

namespace ringtail::rendezvous {
namespace {

// A response may take as long as the request asked the server to wait, plus this
// much for the network and a busy server.
constexpr auto kResponseGrace = std::chrono::seconds(10);

std::string hostname() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "";
  return buffer.data();
}

std::string join_keys(const std::vector<std::string>& keys) {
  std::string out;
  for (const auto& k : keys) out += (out.empty() ? "'" : ", '") + k + "'";
  return out;
}

std::uint64_t to_ms(std::chrono::milliseconds d) {
  return d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count());
}

}  // namespace

Endpoint parse_endpoint(const std::string& text) {
  auto bad = [&]() -> Endpoint {
    throw Error(ErrorKind::invalid_argument,
                "rendezvous address '" + text + "' is not host:port (or [ipv6]:port)");
  };
  Endpoint e;
  std::string port_text;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find(']');
    if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':') return bad();
    e.host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || text.find(':') != colon) return bad();
    e.host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  char* end = nullptr;
  errno = 0;
  const long port = std::strtol(port_text.c_str(), &end, 10);
  if (e.host.empty() || port_text.empty() || *end != '\0' || errno != 0 || port < 1 || port > 65535) {
    return bad();
  }
  e.port = static_cast<std::uint16_t>(port);
  return e;
}

struct Client::Impl {
  Endpoint endpoint;
  std::string secret;
  std::chrono::milliseconds timeout;
  std::mutex mutex;  // one request at a time on the connection
  Socket socket;
  Challenge challenge{};
  std::uint64_t sequence = 0;

  std::string where() const { return endpoint.host + ":" + std::to_string(endpoint.port); }

  struct Response {
    Status status;
    std::vector<char> body;  // status and sequence included; reader() skips them
  };

  // Sends one request and returns its authenticated response; `wait` is how
  // long the request may make the server wait.
  Response call(Op op, const std::function<void(BodyWriter&)>& fields, std::chrono::milliseconds wait);
};

Client::Client(std::string host, std::uint16_t port, std::string secret, std::chrono::milliseconds timeout)
    : impl_(std::make_unique<Impl>()) {
  impl_->endpoint = Endpoint{std::move(host), port};
  impl_->secret = std::move(secret);
  impl_->timeout = timeout;
  if (impl_->secret.empty()) {
    throw Error(ErrorKind::invalid_argument,
                "rendezvous client: the secret is empty (RINGTAIL_RENDEZVOUS_SECRET is set by ringtail-run)");
  }
  const auto deadline = Clock::now() + timeout;
  impl_->socket = connect_tcp(impl_->endpoint.host, port, deadline);
  std::vector<char> greeting(kGreetingSize);
  try {
    if (!impl_->socket.receive_all(greeting.data(), greeting.size(), deadline + kResponseGrace)) {
      throw Error(ErrorKind::peer_lost, "the server closed the connection before greeting");
    }
  } catch (const Error& e) {
    throw Error(e.kind(), "rendezvous server " + impl_->where() + ": " + e.what());
  }
  impl_->challenge = parse_greeting(greeting);
  const std::string name = hostname();
  const auto pid = static_cast<std::uint32_t>(getpid());
  impl_->call(Op::hello, [&](BodyWriter& w) { w.bytes(name).u32(pid); }, std::chrono::milliseconds(0));
}

Client::~Client() = default;

Client::Impl::Response Client::Impl::call(Op op, const std::function<void(BodyWriter&)>& fields,
                                          std::chrono::milliseconds wait) {
  std::lock_guard<std::mutex> lock(mutex);
  if (!socket.valid()) {
    throw Error(ErrorKind::peer_lost, "rendezvous server " + where() + ": the connection was lost earlier");
  }
  const std::uint64_t my_sequence = ++sequence;
  BodyWriter writer;
  writer.u8(static_cast<std::uint8_t>(op)).u64(my_sequence);
  fields(writer);
  const std::vector<char> body = writer.take();
  if (body.size() > kMaxBodySize) {
    throw Error(ErrorKind::invalid_argument, std::string("rendezvous ") + to_string(op) + ": the request has " +
                                                 std::to_string(body.size()) + " bytes; at most " +
                                                 std::to_string(kMaxBodySize) + " are allowed");
  }
  Response response{};
  try {
    const std::vector<char> frame = make_frame(body, message_mac(secret, Direction::request, challenge, body));
    socket.send_all(frame.data(), frame.size());
    const auto deadline = Clock::now() + wait + kResponseGrace;
    unsigned char header[4];
    if (!socket.receive_all(header, sizeof header, deadline)) {
      throw Error(ErrorKind::peer_lost, "the server closed the connection");
    }
    const std::uint32_t size = (std::uint32_t{header[0]} << 24) | (std::uint32_t{header[1]} << 16) |
                               (std::uint32_t{header[2]} << 8) | header[3];
    if (size < kMinBodySize || size > kMaxBodySize) {
      throw Error(ErrorKind::backend, "the server sent a frame of " + std::to_string(size) + " bytes");
    }
    response.body.resize(size);
    Mac mac{};
    socket.receive_all(response.body.data(), size, deadline);
    socket.receive_all(mac.data(), mac.size(), deadline);
    response.status = static_cast<Status>(response.body[0]);
    BodyReader reader(response.body);
    reader.u8("status");
    const std::uint64_t echoed = reader.u64("sequence");
    if (response.status == Status::refused) {
      // Not authenticated on purpose: a client with a wrong secret cannot check
      // the server's MAC, and a forged refusal can do no more than a reset.
      socket = Socket();
      throw Error(ErrorKind::invalid_argument,
                  reader.string("message", kMaxBodySize) +
                      " (is RINGTAIL_RENDEZVOUS_SECRET the secret ringtail-run gave this job?)");
    }
    if (!macs_equal(mac, message_mac(secret, Direction::response, challenge, response.body)) ||
        echoed != my_sequence) {
      socket = Socket();
      throw Error(ErrorKind::backend,
                  "a response failed authentication; something other than this job's rendezvous server "
                  "answered");
    }
    if (response.status == Status::bad_request || response.status == Status::shutting_down) {
      throw Error(response.status == Status::shutting_down ? ErrorKind::shut_down : ErrorKind::invalid_argument,
                  reader.string("message", kMaxBodySize));
    }
  } catch (const Error& e) {
    if (e.kind() == ErrorKind::peer_lost || e.kind() == ErrorKind::timeout) socket = Socket();
    throw Error(e.kind(), "rendezvous server " + where() + ", " + to_string(op) + ": " + e.what());
  }
  return response;
}

void Client::set(const std::string& key, const std::vector<char>& value) {
  impl_->call(Op::set, [&](BodyWriter& w) { w.bytes(key).bytes(value); }, std::chrono::milliseconds(0));
}

std::vector<char> Client::get(const std::string& key) {
  const auto r = impl_->call(Op::get, [&](BodyWriter& w) { w.u64(to_ms(impl_->timeout)).bytes(key); },
                             impl_->timeout);
  if (r.status == Status::timeout) {
    throw Error(ErrorKind::timeout, "rendezvous: key '" + key + "' did not appear within " +
                                        std::to_string(impl_->timeout.count()) + " ms (server " +
                                        impl_->where() + ")");
  }
  BodyReader in(r.body);
  in.u8("status");
  in.u64("sequence");
  return in.bytes("value", kMaxBodySize);
}

void Client::wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout) {
  const auto r = impl_->call(
      Op::wait,
      [&](BodyWriter& w) {
        w.u64(to_ms(timeout)).u32(static_cast<std::uint32_t>(keys.size()));
        for (const auto& k : keys) w.bytes(k);
      },
      timeout);
  if (r.status != Status::timeout) return;
  BodyReader in(r.body);
  in.u8("status");
  in.u64("sequence");
  std::vector<std::string> missing(in.u32("key count"));
  for (auto& k : missing) k = in.string("key", kMaxKeySize);
  throw Error(ErrorKind::timeout, "rendezvous: still missing after " + std::to_string(timeout.count()) +
                                      " ms: " + join_keys(missing) + " (server " + impl_->where() + ")");
}

bool Client::check(const std::vector<std::string>& keys) {
  const auto r = impl_->call(
      Op::check,
      [&](BodyWriter& w) {
        w.u32(static_cast<std::uint32_t>(keys.size()));
        for (const auto& k : keys) w.bytes(k);
      },
      std::chrono::milliseconds(0));
  BodyReader in(r.body);
  in.u8("status");
  in.u64("sequence");
  return in.u8("answer") != 0;
}

std::int64_t Client::add(const std::string& key, std::int64_t delta) {
  const auto r = impl_->call(Op::add, [&](BodyWriter& w) { w.bytes(key).i64(delta); },
                             std::chrono::milliseconds(0));
  BodyReader in(r.body);
  in.u8("status");
  in.u64("sequence");
  return in.i64("value");
}

}  // namespace ringtail::rendezvous
