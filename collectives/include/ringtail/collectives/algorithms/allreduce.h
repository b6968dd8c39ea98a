#pragma once
// Allreduce algorithms: small objects built once per (communicator, layout) and
// run many times. run() is the hot path: it allocates nothing once its scratch
// space has grown to the largest message seen.
//
//   auto hosts = HostLayout::create(world, "");              // once, collective
//   auto allreduce = make_allreduce(AllreduceKind::automatic, world, hosts);
//   allreduce->run(send, recv, count, DataType::f32, ReduceOp::average);
//
// Every rank of the world calls run() with the same count, dtype and op, in the
// same order as its other collectives on these communicators (as with MPI).
// Building shm, hierarchical and auto objects is collective too (they map a
// shared-memory segment with the other ranks of their host): every rank builds
// the same algorithms in the same order. The
// algorithm keeps references to `world` and shares ownership of the layout; the
// caller keeps `world` alive while the algorithm exists.

#include <cstddef>
#include <memory>
#include <string_view>

#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/algorithms/options.h"
#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/data_type.h"

namespace ringtail::coll {

class AllreduceAlgorithm {
 public:
  virtual ~AllreduceAlgorithm();
  AllreduceAlgorithm(const AllreduceAlgorithm&) = delete;
  AllreduceAlgorithm& operator=(const AllreduceAlgorithm&) = delete;

  // "native", "ring", "hierarchical" or "auto".
  virtual std::string_view name() const noexcept = 0;

  // recv may equal send (in place); otherwise the buffers must not overlap.
  // Validates like Communicator::allreduce (null buffers, op for dtype), then runs.
  // `average` divides by the world size (truncating for integers).
  void run(const void* send, void* recv, std::size_t count, DataType type, ReduceOp op);
  void run(void* buffer, std::size_t count, DataType type, ReduceOp op) {
    run(buffer, buffer, count, type, op);
  }

 protected:
  AllreduceAlgorithm() = default;
  virtual void do_run(const void* send, void* recv, std::size_t count, DataType type,
                      ReduceOp op) = 0;
};

// `hosts` is needed for hierarchical (ErrorKind::invalid_argument without it);
// for automatic it lets the choice see the topology (without it, automatic
// chooses among the flat algorithms). Ring and hierarchical need host memory.
std::unique_ptr<AllreduceAlgorithm> make_allreduce(AllreduceKind kind, Communicator& world,
                                                   std::shared_ptr<HostLayout> hosts = nullptr,
                                                   const AlgorithmOptions& options = {});

}  // namespace ringtail::coll
