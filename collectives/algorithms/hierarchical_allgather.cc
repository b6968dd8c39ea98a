// Hierarchical allgather: (1) gather the host's blocks inside the host; (2) for
// each piece this rank owns (host_layout.h), exchange that fraction of every
// host's data with the piece's owners on the other hosts; (3) inside the host,
// put each other host's fractions together. Every byte crosses between two
// hosts once, and all ranks of a host share that traffic.
//
// The work happens in "host-major" order (host by host, ranks in rank order
// within a host); when hosts hold consecutive ranks that is rank order and the
// work happens in recv directly, otherwise in a scratch buffer copied out at
// the end.
#include <cstring>
#include <vector>

#include "implementations.h"
#include "partition.h"
#include "ring_steps.h"
#include "shm_host_phases.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll::detail {
namespace {

class HierarchicalAllgather final : public AllgatherAlgorithm {
 public:
  HierarchicalAllgather(std::shared_ptr<HostLayout> hosts, const AlgorithmOptions& options)
      : hosts_(std::move(hosts)), options_(options) {
    require_host_memory(hosts_->local(), "hierarchical allgather");
    shm_ = make_shm_host_phases(*hosts_, options_, "hierarchical allgather");
    for (const HostLayout::Piece& piece : hosts_->pieces()) {
      if (piece.comm == nullptr) {
        cross_.push_back(nullptr);
      } else if (options_.cross_method == PhaseMethod::ring && piece.comm->memory() == MemoryKind::host) {
        cross_.push_back(make_ring_allgather(*piece.comm));
      } else {
        cross_.push_back(make_native_allgather(*piece.comm));
      }
    }
  }
  std::string_view name() const noexcept override { return "hierarchical"; }

 protected:
  int world_size() const noexcept override { return hosts_->topology().size; }
  int world_rank() const noexcept override { return hosts_->topology().rank; }

