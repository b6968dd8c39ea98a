#include "ringtail/collectives/registry.h"

#include "ringtail/collectives/error.h"

namespace ringtail::coll {

// Defined in the generated builtin_backends.cc: calls the register function of
// every backend this build has.
void register_builtin_backends(BackendRegistry& registry);

void BackendRegistry::add(const std::string& name, BackendFactory factory) {
  factories_[name] = std::move(factory);
}

bool BackendRegistry::contains(const std::string& name) const {
  return factories_.count(name) != 0;
}

std::vector<std::string> BackendRegistry::names() const {
  std::vector<std::string> out;
  for (const auto& entry : factories_) out.push_back(entry.first);
  return out;
}

std::unique_ptr<Communicator> BackendRegistry::create(const WorldOptions& options) const {
  auto it = factories_.find(options.backend);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& entry : factories_) known += (known.empty() ? "" : ", ") + entry.first;
    throw Error(ErrorKind::invalid_argument,
                "unknown backend '" + options.backend + "'; this build has: " +
                    (known.empty() ? std::string("none") : known));
  }
  auto world = it->second(options);
  world->set_check_across_ranks(options.check_across_ranks);
  return world;
}

const BackendRegistry& builtin_backends() {
  static const BackendRegistry registry = [] {
    BackendRegistry r;
    register_builtin_backends(r);
    return r;
  }();
  return registry;
}

std::unique_ptr<Communicator> create_world(const WorldOptions& options) {
  return builtin_backends().create(options);
}

}  // namespace ringtail::coll
