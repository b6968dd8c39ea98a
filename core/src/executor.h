#pragma once
// Runs a round's fused groups on a process set's communicator: packs inputs
// into the fusion buffer (applying prescale, or the reduction's identity for a
// rank that joined without the tensor), runs one collective, unpacks
// (applying the average's division and postscale) and records the phases for
// the timeline. Every rank of the set runs the same groups in the same order.
//
// A failure that only this rank sees (an output allocator that throws) is
// stored in the item and the rank still takes part in the collective, so the
// other ranks never hang; a communicator failure propagates to the engine.

#include <string>
#include <vector>

#include "allgather_strategy.h"
#include "allreduce_strategy.h"
#include "controller.h"
#include "fusion_buffer.h"
#include "fusion_plan.h"
#include "ringtail/collectives/communicator.h"
#include "timeline.h"

namespace ringtail::core::detail {

class Executor {
 public:
  Executor(coll::Communicator& comm, AllreduceStrategy& allreduce, AllgatherStrategy& allgather,
           FusionBuffer& fusion, FusionBuffer& scratch, EngineCounters& counters);

  // Where to append timeline spans (null: no timeline).
  void set_timeline(std::vector<Timeline::Span>* spans) { spans_ = spans; }

  // Runs one group of `run` responses.
  void run(std::vector<RoundItem>& items, const FusionGroup& group);

 private:
  using Clock = std::chrono::steady_clock;

  void allreduce(std::vector<RoundItem>& items, const FusionGroup& group);
  void broadcast(std::vector<RoundItem>& items, const FusionGroup& group);
  void allgather(std::vector<RoundItem>& items, const FusionGroup& group);
  void reducescatter(std::vector<RoundItem>& items, const FusionGroup& group);
  void alltoall(RoundItem& item);

  // Memory for a result whose shape negotiation decided; records it as the
  // handle's output. A throwing allocator sets item.error and returns null.
  void* result_memory(RoundItem& item, const Shape& shape);
  void tally(const FusionGroup& group, std::size_t bytes_packed);

  struct Phases {
    Clock::time_point start, packed, reduced, unpacked;
  };
  void record(const std::vector<RoundItem>& items, const FusionGroup& group, const Phases& t,
              const std::string& collective);
  std::string collective_name(const char* what) const;

  coll::Communicator& comm_;
  AllreduceStrategy& allreduce_;
  AllgatherStrategy& allgather_;
  FusionBuffer& fusion_;
  FusionBuffer& scratch_;
  EngineCounters& counters_;
  std::vector<Timeline::Span>* spans_ = nullptr;
  const std::string allreduce_name_;
  const std::string allgather_name_;
};

}  // namespace ringtail::core::detail
