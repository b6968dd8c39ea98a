#pragma once
// Rank 0's side of the slow path (controller.h, steps 6 to 8): the table of
// operations some ranks have submitted and others not yet, the check that
// every rank submitted the same thing, and the ordered response list.

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "message.h"

namespace ringtail::core::detail {

class Coordinator {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Coordinator(int set_size) : size_(set_size) {}

  // Records a request that `rank` sent this round.
  void add(int rank, Request request, Clock::time_point now);

  // Removes and returns, in the order their first request arrived, a response
  // for every operation that all ranks not in `joined` have submitted: `run`
  // when they agree, `error` naming the field and the ranks otherwise. A
  // shutdown request answers at once (it waits for nobody) and comes first.
  std::vector<Response> take_ready(const std::vector<bool>& joined);

  struct Waiting {
    const std::string* name;
    Clock::time_point since;
    std::vector<int> missing;  // ranks, not joined, that have not submitted it
  };
  // Operations some ranks still have to submit (for the stall inspector).
  std::vector<Waiting> waiting(const std::vector<bool>& joined) const;

  bool empty() const { return table_.empty() && shutdown_.empty(); }

 private:
  struct Entry {
    std::vector<std::optional<Request>> by_rank;
    int submitted = 0;
    Clock::time_point since;
  };

  int size_;
  std::unordered_map<std::string, Entry> table_;
  std::vector<std::string> order_;  // names in order of their first request
  std::string shutdown_;            // reason of a pending shutdown request
};

}  // namespace ringtail::core::detail
