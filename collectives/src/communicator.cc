#include "ringtail/collectives/communicator.h"

#include <algorithm>
#include <numeric>
#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/reduce_kernels.h"

namespace ringtail::coll {
namespace {

[[noreturn]] void invalid(std::string_view what, const std::string& message) {
  throw Error(ErrorKind::invalid_argument, std::string(what) + ": " + message);
}

void require_buffer(std::string_view what, const char* name, const void* buffer,
                    std::size_t count) {
  if (buffer == nullptr && count != 0) {
    invalid(what, std::string(name) + " is null but its count is " + std::to_string(count));
  }
}

void require_rank(std::string_view what, const char* name, int value, int size) {
  if (value < 0 || value >= size) {
    invalid(what, std::string(name) + " " + std::to_string(value) +
                      " is outside the communicator (size " + std::to_string(size) + ")");
  }
}

void require_counts(std::string_view what, const char* name,
                    const std::vector<std::size_t>& counts, int size) {
  if (counts.size() != static_cast<std::size_t>(size)) {
    invalid(what, std::string(name) + " has " + std::to_string(counts.size()) +
                      " entries; the communicator has " + std::to_string(size) + " ranks");
  }
}

std::size_t total(const std::vector<std::size_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

// A count vector as one number for the agreement check: FNV-1a over the
// entries, kept below 2^62 so it can be negated like the other fields. Two
// vectors with the same total (a permutation, a block moved between ranks)
// still differ here.
std::int64_t fingerprint(const std::vector<std::size_t>& counts) {
  std::uint64_t h = 14695981039346656037ull;
  for (std::size_t c : counts) {
    for (int b = 0; b < 8; ++b) {
      h ^= (static_cast<std::uint64_t>(c) >> (8 * b)) & 0xff;
      h *= 1099511628211ull;
    }
  }
  return static_cast<std::int64_t>(h >> 2);
}

std::string describe(const std::vector<std::size_t>& counts) {
  std::string out = "[";
  for (std::size_t i = 0; i < counts.size() && i < 8; ++i) {
    out += (i ? ", " : "") + std::to_string(counts[i]);
  }
  return out + (counts.size() > 8 ? ", ...]" : "]");
}

}  // namespace

Communicator::Communicator(int rank, int size) : rank_(rank), size_(size) {
  if (size <= 0 || rank < 0 || rank >= size) {
    throw Error(ErrorKind::invalid_argument, "communicator: rank " + std::to_string(rank) +
                                                 " is not within a world of size " +
                                                 std::to_string(size));
  }
}

Communicator::~Communicator() = default;

// Agreement check: one allreduce of (x, -x) with min gives min and -max of each
// field; a field whose min and max differ is named in the error on every rank.
// `counts` (allgatherv, reducescatter) is compared entry by entry through its
// fingerprint, since equal totals do not make equal vectors.
void Communicator::check_signature(std::string_view what, std::uint64_t count, DataType type,
                                   ReduceOp op, int root,
                                   const std::vector<std::size_t>* counts) {
  if (!check_across_ranks_ || size_ == 1) return;
  constexpr int kFields = 5;
  const char* names[kFields] = {"count", "dtype", "op", "root", "recv_counts"};
  const std::int64_t values[kFields] = {
      static_cast<std::int64_t>(count), static_cast<std::int64_t>(type),
      static_cast<std::int64_t>(op), root, counts ? fingerprint(*counts) : 0};
  std::int64_t both[2 * kFields];
  for (int i = 0; i < kFields; ++i) {
    both[i] = values[i];
    both[kFields + i] = -values[i];
  }
  do_allreduce(both, both, 2 * kFields, DataType::i64, ReduceOp::min);
  std::ostringstream problems;
  for (int i = 0; i < kFields; ++i) {
    const std::int64_t lo = both[i];
    const std::int64_t hi = -both[kFields + i];
    if (lo == hi) continue;
    problems << (problems.tellp() > 0 ? ", " : "");
    if (i == 4) {
      problems << "recv_counts differs across ranks (this rank has " << describe(*counts) << ")";
    } else {
      problems << names[i] << " differs across ranks (from " << lo << " to " << hi
               << "; this rank has " << values[i] << ")";
    }
  }
  if (problems.tellp() > 0) {
    throw Error(ErrorKind::mismatch, std::string(what) + ": " + problems.str());
  }
}

void Communicator::allreduce(const void* send, void* recv, std::size_t count, DataType type,
                             ReduceOp op) {
  require_buffer("allreduce", "send buffer", send, count);
  require_buffer("allreduce", "recv buffer", recv, count);
  if (!supports(type, op)) {
    invalid("allreduce", std::string("op ") + std::string(to_string(op)) + " is not defined for " +
                             std::string(to_string(type)));
  }
  check_signature("allreduce", count, type, op, 0);
  if (op == ReduceOp::average && !native_average()) {
    do_allreduce(send, recv, count, type, ReduceOp::sum);
    divide_by_size(recv, count, type);
    return;
  }
  do_allreduce(send, recv, count, type, op);
}

void Communicator::allgather(const void* send, void* recv, std::size_t count, DataType type) {
  allgatherv(send, recv, std::vector<std::size_t>(static_cast<std::size_t>(size_), count), type);
}

void Communicator::allgatherv(const void* send, void* recv,
                              const std::vector<std::size_t>& recv_counts, DataType type) {
  require_counts("allgatherv", "recv_counts", recv_counts, size_);
  require_buffer("allgatherv", "send buffer", send, recv_counts[rank_]);
  require_buffer("allgatherv", "recv buffer", recv, total(recv_counts));
  check_signature("allgatherv", total(recv_counts), type, ReduceOp::sum, 0, &recv_counts);
  do_allgatherv(send, recv, recv_counts, type);
}

void Communicator::broadcast(void* buffer, std::size_t count, DataType type, int root) {
  require_rank("broadcast", "root", root, size_);
  require_buffer("broadcast", "buffer", buffer, count);
  check_signature("broadcast", count, type, ReduceOp::sum, root);
  do_broadcast(buffer, count, type, root);
}

void Communicator::reducescatter(const void* send, void* recv,
                                 const std::vector<std::size_t>& recv_counts, DataType type,
                                 ReduceOp op) {
  require_counts("reducescatter", "recv_counts", recv_counts, size_);
  require_buffer("reducescatter", "send buffer", send, total(recv_counts));
  require_buffer("reducescatter", "recv buffer", recv, recv_counts[rank_]);
  check_signature("reducescatter", total(recv_counts), type, op, 0, &recv_counts);
  if (op == ReduceOp::average && !native_average()) {
    do_reducescatter(send, recv, recv_counts, type, ReduceOp::sum);
    divide_by_size(recv, recv_counts[rank_], type);
    return;
  }
  do_reducescatter(send, recv, recv_counts, type, op);
}

void Communicator::alltoall(const void* send, void* recv, std::size_t count, DataType type) {
  const std::vector<std::size_t> counts(static_cast<std::size_t>(size_), count);
  alltoallv(send, counts, recv, counts, type);
}

void Communicator::alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
                             void* recv, const std::vector<std::size_t>& recv_counts,
                             DataType type) {
  require_counts("alltoallv", "send_counts", send_counts, size_);
  require_counts("alltoallv", "recv_counts", recv_counts, size_);
  require_buffer("alltoallv", "send buffer", send, total(send_counts));
  require_buffer("alltoallv", "recv buffer", recv, total(recv_counts));
  if (check_across_ranks_ && size_ > 1) {
    // What rank r sends to me must be what I expect from r: exchange the counts.
    std::vector<std::uint64_t> sent(send_counts.begin(), send_counts.end());
    std::vector<std::uint64_t> arriving(static_cast<std::size_t>(size_));
    const std::vector<std::size_t> ones(static_cast<std::size_t>(size_), 1);
    do_alltoallv(sent.data(), ones, arriving.data(), ones, DataType::i64);
    std::ostringstream problems;
    for (int r = 0; r < size_; ++r) {
      if (arriving[r] != recv_counts[r]) {
        problems << (problems.tellp() > 0 ? "; " : "") << "rank " << r << " sends "
                 << arriving[r] << " elements, recv_counts expects " << recv_counts[r];
      }
    }
    const bool bad = problems.tellp() > 0;
    std::int64_t any_bad = bad ? 1 : 0;
    do_allreduce(&any_bad, &any_bad, 1, DataType::i64, ReduceOp::max);
    if (any_bad) {
      throw Error(ErrorKind::mismatch,
                  "alltoallv: counts disagree across ranks" + (bad ? ": " + problems.str() : ""));
    }
  }
  do_alltoallv(send, send_counts, recv, recv_counts, type);
}

void Communicator::barrier() { do_barrier(); }

void Communicator::send(const void* buffer, std::size_t count, DataType type, int peer,
                        std::uint32_t tag) {
  require_rank("send", "peer", peer, size_);
  require_buffer("send", "buffer", buffer, count);
  if (peer == rank_) invalid("send", "peer is this rank (" + std::to_string(peer) + ")");
  do_send(buffer, count * size_of(type), peer, tag);
}

void Communicator::recv(void* buffer, std::size_t count, DataType type, int peer,
                        std::uint32_t tag) {
  require_rank("recv", "peer", peer, size_);
  require_buffer("recv", "buffer", buffer, count);
  if (peer == rank_) invalid("recv", "peer is this rank (" + std::to_string(peer) + ")");
  do_recv(buffer, count * size_of(type), peer, tag);
}

void Communicator::sendrecv(const void* send, std::size_t send_count, int dest, void* recv,
                            std::size_t recv_count, int source, DataType type,
                            std::uint32_t tag) {
  require_rank("sendrecv", "dest", dest, size_);
  require_rank("sendrecv", "source", source, size_);
  require_buffer("sendrecv", "send buffer", send, send_count);
  require_buffer("sendrecv", "recv buffer", recv, recv_count);
  if (dest == rank_ || source == rank_) {
    invalid("sendrecv", "dest " + std::to_string(dest) + " and source " + std::to_string(source) +
                            " must both differ from this rank (" + std::to_string(rank_) + ")");
  }
  const std::size_t esize = size_of(type);
  do_sendrecv(send, send_count * esize, dest, recv, recv_count * esize, source, tag);
}

// Why the order below cannot deadlock when the send pairs form a permutation:
// in a cycle r0 -> r1 -> ... -> r0, a rank blocked in its first send waits for
// its successor to be blocked in its first send too (rank < dest), and a rank
// blocked in its receive waits for its predecessor to be blocked in its first
// receive (rank > dest). Either chain would need ranks strictly increasing all
// the way around the cycle, which is impossible, so some pair always matches.
void Communicator::do_sendrecv(const void* send, std::size_t send_bytes, int dest, void* recv,
                               std::size_t recv_bytes, int source, std::uint32_t tag) {
  if (rank_ < dest) {
    do_send(send, send_bytes, dest, tag);
    do_recv(recv, recv_bytes, source, tag);
  } else {
    do_recv(recv, recv_bytes, source, tag);
    do_send(send, send_bytes, dest, tag);
  }
}

std::unique_ptr<Communicator> Communicator::split(int color, int key) {
  auto result = do_split(color, key);
  if (result) result->set_check_across_ranks(check_across_ranks_);
  return result;
}

void Communicator::divide_by_size(void* buffer, std::size_t count, DataType type) {
  if (memory() != MemoryKind::host) {
    throw Error(ErrorKind::unsupported, std::string(backend()) +
                                            ": average on device memory needs a native average");
  }
  divide(buffer, count, type, size_);
}

}  // namespace ringtail::coll
