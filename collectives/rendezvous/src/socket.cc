#include "socket.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <thread>

#include "ringtail/collectives/error.h"

namespace ringtail::rendezvous {
namespace {

std::string errno_text(int err) { return std::strerror(err); }

struct AddrInfoList {
  addrinfo* head = nullptr;
  ~AddrInfoList() {
    if (head != nullptr) freeaddrinfo(head);
  }
};

std::string join_host_port(const std::string& host, std::uint16_t port) {
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
  return static_cast<int>(std::clamp<long long>(left.count(), 0, 1 << 30));
}

void set_no_delay(int fd) {
  const int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

// One connection attempt bounded by the deadline; returns the fd or -1 with errno.
int try_connect(const addrinfo& ai, Clock::time_point deadline) {
  const int fd = ::socket(ai.ai_family, ai.ai_socktype | SOCK_CLOEXEC | SOCK_NONBLOCK, ai.ai_protocol);
  if (fd < 0) return -1;
  int err = 0;
  if (::connect(fd, ai.ai_addr, ai.ai_addrlen) != 0) {
    err = errno;
    if (err == EINPROGRESS) {
      pollfd p{fd, POLLOUT, 0};
      const int ready = ::poll(&p, 1, remaining_ms(deadline));
      if (ready <= 0) {
        err = ready == 0 ? ETIMEDOUT : errno;
      } else {
        socklen_t len = sizeof err;
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
      }
    }
  }
  if (err != 0) {
    ::close(fd);
    errno = err;
    return -1;
  }
  // Back to blocking: reads wait with poll() where they need a deadline.
  const int fl = fcntl(fd, F_GETFL);
  fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  set_no_delay(fd);
  return fd;
}

}  // namespace

Socket::~Socket() {
  if (fd_ >= 0) ::close(fd_);
}

Socket& Socket::operator=(Socket&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = other.fd_;
    other.fd_ = -1;
  }
  return *this;
}

void Socket::send_all(const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::send(fd_, p, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::peer_lost, "rendezvous connection broke while sending: " + errno_text(errno));
    }
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}

bool Socket::receive_all(void* data, std::size_t size, std::optional<Clock::time_point> deadline) {
  char* p = static_cast<char*>(data);
  std::size_t got = 0;
  while (got < size) {
    if (deadline) {
      pollfd pfd{fd_, POLLIN, 0};
      const int ready = ::poll(&pfd, 1, remaining_ms(*deadline));
      if (ready < 0) {
        if (errno == EINTR) continue;
        throw Error(ErrorKind::peer_lost, "rendezvous connection failed: " + errno_text(errno));
      }
      if (ready == 0) throw Error(ErrorKind::timeout, "rendezvous: no answer before the deadline");
    }
    const ssize_t n = ::recv(fd_, p + got, size - got, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw Error(ErrorKind::peer_lost, "rendezvous connection broke while receiving: " + errno_text(errno));
    }
    if (n == 0) {
      if (got == 0) return false;
      throw Error(ErrorKind::peer_lost, "rendezvous connection closed in the middle of a message");
    }
    got += static_cast<std::size_t>(n);
  }
  return true;
}

void Socket::shutdown() {
  if (fd_ >= 0) ::shutdown(fd_, SHUT_RDWR);
}

Socket connect_tcp(const std::string& host, std::uint16_t port, Clock::time_point deadline) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  AddrInfoList list;
  const std::string service = std::to_string(port);
  if (const int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &list.head); rc != 0) {
    throw Error(ErrorKind::invalid_argument, "rendezvous server address " + join_host_port(host, port) +
                                                 " does not resolve: " + gai_strerror(rc));
  }
  // The launcher starts the server before the ranks, but a rank may still race
  // ahead of a server started by another program; nothing can be waited on for a
  // port to open, so retry with a growing pause until the deadline.
  auto pause = std::chrono::milliseconds(10);
  std::string last_error;
  while (true) {
    for (const addrinfo* ai = list.head; ai != nullptr; ai = ai->ai_next) {
      const int fd = try_connect(*ai, deadline);
      if (fd >= 0) return Socket(fd);
      last_error = errno_text(errno);
    }
    if (Clock::now() + pause >= deadline) break;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::milliseconds(500));
  }
  throw Error(ErrorKind::timeout, "could not connect to the rendezvous server at " +
                                      join_host_port(host, port) + " in time: " + last_error);
}

Socket listen_tcp(const std::string& address, std::uint16_t port, std::uint16_t* bound_port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  AddrInfoList list;
  const std::string service = std::to_string(port);
  const char* node = address.empty() ? nullptr : address.c_str();
  if (const int rc = getaddrinfo(node, service.c_str(), &hints, &list.head); rc != 0) {
    throw Error(ErrorKind::invalid_argument,
                "rendezvous bind address '" + address + "' does not resolve: " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  for (const addrinfo* ai = list.head; ai != nullptr; ai = ai->ai_next) {
    Socket s(::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol));
    if (!s.valid()) {
      last_error = errno_text(errno);
      continue;
    }
    const int one = 1;
    setsockopt(s.fd(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (::bind(s.fd(), ai->ai_addr, ai->ai_addrlen) != 0 || ::listen(s.fd(), 1024) != 0) {
      last_error = errno_text(errno);
      continue;
    }
    sockaddr_storage bound{};
    socklen_t len = sizeof bound;
    getsockname(s.fd(), reinterpret_cast<sockaddr*>(&bound), &len);
    *bound_port = bound.ss_family == AF_INET6
                      ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
    return s;
  }
  throw Error(ErrorKind::backend, "the rendezvous server cannot listen on " +
                                      join_host_port(address, port) + ": " + last_error);
}

std::string peer_address(int fd) {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return "";
  char text[INET6_ADDRSTRLEN] = "";
  if (addr.ss_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<sockaddr_in*>(&addr)->sin_addr, text, sizeof text);
  } else if (addr.ss_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<sockaddr_in6*>(&addr)->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace ringtail::rendezvous
