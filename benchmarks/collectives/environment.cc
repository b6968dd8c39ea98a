#include "environment.h"

#include <unistd.h>

#include <array>
#include <vector>

#include "ringtail/collectives/registry.h"

namespace ringtail::bench {
namespace {

std::string this_hostname() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

}  // namespace

Environment::Environment(const Options& options) : options_(options) {
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (options.ranks_per_fake_host > 0) {
    hostname_ = "benchhost" + std::to_string(rank_ / options.ranks_per_fake_host);
  } else {
    hostname_ = options.hostname.empty() ? this_hostname() : options.hostname;
  }
}

Environment::~Environment() {
  // Before the scratch directory goes: the gloo worlds' stores live in it.
  layouts_.clear();
  worlds_.clear();
}

coll::Communicator& Environment::world(const std::string& backend) {
  auto it = worlds_.find(backend);
  if (it != worlds_.end()) return *it->second;
  coll::WorldOptions wo = job_world_options(backend, scratch_);
  wo.hostname = hostname_;
  wo.timeout = std::chrono::seconds(600);
  if (!options_.gloo_interface.empty()) wo.gloo_interface = options_.gloo_interface;
  auto world = coll::create_world(wo);
  return *worlds_.emplace(backend, std::move(world)).first->second;
}

std::shared_ptr<coll::HostLayout> Environment::layout(const std::string& backend) {
  auto it = layouts_.find(backend);
  if (it != layouts_.end()) return it->second;
  coll::Communicator& w = world(backend);
  coll::Communicator* local = options_.local_backend.empty() ? nullptr : &world(options_.local_backend);
  coll::Communicator* cross = options_.cross_backend.empty() ? nullptr : &world(options_.cross_backend);
  auto layout = coll::HostLayout::create(w, hostname_, local, cross);
  layouts_.emplace(backend, layout);
  return layout;
}

int Environment::num_hosts() {
  // The topology does not depend on the backend; reuse any layout.
  const std::string backend = options_.backends.empty() ? "mpi" : options_.backends.front();
  return layout(backend)->num_hosts();
}

double Environment::max_over_ranks(double v) const {
  double out = v;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return out;
}

double Environment::sum_over_ranks(double v) const {
  double out = v;
  MPI_Allreduce(&v, &out, 1, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD);
  return out;
}

}  // namespace ringtail::bench
