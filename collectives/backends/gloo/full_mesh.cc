#include "full_mesh.h"

#include <arpa/inet.h>
#include <gloo/common/error.h>
#include <gloo/transport/context.h>
#include <gloo/transport/tcp/address.h>
#include <netinet/in.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "ringtail/collectives/error.h"

namespace ringtail::coll::gloo_backend {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr char kMagic[4] = {'R', 'T', 'G', '1'};

// What a rank publishes under key "rank<r>".
struct Record {
  int rank = -1;
  int size = 0;
  long pid = 0;
  std::string hostname;
  std::vector<std::vector<char>> pair_bytes;  // gloo's address of the pair for peer p
  std::vector<std::string> pair_address;      // the same, readable
};

class Writer {
 public:
  void u64(std::uint64_t v) {
    char b[sizeof(v)];
    std::memcpy(b, &v, sizeof(v));
    out_.insert(out_.end(), b, b + sizeof(v));
  }
  void bytes(const char* data, std::size_t n) {
    u64(n);
    out_.insert(out_.end(), data, data + n);
  }
  void str(const std::string& s) { bytes(s.data(), s.size()); }
  std::vector<char> take() { return std::move(out_); }

 private:
  std::vector<char> out_;
};

class Reader {
 public:
  Reader(const std::vector<char>& in, int rank) : in_(in), rank_(rank) {}
  std::uint64_t u64() {
    need(sizeof(std::uint64_t));
    std::uint64_t v = 0;
    std::memcpy(&v, in_.data() + pos_, sizeof(v));
    pos_ += sizeof(v);
    return v;
  }
  std::string str() {
    const std::uint64_t n = u64();
    need(n);
    std::string s(in_.data() + pos_, n);
    pos_ += n;
    return s;
  }

 private:
  void need(std::uint64_t n) {
    if (n > in_.size() - pos_) {
      throw Error(ErrorKind::backend, "gloo rendezvous: the record of rank " +
                                          std::to_string(rank_) +
                                          " is malformed (another program wrote to the store?)");
    }
  }
  const std::vector<char>& in_;
  int rank_;
  std::size_t pos_ = 0;
};

std::vector<char> encode(const Record& r) {
  Writer w;
  w.bytes(kMagic, sizeof(kMagic));
  w.u64(static_cast<std::uint64_t>(r.rank));
  w.u64(static_cast<std::uint64_t>(r.size));
  w.u64(static_cast<std::uint64_t>(r.pid));
  w.str(r.hostname);
  for (int p = 0; p < r.size; ++p) {
    w.bytes(r.pair_bytes[p].data(), r.pair_bytes[p].size());
    w.str(r.pair_address[p]);
  }
  return w.take();
}

Record decode(const std::vector<char>& data, int rank) {
  Reader in(data, rank);
  Record r;
  if (in.str() != std::string(kMagic, sizeof(kMagic))) {
    throw Error(ErrorKind::backend, "gloo rendezvous: the record of rank " + std::to_string(rank) +
                                        " was not written by ringtail's gloo backend");
  }
  r.rank = static_cast<int>(in.u64());
  r.size = static_cast<int>(in.u64());
  r.pid = static_cast<long>(in.u64());
  r.hostname = in.str();
  if (r.size <= 0 || r.size > (1 << 24)) {
    throw Error(ErrorKind::backend,
                "gloo rendezvous: the record of rank " + std::to_string(rank) + " is malformed");
  }
  for (int p = 0; p < r.size; ++p) {
    const std::string bytes = in.str();
    r.pair_bytes.emplace_back(bytes.begin(), bytes.end());
    r.pair_address.push_back(in.str());
  }
  return r;
}

std::string key_of(int rank) { return "rank" + std::to_string(rank); }

std::string format_address(const ::gloo::transport::Address& address) {
  const auto* tcp = dynamic_cast<const ::gloo::transport::tcp::Address*>(&address);
  if (tcp == nullptr) return address.str();
  const sockaddr_storage& ss = tcp->getSockaddr();
  char host[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (ss.ss_family == AF_INET6) {
    const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
  }
  return address.str();
}

std::string rank_list(const std::vector<int>& ranks) {
  std::string out = ranks.size() == 1 ? "rank " : "ranks ";
  for (std::size_t i = 0; i < ranks.size(); ++i) {
    out += (i == 0 ? "" : ", ") + std::to_string(ranks[i]);
  }
  return out;
}

milliseconds left_until(steady_clock::time_point deadline) {
  const auto left = std::chrono::ceil<milliseconds>(deadline - steady_clock::now());
  return std::max(left, milliseconds(0));
}

// Waits until every peer's record is in the store; on timeout names the ranks
// whose record is missing.
void await_peers(RendezvousStore& store, int rank, int size, milliseconds timeout,
                 steady_clock::time_point deadline) {
  for (int p = 0; p < size; ++p) {
    if (p == rank) continue;
    const milliseconds left = left_until(deadline);
    if (left.count() == 0) break;
    try {
      store.wait({key_of(p)}, left);
    } catch (const ::gloo::IoException&) {
      break;
    } catch (const Error& e) {
      if (e.kind() != ErrorKind::timeout) throw;
      break;
    }
  }
  std::vector<int> missing;
  for (int p = 0; p < size; ++p) {
    if (p != rank && !store.contains({key_of(p)})) missing.push_back(p);
  }
  if (missing.empty()) return;
  throw Error(ErrorKind::timeout,
              "gloo rendezvous: " + rank_list(missing) + " of a world of " + std::to_string(size) +
                  " did not arrive within " + std::to_string(timeout.count()) + " ms (rank " +
                  std::to_string(rank) + " waited in " + store.describe() + ")");
}

}  // namespace

FullMeshContext::FullMeshContext(int rank, int size, milliseconds timeout)
    : ::gloo::Context(rank, size) {
  setTimeout(timeout);
}

std::vector<PeerInfo> FullMeshContext::connect(
    RendezvousStore& store, const std::shared_ptr<::gloo::transport::Device>& device,
    const std::string& hostname) {
  const milliseconds timeout = getTimeout();
  const auto deadline = steady_clock::now() + timeout;
  auto transport = device->createContext(rank, size);
  // A pair waits five times the transport's timeout for its connection; a fifth
  // keeps a peer that vanishes during the rendezvous within the context timeout.
  transport->setTimeout(std::max(timeout / 5, milliseconds(1)));

  Record mine;
  mine.rank = rank;
  mine.size = size;
  mine.pid = static_cast<long>(getpid());
  mine.hostname = hostname;
  mine.pair_bytes.resize(static_cast<std::size_t>(size));
  mine.pair_address.resize(static_cast<std::size_t>(size));
  for (int p = 0; p < size; ++p) {
    if (p == rank) continue;
    auto& pair = transport->createPair(p);
    mine.pair_bytes[p] = pair->address().bytes();
    mine.pair_address[p] = format_address(pair->address());
  }
  try {
    store.set(key_of(rank), encode(mine));
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::invalid_argument,
                "gloo rendezvous: rank " + std::to_string(rank) +
                    " cannot publish its address in " + store.describe() + ": " + e.what() +
                    " (if the key exists, another process claims this rank or an earlier job "
                    "used the same store and prefix: use a fresh directory or RINGTAIL_JOB_ID)");
  }

