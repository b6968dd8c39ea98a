#pragma once
// The phases inside one host of the hierarchical algorithms, run through shared
// memory: a reduce-scatter and an allgather of shards laid out by offsets, as
// the ring steps (ring_steps.h) do them over sendrecv. A step costs a memcpy
// into the segment and one flag wait instead of n - 1 message exchanges, which
// leaves the cores to the cross-host phase and the TCP stack. Internal to the
// algorithms.
//
// Each rank has a slot of n areas in the segment, used in two halves of n
// half-areas: a step
// writes the half of its parity (SharedExchange::next_parity), so one flag
// wait per step is enough (a half is rewritten two steps later, after every
// rank has announced the step in between and so has finished reading it).

#include <chrono>
#include <cstddef>
#include <memory>
#include <vector>

#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/communicator.h"
#include "shared_exchange.h"

namespace ringtail::coll::detail {

// The call a phase belongs to, as the caller was called (the whole buffer's
// count, average rather than the sum it runs as): every rank compares it, with
// the phase's cut and step, at every step, and a disagreement fails every rank
// of the host with ErrorKind::mismatch.
struct PhaseCall {
  std::size_t count = 0;
  ReduceOp op = ReduceOp::sum;
};

class ShmHostPhases {
 public:
  // Collective over `local` (more than one rank, one machine, host memory).
  // Throws ErrorKind::unsupported on every rank when the segment cannot be made.
  ShmHostPhases(Communicator& local, std::size_t area_bytes, std::chrono::milliseconds timeout);

  // shards: n + 1 offsets (elements) cutting [0, count). Afterwards recv's shard
  // of this rank holds op over all ranks' send shards; recv's other shards are
  // untouched (send may equal recv). `op` is sum, prod, min or max.
  void reduce_scatter(const void* send, void* recv, const std::vector<std::size_t>& shards,
                      DataType type, ReduceOp op, const PhaseCall& call);
  // Every rank's shard of `buffer` (in place on that rank) lands in every rank's buffer.
  void allgather(void* buffer, const std::vector<std::size_t>& shards, DataType type,
                 const PhaseCall& call);

 private:
  unsigned char* half(int owner, unsigned parity) const;

  const int n_;
  const int rank_;
  const std::size_t part_bytes_;  // reduce-scatter: what one rank hands another per step
  const std::size_t half_bytes_;  // one parity's half of a rank's slot: n parts
  SharedExchange exchange_;
};

// The shm phases for a hierarchical algorithm built with `options`, or nullptr
// when its local phases run otherwise: another method was asked for, the host
// has one rank, the local communicator is on device memory, or the segment
// could not be made (the host's ranks then agree to use the ring, which
// `options` is changed to). Collective over the layout's local communicator.
// Throws ErrorKind::invalid_argument if the cross-host phase asks for shm.
std::unique_ptr<ShmHostPhases> make_shm_host_phases(HostLayout& hosts, AlgorithmOptions& options,
                                                   const char* algorithm);

}  // namespace ringtail::coll::detail
