#include "shared_flag.h"

#include <linux/futex.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>
#include <thread>

namespace ringtail::coll::detail {
namespace {

using Clock = std::chrono::steady_clock;

// A peer running on another core arrives within a few microseconds: spin.
// When ranks outnumber cores the peer may be waiting for this very core:
// yield it for a while, which hands it over at once. Past that, sleep: a
// thread that keeps yielding stops looking interactive to the scheduler and is
// woken late, which beside a training thread cost 30-45 ms per step (2 ranks
// on 2 cores, ResNet-18), where sleeping at once left 2-10 ms.
constexpr std::chrono::microseconds kSpin{5};
constexpr std::chrono::microseconds kYield{50};

inline void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

bool reached(const SharedFlag& flag, std::uint32_t step) {
  return static_cast<std::int32_t>(flag.step.load(std::memory_order_acquire) - step) >= 0;
}

std::uint32_t* futex_word(SharedFlag& flag) {
  return reinterpret_cast<std::uint32_t*>(&flag.step);
}

}  // namespace

void raise(SharedFlag& flag, std::uint32_t step) {
  // seq_cst store then load: either this sees the sleeper's count, or the
  // sleeper's re-check after counting itself sees the new step.
  flag.step.store(step, std::memory_order_seq_cst);
  if (flag.sleepers.load(std::memory_order_seq_cst) != 0) {
    // Not FUTEX_PRIVATE: the waiters are other processes.
    syscall(SYS_futex, futex_word(flag), FUTEX_WAKE, INT_MAX, nullptr, nullptr, 0);
  }
}

bool wait_until_reached(SharedFlag& flag, std::uint32_t step, Clock::time_point deadline,
                        bool cores_shared) {
  if (reached(flag, step)) return true;
  const Clock::time_point start = Clock::now();
  for (unsigned i = 1;; ++i) {
    cpu_relax();
    if (reached(flag, step)) return true;
    if (i % 64 == 0 && Clock::now() > start + kSpin) break;
  }
  while (cores_shared && Clock::now() < start + kYield) {
    std::this_thread::yield();
    if (reached(flag, step)) return true;
  }
  for (;;) {
    const std::uint32_t seen = flag.step.load(std::memory_order_acquire);
    if (static_cast<std::int32_t>(seen - step) >= 0) return true;
    const Clock::time_point now = Clock::now();
    if (now >= deadline) return false;
    flag.sleepers.fetch_add(1, std::memory_order_seq_cst);
    if (flag.step.load(std::memory_order_seq_cst) == seen) {
      const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
      timespec timeout{static_cast<time_t>(left / 1000000000), static_cast<long>(left % 1000000000)};
      // Returns at once if the step changed since `seen`; EINTR and a spurious
      // wake just loop.
      syscall(SYS_futex, futex_word(flag), FUTEX_WAIT, seen, &timeout, nullptr, 0);
    }
    flag.sleepers.fetch_sub(1, std::memory_order_seq_cst);
  }
}

}  // namespace ringtail::coll::detail
