#pragma once
// One queued operation, from enqueue() until its handle completes: what the
// caller asked for, the signature the ranks must agree on, and where it is in
// the negotiation.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "engine_counters.h"
#include "handle_state.h"
#include "message.h"
#include "ringtail/core/operation.h"

namespace ringtail::core::detail {

struct Submission {
  using Clock = std::chrono::steady_clock;

  Operation op;  // the caller's views and allocator (the callback lives in the handle)
  Signature signature;
  std::string detail;  // shutdown: the reason
  std::shared_ptr<HandleState> handle;
  Clock::time_point enqueued;

  // Background thread only.
  enum class State {
    unsent,  // goes to the coordinator in the next round
    sent,    // in the coordinator's table, waiting for other ranks
    cached,  // bound to a response cache slot: negotiated by its bit
  };
  State state = State::unsent;
  std::size_t slot = 0;  // when cached
};

}  // namespace ringtail::core::detail
