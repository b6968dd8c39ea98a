#pragma once
// An InferenceServer on 127.0.0.1 and an ephemeral port, serving on its own
// thread for the life of the object, and a cpp-httplib client for it.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "ringtail/pets/serve/server.h"

namespace ringtail_test {

class RunningServer {
 public:
  RunningServer(ringtail::pets::serve::ModelConfig config, ringtail::pets::serve::ServerOptions options)
      : server_(std::move(config), with_loopback(std::move(options))) {
    port_ = server_.bind();
    thread_ = std::thread([this] { server_.serve(); });
  }
  ~RunningServer() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  RunningServer(const RunningServer&) = delete;
  RunningServer& operator=(const RunningServer&) = delete;

  ringtail::pets::serve::InferenceServer& server() { return server_; }
  int port() const { return port_; }
  // Waits for serve() to return (after stop()).
  void join() {
    if (thread_.joinable()) thread_.join();
  }

  std::unique_ptr<httplib::Client> client() const {
    auto c = std::make_unique<httplib::Client>("127.0.0.1", port_);
    c->set_connection_timeout(10);
    c->set_read_timeout(60);
    c->set_write_timeout(10);
    return c;
  }

  httplib::Result post(const std::string& path, const std::vector<std::uint8_t>& body,
                       const std::string& content_type) const {
    return client()->Post(path.c_str(), reinterpret_cast<const char*>(body.data()), body.size(),
                          content_type.c_str());
  }
  httplib::Result post(const std::string& path, const std::string& body,
                       const std::string& content_type) const {
    return client()->Post(path.c_str(), body, content_type.c_str());
  }
  httplib::Result get(const std::string& path) const { return client()->Get(path.c_str()); }

 private:
  static ringtail::pets::serve::ServerOptions with_loopback(ringtail::pets::serve::ServerOptions o) {
    o.host = "127.0.0.1";
    o.port = 0;
    return o;
  }

  ringtail::pets::serve::InferenceServer server_;
  int port_ = 0;
  std::thread thread_;
};

inline nlohmann::json body_json(const httplib::Result& result) {
  return nlohmann::json::parse(result->body);
}

// Sends `request` as it is over a new loopback connection and returns every
// byte of the answer (up to the server's close), for requests that an HTTP
// client library would not send. Empty when the connection fails.
inline std::string raw_exchange(int port, const std::string& request) {
  const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return {};
  timeval timeout{30, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<std::uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  std::string answer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0 &&
      ::send(fd, request.data(), request.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(request.size())) {
    char buffer[4096];
    ssize_t n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0) answer.append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return answer;
}

}  // namespace ringtail_test
