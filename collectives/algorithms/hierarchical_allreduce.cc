// Hierarchical allreduce: reduce-scatter inside the host, allreduce of each
// piece of this rank's shard with its owners on the other hosts, allgather
// inside the host (host_layout.h explains shards and pieces). Only the pieces
// cross between hosts, so the slow links carry 2 (H-1)/H of the buffer per host
// instead of 2 (n-1)/n per rank, and every rank of a host shares that traffic.
#include <algorithm>
#include <cstring>
#include <vector>

#include "implementations.h"
#include "partition.h"
#include "ring_steps.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll::detail {
namespace {

class HierarchicalAllreduce final : public AllreduceAlgorithm {
 public:
  HierarchicalAllreduce(std::shared_ptr<HostLayout> hosts, const AlgorithmOptions& options)
      : hosts_(std::move(hosts)), options_(options) {
    if (hosts_->local().memory() != MemoryKind::host) options_.local_method = PhaseMethod::native;
    for (const HostLayout::Piece& piece : hosts_->pieces()) {
      if (piece.comm == nullptr) {
        cross_.push_back(nullptr);
      } else if (options_.cross_method == PhaseMethod::ring && piece.comm->memory() == MemoryKind::host) {
        cross_.push_back(make_ring_allreduce(*piece.comm, options_));
      } else {
        cross_.push_back(make_native_allreduce(*piece.comm));
      }
    }
  }
  std::string_view name() const noexcept override { return "hierarchical"; }

 protected:
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    if (count == 0) return;
    const Topology& t = hosts_->topology();
    const std::size_t esize = size_of(type);
    const ReduceOp combine = op == ReduceOp::average ? ReduceOp::sum : op;
    Communicator& local = hosts_->local();
    const int l = local.size();
    const int i = local.rank();
    even_offsets(shards_, count, l);
    char* out = static_cast<char*>(recv);

    // 1. Inside the host: this rank's shard of recv holds the host's sum.
    reduce_scatter_local(send, recv, count, type, combine);

    // 2. Across hosts, piece by piece, in buffer order on every rank (a rank that
    //    owns several pieces takes them in the same order as their other owners,
    //    so the blocking collectives cannot wait on each other in a cycle).
    const auto& pieces = hosts_->pieces();
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      if (!cross_[k]) continue;
      const std::size_t begin = pieces[k].begin.at(count);
      const std::size_t end = pieces[k].end.at(count);
      if (end > begin) cross_[k]->run(out + begin * esize, end - begin, type, combine);
    }
    if (op == ReduceOp::average) {
      divide(out + shards_[i] * esize, shards_[i + 1] - shards_[i], type, t.size);
    }

    // 3. Inside the host again: every rank gets every shard.
    allgather_local(recv, type);
  }

 private:
  void reduce_scatter_local(const void* send, void* recv, std::size_t count, DataType type,
                            ReduceOp op) {
    Communicator& local = hosts_->local();
    const std::size_t esize = size_of(type);
    const int i = local.rank();
    char* mine = static_cast<char*>(recv) + shards_[i] * esize;
    const std::size_t mine_count = shards_[i + 1] - shards_[i];
    if (local.size() == 1) {
      if (send != recv) std::memcpy(recv, send, count * esize);
      return;
    }
    if (options_.local_method == PhaseMethod::ring) {
      ring_reduce_scatter(local, send, recv, shards_, type, op,
                          std::max<std::size_t>(1, options_.effective_segment_bytes() / esize),
                          scratch_);
      return;
    }
    counts_.resize(static_cast<std::size_t>(local.size()));
    for (int j = 0; j < local.size(); ++j) counts_[j] = shards_[j + 1] - shards_[j];
    if (send != recv) {
      local.reducescatter(send, mine, counts_, type, op);
      return;
    }
    // In place, the backend's receive block would alias its send buffer.
    if (local.memory() != MemoryKind::host) {
      throw Error(ErrorKind::unsupported,
                  "hierarchical allreduce: in-place with a native local phase needs host memory");
    }
    if (scratch_.size() < mine_count * esize) scratch_.resize(mine_count * esize);
    local.reducescatter(send, scratch_.data(), counts_, type, op);
    std::memcpy(mine, scratch_.data(), mine_count * esize);
  }

  void allgather_local(void* recv, DataType type) {
    Communicator& local = hosts_->local();
    if (local.size() == 1) return;
    if (options_.local_method == PhaseMethod::ring) {
      ring_allgather(local, recv, shards_, type);
      return;
    }
    const int i = local.rank();
    local.allgatherv(static_cast<char*>(recv) + shards_[i] * size_of(type), recv, counts_, type);
  }

  std::shared_ptr<HostLayout> hosts_;
  AlgorithmOptions options_;
  std::vector<std::unique_ptr<AllreduceAlgorithm>> cross_;  // one per piece
  std::vector<std::size_t> shards_;
  std::vector<std::size_t> counts_;
  std::vector<char> scratch_;
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_hierarchical_allreduce(std::shared_ptr<HostLayout> hosts,
                                                                const AlgorithmOptions& options) {
  if (!hosts) {
    throw Error(ErrorKind::invalid_argument,
                "hierarchical allreduce needs a HostLayout (HostLayout::create)");
  }
  return std::make_unique<HierarchicalAllreduce>(std::move(hosts), options);
}

}  // namespace ringtail::coll::detail
