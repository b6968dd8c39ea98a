// Hierarchical allreduce: reduce-scatter inside the host, allreduce of each
// piece of this rank's shard with its owners on the other hosts, allgather
// inside the host (host_layout.h explains shards and pieces). Only the pieces
// cross between hosts, so the slow links carry 2 (H-1)/H of the buffer per host
// instead of 2 (n-1)/n per rank, and every rank of a host shares that traffic.
#include <algorithm>
#include <cstring>
#include <utility>
#include <vector>

#include "chunk_pipeline.h"
#include "implementations.h"
#include "partition.h"
#include "ring_steps.h"
#include "shm_host_phases.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll::detail {
namespace {

class HierarchicalAllreduce final : public AllreduceAlgorithm {
 public:
  HierarchicalAllreduce(std::shared_ptr<HostLayout> hosts, const AlgorithmOptions& options)
      : hosts_(std::move(hosts)), options_(options) {
    if (hosts_->local().memory() != MemoryKind::host) options_.local_method = PhaseMethod::native;
    shm_ = make_shm_host_phases(*hosts_, options_, "hierarchical allreduce");
    // Pipelined only where the two threads do not share one library's progress
    // engine: with Open MPI on both sides (MPI_THREAD_MULTIPLE) a 64 MiB
    // allreduce across two namespace hosts took 718 ms in 4 MiB chunks against
    // 676 ms unchunked, and 2.4 s in 1 MiB chunks; with Gloo across hosts the
    // chunks gave 638 ms against 712 (docs/performance.md). It holds with the
    // phases inside the host on shared memory too, where only the cross thread
    // calls MPI: at full link speed 122 ms in chunks against 65 ms in one pass.
    pipelined_ = hosts_->num_hosts() > 1 && hosts_->local().memory() == MemoryKind::host;
    for (const HostLayout::Piece& piece : hosts_->pieces()) {
      if (piece.comm == nullptr) {
        cross_.push_back(nullptr);
        continue;
      }
      pipelined_ = pipelined_ && piece.comm->memory() == MemoryKind::host &&
                   !(piece.comm->backend() == "mpi" && hosts_->local().backend() == "mpi");
      if (options_.cross_method == PhaseMethod::ring && piece.comm->memory() == MemoryKind::host) {
        cross_.push_back(make_ring_allreduce(*piece.comm, options_));
      } else {
        cross_.push_back(make_native_allreduce(*piece.comm));
      }
    }
  }
  std::string_view name() const noexcept override { return "hierarchical"; }

 protected:
  // The buffer goes through the three phases in chunks. With one chunk they
  // run one after the other on this thread. With several, the cross-host phase
  // of chunk c runs on a second thread while this one reduces chunk c + 1 and
  // gathers chunk c - 1 inside the host, so the time is about that of the
  // slower side plus one chunk, not the sum of the three. Every rank cuts the
  // same chunks (the count depends only on the size and the options) and runs
  // the collectives of each communicator in chunk order, so no two ranks can
  // wait on each other in a cycle.
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    call_ = {count, op};
    if (count == 0) {
      // The host's ranks still meet once, so that one called with another
      // count fails at once instead of waiting out the timeout.
      if (shm_) {
        even_offsets(shards_, 0, hosts_->local().size());
        shm_->reduce_scatter(send, recv, shards_, type, ReduceOp::sum, call_);
      }
      return;
    }
    const std::size_t esize = size_of(type);
    const std::size_t chunks = chunk_count(count * esize);
    even_offsets(chunk_offsets_, count, static_cast<int>(chunks));
    const char* in = static_cast<const char*>(send);
    char* out = static_cast<char*>(recv);
    const auto chunk_at = [&](std::size_t c) {
      const std::size_t begin = chunk_offsets_[c];
      return Chunk{in + begin * esize, out + begin * esize, chunk_offsets_[c + 1] - begin};
    };
    if (chunks == 1) {
      reduce_scatter_local(chunk_at(0), type, op);
      cross_hosts(chunk_at(0), type, op);
      allgather_local(chunk_at(0), type);
      return;
    }
    ChunkPipeline cross(chunks, [&](std::size_t c) { cross_hosts(chunk_at(c), type, op); });
    for (std::size_t c = 0; c < chunks; ++c) {
      reduce_scatter_local(chunk_at(c), type, op);
      cross.release(c);
      if (c > 0) {
        cross.wait(c - 1);
        allgather_local(chunk_at(c - 1), type);
      }
    }
    cross.wait(chunks - 1);
    allgather_local(chunk_at(chunks - 1), type);
  }

 private:
  struct Chunk {
    const char* send;
    char* recv;
    std::size_t count;
  };

  std::size_t chunk_count(std::size_t bytes) const {
    if (!pipelined_) return 1;
    return std::clamp<std::size_t>(bytes / options_.effective_pipeline_chunk_bytes(), 1, kMaxPipelineChunks);
  }

