#pragma once
// When the background thread runs its next negotiation round. Rounds are
// collective, and Open MPI busy-polls inside a blocking collective: a rank
// that enters a round before the others burns its core until they arrive,
// which with one core per rank is the training thread's core. So rounds start
// at moments every rank picks alike, from what the last round told them all:
//
//   productive  the last round ran something, or some rank had new
//               submissions in it: go again at once (the other ranks do the
//               same), so a burst of submissions drains quickly;
//   active      something waits somewhere, nothing ran: the next round one
//               cycle time (RINGTAIL_CYCLE_TIME_MS) after this one, on every
//               rank; new local work waits for it (batching for at most one
//               cycle);
//   idle        nothing pending on any rank: sleep on the condition variable
//               until local work arrives (then start at once: the other ranks
//               are about to submit the same tensors) or until a heartbeat
//               round, the first one cycle time later, each next one twice as
//               late, at most RINGTAIL_HEARTBEAT_MS. Heartbeats bound how long
//               a rank that starts alone waits for the others, and keep stall
//               checks and shutdown working while some ranks are idle.
//
// An idle engine therefore costs a few short rounds per second and never sits
// inside a collective waiting for work.

#include <algorithm>
#include <chrono>

namespace ringtail::core::detail {

class WakeSchedule {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Outcome { productive, active, idle };

  WakeSchedule(std::chrono::microseconds cycle, std::chrono::microseconds heartbeat_max)
      : cycle_(std::max(cycle, std::chrono::microseconds(1))),
        heartbeat_setting_(heartbeat_max),
        heartbeat_max_(std::max(heartbeat_max, cycle_)),
        backoff_(cycle_),
        next_(Clock::now() + cycle_) {}

  void after_round(Outcome outcome, Clock::time_point now) {
    outcome_ = outcome;
    switch (outcome) {
      case Outcome::productive:
        backoff_ = cycle_;
        next_ = now;
        break;
      case Outcome::active:
        backoff_ = cycle_;
        next_ = now + cycle_;
        break;
      case Outcome::idle:
        next_ = now + backoff_;
        backoff_ = std::min(backoff_ * 2, heartbeat_max_);
        break;
    }
  }

  // The autotuner's new cycle time; the next wait after a round uses it.
  void set_cycle(std::chrono::microseconds cycle) {
    cycle_ = std::max(cycle, std::chrono::microseconds(1));
    heartbeat_max_ = std::max(heartbeat_setting_, cycle_);
    backoff_ = cycle_;
  }
  std::chrono::microseconds cycle() const { return cycle_; }

  // The next round starts at this time even without local work.
  Clock::time_point next() const { return next_; }
  // Whether new local work starts a round at once.
  bool wake_on_local_work() const { return outcome_ == Outcome::idle; }

 private:
  std::chrono::microseconds cycle_;
  std::chrono::microseconds heartbeat_setting_;
  std::chrono::microseconds heartbeat_max_;
  std::chrono::microseconds backoff_;
  Clock::time_point next_;
  Outcome outcome_ = Outcome::idle;
};

}  // namespace ringtail::core::detail