  await_peers(store, rank, size, timeout, deadline);

  std::vector<Record> records(static_cast<std::size_t>(size));
  records[rank] = mine;
  int local_rank = 0;
  for (int p = 0; p < size; ++p) {
    if (p == rank) continue;
    records[p] = decode(store.get(key_of(p)), p);
    if (records[p].size != size || records[p].rank != p) {
      throw Error(ErrorKind::invalid_argument,
                  "gloo rendezvous: rank " + std::to_string(p) + " (pid " +
                      std::to_string(records[p].pid) + " on " + records[p].hostname +
                      ") joined a world of " + std::to_string(records[p].size) + " ranks as rank " +
                      std::to_string(records[p].rank) + ", but rank " + std::to_string(rank) +
                      " expects " + std::to_string(size) +
                      " ranks: do RINGTAIL_SIZE and RINGTAIL_JOB_ID agree?");
    }
    if (p < rank && records[p].hostname == hostname) ++local_rank;
  }

  for (int p = 0; p < size; ++p) {
    if (p == rank) continue;
    auto& pair = transport->getPair(p);
    pair->setLocalRank(local_rank);
    try {
      pair->connect(records[p].pair_bytes[rank]);
    } catch (const std::exception& e) {
      const std::string what = e.what();
      const bool timed_out = what.find("timeout") != std::string::npos;
      throw Error(timed_out ? ErrorKind::timeout : ErrorKind::peer_lost,
                  "gloo rendezvous: rank " + std::to_string(rank) + " could not connect to rank " +
                      std::to_string(p) + " (" + records[p].pair_address[rank] + ", pid " +
                      std::to_string(records[p].pid) + " on " + records[p].hostname + "): " + what);
    }
  }
  transport->setTimeout(timeout);

  device_ = device;
  transportContext_ = std::move(transport);

  std::vector<PeerInfo> peers(static_cast<std::size_t>(size));
  for (int p = 0; p < size; ++p) {
    peers[p].rank = p;
    peers[p].hostname = records[p].hostname;
    peers[p].pid = records[p].pid;
    peers[p].address = p == rank ? std::string() : records[p].pair_address[rank];
  }
  return peers;
}

}  // namespace ringtail::coll::gloo_backend
