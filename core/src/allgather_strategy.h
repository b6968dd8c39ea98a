#pragma once
// The seam between the executor and the allgather algorithms, as
// allreduce_strategy.h is for allreduce: the executor hands its packed buffer
// to run() and nothing else. One object per process set, built once (that is
// collective over the set's communicator), run many times.

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"

namespace ringtail::core::detail {

class AllgatherStrategy {
 public:
  virtual ~AllgatherStrategy() = default;
  // "native", "hierarchical" or "auto": the timeline names the collective
  // <backend>.<name>.allgather.
  virtual const std::string& name() const = 0;
  // As Communicator::allgatherv; `send` may be this rank's block of `recv`.
  virtual void run(const void* send, void* recv, const std::vector<std::size_t>& counts,
                   coll::DataType type) = 0;
};

// The algorithm RINGTAIL_ALLGATHER asks for, over `comm` (which must outlive
// it). `auto` is the size-based choice of collectives/algorithms when some
// host has several ranks and there is more than one host, and the backend's
// own allgather otherwise (so a layout is built only where it can be used).
std::unique_ptr<AllgatherStrategy> make_allgather_strategy(const Config& config,
                                                             coll::Communicator& comm);

}  // namespace ringtail::core::detail
