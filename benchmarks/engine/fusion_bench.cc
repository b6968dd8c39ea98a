// A round of 160 tensors of 4 KiB, submitted one by one as gradient hooks do,
// then waited for: the engine with fusion on (64 MiB) and off, against the
// engine's backend called directly and raw MPI, each doing 160 separate
// allreduces and one of 640 KiB. The direct calls bound what fusion can gain:
// it saves per-collective costs, and where those are small (Open MPI's shared
// memory path) so is the gain.
#include <string>
#include <vector>


#include "bench.h"

namespace ringtail::bench {
namespace {

constexpr int kTensors = 160;
constexpr int kFloats = 1024;

struct Round {
  std::vector<std::vector<float>> buffers;
  std::vector<std::string> names;
  std::vector<core::Handle> handles;

  Round() : buffers(kTensors, std::vector<float>(kFloats, 1.0f)), handles(kTensors) {
    for (int t = 0; t < kTensors; ++t) names.push_back("grad." + std::to_string(t));
  }
  void run(core::Runtime& rt) {
    for (int t = 0; t < kTensors; ++t) {
      handles[t] = rt.allreduce(names[t], core::TensorView{buffers[t].data(), coll::DataType::f32, {kFloats}, {}},
                                coll::ReduceOp::sum);
    }
    for (auto& h : handles) h.wait();
  }
};

}  // namespace

void fusion(coll::Communicator& world, const Options& o) {
  core::Config fused_config = engine_config(world);
  fused_config.fusion_threshold_bytes = std::size_t{64} << 20;
  core::Config unfused_config = engine_config(world);
  unfused_config.fusion_threshold_bytes = 0;
  unfused_config.timeline_path.clear();  // RINGTAIL_TIMELINE traces the fused runtime only
  std::unique_ptr<core::Runtime> rt;
  std::uint64_t collectives = 0;
  Round round;
  std::vector<float> big(kTensors * kFloats, 1.0f);
  const int iters = iterations(o, 200);
  const int warmup = iterations(o, 20);

  Contender fused{[&] { round.run(*rt); }, [&] { rt = make_runtime(world, fused_config); },
                  [&] {
                    collectives = rt->counters().collectives;
                    rt.reset();
                  }};
  Contender unfused{[&] { round.run(*rt); }, [&] { rt = make_runtime(world, unfused_config); },
                    [&] { rt.reset(); }};
  auto comm = world.split(0, world.rank());
  Contender direct_separate{[&] {
    for (auto& b : round.buffers) comm->allreduce(b.data(), kFloats, coll::DataType::f32, coll::ReduceOp::sum);
  }};
  Contender direct_one{
      [&] { comm->allreduce(big.data(), big.size(), coll::DataType::f32, coll::ReduceOp::sum); }};
  Contender raw_separate{[&] {
    for (auto& b : round.buffers) {
      MPI_Allreduce(MPI_IN_PLACE, b.data(), kFloats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
    }
  }};
  Contender raw_one{[&] {
    MPI_Allreduce(MPI_IN_PLACE, big.data(), kTensors * kFloats, MPI_FLOAT, MPI_SUM, MPI_COMM_WORLD);
  }};
  const std::vector<double> t =
      compare(o, iters, warmup, {fused, unfused, direct_separate, direct_one, raw_separate, raw_one});
  const double t_fused = t[0], t_unfused = t[1], t_direct_separate = t[2], t_direct_one = t[3];
  const double t_raw_separate = t[4], t_raw_one = t[5];
  const std::string backend(world.backend());

  report("fusion: a round of 160 x 4 KiB float32 allreduces, submitted one by one; %d rounds x %d "
         "repetitions\n", iters, o.repetitions);
  report("  engine, fusion on (64 MiB)   %9.1f us   (%.1f collectives per round)\n", t_fused * 1e6,
         static_cast<double>(collectives) / (iters + warmup));
  report("  engine, fusion off           %9.1f us   (160 collectives per round)\n", t_unfused * 1e6);
  report("  fused / unfused              %9.3f\n", t_fused / t_unfused);
  report("  %-4s directly, 160 allreduces %8.1f us\n", backend.c_str(), t_direct_separate * 1e6);
  report("  %-4s directly, one 640 KiB    %8.1f us\n", backend.c_str(), t_direct_one * 1e6);
  report("  direct one / direct 160      %9.3f   (the best fusion can do on this backend)\n",
         t_direct_one / t_direct_separate);
  report("  raw MPI, 160 allreduces      %9.1f us\n", t_raw_separate * 1e6);
  report("  raw MPI, one 640 KiB         %9.1f us\n", t_raw_one * 1e6);
  report("  raw one / raw 160            %9.3f\n", t_raw_one / t_raw_separate);
  report("  engine fused / direct one    %9.2f\n\n", t_fused / t_direct_one);
}

}  // namespace ringtail::bench
