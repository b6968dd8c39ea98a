#pragma once
// The meeting place of the ranks of one machine that exchange data through
// memory (the shm allreduce, the shm phases of the hierarchical allreduce): one
// shared segment holding a control block per rank and a payload region, and the
// steps the ranks take together. A rank announces a step once everything it
// wrote for that step is in the segment, and waits until every rank announced
// it (shared_flag.h: a short spin, then a futex sleep). Internal to the
// algorithms.
//
// Each step can carry a description of the call (count, dtype, op, which
// collective): ranks that disagree all fail with ErrorKind::mismatch at that
// step and the exchange stays usable. A rank that does not arrive within the
// timeout fails the others with ErrorKind::timeout, after which the exchange
// refuses use (the ranks no longer agree on the step).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "ringtail/collectives/communicator.h"
#include "shared_segment.h"

namespace ringtail::coll::detail {

// What a rank says it is doing at a step; ranks compare them.
struct CallDescription {
  std::uint64_t count = 0;
  std::uint32_t type_and_op = 0;  // dtype, op and collective packed by describe()
  std::uint32_t shape = 0;        // whatever else must agree (a hash of the cut, the step's index)
};

class SharedExchange {
 public:
  // Collective over `comm` (all on one machine, host memory). `payload_bytes`
  // must agree across ranks. `what` names the algorithm in error messages.
  SharedExchange(Communicator& comm, std::size_t payload_bytes, std::chrono::milliseconds timeout,
                 const char* what);

  int size() const noexcept { return n_; }
  int rank() const noexcept { return rank_; }
  unsigned char* payload() const noexcept { return payload_; }
  // The step the next arrive() announces, mod 2: lets callers double-buffer.
  // Whatever a rank wrote for step s is read by the others before they announce
  // step s + 1, so a region used at every other step can be rewritten once this
  // rank's wait for step s + 1 returned.
  unsigned next_parity() const noexcept { return (step_ + 1) & 1U; }

  // Announces the next step and waits for every rank to announce it.
  void arrive_and_wait() { step(nullptr); }
  // The same, saying what call this step belongs to; throws ErrorKind::mismatch
  // (on every rank) when the ranks' descriptions differ. A caller that
  // describes some steps of a call and not others must make every rank
  // describe the same steps (a step without a description leaves its slot as
  // it was); the phases describe every step.
  void arrive_and_wait(const CallDescription& call) { step(&call); }

  // dtype, op and collective in one word (collective: a small tag per caller).
  static CallDescription describe(std::size_t count, DataType type, ReduceOp op, unsigned collective,
                                  std::uint32_t shape = 0);

 private:
  struct Control;
  Control* control(int i) const;
  void step(const CallDescription* call);
  [[noreturn]] void fail_mismatch(int other, const CallDescription& mine,
                                  const CallDescription& theirs) const;

  const int n_;
  const int rank_;
  const std::chrono::milliseconds timeout_;
  const char* const what_;
  // More ranks than cores: waiting ranks hand their core over before sleeping.
  const bool cores_shared_;
  std::unique_ptr<SharedSegment> segment_;
  unsigned char* payload_ = nullptr;
  std::uint32_t step_ = 0;  // wraps; flags compare with wrapping arithmetic
  bool broken_ = false;
};

}  // namespace ringtail::coll::detail
