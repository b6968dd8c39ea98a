#pragma once
// Numbers about the machine measured in the same run as the sweep: memory copy
// bandwidth (the bound a one-host allreduce cannot beat) and, for --model, the
// alpha-beta constants of the links and the reduction rate.

#include <cstddef>

#include "cost_model.h"
#include "environment.h"

namespace ringtail::bench {

struct CopyBandwidth {
  double one_rank = 0;   // bytes/s, read + write counted, one rank copying alone
  double all_ranks = 0;  // bytes/s, all ranks of this host copying at once, summed
};

// Collective. memcpy of `bytes` (best of three).
CopyBandwidth measure_copy_bandwidth(Environment& env, std::size_t bytes);

// The shortest time an allreduce of `bytes` per rank can take on one host whose
// ranks copy at `all_ranks` bytes/s together: every rank reads its input and
// writes its output once, 2 * ranks * bytes through memory.
double allreduce_memory_bound_seconds(std::size_t bytes, int ranks, double all_ranks);

// Collective. Point-to-point exchanges over the ringtail world of `backend`
// (sendrecv, as the ring uses them) inside a host and between hosts, one flow
// and all of a host's ranks at once, and the reduction kernel's rate with every
// rank reducing. The pairwise exchanges between hosts (the hierarchical cross
// phase) run over `cross_backend` when it is not empty.
MachineCost measure_machine_cost(Environment& env, const std::string& backend,
                                 const std::string& cross_backend, std::size_t max_bytes);

}  // namespace ringtail::bench
