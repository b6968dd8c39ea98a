#include "ringtail/torch/context.h"

#include <cstdlib>
#include <mutex>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"
#include "ringtail/collectives/registry.h"

namespace ringtail::torch {
namespace {

// The optional default instance, guarded so init()/shutdown() from several
// threads cannot race.
std::mutex g_default_mutex;
std::unique_ptr<Context> g_default;

}  // namespace

Context::Context(const core::Config& config) : Context(config, coll::create_world(config.world)) {}

Context::Context(const core::Config& config, std::unique_ptr<coll::Communicator> world) {
  log::set_level(config.log_level);
  log::set_rank(world->rank());
  topology_ = coll::discover_topology(*world, config.world.hostname);
  runtime_ = std::make_unique<core::Runtime>(config, std::move(world));
}

Context::~Context() = default;

void init() { init(core::Config::from_environment()); }

void init(const core::Config& config) {
  std::lock_guard<std::mutex> lock(g_default_mutex);
  if (g_default) return;
  g_default = std::make_unique<Context>(config);
  // A program may return from main() without calling shutdown(). Handlers run
  // in reverse order of registration, so this one, registered after the
  // backend's own (MPI registers its finalization when the world is built),
  // stops the engine while the backend still works.
  static std::once_flag registered;
  std::call_once(registered, [] { std::atexit([] { shutdown(); }); });
}

void shutdown() {
  std::unique_ptr<Context> ending;
  {
    std::lock_guard<std::mutex> lock(g_default_mutex);
    ending = std::move(g_default);
  }
}

bool is_initialized() {
  std::lock_guard<std::mutex> lock(g_default_mutex);
  return g_default != nullptr;
}

Context& default_context() {
  std::lock_guard<std::mutex> lock(g_default_mutex);
  if (!g_default) {
    throw Error(ErrorKind::invalid_argument,
                "ringtail::torch is not initialized: call ringtail::torch::init() first");
  }
  return *g_default;
}

int rank() { return default_context().rank(); }
int size() { return default_context().size(); }
int local_rank() { return default_context().local_rank(); }
int local_size() { return default_context().local_size(); }
int cross_rank() { return default_context().cross_rank(); }
int cross_size() { return default_context().cross_size(); }

}  // namespace ringtail::torch
