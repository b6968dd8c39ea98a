// The cost of one negotiation round for 200 tensors, measured on the
// controller itself (no data collective): the cached fast path (one allgather
// of the bit vector) against the slow path through rank 0, and against a raw
// MPI_Allgather of the same words.
#include <memory>
#include <numeric>
#include <string>
#include <vector>

#include "bench.h"
#include "controller.h"

namespace ringtail::bench {
namespace {

constexpr int kTensors = 200;

class Cycle {
 public:
  Cycle(coll::Communicator& comm, std::size_t cache_capacity) : pool_(kTensors) {
    std::vector<int> ranks(static_cast<std::size_t>(comm.size()));
    std::iota(ranks.begin(), ranks.end(), 0);
    controller_ = std::make_unique<core::detail::Controller>(comm, ranks, cache_capacity, 0.0, 0.0, counters_);
    for (int t = 0; t < kTensors; ++t) {
      auto s = std::make_unique<core::detail::Submission>();
      s->op.name = "grad." + std::to_string(t);
      s->signature.op = core::OpType::allreduce;
      s->signature.dtype = coll::DataType::f32;
      s->signature.shape = {1024};
      s->handle = std::make_shared<core::detail::HandleState>(s->op.name);
      pool_[static_cast<std::size_t>(t)] = std::move(s);
    }
  }

  // Every rank submits all 200; they are all ready after one round.
  void run() {
    for (auto& s : pool_) {
      s->state = core::detail::Submission::State::unsent;
      controller_->accept(std::move(s));
    }
    core::detail::Round round = controller_->negotiate({});
    if (round.items.size() != static_cast<std::size_t>(kTensors)) {
      std::fprintf(stderr, "negotiation bench: %zu of %d ready\n", round.items.size(), kTensors);
      MPI_Abort(MPI_COMM_WORLD, 1);
    }
    for (std::size_t k = 0; k < round.items.size(); ++k) pool_[k] = controller_->release(round.items[k].local);
    controller_->finish(round);
  }
  const core::detail::EngineCounters& counters() const { return counters_; }

 private:
  core::detail::EngineCounters counters_;
  std::unique_ptr<core::detail::Controller> controller_;
  std::vector<std::unique_ptr<core::detail::Submission>> pool_;
};

}  // namespace

void negotiation(coll::Communicator& world, const Options& o) {
  auto fast_comm = world.split(0, world.rank());
  auto slow_comm = world.split(0, world.rank());
  Cycle fast(*fast_comm, 0);  // automatic capacity: everything stays cached
  Cycle slow(*slow_comm, 1);  // one entry: nearly everything misses every round
  const int iters = iterations(o, 2000);
  // The words of one fast-path round: 3 header words + 2 bit vectors of 4 words.
  std::vector<std::int64_t> words(11, 0), gathered(11 * static_cast<std::size_t>(world.size()));
  auto raw = [&] {
    MPI_Allgather(words.data(), 11, MPI_INT64_T, gathered.data(), 11, MPI_INT64_T, MPI_COMM_WORLD);
  };
  const auto hits0 = fast.counters().cache_hits.load();
  const auto trips0 = fast.counters().coordinator_rounds.load();
  const int warmup = iterations(o, 100);
  const std::vector<double> t =
      compare(o, iters, warmup, {{[&] { fast.run(); }}, {[&] { slow.run(); }}, {raw}});
  const double t_fast = t[0], t_slow = t[1], t_raw = t[2];
  const double cycles = static_cast<double>(iters + warmup) * o.repetitions;
  report("negotiation: one round for 200 submitted tensors (accept, negotiate, release, cache "
         "update; no data), %d rounds x %d repetitions\n", iters, o.repetitions);
  report("  raw MPI_Allgather of 11 words        %9.1f us\n", t_raw * 1e6);
  report("  fast path (200 cached)               %9.1f us   (%.2fx raw; %.0f hits and %.2f rank-0 "
         "trips per round)\n", t_fast * 1e6, t_fast / t_raw,
         static_cast<double>(fast.counters().cache_hits.load() - hits0) / cycles,
         static_cast<double>(fast.counters().coordinator_rounds.load() - trips0) / cycles);
  report("  slow path (through rank 0)           %9.1f us   (%.2fx the fast path)\n\n", t_slow * 1e6,
         t_slow / t_fast);
}

}  // namespace ringtail::bench
