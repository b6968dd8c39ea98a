#include "ringtail/collectives/log.h"

#include <atomic>
#include <cstdio>

namespace ringtail::log {
namespace {
std::atomic<Level> g_level{Level::warning};
std::atomic<int> g_rank{-1};
}  // namespace

Level level() { return g_level.load(std::memory_order_relaxed); }
void set_level(Level l) { g_level.store(l, std::memory_order_relaxed); }
void set_rank(int rank) { g_rank.store(rank, std::memory_order_relaxed); }

const char* to_string(Level l) {
  switch (l) {
    case Level::trace: return "trace";
    case Level::debug: return "debug";
    case Level::info: return "info";
    case Level::warning: return "warning";
    case Level::error: return "error";
    case Level::off: return "off";
  }
  return "?";
}

bool parse_level(const std::string& name, Level* out) {
  for (Level l : {Level::trace, Level::debug, Level::info, Level::warning, Level::error, Level::off}) {
    if (name == to_string(l)) {
      *out = l;
      return true;
    }
  }
  return false;
}

void write(Level l, const std::string& message) {
  const int rank = g_rank.load(std::memory_order_relaxed);
  // One fprintf per line so lines from threads and ranks do not interleave.
  if (rank >= 0) {
    std::fprintf(stderr, "[ringtail %s rank %d] %s\n", to_string(l), rank, message.c_str());
  } else {
    std::fprintf(stderr, "[ringtail %s] %s\n", to_string(l), message.c_str());
  }
}

}  // namespace ringtail::log
