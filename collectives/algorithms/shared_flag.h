#pragma once
// A step counter in memory that several processes map, which the other
// processes can wait on: they spin for a few microseconds (a peer running on
// another core answers that fast), yield the core for a few tens when ranks
// outnumber cores (a peer waiting for this core gets it), then sleep in the
// kernel on a futex until the owner raises the flag. Sleeping matters when ranks share cores with
// other work (training threads, or more ranks than cores): a waiter that spins
// or yields keeps burning the core its own peer or training thread needs, and
// the scheduler stops treating it as interactive, so it is woken late; a
// sleeper gives the core back and is woken at once. Internal to the algorithms.

#include <atomic>
#include <chrono>
#include <cstdint>

namespace ringtail::coll::detail {

struct SharedFlag {
  std::atomic<std::uint32_t> step;      // the futex word; compared with wrapping arithmetic
  std::atomic<std::uint32_t> sleepers;  // waiters in the kernel: raise() skips the wake without any
};
static_assert(std::atomic<std::uint32_t>::is_always_lock_free,
              "flags shared between processes must be lock-free");
static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "the step must be usable as a futex word");

// The owner publishes `step` (everything it wrote before becomes visible to a
// waiter that sees it) and wakes the sleepers.
void raise(SharedFlag& flag, std::uint32_t step);

// Waits until `flag` has reached `step`; false when `deadline` passed first.
// `cores_shared`: more ranks than cores on this machine.
bool wait_until_reached(SharedFlag& flag, std::uint32_t step,
                        std::chrono::steady_clock::time_point deadline, bool cores_shared);

}  // namespace ringtail::coll::detail
