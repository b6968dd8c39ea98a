// "native": the communicator's own collectives, behind the algorithm interface
// so the engine and the benchmark treat every choice alike.
#include <cstring>

#include "implementations.h"

namespace ringtail::coll::detail {
namespace {

class NativeAllreduce final : public AllreduceAlgorithm {
 public:
  explicit NativeAllreduce(Communicator& world) : world_(world) {}
  std::string_view name() const noexcept override { return "native"; }

 protected:
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    world_.allreduce(send, recv, count, type, op);
  }

 private:
  Communicator& world_;
};

class NativeAllgather final : public AllgatherAlgorithm {
 public:
  explicit NativeAllgather(Communicator& world) : world_(world) {}
  std::string_view name() const noexcept override { return "native"; }

 protected:
  int world_size() const noexcept override { return world_.size(); }
  int world_rank() const noexcept override { return world_.rank(); }
  void do_run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
              DataType type) override {
    world_.allgatherv(send, recv, recv_counts, type);
  }

 private:
  Communicator& world_;
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_native_allreduce(Communicator& world) {
  return std::make_unique<NativeAllreduce>(world);
}

std::unique_ptr<AllgatherAlgorithm> make_native_allgather(Communicator& world) {
  return std::make_unique<NativeAllgather>(world);
}

}  // namespace ringtail::coll::detail
