#pragma once
// What `auto` chooses. The thresholds live here and nowhere else; the numbers
// come from ringtail-bench sweeps (docs/performance.md, "Choosing an algorithm").

#include <cstddef>

#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::coll {

struct SelectionThresholds {
  // One host (or one rank per host): the ring from this many bytes per rank up;
  // below, the backend's own allreduce (its latency-optimal trees and recursive
  // doubling win while messages are small).
  std::size_t ring_min_bytes = std::size_t{1} << 20;
  // Every rank on one known host: the shared-memory allreduce from this many
  // bytes up (below, the backend's own).
  std::size_t shm_min_bytes = 0;
  // Several hosts with several ranks on some host: hierarchical from this many
  // bytes up (the local phases cost one more round of latency, repaid once the
  // bytes saved on the slow links dominate).
  std::size_t hierarchical_min_bytes = std::size_t{1} << 20;
  // Allgather: hierarchical from this many bytes of result up.
  std::size_t hierarchical_allgather_min_bytes = std::size_t{1} << 20;
};

const SelectionThresholds& default_thresholds();

// Whether a hierarchical algorithm can move less between hosts than a flat
// one: several hosts, and some host with several ranks.
bool hierarchical_can_help(const Topology& topology);

// `topology` may be null (unknown: one host assumed for the ring, never shm,
// which would fail across hosts). Never returns automatic.
AllreduceKind choose_allreduce(std::size_t bytes, int world_size, const Topology* topology,
                               const SelectionThresholds& thresholds = default_thresholds());
AllgatherKind choose_allgather(std::size_t total_bytes, int world_size, const Topology* topology,
                               const SelectionThresholds& thresholds = default_thresholds());

}  // namespace ringtail::coll
