#pragma once
// The adapter's state: the engine (core::Runtime) and this rank's place in the
// topology. A Context is an ordinary object; init() creates the optional
// default instance that the free functions of ringtail::torch use, and tests
// or programs that want several build their own.

#include <memory>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/topology.h"
#include "ringtail/core/config.h"
#include "ringtail/core/runtime.h"

namespace ringtail::torch {

class Context {
 public:
  // Builds the world from config.world (backend chosen by name).
  explicit Context(const core::Config& config);
  // Uses `world`, which the context's engine then owns.
  Context(const core::Config& config, std::unique_ptr<coll::Communicator> world);
  ~Context();

  int rank() const noexcept { return topology_.rank; }
  int size() const noexcept { return topology_.size; }
  int local_rank() const noexcept { return topology_.local_rank; }
  int local_size() const noexcept { return topology_.local_size; }
  int cross_rank() const noexcept { return topology_.cross_rank; }
  int cross_size() const noexcept { return topology_.cross_size; }
  const coll::Topology& topology() const noexcept { return topology_; }

  core::Runtime& runtime() noexcept { return *runtime_; }

  // Expires when this context is destroyed: objects that keep a Context&
  // (DistributedOptimizer) check it, so using them after shutdown() is an
  // error instead of a use of freed memory.
  std::weak_ptr<const void> lifetime() const noexcept { return alive_; }

 private:
  coll::Topology topology_;
  std::unique_ptr<core::Runtime> runtime_;
  std::shared_ptr<const void> alive_ = std::make_shared<int>(0);
};

// The default instance. init() reads the configuration from the environment
// (core::Config::from_environment) and is idempotent; shutdown() ends it.
void init();
void init(const core::Config& config);
void shutdown();
bool is_initialized();
// The default context; throws Error(invalid_argument) when init() was not called.
Context& default_context();

int rank();
int size();
int local_rank();
int local_size();
int cross_rank();
int cross_size();

}  // namespace ringtail::torch
