// A rank that is ahead: every step rank 1 computes for 20 ms before it submits
// a small allreduce, rank 0 submits at once and waits. What does waiting cost
// rank 0's CPU? Through the engine rank 0's training thread sleeps on the
// handle and its background thread enters no collective the others are not
// about to enter (a heartbeat or the next cycle brings rank 1 in); a thread
// blocked in MPI_Allreduce busy-polls for the whole 20 ms.
#include <time.h>

#include <vector>

#include "bench.h"

namespace ringtail::bench {
namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void compute_for(std::chrono::milliseconds d) {
  const auto until = std::chrono::steady_clock::now() + d;
  volatile double x = 1;
  while (std::chrono::steady_clock::now() < until) x = x * 1.0000001 + 1e-9;
}

}  // namespace

void skew(coll::Communicator& world, const Options& o) {
  constexpr auto kAhead = std::chrono::milliseconds(20);
  const int steps = iterations(o, 100);
  std::vector<float> buffer(1024, 1.0f);
  const core::TensorView view{buffer.data(), coll::DataType::f32, {1024}, {}};
  auto rt = make_runtime(world, engine_config(world));
  rt->allreduce("step", view, coll::ReduceOp::sum).wait();  // negotiated once, then cached

  auto measure = [&](const std::function<void()>& submit_and_wait) {
    MPI_Barrier(MPI_COMM_WORLD);
    const double cpu0 = cpu_seconds();
    const auto wall0 = std::chrono::steady_clock::now();
    for (int s = 0; s < steps; ++s) {
      if (world.rank() == 1) compute_for(kAhead);
      submit_and_wait();
    }
    const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    const double fraction = (cpu_seconds() - cpu0) / wall;
    double rank0 = world.rank() == 0 ? fraction : 0;
    MPI_Bcast(&rank0, 1, MPI_DOUBLE, 0, MPI_COMM_WORLD);
    return std::make_pair(rank0, wall / steps);
  };
  const auto engine = measure([&] { rt->allreduce("step", view, coll::ReduceOp::sum).wait(); });
  const auto raw = measure([&] {
    MPI_Allreduce(MPI_IN_PLACE, buffer.data(), 1024, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  });
  report("skew: rank 1 computes 20 ms before each 4 KiB allreduce, rank 0 waits; %d steps\n", steps);
  report("  engine: rank 0 uses %5.1f %% of a core while it waits (%.1f ms per step)\n",
         100 * engine.first, engine.second * 1e3);
  report("  raw MPI_Allreduce: rank 0 uses %5.1f %% of a core (%.1f ms per step)\n\n", 100 * raw.first,
         raw.second * 1e3);
}

}  // namespace ringtail::bench
