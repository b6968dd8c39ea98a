#include "environment.h"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
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
  std::array<char, 4096> path{};
  if (rank_ == 0) {
    std::string pattern = (std::filesystem::temp_directory_path() / "ringtail-bench-XXXXXX").string();
    if (mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed for " + pattern);
    std::copy(pattern.begin(), pattern.end(), path.begin());
  }
  MPI_Bcast(path.data(), static_cast<int>(path.size()), MPI_CHAR, 0, MPI_COMM_WORLD);
  scratch_dir_ = path.data();
}

Environment::~Environment() {
  layouts_.clear();
  worlds_.clear();
  MPI_Barrier(MPI_COMM_WORLD);
  if (rank_ == 0) {
    std::error_code ignored;
    std::filesystem::remove_all(scratch_dir_, ignored);
  }
}

coll::Communicator& Environment::world(const std::string& backend) {
  auto it = worlds_.find(backend);
  if (it != worlds_.end()) return *it->second;
  coll::WorldOptions wo;
  wo.backend = backend;
  wo.rank = rank_;
  wo.size = size_;
  wo.hostname = hostname_;
  wo.timeout = std::chrono::seconds(600);
  wo.gloo_interface = options_.gloo_interface.empty() ? "127.0.0.1" : options_.gloo_interface;
  const std::string store = scratch_dir_ + "/" + backend + "-store";
  if (rank_ == 0) std::filesystem::create_directories(store);
  MPI_Barrier(MPI_COMM_WORLD);
  wo.file_store_path = store;
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
