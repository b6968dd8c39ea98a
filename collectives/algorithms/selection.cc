#include "ringtail/collectives/algorithms/selection.h"

#include <algorithm>

namespace ringtail::coll {
// Then the slow links between hosts carry less than the ring would put on them.
bool hierarchical_can_help(const Topology& t) {
  return t.num_hosts() > 1 &&
         std::any_of(t.ranks_per_host.begin(), t.ranks_per_host.end(), [](int n) { return n > 1; });
}

const SelectionThresholds& default_thresholds() {
  static const SelectionThresholds thresholds;
  return thresholds;
}

AllreduceKind choose_allreduce(std::size_t bytes, int world_size, const Topology* topology,
                               const SelectionThresholds& thresholds) {
  if (world_size <= 1) return AllreduceKind::native;
  if (topology != nullptr && hierarchical_can_help(*topology)) {
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
  if (world_size > 1 && topology != nullptr && hierarchical_can_help(*topology) &&
      total_bytes >= thresholds.hierarchical_allgather_min_bytes) {
    return AllgatherKind::hierarchical;
  }
  return AllgatherKind::native;
}

}  // namespace ringtail::coll
