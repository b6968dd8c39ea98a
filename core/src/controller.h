#pragma once
// Negotiation: how the ranks of one process set agree, round by round, which
// operations run and in which order. One Controller per process set, used by
// the background thread only; every rank of the set runs the same rounds.
//
// The protocol, step by step (one round):
//
//  1. Accept. Operations queued since the last round enter the pending table
//     and are looked up in the response cache (response_cache.h):
//       hit   (name cached with the same signature) -> bind to the cache slot;
//       stale (name cached with another signature)  -> mark the slot invalid and
//                                                      send it to rank 0 (step 5);
//       miss                                         -> send it to rank 0.
//     A join() marks this rank as joined.
//  2. Words. Each rank encodes its state as 64-bit words:
//       [flags] joined | has pending operations | has operations waiting at rank 0
//               | accepted new operations since the last round
//       [bytes] length of its requests for rank 0 (0: none)
//       [count] operations pending here
//       [extra] caller words (the global set carries one bit per other process
//               set in which this rank has work; the engine uses them)
//       [cache] bit s: an operation bound to cache slot s is pending here
//       [stale] bit s: slot s is stale here
//     The vectors have the same length on every rank, because the caches are
//     identical (steps 9 keeps them so).
//  3. One allgather of the words. In the steady state (every operation cached)
//     this is the whole negotiation: no round trip through rank 0.
//  4. Decode, identically on every rank:
//       joined ranks: their joined flag;
//       ready slots:  bit set by every non-joined rank (and by some rank) -- the
//                     bitwise AND; a joined rank that had it contributes data;
//       stale slots:  bit set by any rank -- the bitwise OR; every rank evicts
//                     them and sends what was bound to them to rank 0 next round.
//     Rank 0 also hands what waits for some ranks to the stall inspector.
//  5. Slow path, only when some rank has requests for rank 0, or the joined
//     ranks changed while requests wait there: the requests go to rank 0 in one
//     alltoallv whose sizes every rank knows from step 3.
//  6. Rank 0 adds them to its table (coordinator.h) and validates every
//     operation that all non-joined ranks have now submitted: dtype, shape, op,
//     root, device and scale factors must agree; an error response names the
//     tensor, the field and the ranks that disagree.
//  7. Rank 0 broadcasts its ordered response list: its length, then its bytes.
//  8. The round's list is the ready cached responses in slot order, then rank
//     0's list. It is the same on every rank; the executor fuses it and runs it
//     in this order.
//  9. After the list ran, every rank applies it to its cache in list order:
//     touch the hits, put the new responses (an eviction sends operations bound
//     to the evicted slot to rank 0 next round). When every rank has joined,
//     join completes with the last rank to join (the highest of those that
//     joined in the last round).
//
// Nothing here blocks outside the collectives of steps 3, 5 and 7; when a round
// starts is the engine's decision (wake_schedule.h).

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "coordinator.h"
#include "failure.h"
#include "response_cache.h"
#include "ringtail/collectives/communicator.h"
#include "stall_inspector.h"
#include "submission.h"

namespace ringtail::core::detail {

struct RoundItem {
  Response response;
  Submission* local = nullptr;           // null: this rank joined without it
  std::optional<std::size_t> cache_slot;  // a cache hit
  std::chrono::steady_clock::time_point ready;
  std::optional<Failure> error;  // a failure of this rank's part (allocator, mismatch)
};

struct Round {
  std::vector<RoundItem> items;
  std::vector<std::uint64_t> extra_or;  // the extra words, OR over all ranks
  bool pending_after = false;           // some rank probably still has work here
  bool new_work = false;                // some rank accepted operations since the last round
  std::optional<int> join_completed;    // the last rank to join (set rank)
  std::string stall_warning;
  std::string stall_shutdown;
};

class Controller {
 public:
  using Clock = std::chrono::steady_clock;

  Controller(coll::Communicator& comm, std::vector<int> world_ranks, std::size_t cache_capacity,
             double stall_warn_seconds, double stall_shutdown_seconds, EngineCounters& counters);

  int rank() const { return comm_.rank(); }
  int size() const { return comm_.size(); }
  const std::vector<int>& world_ranks() const { return world_ranks_; }

  // Step 1 for one operation (joins included).
  void accept(std::unique_ptr<Submission> submission);
  // Something pending here: an operation or a join.
  bool has_work() const { return !pending_.empty() || join_ != nullptr; }

  // Steps 2 to 8. `extra` has the same length on every rank.
  Round negotiate(const std::vector<std::uint64_t>& extra);
  // Step 9, after the items ran. Returns the submissions of the round's items
  // (removed from the pending table) and the join handle when join completed.
  void finish(Round& round);

  // Removes a submission from the pending table (its item ran or failed).
  std::unique_ptr<Submission> release(Submission* s);
  std::shared_ptr<HandleState> take_join() { return std::move(join_); }
  // Everything still pending (shutdown), join included.
  std::vector<std::unique_ptr<Submission>> release_all();

 private:
  struct Decoded;
  void encode_words(const std::vector<std::uint64_t>& extra);
  void slow_path(const Decoded& d, std::vector<Response>& out);
  void inspect_stalls(const Decoded& d, Round& round);
  void send_to_coordinator(std::size_t slot);

  coll::Communicator& comm_;
  std::vector<int> world_ranks_;
  EngineCounters& counters_;
  ResponseCache cache_;
  std::optional<Coordinator> coordinator_;  // on set rank 0
  StallInspector stall_;

  std::unordered_map<std::string, std::unique_ptr<Submission>> pending_;
  std::unordered_map<std::size_t, Submission*> by_slot_;
  std::vector<Submission*> unsent_;
  std::unordered_set<std::size_t> stale_;
  std::size_t sent_waiting_ = 0;  // submissions in state `sent`
  bool accepted_ = false;         // accepted something since the last round

  std::shared_ptr<HandleState> join_;  // this rank's join, while it waits
  std::vector<bool> joined_;           // per set rank, as of the last round

  // Reused buffers (no allocation per round in the steady state).
  std::vector<std::uint64_t> words_;
  std::vector<std::uint64_t> all_words_;
  std::vector<std::uint8_t> request_bytes_;
  std::vector<std::uint8_t> gathered_bytes_;
  std::vector<std::uint8_t> response_bytes_;
};

}  // namespace ringtail::core::detail
