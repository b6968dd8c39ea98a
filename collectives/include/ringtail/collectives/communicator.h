#pragma once
// The data plane: collectives on raw buffers, one interface for every backend.
//
// The public methods are non-virtual: they validate the arguments (a null buffer
// with a non-zero count, a root or peer outside the communicator, count vectors of
// the wrong length, an op a dtype cannot do) and throw ringtail::Error with
// ErrorKind::invalid_argument before anything is sent, then call the backend's
// protected do_* method. A backend therefore only ever sees valid local arguments.
// Arguments that must agree across ranks (counts, dtype, op, root) are checked
// across ranks too when the communicator is built with check_across_ranks: one
// small extra allreduce per call, for debugging and tests.
//
// All calls are blocking and must be made by every rank of the communicator in
// the same order (as with MPI). A communicator is used by one thread at a time.
// Buffers live in memory(): host memory, or CUDA device memory for "nccl".

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ringtail/collectives/data_type.h"

namespace ringtail::coll {

class Communicator {
 public:
  virtual ~Communicator();
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  int rank() const noexcept { return rank_; }
  int size() const noexcept { return size_; }
  virtual std::string_view backend() const noexcept = 0;
  virtual MemoryKind memory() const noexcept { return MemoryKind::host; }

  // recv may equal send (in place). `count` elements on every rank.
  // On host memory (mpi, gloo) the output of every collective may overlap its
  // input, in place or part-way (the backend then reads the input from a copy or
  // moves it into place first); on nccl only the in-place forms are defined.
  void allreduce(const void* send, void* recv, std::size_t count, DataType type, ReduceOp op);
  void allreduce(void* buffer, std::size_t count, DataType type, ReduceOp op) {
    allreduce(buffer, buffer, count, type, op);
  }

  // recv holds size() * count elements, rank r's block at r * count.
  void allgather(const void* send, void* recv, std::size_t count, DataType type);
  // recv_counts[r] elements from rank r, packed in rank order; send has
  // recv_counts[rank()] elements.
  void allgatherv(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                  DataType type);

  void broadcast(void* buffer, std::size_t count, DataType type, int root);

  // send holds sum(recv_counts) elements; rank r receives the reduction of block r
  // (recv_counts[r] elements) into recv.
  void reducescatter(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                     DataType type, ReduceOp op);

  // count elements to and from every rank.
  void alltoall(const void* send, void* recv, std::size_t count, DataType type);
  // send_counts[r] elements go to rank r (packed in rank order); recv_counts[r]
  // elements arrive from rank r.
  void alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                 const std::vector<std::size_t>& recv_counts, DataType type);

  void barrier();

  // Point-to-point; messages between a pair with the same tag arrive in order.
  void send(const void* buffer, std::size_t count, DataType type, int peer, std::uint32_t tag = 0);
  void recv(void* buffer, std::size_t count, DataType type, int peer, std::uint32_t tag = 0);
  // Sends send_count elements to `dest` while receiving recv_count elements from
  // `source` (dest may equal source), like MPI_Sendrecv: one step of a ring or a
  // pairwise exchange. The two buffers must not overlap.
  void sendrecv(const void* send, std::size_t send_count, int dest, void* recv,
                std::size_t recv_count, int source, DataType type, std::uint32_t tag = 0);

  // Collective over this communicator: ranks with the same color form a new
  // communicator, ordered by (key, old rank). A negative color takes no part and
  // gets nullptr.
  std::unique_ptr<Communicator> split(int color, int key);

  // Turns on the cross-rank check of counts, dtype, op and root (see above).
  void set_check_across_ranks(bool on) noexcept { check_across_ranks_ = on; }

 protected:
  Communicator(int rank, int size);

  // The backend's operations. `op` is never `average`: the base class reduces
  // with `sum` and divides afterwards, unless native_average() says the backend
  // averages itself.
  virtual void do_allreduce(const void* send, void* recv, std::size_t count, DataType type,
                            ReduceOp op) = 0;
  virtual void do_allgatherv(const void* send, void* recv,
                             const std::vector<std::size_t>& recv_counts, DataType type) = 0;
  virtual void do_broadcast(void* buffer, std::size_t count, DataType type, int root) = 0;
  virtual void do_reducescatter(const void* send, void* recv,
                                const std::vector<std::size_t>& recv_counts, DataType type,
                                ReduceOp op) = 0;
  virtual void do_alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
                            void* recv, const std::vector<std::size_t>& recv_counts,
                            DataType type) = 0;
  virtual void do_barrier() = 0;
  virtual void do_send(const void* buffer, std::size_t bytes, int peer, std::uint32_t tag) = 0;
  virtual void do_recv(void* buffer, std::size_t bytes, int peer, std::uint32_t tag) = 0;
  // The default runs do_send and do_recv one after the other, so it is correct on
  // any backend: it sends first when rank() < dest and receives first otherwise,
  // which cannot deadlock when the (rank -> dest) pairs of a step form a
  // permutation (every ring shift, every pairwise exchange; see communicator.cc).
  // It does not overlap the two transfers, so a backend with non-blocking
  // point-to-point overrides it with a concurrent exchange.
  virtual void do_sendrecv(const void* send, std::size_t send_bytes, int dest, void* recv,
                           std::size_t recv_bytes, int source, std::uint32_t tag);
  virtual std::unique_ptr<Communicator> do_split(int color, int key) = 0;

  virtual bool native_average() const noexcept { return false; }
  // Divides a host or device buffer by size() after a sum; the host default uses
  // the reduction kernels.
  virtual void divide_by_size(void* buffer, std::size_t count, DataType type);

 private:
  void check_signature(std::string_view what, std::uint64_t count, DataType type, ReduceOp op,
                       int root, const std::vector<std::size_t>* counts = nullptr);

  int rank_;
  int size_;
  bool check_across_ranks_ = false;
};

}  // namespace ringtail::coll
