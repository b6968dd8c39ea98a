#pragma once
// The two halves of a ring allreduce, on any communicator, over sendrecv.
// Internal to the algorithms (ring and hierarchical allreduce and allgather use
// them). Host memory only: reductions run on this CPU with the project kernels.

#include <cstddef>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/data_type.h"

namespace ringtail::coll::detail {

// Reduce-scatter around the ring. Block j of the buffers is elements
// [offsets[j], offsets[j+1]); afterwards block rank() of `recv` holds the
// reduction of block rank() over all ranks. Other blocks of `recv` are
// overwritten with partial results. `send` is only read and may equal `recv`.
// Each step moves one block in segments of at most `segment_elems` elements:
// a segment arrives in `scratch` (grown as needed, kept by the caller) and is
// reduced while it is still in cache. `op` must not be average.
void ring_reduce_scatter(Communicator& comm, const void* send, void* recv,
                         const std::vector<std::size_t>& offsets, DataType type, ReduceOp op,
                         std::size_t segment_elems, std::vector<char>& scratch);

// Allgather around the ring, in place: block rank() of `buffer` is this rank's,
// afterwards every block is filled.
void ring_allgather(Communicator& comm, void* buffer, const std::vector<std::size_t>& offsets,
                    DataType type);

// The whole ring allreduce, segment by segment: segment s of every block goes
// through all reduce-scatter steps and then all allgather steps before segment
// s+1 starts (the chunk loop of NCCL's ring). The partial sums a step writes
// are read by the next step while still in the last-level cache, instead of
// after the whole block has gone through memory. With `average` each rank
// divides its own reduced elements once, before they travel on. The same bytes
// as reduce-scatter + allgather, in segments in both halves. `op` must not be
// average.
void ring_allreduce_segmented(Communicator& comm, const void* send, void* recv,
                              const std::vector<std::size_t>& offsets, DataType type, ReduceOp op,
                              std::size_t segment_elems, std::vector<char>& scratch,
                              bool average);

// The tag of ringtail's algorithm traffic, apart from the program's own
// point-to-point messages on the same communicator.
inline constexpr std::uint32_t kRingTag = 0x5254;  // "RT"

}  // namespace ringtail::coll::detail