  void do_run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
              DataType type) override {
    const Topology& t = hosts_->topology();
    const auto& ranks_of_host = hosts_->ranks_of_host();
    const int hosts = t.num_hosts();
    const int me = t.host;
    const std::size_t esize = size_of(type);

    // Where each host's block starts in host-major order, and its length.
    host_begin_.assign(static_cast<std::size_t>(hosts) + 1, 0);
    for (int h = 0; h < hosts; ++h) {
      std::size_t n = 0;
      for (int r : ranks_of_host[h]) n += recv_counts[r];
      host_begin_[h + 1] = host_begin_[h] + n;
    }
    const std::size_t total = host_begin_[hosts];
    call_ = {total, ReduceOp::sum};
    if (total == 0) {
      // The host's ranks still meet once, so that one called with other
      // counts fails at once instead of waiting out the timeout.
      if (shm_ && hosts_->local().size() > 1) {
        even_offsets(local_offsets_, 0, hosts_->local().size());
        shm_->allgather(recv, local_offsets_, type, call_);
      }
      return;
    }
    char* work = static_cast<char*>(recv);
    if (!hosts_->hosts_contiguous()) {
      if (work_.size() < total * esize) work_.resize(total * esize);
      work = work_.data();
    }

    // 1. The host's own blocks.
    Communicator& local = hosts_->local();
    local_counts_.clear();
    for (int r : ranks_of_host[me]) local_counts_.push_back(recv_counts[r]);
    offsets_from_counts(local_offsets_, local_counts_);
    char* mine = work + (host_begin_[me] + local_offsets_[local.rank()]) * esize;
    const std::size_t my_bytes = local_counts_[local.rank()] * esize;
    if (my_bytes != 0 && mine != send) std::memmove(mine, send, my_bytes);
    gather_inside_host(work + host_begin_[me] * esize, type);

    // 2. Across hosts: this rank's pieces of every host's block.
    const auto& pieces = hosts_->pieces();
    for (std::size_t k = 0; k < pieces.size(); ++k) {
      if (!cross_[k]) continue;
      piece_counts_.resize(static_cast<std::size_t>(hosts));
      std::size_t piece_total = 0;
      for (int h = 0; h < hosts; ++h) {
        const std::size_t n = host_begin_[h + 1] - host_begin_[h];
        piece_counts_[h] = pieces[k].end.at(n) - pieces[k].begin.at(n);
        piece_total += piece_counts_[h];
      }
      if (piece_total == 0) continue;
      if (piece_.size() < piece_total * esize) piece_.resize(piece_total * esize);
      const std::size_t my_n = host_begin_[me + 1] - host_begin_[me];
      cross_[k]->run(work + (host_begin_[me] + pieces[k].begin.at(my_n)) * esize, piece_.data(),
                     piece_counts_, type);
      std::size_t at = 0;
      for (int h = 0; h < hosts; ++h) {
        const std::size_t n = host_begin_[h + 1] - host_begin_[h];
        if (h != me && piece_counts_[h] != 0) {
          std::memcpy(work + (host_begin_[h] + pieces[k].begin.at(n)) * esize,
                      piece_.data() + at * esize, piece_counts_[h] * esize);
        }
        at += piece_counts_[h];
      }
    }

    // 3. Inside the host: local rank j holds the fraction [j/L, (j+1)/L) of every
    //    other host's block; put each block together.
    for (int h = 0; h < hosts && local.size() > 1; ++h) {
      if (h == me) continue;
      const std::size_t n = host_begin_[h + 1] - host_begin_[h];
      if (n == 0) continue;
      even_offsets(local_offsets_, n, local.size());
      local_counts_.resize(static_cast<std::size_t>(local.size()));
      for (int j = 0; j < local.size(); ++j) local_counts_[j] = local_offsets_[j + 1] - local_offsets_[j];
      gather_inside_host(work + host_begin_[h] * esize, type);
    }

    // 4. Host-major order back to rank order.
    if (work != recv) {
      offsets_from_counts(rank_offsets_, recv_counts);
      std::size_t at = 0;
      for (int h = 0; h < hosts; ++h) {
        for (int r : ranks_of_host[h]) {
          std::memcpy(static_cast<char*>(recv) + rank_offsets_[r] * esize, work + at * esize,
                      recv_counts[r] * esize);
          at += recv_counts[r];
        }
      }
    }
  }

 private:
  // Allgatherv inside the host of local_counts_ / local_offsets_ blocks of
  // `block`, where this rank's block is already in place.
  void gather_inside_host(char* block, DataType type) {
    Communicator& local = hosts_->local();
    if (local.size() == 1) return;
    if (shm_) {
      shm_->allgather(block, local_offsets_, type, call_);
    } else if (options_.local_method == PhaseMethod::ring) {
      ring_allgather(local, block, local_offsets_, type);
    } else {
      local.allgatherv(block + local_offsets_[local.rank()] * size_of(type), block, local_counts_,
                       type);
    }
  }

  std::shared_ptr<HostLayout> hosts_;
  AlgorithmOptions options_;
  std::vector<std::unique_ptr<AllgatherAlgorithm>> cross_;  // one per piece
  std::unique_ptr<ShmHostPhases> shm_;  // the phases inside the host through shared memory
  PhaseCall call_;                      // the current call, as the ranks compare it
  std::vector<std::size_t> host_begin_;
  std::vector<std::size_t> local_counts_;
  std::vector<std::size_t> local_offsets_;
  std::vector<std::size_t> piece_counts_;
  std::vector<std::size_t> rank_offsets_;
  std::vector<char> work_;
  std::vector<char> piece_;
};

}  // namespace

std::unique_ptr<AllgatherAlgorithm> make_hierarchical_allgather(std::shared_ptr<HostLayout> hosts,
                                                                const AlgorithmOptions& options) {
  if (!hosts) {
    throw Error(ErrorKind::invalid_argument,
                "hierarchical allgather needs a HostLayout (HostLayout::create)");
  }
  return std::make_unique<HierarchicalAllgather>(std::move(hosts), options);
}

}  // namespace ringtail::coll::detail
