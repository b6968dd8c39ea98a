#pragma once
// The rendezvous server: a key-value store that ranks reach over TCP, every
// request authenticated with HMAC-SHA256 under the job's secret (protocol.h).
// ringtail-run runs one per job. One thread accepts connections and one thread
// serves each connection; a get or wait for a missing key blocks on a condition
// variable until the key is set, the request's timeout passes, or stop().
// Requests without a valid HMAC are refused, counted and logged.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace ringtail::rendezvous {

// A client that authenticated itself (its hello carried a valid HMAC).
struct PeerInfo {
  std::string address;   // the connection's remote IP address
  std::string hostname;  // what the client's gethostname() said
  std::uint32_t pid = 0;
};

class Server {
 public:
  // Listens on `bind_address` (an IP address or host name; "0.0.0.0" for every
  // interface) and `port` (0: any free port). Throws ringtail::Error when the
  // secret is empty or the address cannot be bound.
  Server(std::string bind_address, std::uint16_t port, std::string secret);
  ~Server();  // stops
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  std::uint16_t port() const;
  // Closes every connection, wakes every waiting request and joins the threads.
  // Idempotent.
  void stop();

  // Every client that said hello with a valid HMAC, in the order they did.
  std::vector<PeerInfo> peers() const;
  // How many requests were refused (bad or missing HMAC, replay, bad frame).
  std::uint64_t refused_requests() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ringtail::rendezvous
