// CPU time an idle engine costs: after some work, every rank sleeps for two
// seconds while its runtime stays up; the process's CPU time over that window
// (all threads) divided by the wall time. Against: no runtime at all, and the
// engine with 1 ms heartbeats (about what a runtime that negotiates every
// cycle, as Horovod's does, costs).
#include <time.h>

#include <thread>

#include "bench.h"

namespace ringtail::bench {
namespace {

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

struct IdleResult {
  double cpu_fraction = 0;
  double rounds_per_second = 0;
};

IdleResult measure(coll::Communicator& world, const core::Config* config, std::chrono::milliseconds window) {
  std::unique_ptr<core::Runtime> rt;
  std::vector<float> buffer(256, 1.0f);
  if (config) {
    rt = make_runtime(world, *config);
    for (int i = 0; i < 10; ++i) {
      rt->allreduce("warm", core::TensorView{buffer.data(), coll::DataType::f32, {256}, {}}).wait();
    }
  }
  MPI_Barrier(MPI_COMM_WORLD);
  const std::uint64_t rounds0 = rt ? rt->counters().rounds : 0;
  const double cpu0 = cpu_seconds();
  const auto wall0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(window);
  const double cpu1 = cpu_seconds();
  const double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
  const std::uint64_t rounds1 = rt ? rt->counters().rounds : 0;
  IdleResult r;
  r.cpu_fraction = (cpu1 - cpu0) / wall;
  r.rounds_per_second = static_cast<double>(rounds1 - rounds0) / wall;
  rt.reset();
  // The worst rank counts.
  double mine[2] = {r.cpu_fraction, r.rounds_per_second};
  double worst[2];
  MPI_Allreduce(mine, worst, 2, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return {worst[0], worst[1]};
}

}  // namespace

void idle(coll::Communicator& world, const Options& o) {
  const auto window = std::chrono::milliseconds(std::max(500, static_cast<int>(2000 * o.scale * 5)));
  const core::Config normal = engine_config(world);
  core::Config eager = engine_config(world);
  eager.heartbeat_max = std::chrono::microseconds(1000);
  const IdleResult none = measure(world, nullptr, window);
  const IdleResult ours = measure(world, &normal, window);
  const IdleResult every_ms = measure(world, &eager, window);
  report("idle: CPU time of a rank (all its threads) while its engine waits for work, %lld ms "
         "window, worst rank\n", static_cast<long long>(window.count()));
  report("  no runtime                       %6.2f %% of a core\n", 100 * none.cpu_fraction);
  report("  engine (heartbeat <= %4lld ms)     %6.2f %% of a core  (%.1f rounds/s)\n",
         static_cast<long long>(normal.heartbeat_max.count() / 1000), 100 * ours.cpu_fraction,
         ours.rounds_per_second);
  report("  engine (heartbeat every 1 ms)    %6.2f %% of a core  (%.1f rounds/s)\n\n",
         100 * every_ms.cpu_fraction, every_ms.rounds_per_second);
}

}  // namespace ringtail::bench
