#include "autotune_session.h"

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::core::detail {

std::vector<AllreduceAlgorithm> tunable_algorithms(const Config& config, coll::Communicator& world,
                                                   AllreduceAlgorithm running) {
  if (config.allreduce != AllreduceAlgorithm::automatic) return {config.allreduce};
  std::vector<AllreduceAlgorithm> out{running};
  if (running != AllreduceAlgorithm::native) out.push_back(AllreduceAlgorithm::native);
  if (world.memory() != coll::MemoryKind::host || world.size() < 2) return out;
  out.push_back(AllreduceAlgorithm::ring);
  if (coll::discover_topology(world, config.world.hostname).num_hosts() > 1) {
    out.push_back(AllreduceAlgorithm::hierarchical);
  }
  return out;
}

AutotuneSession::AutotuneSession(Autotuner tuner, StepMeter meter, std::unique_ptr<AutotuneLog> log)
    : tuner_(std::move(tuner)), meter_(std::move(meter)), log_(std::move(log)) {
  if (tuner_.done() && log_) log_->chosen(tuner_.chosen());
}

std::optional<TuningCandidate> AutotuneSession::on_round(const Round& round, coll::Communicator& comm,
                                                         Clock::time_point now) {
  if (tuner_.done()) return std::nullopt;
  const std::optional<StepMeter::Sample> sample = meter_.on_round(round.items, comm.size(), now);
  if (!sample) return std::nullopt;

  const double seconds = std::chrono::duration<double>(sample->elapsed).count();
  const double position = static_cast<double>(tuner_.position());
  agreed_ = {seconds, position, -position, sample->bytes, -sample->bytes};
  comm.allreduce(agreed_.data(), agreed_.size(), coll::DataType::f64, coll::ReduceOp::max);
  if (agreed_[1] != -agreed_[2] || agreed_[3] != -agreed_[4]) {
    throw Error(ErrorKind::backend,
                "autotune: the ranks measured different candidates or steps (a ringtail bug): candidate " +
                    std::to_string(-agreed_[2]) + " to " + std::to_string(agreed_[1]) + ", bytes " +
                    std::to_string(-agreed_[4]) + " to " + std::to_string(agreed_[3]));
  }

  const TuningCandidate before = tuner_.current();
  const Autotuner::Trial trial = tuner_.record(sample->bytes, agreed_[0]);
  if (log_) log_->trial(trial);
  if (tuner_.done()) {
    const Autotuner::Trial chosen = tuner_.chosen();
    if (log_) log_->chosen(chosen);
    log::info("autotune chose fusion threshold ", chosen.candidate.fusion_threshold_bytes,
              " bytes, cycle time ", chosen.candidate.cycle_time.count(), " us, allreduce ",
              to_string(chosen.candidate.allreduce), " after ", tuner_.samples(), " samples");
  }
  const TuningCandidate after = tuner_.current();
  if (after == before) return std::nullopt;
  return after;
}

}  // namespace ringtail::core::detail
