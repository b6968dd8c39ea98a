#pragma once
// Where every rank runs: hosts, local and cross ranks, and the communicators
// derived from them with split(). Hosts may have different numbers of ranks
// (a 4-GPU p3.8xlarge beside an 8-GPU p4d.24xlarge).

#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"

namespace ringtail::coll {

struct Topology {
  int rank = 0;
  int size = 1;
  int local_rank = 0;   // index among the ranks on this host, in rank order
  int local_size = 1;   // ranks on this host
  int cross_rank = 0;   // index of this host among the hosts that have local_rank
  int cross_size = 1;   // hosts that have a rank with this local_rank
  int host = 0;         // index of this host, hosts numbered by their lowest rank
  std::string hostname;
  std::vector<int> host_of_rank;     // size entries
  std::vector<int> ranks_per_host;   // one entry per host
  int num_hosts() const { return static_cast<int>(ranks_per_host.size()); }
  bool homogeneous() const;          // every host has the same number of ranks
};

// Collective over `world`: exchanges host names and derives the topology.
// An empty `hostname` means gethostname().
Topology discover_topology(Communicator& world, const std::string& hostname);

// local(): the ranks on this host; cross(): the ranks with this local rank, one
// per host.
struct TopologyCommunicators {
  Topology topology;
  std::unique_ptr<Communicator> local;
  std::unique_ptr<Communicator> cross;
};

TopologyCommunicators split_by_host(Communicator& world, const std::string& hostname);

}  // namespace ringtail::coll
