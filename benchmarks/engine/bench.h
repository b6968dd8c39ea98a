#pragma once
// The engine benchmarks' shared pieces: options, a timer that reports the
// median over repetitions, and the report lines rank 0 prints.
//
// Every rank runs the same fixed number of iterations (the collectives must
// match), so there is no adaptive iteration count as in Google Benchmark.

#include <mpi.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "ringtail/collectives/communicator.h"
#include "ringtail/core/config.h"
#include "ringtail/core/runtime.h"

namespace ringtail::bench {

struct Options {
  int repetitions = 5;
  double scale = 1.0;  // multiplies every iteration count (quick runs: 0.1)
  // Report the fastest repetition instead of the median: on a shared, busy
  // machine the fastest is the one the neighbours disturbed least.
  bool best = false;
};

inline int iterations(const Options& o, int n) { return std::max(1, static_cast<int>(n * o.scale)); }

// One way of doing the measured thing. `setup` and `teardown` run around every
// repetition, outside the timing: the engine contenders create their runtime
// there, so no runtime is alive (and heartbeating) while raw MPI is measured.
struct Contender {
  std::function<void()> body;
  std::function<void()> setup = [] {};
  std::function<void()> teardown = [] {};
};

// Seconds per iteration of each contender, median (or best) over repetitions. The
// contenders take turns within every repetition (A B C, A B C, ...), so a
// noisy moment on the shared machine hits them all alike; every rank starts
// each turn together.
inline std::vector<double> compare(const Options& o, int iters, int warmup,
                                   const std::vector<Contender>& contenders) {
  std::vector<std::vector<double>> samples(contenders.size());
  for (int rep = 0; rep < o.repetitions; ++rep) {
    for (std::size_t c = 0; c < contenders.size(); ++c) {
      contenders[c].setup();
      for (int i = 0; i < warmup; ++i) contenders[c].body();
      MPI_Barrier(MPI_COMM_WORLD);
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < iters; ++i) contenders[c].body();
      const auto t1 = std::chrono::steady_clock::now();
      samples[c].push_back(std::chrono::duration<double>(t1 - t0).count() / iters);
      contenders[c].teardown();
    }
  }
  std::vector<double> medians;
  for (auto& s : samples) {
    std::sort(s.begin(), s.end());
    medians.push_back(o.best ? s.front() : s[s.size() / 2]);
  }
  return medians;
}

inline int world_rank() {
  int r = 0;
  MPI_Comm_rank(MPI_COMM_WORLD, &r);
  return r;
}

// Rank 0 prints; the others stay quiet.
template <typename... Args>
void report(const char* format, Args... args) {
  if (world_rank() != 0) return;
  std::printf(format, args...);
  std::fflush(stdout);
}

inline core::Config engine_config(const coll::Communicator& world) {
  core::Config c = core::Config::from_environment();
  c.world.backend = std::string(world.backend());
  return c;
}

inline std::unique_ptr<core::Runtime> make_runtime(coll::Communicator& world, const core::Config& c) {
  return std::make_unique<core::Runtime>(c, world.split(0, world.rank()));
}

void latency(coll::Communicator& world, const Options& o);
void fusion(coll::Communicator& world, const Options& o);
void negotiation(coll::Communicator& world, const Options& o);
void idle(coll::Communicator& world, const Options& o);
void skew(coll::Communicator& world, const Options& o);

}  // namespace ringtail::bench
