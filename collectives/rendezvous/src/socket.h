#pragma once
// A TCP socket that closes itself, with whole-buffer send and receive. Receives
// wait with poll() until an optional deadline; the server's receives have no
// deadline and are woken by shutdown() when it stops.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace ringtail::rendezvous {

using Clock = std::chrono::steady_clock;

class Socket {
 public:
  Socket() = default;
  explicit Socket(int fd) : fd_(fd) {}
  ~Socket();
  Socket(Socket&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Socket& operator=(Socket&& other) noexcept;
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;

  int fd() const { return fd_; }
  bool valid() const { return fd_ >= 0; }

  // Throws ringtail::Error (peer_lost) when the connection breaks.
  void send_all(const void* data, std::size_t size);
  // Fills `size` bytes. Returns false when the peer closed the connection before
  // the first byte; throws ringtail::Error on a close inside the buffer
  // (peer_lost), an error, or the deadline (timeout).
  bool receive_all(void* data, std::size_t size, std::optional<Clock::time_point> deadline);
  // Wakes a thread blocked in receive_all (the server's stop()).
  void shutdown();

 private:
  int fd_ = -1;
};

// Connects to host:port, retrying while the connection is refused (the server
// may not listen yet) until `deadline`. Throws ringtail::Error (timeout) naming
// the address and the last error.
Socket connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline);

// Binds and listens; *bound_port receives the port (useful with port 0).
Socket listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t* bound_port);

// The remote IP address of a connected socket ("" when unknown).
std::string peer_address(int fd);

}  // namespace ringtail::rendezvous
