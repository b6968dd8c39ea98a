#pragma once
// The engine's counters: bumped by the controller, executor and engine on the
// background thread, read by Runtime::counters() from any thread (relaxed
// atomics: each is a tally, no other memory depends on it).

#include <atomic>
#include <cstdint>

namespace ringtail::core::detail {

struct EngineCounters {
  std::atomic<std::uint64_t> rounds{0};
  std::atomic<std::uint64_t> coordinator_rounds{0};
  std::atomic<std::uint64_t> cache_hits{0};
  std::atomic<std::uint64_t> cache_misses{0};
  std::atomic<std::uint64_t> collectives{0};
  std::atomic<std::uint64_t> tensors{0};
  std::atomic<std::uint64_t> fused_tensors{0};
  std::atomic<std::uint64_t> bytes_fused{0};
  std::atomic<std::uint64_t> errors{0};
  std::atomic<std::uint64_t> stall_warnings{0};

  static void add(std::atomic<std::uint64_t>& c, std::uint64_t n = 1) {
    c.fetch_add(n, std::memory_order_relaxed);
  }
};

}  // namespace ringtail::core::detail
