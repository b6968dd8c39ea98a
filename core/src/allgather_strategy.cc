#include "allgather_strategy.h"

#include "ringtail/collectives/algorithms/allgather.h"
#include "ringtail/collectives/algorithms/host_layout.h"
#include "ringtail/collectives/algorithms/selection.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/topology.h"

namespace ringtail::core::detail {
namespace {

// The backend's own allgatherv (MPI_Allgatherv, gloo's, NCCL's).
class NativeAllgather final : public AllgatherStrategy {
 public:
  explicit NativeAllgather(coll::Communicator& comm) : comm_(comm) {}
  const std::string& name() const override { return name_; }
  void run(const void* send, void* recv, const std::vector<std::size_t>& counts,
           coll::DataType type) override {
    comm_.allgatherv(send, recv, counts, type);
  }

 private:
  coll::Communicator& comm_;
  const std::string name_ = "native";
};

// ringtail's hierarchical allgather, or the size-based choice (collectives/algorithms).
class AlgorithmAllgather final : public AllgatherStrategy {
 public:
  explicit AlgorithmAllgather(std::unique_ptr<coll::AllgatherAlgorithm> algorithm)
      : algorithm_(std::move(algorithm)), name_(algorithm_->name()) {}
  const std::string& name() const override { return name_; }
  void run(const void* send, void* recv, const std::vector<std::size_t>& counts,
           coll::DataType type) override {
    algorithm_->run(send, recv, counts, type);
  }

 private:
  std::unique_ptr<coll::AllgatherAlgorithm> algorithm_;
  const std::string name_;
};

}  // namespace

std::unique_ptr<AllgatherStrategy> make_allgather_strategy(const Config& config,
                                                             coll::Communicator& comm) {
  if (config.allgather == AllgatherAlgorithm::flat || comm.size() == 1) {
    return std::make_unique<NativeAllgather>(comm);
  }
  if (comm.memory() != coll::MemoryKind::host) {
    if (config.allgather == AllgatherAlgorithm::automatic) return std::make_unique<NativeAllgather>(comm);
    throw Error(ErrorKind::unsupported,
                "RINGTAIL_ALLGATHER=hierarchical runs on host memory; the " +
                    std::string(comm.backend()) + " backend's buffers are on the device");
  }
  // Collective over `comm`, like building the layout below: every rank
  // discovers the same topology and so takes the same branch.
  if (config.allgather == AllgatherAlgorithm::automatic &&
      !coll::hierarchical_can_help(coll::discover_topology(comm, config.world.hostname))) {
    return std::make_unique<NativeAllgather>(comm);
  }
  const coll::AllgatherKind kind = config.allgather == AllgatherAlgorithm::hierarchical
                                       ? coll::AllgatherKind::hierarchical
                                       : coll::AllgatherKind::automatic;
  coll::AlgorithmOptions options;
  options.segment_bytes = config.ring_segment_bytes;
  options.shm_area_bytes = config.shm_area_bytes;
  options.peer_timeout = config.world.timeout;
  auto hosts = coll::HostLayout::create(comm, config.world.hostname);
  return std::make_unique<AlgorithmAllgather>(coll::make_allgather(kind, comm, std::move(hosts), options));
}

}  // namespace ringtail::core::detail
