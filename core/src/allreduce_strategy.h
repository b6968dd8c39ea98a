#pragma once
// The seam between the executor and the allreduce algorithms: the executor
// hands a (fused) buffer to run() and nothing else, so the ring and
// hierarchical algorithms of collectives/algorithms plug in here without the
// executor changing. One object per process set, built once, run many times.

#include <cstddef>
#include <memory>
#include <string>

#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"

namespace ringtail::core::detail {

class AllreduceStrategy {
 public:
  virtual ~AllreduceStrategy() = default;
  // "native", "ring", ...: the timeline names the collective <backend>.<name>.allreduce.
  virtual const std::string& name() const = 0;
  // The algorithm that runs (never `automatic`: that resolves when built).
  virtual AllreduceAlgorithm algorithm() const = 0;
  // In place on `buffer`, which holds `count` elements on every rank. `op` is
  // never average (the executor divides itself, by the ranks that took part).
  virtual void run(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op) = 0;
};

// The algorithm RINGTAIL_ALLREDUCE asks for, over `comm` (which must outlive
// it). `auto` resolves here: the shared-memory allreduce when every rank of
// `comm` is on this host and holds host memory (and the segment can be made),
// the backend's own otherwise. Collective over `comm`.
std::unique_ptr<AllreduceStrategy> make_allreduce_strategy(const Config& config,
                                                             coll::Communicator& comm);

}  // namespace ringtail::core::detail
