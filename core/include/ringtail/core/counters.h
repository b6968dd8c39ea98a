#pragma once
// What the engine has done so far, summed over its process sets. Read with
// Runtime::counters(); tests and benchmarks use them to see which path ran.

#include <cstdint>

namespace ringtail::core {

struct Counters {
  std::uint64_t rounds = 0;              // negotiation rounds, i.e. cycles (one allgather each)
  std::uint64_t coordinator_rounds = 0;  // rounds that went through rank 0 (the slow path)
  std::uint64_t cache_hits = 0;          // submissions found in the response cache
  std::uint64_t cache_misses = 0;        // submissions negotiated through rank 0
  std::uint64_t collectives = 0;         // data collectives run (a fused group counts once)
  std::uint64_t tensors = 0;             // operations completed successfully
  std::uint64_t fused_tensors = 0;       // tensors that shared a collective with others
  std::uint64_t bytes_fused = 0;         // bytes packed into the fusion buffer
  std::uint64_t errors = 0;              // operations completed with an error
  std::uint64_t stall_warnings = 0;      // stall warnings logged (coordinators only)
};

}  // namespace ringtail::core
