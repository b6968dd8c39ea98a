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
#include <chrono>
#include <cstdint>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "implementations.h"
#include "partition.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"
#include "shared_flag.h"
#include "shared_segment.h"

namespace ringtail::coll::detail {
namespace {

using Clock = std::chrono::steady_clock;

// One cache line pair per rank, so a rank's writes never evict a line that a
// spinning peer reads (adjacent-line prefetch pulls pairs).
constexpr std::size_t kControlBytes = 128;
constexpr std::size_t kAreaAlign = 64;

// Written by its rank, read by all. `call` describes the current call so that
// ranks that disagree on it fail instead of mixing their buffers.
struct Control {
  SharedFlag flag;
  std::uint64_t count;
  std::uint32_t type_and_op;
};
static_assert(sizeof(Control) <= kControlBytes);

class ShmAllreduce final : public AllreduceAlgorithm {
 public:
  ShmAllreduce(Communicator& comm, const AlgorithmOptions& options)
      : n_(comm.size()), rank_(comm.rank()), timeout_(options.peer_timeout) {
    require_host_memory(comm, "shared-memory allreduce");
    area_bytes_ = (options.effective_shm_area_bytes() + kAreaAlign - 1) / kAreaAlign * kAreaAlign;
    if (n_ > 1) {
      const std::size_t bytes = kControlBytes * n_ + area_bytes_ * n_ * n_;
      segment_ = SharedSegment::create(comm, bytes, "the shared-memory allreduce");
      if (rank_ == 0) {
        for (int i = 0; i < n_; ++i) new (control(i)) Control{};
      }
      // Nobody touches a flag before rank 0 has constructed them all.
      comm.barrier();
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
    if (broken_) {
      throw Error(ErrorKind::peer_lost,
                  "shared-memory allreduce: an earlier call timed out waiting for a rank; "
                  "this algorithm object cannot be used again");
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
        Control& mine = *control(rank_);
        mine.count = count;
        mine.type_and_op = static_cast<std::uint32_t>(type) << 8 | static_cast<std::uint32_t>(op);
      }
      arrive_and_wait();
      if (first) {
        // Every rank reads the same published calls and reaches the same
        // verdict; the extra step keeps them all here until everyone has read.
        if (std::string disagreement = find_disagreement(); !disagreement.empty()) {
          arrive_and_wait();
          throw Error(ErrorKind::mismatch, disagreement);
        }
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
      arrive_and_wait();

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
  Control* control(int i) const {
    return reinterpret_cast<Control*>(segment_->data() + kControlBytes * i);
  }
  // Area `part` of rank `owner`'s slot.
  unsigned char* area(int owner, int part) const {
    return segment_->data() + kControlBytes * n_ + area_bytes_ * (owner * n_ + part);
  }

  // Announces this rank's next step and waits until every rank announced it
  // (shared_flag.h: a short spin, then a futex sleep).
  void arrive_and_wait() {
    ++step_;
    raise(control(rank_)->flag, step_);
    const Clock::time_point deadline = Clock::now() + timeout_;
    for (int j = 0; j < n_; ++j) {
      if (j == rank_ || wait_until_reached(control(j)->flag, step_, deadline, cores_shared_)) continue;
      broken_ = true;
      throw Error(ErrorKind::timeout,
                  "shared-memory allreduce: rank " + std::to_string(j) + " did not arrive within " +
                      std::to_string(timeout_.count()) +
                      " ms (it died, or ranks called different collectives)");
    }
  }

  std::string find_disagreement() const {
    const Control& mine = *control(rank_);
    for (int j = 0; j < n_; ++j) {
      const Control& theirs = *control(j);
      if (theirs.count != mine.count || theirs.type_and_op != mine.type_and_op) {
        return "shared-memory allreduce: rank " + std::to_string(rank_) + " called with " +
               std::to_string(mine.count) + " x " + type_name(mine) + " but rank " +
               std::to_string(j) + " with " + std::to_string(theirs.count) + " x " + type_name(theirs) +
               (theirs.type_and_op != mine.type_and_op ? " (or another reduce op)" : "");
      }
    }
    return {};
  }
  static std::string type_name(const Control& c) {
    return std::string(to_string(static_cast<DataType>(c.type_and_op >> 8)));
  }

  const int n_;
  const int rank_;
  const std::chrono::milliseconds timeout_;
  std::size_t area_bytes_ = 0;
  std::unique_ptr<SharedSegment> segment_;
  // More ranks than cores: waiting ranks hand their core over before sleeping.
  const bool cores_shared_ = n_ > static_cast<int>(std::thread::hardware_concurrency());
  std::uint32_t step_ = 0;  // wraps; flags compare with wrapping arithmetic
  bool broken_ = false;
  std::vector<std::size_t> offsets_;
};

}  // namespace

std::unique_ptr<AllreduceAlgorithm> make_shm_allreduce(Communicator& world,
                                                       const AlgorithmOptions& options) {
  return std::make_unique<ShmAllreduce>(world, options);
}

}  // namespace ringtail::coll::detail
