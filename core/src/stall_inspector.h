#pragma once
// Rank 0 of a process set watches for operations that some ranks submitted and
// others did not: after RINGTAIL_STALL_CHECK_SECONDS it warns which ranks are
// missing and which operations (up to 5 per rank) wait for them, again every
// such period while the stall lasts; after RINGTAIL_STALL_SHUTDOWN_SECONDS
// (off by default) it asks the engine to stop every rank with an error.
//
// The usual cause is a program that submits different tensors on different
// ranks (a branch taken on one rank only, a rank that ran out of data without
// join()).

#include <chrono>
#include <string>
#include <unordered_map>
#include <vector>

namespace ringtail::core::detail {

class StallInspector {
 public:
  using Clock = std::chrono::steady_clock;

  // 0 turns the check (or the shutdown) off.
  StallInspector(double warn_seconds, double shutdown_seconds);

  struct Waiting {
    const std::string* name;
    std::vector<int> missing;  // world ranks
  };
  struct Verdict {
    std::string warning;   // non-empty: log it
    std::string shutdown;  // non-empty: stop the engine with this message
  };
  // Called by the coordinator every round with every operation that waits for
  // some ranks; forgets the ones no longer listed.
  Verdict check(const std::vector<Waiting>& waiting, Clock::time_point now);

  bool enabled() const { return warn_seconds_ > 0 || shutdown_seconds_ > 0; }

 private:
  double warn_seconds_;
  double shutdown_seconds_;
  std::unordered_map<std::string, Clock::time_point> since_;
  Clock::time_point last_warning_{};
  bool warned_ = false;
};

}  // namespace ringtail::core::detail