  // This rank's shard of the chunk: the local ranks cut each chunk evenly.
  static std::pair<std::size_t, std::size_t> shard_of(std::size_t count, int rank, int ranks) {
    return {mul_div_floor(count, static_cast<std::size_t>(rank), static_cast<std::size_t>(ranks)),
            mul_div_floor(count, static_cast<std::size_t>(rank) + 1, static_cast<std::size_t>(ranks))};
  }

  // 1. Inside the host: this rank's shard of the chunk holds the host's sum.
  void reduce_scatter_local(const Chunk& chunk, DataType type, ReduceOp op) {
    Communicator& local = hosts_->local();
    const std::size_t esize = size_of(type);
    const ReduceOp combine = op == ReduceOp::average ? ReduceOp::sum : op;
    if (local.size() == 1) {
      if (chunk.send != chunk.recv) std::memcpy(chunk.recv, chunk.send, chunk.count * esize);
      return;
    }
    even_offsets(shards_, chunk.count, local.size());
    if (shm_) {
      shm_->reduce_scatter(chunk.send, chunk.recv, shards_, type, combine, call_);
      return;
    }
    if (options_.local_method == PhaseMethod::ring) {
      ring_reduce_scatter(local, chunk.send, chunk.recv, shards_, type, combine,
                          std::max<std::size_t>(1, options_.effective_segment_bytes() / esize), scratch_);
      return;
    }
    const int i = local.rank();
    char* mine = chunk.recv + shards_[i] * esize;
    const std::size_t mine_count = shards_[i + 1] - shards_[i];
    counts_of(shards_, counts_);
    if (chunk.send != chunk.recv) {
      local.reducescatter(chunk.send, mine, counts_, type, combine);
      return;
    }
    // In place, the backend's receive block would alias its send buffer.
    if (local.memory() != MemoryKind::host) {
      throw Error(ErrorKind::unsupported,
                  "hierarchical allreduce: in-place with a native local phase needs host memory");
    }
    if (scratch_.size() < mine_count * esize) scratch_.resize(mine_count * esize);
    local.reducescatter(chunk.send, scratch_.data(), counts_, type, combine);
    std::memcpy(mine, scratch_.data(), mine_count * esize);
  }

  // 2. Across hosts, piece by piece of this rank's shard, in buffer order on
  //    every rank (a rank that owns several pieces takes them in the same order
  //    as their other owners). Runs on the pipeline's thread when chunked: it
  //    touches only this rank's shard of the chunk and the piece communicators.
  void cross_hosts(const Chunk& chunk, DataType type, ReduceOp op) {
    const std::size_t esize = size_of(type);
    const ReduceOp combine = op == ReduceOp::average ? ReduceOp::sum : op;
    const auto& pieces = hosts_->pieces();
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      if (!cross_[k]) continue;
      const std::size_t begin = pieces[k].begin.at(chunk.count);
      const std::size_t end = pieces[k].end.at(chunk.count);
      if (end > begin) cross_[k]->run(chunk.recv + begin * esize, end - begin, type, combine);
    }
    if (op == ReduceOp::average) {
      const auto [begin, end] = shard_of(chunk.count, hosts_->local().rank(), hosts_->local().size());
      divide(chunk.recv + begin * esize, end - begin, type, hosts_->topology().size);
    }
  }

  // 3. Inside the host again: every rank gets every shard of the chunk.
  void allgather_local(const Chunk& chunk, DataType type) {
    Communicator& local = hosts_->local();
    if (local.size() == 1) return;
    even_offsets(shards_, chunk.count, local.size());
    if (shm_) {
      shm_->allgather(chunk.recv, shards_, type, call_);
      return;
    }
    if (options_.local_method == PhaseMethod::ring) {
      ring_allgather(local, chunk.recv, shards_, type);
      return;
    }
    const int i = local.rank();
    counts_of(shards_, counts_);
    local.allgatherv(chunk.recv + shards_[i] * size_of(type), chunk.recv, counts_, type);
  }

  static void counts_of(const std::vector<std::size_t>& offsets, std::vector<std::size_t>& counts) {
    counts.resize(offsets.size() - 1);
    for (std::size_t j = 0; j + 1 < offsets.size(); ++j) counts[j] = offsets[j + 1] - offsets[j];
  }

  std::shared_ptr<HostLayout> hosts_;
  AlgorithmOptions options_;
  bool pipelined_ = false;  // more than one host, all phases on host memory
  std::unique_ptr<ShmHostPhases> shm_;  // local phases through shared memory; this thread only
  PhaseCall call_;                      // the current call, as the ranks compare it
  std::vector<std::unique_ptr<AllreduceAlgorithm>> cross_;  // one per piece; pipeline thread only
  // This thread only (the local phases):
  std::vector<std::size_t> chunk_offsets_;
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
