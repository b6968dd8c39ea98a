#pragma once
// Backends register by name; the choice is made at run time by name. The
// registry is an ordinary object: builtin_backends() is the default instance
// holding the backends this build has, and tests or embedders may make their own.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/world_options.h"

namespace ringtail::coll {

using BackendFactory = std::function<std::unique_ptr<Communicator>(const WorldOptions&)>;

class BackendRegistry {
 public:
  void add(const std::string& name, BackendFactory factory);
  bool contains(const std::string& name) const;
  std::vector<std::string> names() const;
  // Throws ErrorKind::invalid_argument naming the backends that exist when
  // `options.backend` is not one of them.
  std::unique_ptr<Communicator> create(const WorldOptions& options) const;

 private:
  std::map<std::string, BackendFactory> factories_;
};

// The backends compiled into this build ("mpi", "gloo", "nccl" when found).
const BackendRegistry& builtin_backends();

// builtin_backends().create(options).
std::unique_ptr<Communicator> create_world(const WorldOptions& options);

}  // namespace ringtail::coll
