// Shared-memory allreduce for ranks on one machine: the ranks exchange data
// through one mapped segment (shared_segment.h) instead of messages, so a step
// costs a memcpy and a flag, not a rendezvous, a system call and page pinning.
//
// The buffer goes in chunks of up to n x segment elements, each cut into n
// parts. Per chunk, rank r
//   A. copies its input for every other part j into its slot's area j;
//   B. once all ranks did A: reduces part r (its input plus area r of every
//      other slot) straight into its output, and copies the result into its
//      own area r;
//   C. once all ranks did B: copies every other part j from area j of slot j.
// Areas sit at fixed offsets, whatever the chunk's cut, so two flags per chunk
// are enough: a rank rewrites its area j (next A) only after rank j announced
// that chunk's A, which rank j does after its C, the last read of that area.
// Each element is read and written about as often as in a ring over a
// single-copy transport, with two flag waits per chunk instead of 2(n-1)
// message exchanges.
#include <algorithm>
#include <cstring>
#include <optional>
#include <vector>

#include "implementations.h"
#include "partition.h"
#include "ringtail/collectives/reduce_kernels.h"
#include "shared_exchange.h"

namespace ringtail::coll::detail {
namespace {

constexpr std::size_t kAreaAlign = 64;
constexpr unsigned kAllreduceTag = 1;

class ShmAllreduce final : public AllreduceAlgorithm {
 public:
  ShmAllreduce(Communicator& comm, const AlgorithmOptions& options)
      : n_(comm.size()), rank_(comm.rank()) {
    require_host_memory(comm, "shared-memory allreduce");
    area_bytes_ = (options.effective_shm_area_bytes() + kAreaAlign - 1) / kAreaAlign * kAreaAlign;
    if (n_ > 1) {
      exchange_.emplace(comm, area_bytes_ * n_ * n_, options.peer_timeout, "shared-memory allreduce");
    }
  }
  std::string_view name() const noexcept override { return "shm"; }

 protected:
  void do_run(const void* send, void* recv, std::size_t count, DataType type,
              ReduceOp op) override {
    const std::size_t esize = size_of(type);
    if (n_ == 1) {
      if (send != recv && count > 0) std::memcpy(recv, send, count * esize);
      return;
    }
    const bool average = op == ReduceOp::average;
    const ReduceOp wire = average ? ReduceOp::sum : op;
    const std::size_t part_elems = area_bytes_ / esize;
    const std::size_t chunk_elems = part_elems * n_;
    const auto* in = static_cast<const unsigned char*>(send);
    auto* out = static_cast<unsigned char*>(recv);
    // A call with nothing to do still meets the others once, so that ranks
    // disagreeing on the count fail together instead of waiting forever.
    std::size_t base = 0;
    bool first = true;
    do {
      const std::size_t c = std::min(chunk_elems, count - base);
      even_offsets(offsets_, c, n_);
      const unsigned char* chunk_in = in + base * esize;
      unsigned char* chunk_out = out + base * esize;
      auto bytes_of = [&](int j) { return (offsets_[j + 1] - offsets_[j]) * esize; };

      // A.
      for (int j = 0; j < n_; ++j) {
        if (j != rank_ && bytes_of(j) > 0) {
          std::memcpy(area(rank_, j), chunk_in + offsets_[j] * esize, bytes_of(j));
        }
      }
      if (first) {
        exchange_->arrive_and_wait(SharedExchange::describe(count, type, op, kAllreduceTag));
      } else {
        exchange_->arrive_and_wait();
      }
      first = false;

      // B.
      if (const std::size_t mine = bytes_of(rank_); mine > 0) {
        const std::size_t elems = mine / esize;
        const unsigned char* src = chunk_in + offsets_[rank_] * esize;
        unsigned char* dst = chunk_out + offsets_[rank_] * esize;
        bool started = false;
        for (int j = 0; j < n_; ++j) {
          if (j == rank_) continue;
          if (!started && src != dst) {
            reduce(dst, src, area(j, rank_), elems, type, wire);
          } else {
            reduce_into(dst, area(j, rank_), elems, type, wire);
          }
          started = true;
        }
        if (average) divide(dst, elems, type, n_);
        std::memcpy(area(rank_, rank_), dst, mine);
      }
      exchange_->arrive_and_wait();

      // C.
      for (int j = 0; j < n_; ++j) {
        if (j != rank_ && bytes_of(j) > 0) {
          std::memcpy(chunk_out + offsets_[j] * esize, area(j, j), bytes_of(j));
        }
      }
      base += c;
    } while (base < count);
  }

 private:
  // Area `part` of rank `owner`'s slot.
  unsigned char* area(int owner, int part) const {
    return exchange_->payload() + area_bytes_ * (owner * n_ + part);
  }

  const int n_;
  const int rank_;
  std::size_t area_bytes_ = 0;
  std::optional<SharedExchange> exchange_;  // with more than one rank
  std::vector<std::size_t> offsets_;
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_shm_allreduce(Communicator& world,
                                                       const AlgorithmOptions& options) {
  return std::make_unique<ShmAllreduce>(world, options);
}

}  // namespace ringtail::coll::detail
