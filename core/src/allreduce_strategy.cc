#include "allreduce_strategy.h"

#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"
#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::core::detail {
namespace {

// The backend's own allreduce (MPI_Allreduce, gloo's, NCCL's).
class NativeAllreduce final : public AllreduceStrategy {
 public:
  explicit NativeAllreduce(coll::Communicator& comm) : comm_(comm) {}
  const std::string& name() const override { return name_; }
  AllreduceAlgorithm algorithm() const override { return AllreduceAlgorithm::native; }
  void run(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op) override {
    comm_.allreduce(buffer, count, type, op);
  }

 private:
  coll::Communicator& comm_;
  const std::string name_ = "native";
};

// ringtail's own ring or hierarchical allreduce (collectives/algorithms).
class AlgorithmAllreduce final : public AllreduceStrategy {
 public:
  AlgorithmAllreduce(AllreduceAlgorithm kind, std::unique_ptr<coll::AllreduceAlgorithm> algorithm)
      : kind_(kind), algorithm_(std::move(algorithm)), name_(algorithm_->name()) {}
  const std::string& name() const override { return name_; }
  AllreduceAlgorithm algorithm() const override { return kind_; }
  void run(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op) override {
    algorithm_->run(buffer, count, type, op);
  }

 private:
  AllreduceAlgorithm kind_;
  std::unique_ptr<coll::AllreduceAlgorithm> algorithm_;
  const std::string name_;
};

// ringtail's ring, hierarchical or shm allreduce. `one_host_known`: the caller
// has already seen that every rank shares this host, so shm needs no layout.
std::unique_ptr<AllreduceStrategy> make_algorithm(const Config& config, coll::Communicator& comm,
                                                  bool one_host_known) {
  if (comm.memory() != coll::MemoryKind::host) {
    throw Error(ErrorKind::unsupported,
                std::string("RINGTAIL_ALLREDUCE=") + to_string(config.allreduce) +
                    " runs on host memory; the " + std::string(comm.backend()) +
                    " backend's buffers are on the device");
  }
  coll::AlgorithmOptions options;
  options.segment_bytes = config.ring_segment_bytes;
  options.shm_area_bytes = config.shm_area_bytes;
  options.peer_timeout = config.world.timeout;
  const coll::AllreduceKind kind =
      config.allreduce == AllreduceAlgorithm::ring  ? coll::AllreduceKind::ring
      : config.allreduce == AllreduceAlgorithm::shm ? coll::AllreduceKind::shm
                                                    : coll::AllreduceKind::hierarchical;
  // Building the host layout is collective over `comm`, as is this call; shm
  // checks with it that every rank shares this host.
  std::shared_ptr<coll::HostLayout> hosts;
  if (kind == coll::AllreduceKind::hierarchical || (kind == coll::AllreduceKind::shm && !one_host_known)) {
    hosts = coll::HostLayout::create(comm, config.world.hostname);
  }
  return std::make_unique<AlgorithmAllreduce>(
      config.allreduce, coll::make_allreduce(kind, comm, std::move(hosts), options));
}

// `auto`: on one host the shared-memory allreduce beats the backends at every
// size and, beside backward, left the training step as fast or faster than
// Open MPI's allreduce (docs/performance.md); anywhere else the backend's
// own, which left less communication wait in training than the size-based
// ring (docs/architecture.md).
std::unique_ptr<AllreduceStrategy> make_automatic(const Config& config, coll::Communicator& comm) {
  if (comm.memory() == coll::MemoryKind::host && comm.size() > 1 &&
      coll::discover_topology(comm, config.world.hostname).num_hosts() == 1) {
    Config shm = config;
    shm.allreduce = AllreduceAlgorithm::shm;
    try {
      return make_algorithm(shm, comm, true);
    } catch (const Error& e) {
      // Every rank agreed on the failure (SharedSegment::create), so every
      // rank falls back together.
      if (e.kind() != ErrorKind::unsupported) throw;
      log::warning("RINGTAIL_ALLREDUCE=auto: using the backend's allreduce: ", e.what());
    }
  }
  return std::make_unique<NativeAllreduce>(comm);
}

}  // namespace

std::unique_ptr<AllreduceStrategy> make_allreduce_strategy(const Config& config,
                                                             coll::Communicator& comm) {
  switch (config.allreduce) {
    case AllreduceAlgorithm::native: return std::make_unique<NativeAllreduce>(comm);
    case AllreduceAlgorithm::automatic: return make_automatic(config, comm);
    case AllreduceAlgorithm::ring:
    case AllreduceAlgorithm::hierarchical:
    case AllreduceAlgorithm::shm: return make_algorithm(config, comm, false);
  }
  throw Error(ErrorKind::invalid_argument, "unknown RINGTAIL_ALLREDUCE value");
}

}  // namespace ringtail::core::detail
