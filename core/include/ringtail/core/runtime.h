#pragma once
// ringtail's engine: the object framework threads hand named collectives to.
//
//   Runtime runtime(Config::from_environment());
//   TensorView grad{data, DataType::f32, {256, 128}};
//   Handle h = runtime.allreduce("layer1.weight.grad", grad, ReduceOp::average);
//   ...                      // more work; the reduction runs in the background
//   h.wait();                // rethrows a mismatch, a shutdown, a lost peer
//
// A Runtime owns one background thread. enqueue() is thread-safe and cheap (it
// validates the operation locally, queues it and wakes the thread); the
// background thread negotiates with the other ranks which operations every
// rank has submitted (controller.h describes the protocol), fuses small
// tensors, runs the collectives on the communicator and completes the handles.
// Every rank must create its Runtime over the same world and submit the same
// names; the order of submission does not matter.
//
// A Runtime is an ordinary object: tests create several, one after another.
// Destroying it (or shutdown()) stops the engine on every rank: operations not
// yet run complete with ErrorKind::shut_down. The destructor never throws.

#include <memory>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"
#include "ringtail/core/counters.h"
#include "ringtail/core/handle.h"
#include "ringtail/core/operation.h"
#include "ringtail/core/tuned_parameters.h"

namespace ringtail::core {

namespace detail {
class Engine;
}

struct ProcessSetInfo {
  ProcessSetId id = kGlobalProcessSet;
  std::vector<int> ranks;  // world ranks, ascending
  int rank = -1;           // this process's rank in the set; -1 when not a member
  int size() const { return static_cast<int>(ranks.size()); }
};

class Runtime {
 public:
  // Builds the world communicator from config.world (coll::create_world).
  explicit Runtime(const Config& config);
  // Uses `world`, which the runtime then owns and uses from its background
  // thread only (tests pass world.split(0, world.rank())). Collective: every
  // rank of `world` constructs its Runtime; the fusion threshold and cache
  // capacity must agree across ranks (Error(mismatch) otherwise).
  Runtime(const Config& config, std::unique_ptr<coll::Communicator> world);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  int rank() const noexcept;
  int size() const noexcept;
  const Config& config() const noexcept;

  // Queues one operation. Throws Error(invalid_argument) for a bad operation (no
  // name, a null buffer, a root outside the set, a name already in flight, a
  // rank that has joined) and Error(shut_down) after shutdown; everything that
  // needs the other ranks (mismatches, lost peers) arrives through the handle.
  Handle enqueue(Operation operation);
  // Queues several operations at once: they are negotiated in the same round on
  // this rank, so they run (and fuse) together. All or none are queued.
  std::vector<Handle> enqueue_group(std::vector<Operation> operations);

  // Shorthands for enqueue(); `tensor` is reduced or received in place.
  Handle allreduce(std::string name, const TensorView& tensor,
                   coll::ReduceOp op = coll::ReduceOp::average,
                   ProcessSetId set = kGlobalProcessSet);
  Handle allgather(std::string name, const TensorView& tensor,
                   ProcessSetId set = kGlobalProcessSet);
  Handle broadcast(std::string name, const TensorView& tensor, int root,
                   ProcessSetId set = kGlobalProcessSet);
  Handle barrier(std::string name, ProcessSetId set = kGlobalProcessSet);

  // This rank has run out of data: until every rank of the set has joined, the
  // other ranks' collectives complete with this rank standing in with zeros
  // (the identity of the reduction), and averages divide by the ranks that took
  // part. Completes on every rank when all have joined; its value() is the last
  // rank to join (its rank in the set; the highest if several joined in the
  // same round). No new operations may be submitted to the set meanwhile.
  Handle join_async(ProcessSetId set = kGlobalProcessSet);
  int join(ProcessSetId set = kGlobalProcessSet);

  // Collective over every rank of the world, in the same order everywhere:
  // creates a process set of `ranks` (world ranks) with its own communicator,
  // queue and negotiation, and returns its id.
  ProcessSetId add_process_set(std::vector<int> ranks);
  // Collective over every rank of the world. Operations still queued on the set
  // complete with ErrorKind::shut_down.
  void remove_process_set(ProcessSetId id);
  ProcessSetInfo process_set(ProcessSetId id = kGlobalProcessSet) const;

  Counters counters() const;
  // The fusion threshold, cycle time and allreduce algorithm in use, and where
  // autotuning (RINGTAIL_AUTOTUNE) stands; the configured values without it.
  TunedParameters tuned_parameters() const;
  // The last stall warning this rank logged (coordinators only); empty if none.
  std::string last_stall_report() const;

  // Stops the engine on every rank (see above). Idempotent, and safe to call
  // from several threads at once; returns once the background thread has
  // finished (a completion callback may call it too and returns at once).
  void shutdown() noexcept;
  // Whether the engine has stopped (after shutdown() here or on another rank, a
  // stall shutdown, or a communicator failure).
  bool is_shut_down() const noexcept;

 private:
  std::unique_ptr<detail::Engine> engine_;
};

}  // namespace ringtail::core
