#pragma once
// The key-value store the gloo backend meets its peers through: a directory on a
// shared file system (gloo's FileStore) or a ringtail rendezvous server.
//
// Beyond gloo's Store interface a rendezvous store can say, without blocking,
// whether a key is there, so a rendezvous that times out can name the ranks
// that never arrived instead of only saying "timeout".

#include <gloo/rendezvous/store.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ringtail/collectives/world_options.h"

namespace ringtail::coll::gloo_backend {

class RendezvousStore : public ::gloo::rendezvous::Store {
 public:
  // Whether every key is present, without waiting.
  virtual bool contains(const std::vector<std::string>& keys) = 0;
  // For error messages: "file store /shared/job" or "rendezvous server host:port".
  virtual std::string describe() const = 0;

  using ::gloo::rendezvous::Store::wait;
  void wait(const std::vector<std::string>& keys) override { wait(keys, kDefaultTimeout); }
};

// Keys under `prefix` + "/" of another store; worlds and their splits each get
// their own prefix so their keys never collide.
class PrefixedStore final : public RendezvousStore {
 public:
  PrefixedStore(std::shared_ptr<RendezvousStore> base, std::string prefix);

  void set(const std::string& key, const std::vector<char>& data) override;
  std::vector<char> get(const std::string& key) override;
  void wait(const std::vector<std::string>& keys,
            const std::chrono::milliseconds& timeout) override;
  bool contains(const std::vector<std::string>& keys) override;
  std::string describe() const override;

  const std::string& prefix() const { return prefix_; }

 private:
  std::vector<std::string> full(const std::vector<std::string>& keys) const;

  std::shared_ptr<RendezvousStore> base_;
  std::string prefix_;
};

// gloo's FileStore in a directory that must exist and be shared by every rank.
std::shared_ptr<RendezvousStore> make_file_store(const std::string& directory);

// A store on the ringtail rendezvous server at "host:port" (tcp_store.cc, or
// tcp_store_unavailable.cc in builds without the rendezvous client).
std::shared_ptr<RendezvousStore> make_tcp_store(const std::string& address,
                                                const std::string& secret,
                                                std::chrono::milliseconds timeout);

// The store WorldOptions ask for; throws ErrorKind::invalid_argument naming the
// environment variables when none or both are configured.
std::shared_ptr<RendezvousStore> make_store(const WorldOptions& options);

}  // namespace ringtail::coll::gloo_backend
