#pragma once
// Which ranks share a host, and the communicators the hierarchical algorithms
// run on: one inside this host, and "piece" communicators that connect the hosts.
//
// Hosts may have different numbers of ranks. Each host cuts the buffer into
// local_size equal shards, one per local rank (shard i is the fraction
// [i/L, (i+1)/L) of the buffer). Laying every host's cuts over each other gives
// the pieces: the intervals between consecutive cut points of all hosts. A piece
// lies inside exactly one shard of every host, so it has exactly one owner per
// host, and the owners of a piece (one rank per host) get a communicator. With
// equal hosts the pieces are the shards and the piece communicators are the
// usual "same local rank" cross communicators; with 4 ranks beside 8, each rank
// of the 4-rank host owns two pieces and every byte still crosses between hosts
// once per direction, spread over all ranks (docs/architecture.md).
//
// Built once per world (collectively, with split()); shared by every algorithm
// on that world.

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::coll {

// A point of the buffer as an exact fraction; at(count) is the element index
// floor(num * count / den), so every rank cuts a buffer at the same elements.
struct Fraction {
  std::int64_t num = 0;
  std::int64_t den = 1;
  std::size_t at(std::size_t count) const;
  bool operator<(const Fraction& other) const;
  bool operator==(const Fraction& other) const;
};

class HostLayout {
 public:
  // One piece this rank owns, with the communicator of its owners (one rank per
  // host, ordered by host index; nullptr when there is a single host).
  struct Piece {
    Fraction begin;
    Fraction end;
    Communicator* comm = nullptr;
  };

  // Collective over `world`. `hostname` names this rank's host (empty:
  // gethostname()). `local_world` and `cross_world`, when given, are other
  // communicators over the same ranks in the same order (possibly other
  // backends): the communicator inside the host is split from local_world, the
  // piece communicators from cross_world. The layout keeps no reference to the
  // worlds; the communicators it made are its own.
  static std::shared_ptr<HostLayout> create(Communicator& world, const std::string& hostname,
                                            Communicator* local_world = nullptr,
                                            Communicator* cross_world = nullptr);

  const Topology& topology() const noexcept { return topology_; }
  int num_hosts() const noexcept { return topology_.num_hosts(); }
  // Ranks on this host, this rank among them (a communicator of size 1 when alone).
  Communicator& local() noexcept { return *local_; }
  // The pieces this rank owns, in buffer order; together they cover its shard.
  const std::vector<Piece>& pieces() const noexcept { return pieces_; }
  // Every host's ranks, in world-rank order (host-major order of the hosts).
  const std::vector<std::vector<int>>& ranks_of_host() const noexcept { return ranks_of_host_; }
  // True when every host's ranks are consecutive world ranks and hosts come in
  // rank order, so "host-major" order is world-rank order.
  bool hosts_contiguous() const noexcept { return hosts_contiguous_; }

 private:
  HostLayout() = default;

  Topology topology_;
  std::unique_ptr<Communicator> local_;
  std::vector<std::unique_ptr<Communicator>> piece_comms_;
  std::vector<Piece> pieces_;
  std::vector<std::vector<int>> ranks_of_host_;
  bool hosts_contiguous_ = true;
};

}  // namespace ringtail::coll
