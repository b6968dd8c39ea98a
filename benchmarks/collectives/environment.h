#pragma once
// What one ringtail-bench run works with: the MPI job that launched it, a
// ringtail world per backend, the host layout, and a scratch directory every
// rank can reach (Gloo's file-store rendezvous).

#include <mpi.h>

#include <map>
#include <memory>
#include <string>

#include "options.h"
#include "ringtail/bench/mpi_job.h"
#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/communicator.h"

namespace ringtail::bench {

class Environment {
 public:
  // Collective over MPI_COMM_WORLD (MPI must be initialized).
  explicit Environment(const Options& options);
  ~Environment();
  Environment(const Environment&) = delete;
  Environment& operator=(const Environment&) = delete;

  int rank() const { return rank_; }
  int size() const { return size_; }
  MPI_Comm mpi() const { return MPI_COMM_WORLD; }
  const std::string& hostname() const { return hostname_; }
  // A directory made by rank 0 for this run, removed at the end.
  const std::string& scratch_dir() const { return scratch_.path(); }
  const Options& options() const { return options_; }

  // The ringtail world of `backend`, built on first use (collective).
  coll::Communicator& world(const std::string& backend);
  // The host layout over `backend`'s world (local and cross parts from
  // --local-backend / --cross-backend when given); built on first use.
  std::shared_ptr<coll::HostLayout> layout(const std::string& backend);
  int num_hosts();

  void barrier() const { MPI_Barrier(MPI_COMM_WORLD); }
  double max_over_ranks(double v) const;
  double sum_over_ranks(double v) const;

 private:
  const Options& options_;
  int rank_ = 0;
  int size_ = 1;
  std::string hostname_;
  ScratchDir scratch_;  // declared before the worlds: it outlives their stores
  std::map<std::string, std::unique_ptr<coll::Communicator>> worlds_;
  std::map<std::string, std::shared_ptr<coll::HostLayout>> layouts_;
};

}  // namespace ringtail::bench
