#include "shared_exchange.h"

#include <new>
#include <string>
#include <thread>

#include "ringtail/collectives/error.h"
#include "shared_flag.h"

namespace ringtail::coll::detail {
namespace {

using Clock = std::chrono::steady_clock;

// One cache line pair per rank, so a rank's writes never evict a line that a
// spinning peer reads (adjacent-line prefetch pulls pairs).
constexpr std::size_t kControlBytes = 128;
constexpr std::size_t kPayloadAlign = 64;

std::string described(const CallDescription& call) {
  return std::to_string(call.count) + " x " +
         std::string(to_string(static_cast<DataType>(call.type_and_op >> 16 & 0xFF)));
}

}  // namespace

// Written by its rank, read by all. The description of step s sits in slot
// s mod 2: a rank rewrites it at step s + 2, after every rank announced s + 1,
// which each does only after reading it.
struct SharedExchange::Control {
  SharedFlag flag;
  CallDescription calls[2];
  static_assert(sizeof(SharedFlag) + 2 * sizeof(CallDescription) <= kControlBytes);
};

SharedExchange::SharedExchange(Communicator& comm, std::size_t payload_bytes,
                               std::chrono::milliseconds timeout, const char* what)
    : n_(comm.size()),
      rank_(comm.rank()),
      timeout_(timeout),
      what_(what),
      cores_shared_(n_ > static_cast<int>(std::thread::hardware_concurrency())) {
  const std::size_t payload = (payload_bytes + kPayloadAlign - 1) / kPayloadAlign * kPayloadAlign;
  segment_ = SharedSegment::create(comm, kControlBytes * n_ + payload, what);
  payload_ = segment_->data() + kControlBytes * n_;
  if (rank_ == 0) {
    for (int i = 0; i < n_; ++i) new (control(i)) Control{};
  }
  // Nobody touches a flag before rank 0 has constructed them all.
  comm.barrier();
}

SharedExchange::Control* SharedExchange::control(int i) const {
  return reinterpret_cast<Control*>(segment_->data() + kControlBytes * i);
}

CallDescription SharedExchange::describe(std::size_t count, DataType type, ReduceOp op,
                                         unsigned collective, std::uint32_t shape) {
  return {count,
          static_cast<std::uint32_t>(type) << 16 | static_cast<std::uint32_t>(op) << 8 |
              (collective & 0xFF),
          shape};
}

void SharedExchange::step(const CallDescription* call) {
  if (broken_) {
    throw Error(ErrorKind::peer_lost,
                std::string(what_) + ": an earlier call timed out waiting for a rank; "
                                     "this algorithm object cannot be used again");
  }
  ++step_;
  const unsigned slot = step_ & 1U;
  if (call) control(rank_)->calls[slot] = *call;
  raise(control(rank_)->flag, step_);
  const Clock::time_point deadline = Clock::now() + timeout_;
  for (int j = 0; j < n_; ++j) {
    if (j == rank_ || wait_until_reached(control(j)->flag, step_, deadline, cores_shared_)) continue;
    broken_ = true;
    throw Error(ErrorKind::timeout,
                std::string(what_) + ": rank " + std::to_string(j) + " did not arrive within " +
                    std::to_string(timeout_.count()) +
                    " ms (it died, or ranks called different collectives)");
  }
  if (!call) return;
  // Every rank reads the same descriptions and reaches the same verdict.
  for (int j = 0; j < n_; ++j) {
    const CallDescription& theirs = control(j)->calls[slot];
    if (theirs.count != call->count || theirs.type_and_op != call->type_and_op ||
        theirs.shape != call->shape) {
      fail_mismatch(j, *call, theirs);
    }
  }
}

void SharedExchange::fail_mismatch(int other, const CallDescription& mine,
                                   const CallDescription& theirs) const {
  const bool same_type = (mine.type_and_op >> 16) == (theirs.type_and_op >> 16);
  const bool same_rest = (mine.type_and_op & 0xFFFF) == (theirs.type_and_op & 0xFFFF);
  const bool same_count = mine.count == theirs.count;
  std::string detail;
  if (!same_rest) {
    detail = same_type && same_count ? " and another reduce op or collective"
                                     : " (or another reduce op or collective)";
  } else if (mine.shape != theirs.shape && same_type && same_count) {
    detail = ", cut into other blocks (or at another step of the call)";
  }
  throw Error(ErrorKind::mismatch,
              std::string(what_) + ": rank " + std::to_string(rank_) + " called with " +
                  described(mine) + " but rank " + std::to_string(other) + " with " +
                  described(theirs) + detail);
}

}  // namespace ringtail::coll::detail
