// One small allreduce, alone: raw MPI_Allreduce, the mpi Communicator, and the
// engine (enqueue, negotiate, run, complete, wait), all 4 KiB float32 sums.
#include <string>
#include <vector>

#include "bench.h"

namespace ringtail::bench {

void latency(coll::Communicator& world, const Options& o) {
  constexpr int kFloats = 1024;  // 4 KiB
  std::vector<float> buffer(kFloats, 1.0f);
  const int iters = iterations(o, 5000);
  const int warmup = iterations(o, 200);
  auto comm = world.split(0, world.rank());
  std::unique_ptr<core::Runtime> rt;
  core::Counters counters;
  const core::TensorView view{buffer.data(), coll::DataType::f32, {kFloats}, {}};

  Contender raw{[&] {
    MPI_Allreduce(MPI_IN_PLACE, buffer.data(), kFloats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }};
  Contender communicator{[&] { comm->allreduce(buffer.data(), kFloats, coll::DataType::f32, coll::ReduceOp::sum); }};
  Contender engine{[&] { rt->allreduce("latency", view, coll::ReduceOp::sum).wait(); },
                   [&] { rt = make_runtime(world, engine_config(world)); },
                   [&] {
                     counters = rt->counters();
                     rt.reset();
                   }};
  const std::vector<double> t = compare(o, iters, warmup, {raw, communicator, engine});
  const double t_raw = t[0], t_comm = t[1], t_engine = t[2];
  report("latency: one 4 KiB float32 allreduce (sum), %d iterations x %d repetitions\n", iters,
         o.repetitions);
  report("  raw MPI_Allreduce            %9.1f us\n", t_raw * 1e6);
  report("  %-4s Communicator::allreduce %9.1f us   (%.2fx raw)\n", std::string(world.backend()).c_str(), t_comm * 1e6,
         t_comm / t_raw);
  report("  engine allreduce + wait      %9.1f us   (%.2fx raw)\n", t_engine * 1e6, t_engine / t_raw);
  report("  engine rounds per allreduce  %9.2f      (rank-0 round trips: %llu in the last repetition)\n\n",
         static_cast<double>(counters.rounds) / static_cast<double>(counters.tensors),
         static_cast<unsigned long long>(counters.coordinator_rounds));
}

}  // namespace ringtail::bench
