#include "allreduce_strategy.h"

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

}  // namespace

std::unique_ptr<AllreduceStrategy> make_allreduce_strategy(const Config& config,
                                                             coll::Communicator& comm) {
  switch (config.allreduce) {
    case AllreduceAlgorithm::native:
    case AllreduceAlgorithm::automatic:
      return std::make_unique<NativeAllreduce>(comm);
    case AllreduceAlgorithm::ring:
    case AllreduceAlgorithm::hierarchical:
      break;
  }
  throw Error(ErrorKind::unsupported,
              std::string("RINGTAIL_ALLREDUCE=") + to_string(config.allreduce) +
                  " is not available in this build yet; use native or auto");
}

}  // namespace ringtail::core::detail
