#include "allreduce_strategy.h"

#include "ringtail/collectives/algorithms/allreduce.h"
#include "ringtail/collectives/error.h"

namespace ringtail::core::detail {
namespace {

// The backend's own allreduce (MPI_Allreduce, gloo's, NCCL's).
class NativeAllreduce final : public AllreduceStrategy {
 public:
  explicit NativeAllreduce(coll::Communicator& comm) : comm_(comm) {}
  const std::string& name() const override { return name_; }
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
  explicit AlgorithmAllreduce(std::unique_ptr<coll::AllreduceAlgorithm> algorithm)
      : algorithm_(std::move(algorithm)), name_(algorithm_->name()) {}
  const std::string& name() const override { return name_; }
  void run(void* buffer, std::size_t count, coll::DataType type, coll::ReduceOp op) override {
    algorithm_->run(buffer, count, type, op);
  }

 private:
  std::unique_ptr<coll::AllreduceAlgorithm> algorithm_;
  const std::string name_;
};

}  // namespace

std::unique_ptr<AllreduceStrategy> make_allreduce_strategy(const Config& config,
                                                             coll::Communicator& comm) {
  switch (config.allreduce) {
    // `auto` is the backend's allreduce: beside backward it left less
    // communication wait than the size-based ring (docs/architecture.md).
    case AllreduceAlgorithm::native:
    case AllreduceAlgorithm::automatic:
      return std::make_unique<NativeAllreduce>(comm);
    case AllreduceAlgorithm::ring:
    case AllreduceAlgorithm::hierarchical: {
      if (comm.memory() != coll::MemoryKind::host) {
        throw Error(ErrorKind::unsupported,
                    std::string("RINGTAIL_ALLREDUCE=") + to_string(config.allreduce) +
                        " runs on host memory; the " + std::string(comm.backend()) +
                        " backend's buffers are on the device");
      }
      coll::AlgorithmOptions options;
      options.segment_bytes = config.ring_segment_bytes;
      const bool ring = config.allreduce == AllreduceAlgorithm::ring;
      // Building the host layout is collective over `comm`, as is this call.
      auto hosts = ring ? nullptr : coll::HostLayout::create(comm, config.world.hostname);
      return std::make_unique<AlgorithmAllreduce>(coll::make_allreduce(
          ring ? coll::AllreduceKind::ring : coll::AllreduceKind::hierarchical, comm,
          std::move(hosts), options));
    }
  }
  throw Error(ErrorKind::invalid_argument, "unknown RINGTAIL_ALLREDUCE value");
}

}  // namespace ringtail::core::detail
