// Ring allgather (allgatherv): each rank's block travels n-1 hops around the
// ring, straight into place, over sendrecv on any backend.
#include <cstring>

#include "implementations.h"
#include "partition.h"
#include "ring_steps.h"

namespace ringtail::coll::detail {
namespace {

class RingAllgather final : public AllgatherAlgorithm {
 public:
  explicit RingAllgather(Communicator& comm) : comm_(comm) {
    require_host_memory(comm, "ring allgather");
  }
  std::string_view name() const noexcept override { return "ring"; }

 protected:
  int world_size() const noexcept override { return comm_.size(); }
  int world_rank() const noexcept override { return comm_.rank(); }
  void do_run(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
              DataType type) override {
    offsets_from_counts(offsets_, recv_counts);
    const std::size_t esize = size_of(type);
    const int r = comm_.rank();
    char* mine = static_cast<char*>(recv) + offsets_[r] * esize;
    const std::size_t bytes = recv_counts[r] * esize;
    if (bytes != 0 && send != mine) std::memmove(mine, send, bytes);
    ring_allgather(comm_, recv, offsets_, type);
  }

 private:
  Communicator& comm_;
  std::vector<std::size_t> offsets_;
};

}  // namespace

std::unique_ptr<AllgatherAlgorithm> make_ring_allgather(Communicator& world) {
  return std::make_unique<RingAllgather>(world);
}

}  // namespace ringtail::coll::detail
