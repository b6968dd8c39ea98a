// The "mpi" backend: Open MPI's collectives on host buffers. Each communicator
// owns a duplicate of its MPI communicator so ringtail's messages never match
// the program's own.

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstring>
#include <numeric>
#include <vector>

#include "mpi_environment.h"
#include "mpi_types.h"
#include "ringtail/collectives/error.h"
#include "ringtail/collectives/registry.h"

namespace ringtail::coll {
namespace {

// MPI counts are ints: longer operations run in pieces of at most 1 GiB,
// counted in bytes rather than elements because Open MPI's collectives have had
// int overflows in count x extent past 2 GiB (a power of two, so every dtype's
// pieces stay aligned).
constexpr std::size_t kMaxPiece = std::size_t{1} << 30;

int to_int(std::size_t n, const char* what) {
  if (n > static_cast<std::size_t>(INT_MAX)) {
    throw Error(ErrorKind::unsupported,
                std::string("mpi: ") + what + " of " + std::to_string(n) +
                    " elements exceeds MPI's int counts");
  }
  return static_cast<int>(n);
}

std::vector<int> counts_and_displacements(const std::vector<std::size_t>& counts,
                                          std::vector<int>& displacements, const char* what) {
  std::vector<int> out(counts.size());
  displacements.assign(counts.size(), 0);
  std::size_t offset = 0;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    out[i] = to_int(counts[i], what);
    displacements[i] = to_int(offset, what);
    offset += counts[i];
  }
  to_int(offset, what);
  return out;
}

// MPI forbids a send buffer that overlaps the receive buffer (only
// MPI_IN_PLACE may alias), and Open MPI does not check: an alltoall whose
// output is its input silently delivers blocks it already overwrote. Such an
// input travels from a copy instead.
bool overlap(const void* a, std::size_t a_bytes, const void* b, std::size_t b_bytes) {
  const auto* x = static_cast<const char*>(a);
  const auto* y = static_cast<const char*>(b);
  return a_bytes > 0 && b_bytes > 0 && x < y + b_bytes && y < x + a_bytes;
}

const void* unaliased(const void* send, std::size_t send_bytes, const void* recv,
                      std::size_t recv_bytes, std::vector<char>& copy) {
  if (!overlap(send, send_bytes, recv, recv_bytes)) return send;
  copy.assign(static_cast<const char*>(send), static_cast<const char*>(send) + send_bytes);
  return copy.data();
}

std::size_t total(const std::vector<std::size_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

class MpiCommunicator final : public Communicator {
 public:
  // Takes ownership of `comm` (a duplicate made for ringtail).
  explicit MpiCommunicator(MPI_Comm comm) : Communicator(rank_of(comm), size_of(comm)), comm_(comm) {
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    int flag = 0;
    int* tag_ub = nullptr;
    MPI_Comm_get_attr(MPI_COMM_WORLD, MPI_TAG_UB, &tag_ub, &flag);
    tag_ub_ = flag && tag_ub ? *tag_ub : 32767;
  }

  ~MpiCommunicator() override {
    int finalized = 0;
    MPI_Finalized(&finalized);
    if (!finalized) MPI_Comm_free(&comm_);
  }

  std::string_view backend() const noexcept override { return "mpi"; }

 protected:
  void do_allreduce(const void* send, void* recv, std::size_t count, DataType type,
                    ReduceOp op) override {
    const std::size_t esize = coll::size_of(type);
    // A result that overlaps the input part-way: move the input into place
    // and reduce in place (MPI forbids aliased buffers).
    if (send != recv && overlap(send, count * esize, recv, count * esize)) {
      std::memmove(recv, send, count * esize);
      send = recv;
    }
    const std::size_t piece = kMaxPiece / esize;
    for (std::size_t offset = 0; offset < count; offset += piece) {
      const std::size_t n = std::min(piece, count - offset);
      char* out = static_cast<char*>(recv) + offset * esize;
      const void* in = send == recv ? MPI_IN_PLACE
                                    : static_cast<const char*>(send) + offset * esize;
      mpi::check(MPI_Allreduce(in, out, static_cast<int>(n), mpi::datatype(type),
                               mpi::reduce_op(type, op), comm_),
                 "MPI_Allreduce");
    }
  }

  void do_allgatherv(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                     DataType type) override {
    std::vector<int> displacements;
    const std::vector<int> counts = counts_and_displacements(recv_counts, displacements, "allgatherv");
    const std::size_t mine = recv_counts[rank()];
    const std::size_t esize = coll::size_of(type);
    const char* my_slot = static_cast<const char*>(recv) + std::size_t(displacements[rank()]) * esize;
    std::vector<char> copy;
    const void* in = send == my_slot ? MPI_IN_PLACE
                                     : unaliased(send, mine * esize, recv,
                                                 total(recv_counts) * esize, copy);
    mpi::check(MPI_Allgatherv(in, to_int(mine, "allgatherv"), mpi::datatype(type), recv,
                              counts.data(), displacements.data(), mpi::datatype(type), comm_),
               "MPI_Allgatherv");
  }

  void do_broadcast(void* buffer, std::size_t count, DataType type, int root) override {
    const std::size_t esize = coll::size_of(type);
    const std::size_t piece = kMaxPiece / esize;
    for (std::size_t offset = 0; offset < count; offset += piece) {
      const std::size_t n = std::min(piece, count - offset);
      mpi::check(MPI_Bcast(static_cast<char*>(buffer) + offset * esize, static_cast<int>(n),
                           mpi::datatype(type), root, comm_),
                 "MPI_Bcast");
    }
  }

  void do_reducescatter(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                        DataType type, ReduceOp op) override {
    std::vector<int> displacements;
    const std::vector<int> counts = counts_and_displacements(recv_counts, displacements, "reducescatter");
    const std::size_t esize = coll::size_of(type);
    std::vector<char> copy;
    send = unaliased(send, total(recv_counts) * esize, recv, recv_counts[rank()] * esize, copy);
    mpi::check(MPI_Reduce_scatter(send, recv, counts.data(), mpi::datatype(type),
                                  mpi::reduce_op(type, op), comm_),
               "MPI_Reduce_scatter");
  }

  void do_alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                    const std::vector<std::size_t>& recv_counts, DataType type) override {
    std::vector<int> send_displacements;
    std::vector<int> recv_displacements;
    const std::vector<int> sc = counts_and_displacements(send_counts, send_displacements, "alltoallv");
    const std::vector<int> rc = counts_and_displacements(recv_counts, recv_displacements, "alltoallv");
    const std::size_t esize = coll::size_of(type);
    std::vector<char> copy;
    send = unaliased(send, total(send_counts) * esize, recv, total(recv_counts) * esize, copy);
    mpi::check(MPI_Alltoallv(send, sc.data(), send_displacements.data(), mpi::datatype(type), recv,
                             rc.data(), recv_displacements.data(), mpi::datatype(type), comm_),
               "MPI_Alltoallv");
  }

  void do_barrier() override { mpi::check(MPI_Barrier(comm_), "MPI_Barrier"); }

  void do_send(const void* buffer, std::size_t bytes, int peer, std::uint32_t tag) override {
    const int t = checked_tag(tag);
    for (std::size_t offset = 0; offset < bytes || offset == 0; offset += kMaxPiece) {
      const std::size_t n = std::min(kMaxPiece, bytes - offset);
      mpi::check(MPI_Send(static_cast<const char*>(buffer) + offset, static_cast<int>(n), MPI_BYTE,
                          peer, t, comm_),
                 "MPI_Send");
      if (bytes == 0) break;
    }
  }

  void do_recv(void* buffer, std::size_t bytes, int peer, std::uint32_t tag) override {
    const int t = checked_tag(tag);
    for (std::size_t offset = 0; offset < bytes || offset == 0; offset += kMaxPiece) {
      const std::size_t n = std::min(kMaxPiece, bytes - offset);
      MPI_Status status;
      const int rc = MPI_Recv(static_cast<char*>(buffer) + offset, static_cast<int>(n), MPI_BYTE,
                              peer, t, comm_, &status);
      check_transfer(rc, status, n, peer, tag, "recv", "MPI_Recv");
      if (bytes == 0) break;
    }
  }

  // Both directions are posted at once (pieces of at most kMaxPiece bytes each,
  // counted per direction so both ends agree), so the transfers progress together
  // and large ones go single-copy through shared memory; the ring algorithms rely
  // on this.
  void do_sendrecv(const void* send, std::size_t send_bytes, int dest, void* recv,
                   std::size_t recv_bytes, int source, std::uint32_t tag) override {
    const int t = checked_tag(tag);
    if (send_bytes <= kMaxPiece && recv_bytes <= kMaxPiece) {
      MPI_Status status;
      const int rc = MPI_Sendrecv(send, static_cast<int>(send_bytes), MPI_BYTE, dest, t, recv,
                                  static_cast<int>(recv_bytes), MPI_BYTE, source, t, comm_, &status);
      check_transfer(rc, status, recv_bytes, source, tag, "sendrecv", "MPI_Sendrecv");
      return;
    }
    const std::size_t send_pieces = std::max<std::size_t>(1, (send_bytes + kMaxPiece - 1) / kMaxPiece);
    const std::size_t recv_pieces = std::max<std::size_t>(1, (recv_bytes + kMaxPiece - 1) / kMaxPiece);
    std::vector<MPI_Request> requests(send_pieces + recv_pieces, MPI_REQUEST_NULL);
    for (std::size_t i = 0; i < recv_pieces; ++i) {
      const std::size_t offset = i * kMaxPiece;
      const std::size_t n = recv_bytes > offset ? std::min(kMaxPiece, recv_bytes - offset) : 0;
      mpi::check(MPI_Irecv(static_cast<char*>(recv) + (n ? offset : 0), static_cast<int>(n),
                           MPI_BYTE, source, t, comm_, &requests[i]),
                 "MPI_Irecv");
    }
    for (std::size_t i = 0; i < send_pieces; ++i) {
      const std::size_t offset = i * kMaxPiece;
      const std::size_t n = send_bytes > offset ? std::min(kMaxPiece, send_bytes - offset) : 0;
      mpi::check(MPI_Isend(static_cast<const char*>(send) + (n ? offset : 0), static_cast<int>(n),
                           MPI_BYTE, dest, t, comm_, &requests[recv_pieces + i]),
                 "MPI_Isend");
    }
    std::vector<MPI_Status> statuses(requests.size());
    const int rc = MPI_Waitall(static_cast<int>(requests.size()), requests.data(), statuses.data());
    for (std::size_t i = 0; i < recv_pieces; ++i) {
      const std::size_t offset = i * kMaxPiece;
      const std::size_t n = recv_bytes > offset ? std::min(kMaxPiece, recv_bytes - offset) : 0;
      // With MPI_ERR_IN_STATUS each request's own code is in its status.
      const int piece_rc = rc == MPI_ERR_IN_STATUS ? statuses[i].MPI_ERROR : rc;
      check_transfer(piece_rc, statuses[i], n, source, tag, "sendrecv", "MPI_Waitall (sendrecv)");
    }
    mpi::check(rc, "MPI_Waitall (sendrecv)");
  }

  // A receive of the wrong size is a mismatch naming the peer and tag, like
  // gloo's: a longer message (MPI_ERR_TRUNCATE) as well as a shorter one.
  static void check_transfer(int rc, const MPI_Status& status, std::size_t expected, int peer,
                             std::uint32_t tag, const char* what, const char* call) {
    const auto mismatch = [&](const std::string& got) {
      return Error(ErrorKind::mismatch, std::string("mpi: ") + what + " from rank " +
                                            std::to_string(peer) + " (tag " + std::to_string(tag) +
                                            "): expected " + std::to_string(expected) +
                                            " bytes, " + got);
    };
    if (rc != MPI_SUCCESS) {
      int error_class = rc;
      MPI_Error_class(rc, &error_class);
      if (error_class == MPI_ERR_TRUNCATE) throw mismatch("the message is longer");
      mpi::check(rc, call);
    }
    int received = 0;
    MPI_Get_count(&status, MPI_BYTE, &received);
    if (static_cast<std::size_t>(received) != expected) {
      throw mismatch("the message has " + std::to_string(received));
    }
  }

  std::unique_ptr<Communicator> do_split(int color, int key) override {
    MPI_Comm out = MPI_COMM_NULL;
    mpi::check(MPI_Comm_split(comm_, color < 0 ? MPI_UNDEFINED : color, key, &out),
               "MPI_Comm_split");
    if (out == MPI_COMM_NULL) return nullptr;
    return std::make_unique<MpiCommunicator>(out);
  }

 private:
  static int rank_of(MPI_Comm comm) {
    int r = 0;
    mpi::check(MPI_Comm_rank(comm, &r), "MPI_Comm_rank");
    return r;
  }
  static int size_of(MPI_Comm comm) {
    int s = 0;
    mpi::check(MPI_Comm_size(comm, &s), "MPI_Comm_size");
    return s;
  }

  int checked_tag(std::uint32_t tag) const {
    if (tag > static_cast<std::uint32_t>(tag_ub_)) {
      throw Error(ErrorKind::invalid_argument, "mpi: tag " + std::to_string(tag) +
                                                   " exceeds MPI_TAG_UB " + std::to_string(tag_ub_));
    }
    return static_cast<int>(tag);
  }

  MPI_Comm comm_;
  int tag_ub_ = 32767;
};

std::unique_ptr<Communicator> create_mpi_world(const WorldOptions& options) {
  mpi::ensure_initialized();
  MPI_Comm comm = MPI_COMM_NULL;
  mpi::check(MPI_Comm_dup(MPI_COMM_WORLD, &comm), "MPI_Comm_dup");
  auto world = std::make_unique<MpiCommunicator>(comm);
  if ((options.size > 0 && options.size != world->size()) ||
      (options.rank >= 0 && options.rank != world->rank())) {
    throw Error(ErrorKind::invalid_argument,
                "mpi: configured rank " + std::to_string(options.rank) + " of " +
                    std::to_string(options.size) + " disagrees with MPI's rank " +
                    std::to_string(world->rank()) + " of " + std::to_string(world->size()));
  }
  return world;
}

}  // namespace

void register_mpi_backend(BackendRegistry& registry) {
  registry.add("mpi", create_mpi_world);
}

}  // namespace ringtail::coll
