// The gloo store over ringtail's rendezvous server (collectives/rendezvous):
// what ringtail-run starts for jobs without a shared file system.
#include <gloo/common/error.h>

#include "rendezvous_store.h"
#include "ringtail/collectives/error.h"
#include "ringtail/rendezvous/client.h"

namespace ringtail::coll::gloo_backend {
namespace {

class TcpStore final : public RendezvousStore {
 public:
  // The client serializes its calls itself; it may be shared by threads.
  TcpStore(const rendezvous::Endpoint& where, const std::string& secret,
           std::chrono::milliseconds timeout, std::string address)
      : client_(where.host, where.port, secret, timeout), address_(std::move(address)) {}

  void set(const std::string& key, const std::vector<char>& data) override {
    client_.set(key, data);
  }

  std::vector<char> get(const std::string& key) override { return client_.get(key); }

  // Throws ringtail::Error(timeout) naming the missing keys.
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override {
    client_.wait(keys, timeout);
  }

  bool contains(const std::vector<std::string>& keys) override { return client_.check(keys); }

  std::string describe() const override { return "rendezvous server " + address_; }

 private:
  rendezvous::Client client_;
  std::string address_;
};

}  // namespace

std::shared_ptr<RendezvousStore> make_tcp_store(const std::string& address,
                                                const std::string& secret,
                                                std::chrono::milliseconds timeout) {
  rendezvous::Endpoint where;
  try {
    where = rendezvous::parse_endpoint(address);
  } catch (const Error& e) {
    throw Error(ErrorKind::invalid_argument,
                std::string("gloo: RINGTAIL_RENDEZVOUS_ADDR: ") + e.what());
  }
  try {
    return std::make_shared<TcpStore>(where, secret, timeout, address);
  } catch (const Error& e) {
    throw Error(e.kind(), "gloo: cannot reach the rendezvous server at " + address +
                              " (RINGTAIL_RENDEZVOUS_ADDR): " + e.what());
  }
}

}  // namespace ringtail::coll::gloo_backend
