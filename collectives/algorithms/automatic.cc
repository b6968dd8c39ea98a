// "auto": one algorithm per call, chosen by selection.h from the message size
// and the topology. Every rank sees the same size and topology, so every rank
// picks the same algorithm without talking. The candidates are built on first
// use and kept.
#include <numeric>

#include "implementations.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/algorithms/selection.h"

namespace ringtail::coll::detail {
namespace {

class AutomaticAllreduce final : public AllreduceAlgorithm {
 public:
  AutomaticAllreduce(Communicator& world, std::shared_ptr<HostLayout> hosts,
                     const AlgorithmOptions& options)
      : world_(world), hosts_(std::move(hosts)), options_(options),
        host_memory_(world.memory() == MemoryKind::host) {}
  std::string_view name() const noexcept override { return "auto"; }

 protected:
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    AllreduceKind kind = choose_allreduce(count * size_of(type), world_.size(),
                                          hosts_ ? &hosts_->topology() : nullptr);
    // Ringtail's rings reduce on the CPU; device buffers stay with the backend.
    if (!host_memory_ && (kind == AllreduceKind::ring || kind == AllreduceKind::shm)) {
      kind = AllreduceKind::native;
    }
    pick(kind).run(send, recv, count, type, op);
  }

 private:
  AllreduceAlgorithm& pick(AllreduceKind kind) {
    auto& slot = built_[static_cast<int>(kind)];
    if (!slot) {
      switch (kind) {
        case AllreduceKind::ring: slot = make_ring_allreduce(world_, options_); break;
        case AllreduceKind::hierarchical: slot = make_hierarchical_allreduce(hosts_, options_); break;
        case AllreduceKind::shm:
          try {
            slot = make_shm_allreduce(world_, options_);
          } catch (const Error& e) {
            // Every rank agreed that the segment could not be made (a full
            // /dev/shm, say): all of them use the backend's allreduce instead.
            if (e.kind() != ErrorKind::unsupported) throw;
            slot = make_native_allreduce(world_);
          }
          break;
        default: slot = make_native_allreduce(world_); break;
      }
    }
    return *slot;
  }

  Communicator& world_;
  std::shared_ptr<HostLayout> hosts_;
  AlgorithmOptions options_;
  bool host_memory_;
  std::unique_ptr<AllreduceAlgorithm> built_[5];
};

class AutomaticAllgather final : public AllgatherAlgorithm {
 public:
  AutomaticAllgather(Communicator& world, std::shared_ptr<HostLayout> hosts,
                     const AlgorithmOptions& options)
      : world_(world), hosts_(std::move(hosts)), options_(options) {}
  std::string_view name() const noexcept override { return "auto"; }

 protected:
  int world_size() const noexcept override { return world_.size(); }
  int world_rank() const noexcept override { return world_.rank(); }
  void do_run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
              DataType type) override {
    const std::size_t total = std::accumulate(recv_counts.begin(), recv_counts.end(), std::size_t{0});
    AllgatherKind kind = choose_allgather(total * size_of(type), world_.size(),
                                          hosts_ ? &hosts_->topology() : nullptr);
    if (kind == AllgatherKind::hierarchical && world_.memory() != MemoryKind::host) {
      kind = AllgatherKind::native;
    }
    pick(kind).run(send, recv, recv_counts, type);
  }

 private:
  AllgatherAlgorithm& pick(AllgatherKind kind) {
    auto& slot = built_[static_cast<int>(kind)];
    if (!slot) {
      switch (kind) {
        case AllgatherKind::ring: slot = make_ring_allgather(world_); break;
        case AllgatherKind::hierarchical: slot = make_hierarchical_allgather(hosts_, options_); break;
        default: slot = make_native_allgather(world_); break;
      }
    }
    return *slot;
  }

  Communicator& world_;
  std::shared_ptr<HostLayout> hosts_;
  AlgorithmOptions options_;
  std::unique_ptr<AllgatherAlgorithm> built_[3];
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_automatic_allreduce(Communicator& world,
                                                             std::shared_ptr<HostLayout> hosts,
                                                             const AlgorithmOptions& options) {
  return std::make_unique<AutomaticAllreduce>(world, std::move(hosts), options);
}

std::unique_ptr<AllgatherAlgorithm> make_automatic_allgather(Communicator& world,
                                                             std::shared_ptr<HostLayout> hosts,
                                                             const AlgorithmOptions& options) {
  return std::make_unique<AutomaticAllgather>(world, std::move(hosts), options);
}

}  // namespace ringtail::coll::detail
