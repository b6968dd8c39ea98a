#pragma once
// A rank's connection to the rendezvous server (server.h). The gloo backend's
// store adapter is built on it; the address and secret come from core::Config
// (RINGTAIL_RENDEZVOUS_ADDR, RINGTAIL_RENDEZVOUS_SECRET), never from here.
// Every request and every response is authenticated (protocol.h). Calls are
// serialized; one Client may be shared by threads.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ringtail::rendezvous {

struct Endpoint {
  std::string host;
  std::uint16_t port = 0;
};

// Parses "host:port" or "[ipv6]:port"; throws ringtail::Error (invalid_argument)
// naming the text when it is not one.
Endpoint parse_endpoint(const std::string& text);

class Client {
 public:
  // Connects (retrying while the server is not yet listening) and says hello.
  // `timeout` bounds the connection and is the timeout of get(). Throws
  // ringtail::Error: timeout when the server cannot be reached in time,
  // invalid_argument when the server refuses the secret.
  Client(std::string host, std::uint16_t port, std::string secret,
         std::chrono::milliseconds timeout);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void set(const std::string& key, const std::vector<char>& value);
  // Blocks until the key exists or the constructor's timeout passes: throws
  // ringtail::Error(ErrorKind::timeout) naming the key.
  std::vector<char> get(const std::string& key);
  // Blocks until every key exists or `timeout` passes: throws
  // ringtail::Error(ErrorKind::timeout) naming the missing keys.
  void wait(const std::vector<std::string>& keys, std::chrono::milliseconds timeout);
  // Whether every key exists now; does not block.
  bool check(const std::vector<std::string>& keys);
  // Adds `delta` to the integer stored at `key` (0 when absent) and returns the
  // new value; the value is stored as decimal text, readable with get().
  std::int64_t add(const std::string& key, std::int64_t delta);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringtail::rendezvous
