// Ring allreduce: reduce-scatter then allgather around the ring of ranks, over
// sendrecv, so it runs on any backend, one segment at a time (ring_steps.h).
// Each rank sends and receives 2 (n-1)/n of the buffer, the minimum for an
// allreduce, and every link of the ring is busy at every step.
#include <algorithm>
#include <cstring>

#include "implementations.h"
#include "partition.h"
#include "ring_steps.h"

namespace ringtail::coll::detail {
namespace {

class RingAllreduce final : public AllreduceAlgorithm {
 public:
  RingAllreduce(Communicator& comm, const AlgorithmOptions& options)
      : comm_(comm), segment_bytes_(options.effective_segment_bytes()) {
    require_host_memory(comm, "ring allreduce");
  }
  std::string_view name() const noexcept override { return "ring"; }

 protected:
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    if (count == 0) return;
    const std::size_t esize = size_of(type);
    const int n = comm_.size();
    if (n == 1) {
      if (send != recv) std::memcpy(recv, send, count * esize);
      return;
    }
    even_offsets(offsets_, count, n);
    const bool average = op == ReduceOp::average;
    // Averaging only this rank's reduced elements, before the allgather,
    // divides each element once instead of n times.
    ring_allreduce_segmented(comm_, send, recv, offsets_, type, average ? ReduceOp::sum : op,
                             std::max<std::size_t>(1, segment_bytes_ / esize), scratch_, average);
  }

 private:
  Communicator& comm_;
  std::size_t segment_bytes_;
  std::vector<std::size_t> offsets_;
  std::vector<char> scratch_;
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_ring_allreduce(Communicator& world,
                                                        const AlgorithmOptions& options) {
  return std::make_unique<RingAllreduce>(world, options);
}

}  // namespace ringtail::coll::detail
