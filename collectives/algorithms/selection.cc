#include "ringtail/collectives/algorithms/selection.h"

#include <algorithm>

namespace ringtail::coll {
namespace {

// Hierarchical pays off when some host has several ranks and there is more
// than one host: then the slow links between hosts carry less than the ring
// would put on them.
bool multi_host_with_local_ranks(const Topology* t) {
  if (t == nullptr || t->num_hosts() < 2) return false;
  return std::any_of(t->ranks_per_host.begin(), t->ranks_per_host.end(), [](int n) { return n > 1; });
}

}  // namespace

const SelectionThresholds& default_thresholds() {
  static const SelectionThresholds thresholds;
  return thresholds;
}

AllreduceKind choose_allreduce(std::size_t bytes, int world_size, const Topology* topology,
                               const SelectionThresholds& thresholds) {
  if (world_size <= 1) return AllreduceKind::native;
  if (multi_host_with_local_ranks(topology)) {
    return bytes >= thresholds.hierarchical_min_bytes ? AllreduceKind::hierarchical
                                                      : AllreduceKind::native;
  }
  if (topology != nullptr && topology->num_hosts() == 1 && bytes >= thresholds.shm_min_bytes) {
    return AllreduceKind::shm;
  }
  return bytes >= thresholds.ring_min_bytes ? AllreduceKind::ring : AllreduceKind::native;
}

AllgatherKind choose_allgather(std::size_t total_bytes, int world_size, const Topology* topology,
                               const SelectionThresholds& thresholds) {
  if (world_size > 1 && multi_host_with_local_ranks(topology) &&
      total_bytes >= thresholds.hierarchical_allgather_min_bytes) {
    return AllgatherKind::hierarchical;
  }
  return AllgatherKind::native;
}

}  // namespace ringtail::coll
