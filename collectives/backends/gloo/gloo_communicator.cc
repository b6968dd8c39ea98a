#include "gloo_communicator.h"

#include <gloo/allgatherv.h>
#include <gloo/allreduce.h>
#include <gloo/alltoallv.h>
#include <gloo/barrier.h>
#include <gloo/broadcast.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <numeric>

#include "failure_diagnosis.h"
#include "peer_wait.h"
#include "ring_reduce_scatter.h"
#include "ringtail/collectives/log.h"
#include "ringtail/collectives/reduce_kernels.h"
#include "ringtail/collectives/registry.h"
#include "sigpipe_guard.h"
#include "slots.h"
#include "transport_device.h"

namespace ringtail::coll {
namespace gloo_backend {
namespace {

using std::chrono::milliseconds;

// How long a failing rank waits for the notices of peers whose connections
// broke: long enough for a peer that timed out to write its notice, short
// enough not to matter when the peer crashed and never will.
constexpr milliseconds kNoticeGrace{200};

// Point-to-point messages (post_message): the size, and payloads up to this
// many bytes in the same message. Both sides must agree on it. 64 KiB: a
// receive of that capacity per call costs a heap block and no page faults,
// and the copy in and out (a few microseconds) stays far below the two
// trips between ranks that it saves; above it the payload's own transfer time
// dominates.
constexpr std::size_t kSizeBytes = sizeof(std::uint64_t);
constexpr std::size_t kInlinePayloadBytes = std::size_t{64} << 10;

// Gloo's collectives are typed only by element size; ringtail's kernels do the
// arithmetic, so an unsigned integer of the right width stands in for any dtype.
template <typename F>
void with_element_of_size(DataType type, F&& f) {
  switch (size_of(type)) {
    case 1: f(std::uint8_t{}); return;
    case 2: f(std::uint16_t{}); return;
    case 4: f(std::uint32_t{}); return;
    default: f(std::uint64_t{}); return;
  }
}

std::size_t total(const std::vector<std::size_t>& counts) {
  return std::accumulate(counts.begin(), counts.end(), std::size_t{0});
}

std::vector<std::int64_t> as_int64(const std::vector<std::size_t>& counts) {
  return std::vector<std::int64_t>(counts.begin(), counts.end());
}

bool overlap(const void* a, std::size_t a_bytes, const void* b, std::size_t b_bytes) {
  const auto* x = static_cast<const char*>(a);
  const auto* y = static_cast<const char*>(b);
  return a_bytes > 0 && b_bytes > 0 && x < y + b_bytes && y < x + a_bytes;
}

std::string this_hostname() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return buffer.data();
}

}  // namespace

template <typename Body>
void GlooCommunicator::run(const char* what, Body&& body) {
  SigpipeGuard no_sigpipe;
  if (failure_) {
    throw Error(failure_->kind(),
                std::string(what) +
                    ": the communicator failed earlier and cannot be used: " + failure_->what());
  }
  try {
    body();
  } catch (const Error&) {
    throw;  // ringtail's own verdict (a size mismatch); the connections are fine
  } catch (const PeerWaitFailure& e) {
    fail(what, e.peer, e.what());
  } catch (const std::exception& e) {
    fail(what, -1, e.what());  // gloo::IoException, gloo::EnforceNotMet, ...
  }
}

std::unique_ptr<GlooCommunicator> GlooCommunicator::connect(
    std::shared_ptr<const SharedTransport> shared, const std::string& prefix, int rank, int size) {
  SigpipeGuard no_sigpipe;
  const auto started = std::chrono::steady_clock::now();
  auto context = std::make_shared<FullMeshContext>(rank, size, shared->timeout);
  PrefixedStore store(shared->store, prefix);
  std::vector<PeerInfo> peers;
  try {
    peers = context->connect(store, shared->device, shared->hostname);
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw Error(ErrorKind::backend, "gloo rendezvous: rank " + std::to_string(rank) + " of " +
                                        std::to_string(size) + " under '" + prefix +
                                        "': " + without_source_location(e.what()));
  }
  log::debug(
      "gloo: rank ", rank, " of ", size, " connected under '", prefix, "' in ",
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - started).count(),
      " ms");
  std::unique_ptr<GlooCommunicator> comm(
      new GlooCommunicator(std::move(shared), prefix, std::move(context), std::move(peers)));
  // A pair's connect returns on one side before the other side has accepted;
  // without the handshake a rank could finish and close its connections while
  // a peer is still connecting, and that peer's rendezvous would fail.
  comm->run("connect", [&] {
    comm->watch_ = std::make_unique<PeerWatch>(*comm->context_);
    comm->watch_->handshake(comm->timeout());
  });
  return comm;
}

GlooCommunicator::GlooCommunicator(std::shared_ptr<const SharedTransport> shared,
                                   std::string prefix, std::shared_ptr<FullMeshContext> context,
                                   std::vector<PeerInfo> peers)
    : Communicator(context->rank, context->size),
      shared_(std::move(shared)),
      prefix_(std::move(prefix)),
      store_(shared_->store, prefix_),
      peers_(std::move(peers)),
      context_(std::move(context)) {}

GlooCommunicator::~GlooCommunicator() {
  if (watch_ && !failure_) {
    SigpipeGuard no_sigpipe;
    watch_->say_goodbye();
  }
  close_connections();
}

void GlooCommunicator::close_connections() noexcept {
  // The watch's pending receives hold the transport context: release them first.
  watch_.reset();
  context_.reset();
}

std::string GlooCommunicator::peer_name(int peer) const {
  if (peer < 0 || peer >= static_cast<int>(peers_.size()) || peers_[peer].address.empty()) {
    return "rank " + std::to_string(peer);
  }
  return "rank " + std::to_string(peer) + " (" + peers_[peer].address + ")";
}

std::unique_ptr<::gloo::transport::UnboundBuffer> GlooCommunicator::unbound(const void* data,
                                                                            std::size_t bytes) {
  void* p = data == nullptr ? empty_ : const_cast<void*>(data);
  return context_->createUnboundBuffer(p, bytes);
}

std::string GlooCommunicator::notice_key(int rank) { return "abort/" + std::to_string(rank); }

std::map<int, Notice> GlooCommunicator::read_notices(const PeerWatch::State& peers) {
  // A peer whose own operation timed out has its connections closed by gloo
  // a moment before it leaves its notice; give such notices a short grace.
  std::vector<std::string> expected;
  for (const auto& entry : peers.broken) {
    if (!PeerWatch::closed_by_local_timeout(entry.second)) {
      expected.push_back(notice_key(entry.first));
    }
  }
  if (!expected.empty()) {
    try {
      store_.wait(expected, std::min(timeout(), kNoticeGrace));
    } catch (const std::exception&) {
      // Peers that crashed leave no notice.
    }
  }
  std::map<int, Notice> notices;
  for (const auto& entry : peers.broken) {
    try {
      const std::string key = notice_key(entry.first);
      if (store_.contains({key})) notices[entry.first] = Notice::decode(store_.get(key));
    } catch (const std::exception& e) {
      log::debug("gloo: cannot read the notice of rank ", entry.first, ": ", e.what());
    }
  }
  return notices;
}

void GlooCommunicator::fail(const char* what, int waited_for, const std::string& cause) {
  const PeerWatch::State peers = watch_ ? watch_->inspect() : PeerWatch::State{};
  const Diagnosis d = diagnose({what, rank(), waited_for, cause, timeout()}, peers,
                               read_notices(peers), [this](int p) { return peer_name(p); });
  // Leave the diagnosis for the peers, then close: a peer blocked on this rank
  // fails now instead of at its timeout, and its error names the real cause.
  try {
    store_.set(notice_key(rank()), Notice{d.kind, d.lost_rank, d.origin}.encode());
  } catch (const std::exception& e) {
    log::debug("gloo: cannot leave a notice in ", store_.describe(), ": ", e.what());
  }
  close_connections();
  log::warning("gloo: rank ", rank(), ": ", d.message);
  failure_.emplace(d.kind, d.message);
  throw *failure_;
}

void GlooCommunicator::do_allreduce(const void* send, void* recv, std::size_t count, DataType type,
                                    ReduceOp op) {
  run("allreduce", [&] {
    const std::size_t bytes = count * size_of(type);
    if (count == 0) return;
    // Gloo's ring writes partial results into `recv` while it still reads
    // `send`: a result that overlaps the input part-way would mix the two, so
    // the input moves into place first and the allreduce runs in place.
    if (send != recv && (size() == 1 || overlap(send, bytes, recv, bytes))) {
      std::memmove(recv, send, bytes);
      send = recv;
    }
    if (size() == 1) return;
    with_element_of_size(type, [&](auto element) {
      using T = decltype(element);
      ::gloo::AllreduceOptions opts(context_);
      if (send != recv) opts.setInput<T>(unbound(send, bytes));
      opts.setOutput<T>(unbound(recv, bytes));
      opts.setReduceFunction([type, op](void* out, const void* a, const void* b, std::size_t n) {
        reduce(out, a, b, n, type, op);
      });
      opts.setTimeout(timeout());
      ::gloo::allreduce(opts);
    });
  });
}

void GlooCommunicator::allgatherv_now(const void* send, void* recv,
                                      const std::vector<std::size_t>& recv_counts, DataType type) {
  const std::size_t esize = size_of(type);
  const std::size_t all = total(recv_counts);
  if (all == 0) return;
  const std::size_t before =
      std::accumulate(recv_counts.begin(), recv_counts.begin() + rank(), std::size_t{0});
  char* my_block = static_cast<char*>(recv) + before * esize;
  if (size() == 1) {
    if (send != my_block) std::memmove(my_block, send, recv_counts[0] * esize);
    return;
  }
  with_element_of_size(type, [&](auto element) {
    using T = decltype(element);
    ::gloo::AllgathervOptions opts(context_);
    if (send != my_block) opts.setInput<T>(unbound(send, recv_counts[rank()] * esize));
    opts.setOutput<T>(unbound(recv, all * esize), recv_counts);
    opts.setTimeout(timeout());
    ::gloo::allgatherv(opts);
  });
}

void GlooCommunicator::do_allgatherv(const void* send, void* recv,
                                     const std::vector<std::size_t>& recv_counts, DataType type) {
  run("allgatherv", [&] { allgatherv_now(send, recv, recv_counts, type); });
}

void GlooCommunicator::do_broadcast(void* buffer, std::size_t count, DataType type, int root) {
  run("broadcast", [&] {
    if (count == 0 || size() == 1) return;
    with_element_of_size(type, [&](auto element) {
      using T = decltype(element);
      ::gloo::BroadcastOptions opts(context_);
      opts.setOutput<T>(unbound(buffer, count * size_of(type)));
      opts.setRoot(root);
      opts.setTimeout(timeout());
      ::gloo::broadcast(opts);
    });
  });
}

void GlooCommunicator::do_reducescatter(const void* send, void* recv,
                                        const std::vector<std::size_t>& recv_counts, DataType type,
                                        ReduceOp op) {
  run("reducescatter", [&] {
    const std::size_t esize = size_of(type);
    const std::size_t mine = recv_counts[rank()] * esize;
    if (total(recv_counts) == 0) return;
    if (size() == 1) {
      if (send != recv) std::memmove(recv, send, mine);
      return;
    }
    // The ring receives into `recv` while it still reads `send`: an
    // overlapping result goes through a buffer of its own.
    if (!overlap(send, total(recv_counts) * esize, recv, mine)) {
      ring_reduce_scatter(*context_, send, recv, recv_counts, type, op, timeout(), scratch_);
      return;
    }
    std::vector<char> result(mine);
    ring_reduce_scatter(*context_, send, result.data(), recv_counts, type, op, timeout(), scratch_);
    std::memcpy(recv, result.data(), mine);
  });
}

void GlooCommunicator::do_alltoallv(const void* send, const std::vector<std::size_t>& send_counts,
                                    void* recv, const std::vector<std::size_t>& recv_counts,
                                    DataType type) {
  run("alltoallv", [&] {
    const std::size_t esize = size_of(type);
    const std::size_t send_bytes = total(send_counts) * esize;
    const std::size_t recv_bytes = total(recv_counts) * esize;
    if (size() == 1) {
      if (send != recv) std::memmove(recv, send, send_counts[0] * esize);
      return;
    }
    // Gloo writes blocks into `recv` while others are still being sent from
    // `send`: an overlapping input is copied first.
    std::vector<char> copy;
    if (overlap(send, send_bytes, recv, recv_bytes)) {
      copy.assign(static_cast<const char*>(send), static_cast<const char*>(send) + send_bytes);
      send = copy.data();
    }
    with_element_of_size(type, [&](auto element) {
      using T = decltype(element);
      ::gloo::AlltoallvOptions opts(context_);
      opts.setInput<T>(unbound(send, send_bytes), as_int64(send_counts));
      opts.setOutput<T>(unbound(recv, recv_bytes), as_int64(recv_counts));
      opts.setTimeout(timeout());
      ::gloo::alltoallv(opts);
    });
  });
}

void GlooCommunicator::barrier_now() {
  if (size() == 1) return;
  ::gloo::BarrierOptions opts(context_);
  opts.setTimeout(timeout());
  ::gloo::barrier(opts);
}

void GlooCommunicator::do_barrier() {
  run("barrier", [&] { barrier_now(); });
}

// A message starts with its size (8 bytes), so a receive of the wrong size is
// a clear mismatch error: gloo itself would abort the process when a message
// is longer than the posted receive. Gloo sends only into a receive the peer
// has posted, so a payload that had to wait for its size to arrive cost two
// more trips between the ranks (the size, the receive's "ready"), about 0.5 ms
// for a 4 KiB sendrecv here. A payload up to kInlinePayloadBytes travels in the
// size's message instead, into a receive of that capacity posted up front
// (gloo accepts a message shorter than the receive); a larger one follows in a
// second message, where two trips more do not matter.
GlooCommunicator::Outgoing GlooCommunicator::post_message(const void* buffer, std::size_t bytes,
                                                          int peer, std::uint32_t tag) {
  Outgoing out;
  out.peer = peer;
  const bool inline_payload = bytes <= kInlinePayloadBytes;
  const std::size_t head_size = kSizeBytes + (inline_payload ? bytes : 0);
  out.head_bytes.reset(new char[head_size]);
  const std::uint64_t size = bytes;
  std::memcpy(out.head_bytes.get(), &size, kSizeBytes);
  if (inline_payload && bytes > 0) std::memcpy(out.head_bytes.get() + kSizeBytes, buffer, bytes);
  out.head = unbound(out.head_bytes.get(), head_size);
  post_for(peer, [&] {
    out.head->send(peer, make_slot(kSendHeaderPrefix, tag), 0, head_size);
    if (!inline_payload) {
      out.body = unbound(buffer, bytes);
      out.body->send(peer, make_slot(kSendDataPrefix, tag), 0, bytes);
    }
  });
  return out;
}

void GlooCommunicator::finish(Outgoing& out) {
  wait_send_to(*out.head, out.peer, timeout());
  if (out.body) wait_send_to(*out.body, out.peer, timeout());
}

GlooCommunicator::Incoming GlooCommunicator::post_header_receive(int peer, std::uint32_t tag) {
  Incoming in;
  in.peer = peer;
  in.tag = tag;
  constexpr std::size_t capacity = kSizeBytes + kInlinePayloadBytes;
  in.head_bytes.reset(new char[capacity]);
  in.head = unbound(in.head_bytes.get(), capacity);
  post_for(peer, [&] { in.head->recv(peer, make_slot(kSendHeaderPrefix, tag), 0, capacity); });
  return in;
}

std::size_t GlooCommunicator::receive_payload(Incoming& in, void* buffer, std::size_t bytes) {
  wait_recv_from(*in.head, in.peer, timeout());
  std::uint64_t header = 0;
  std::memcpy(&header, in.head_bytes.get(), kSizeBytes);
  if (header <= kInlinePayloadBytes) {
    // The payload came with the size; a mismatched one is simply not copied.
    if (header == bytes && bytes > 0) std::memcpy(buffer, in.head_bytes.get() + kSizeBytes, bytes);
    return header;
  }
  // On a size mismatch the payload still has to be taken off the connection,
  // so both sides stay in step and the communicator stays usable.
  std::vector<char> sink;
  void* into = buffer;
  if (header != bytes) {
    sink.resize(header);
    into = sink.data();
  }
  if (header > 0) {
    auto body = unbound(into, header);
    post_for(in.peer, [&] { body->recv(in.peer, make_slot(kSendDataPrefix, in.tag), 0, header); });
    wait_recv_from(*body, in.peer, timeout());
  }
  return header;
}

void GlooCommunicator::check_size(const char* what, std::size_t expected, std::size_t got, int peer,
                                  std::uint32_t tag) {
  if (expected == got) return;
  throw Error(ErrorKind::mismatch, std::string(what) + " from rank " + std::to_string(peer) +
                                       " (tag " + std::to_string(tag) + "): expected " +
                                       std::to_string(expected) + " bytes, the message has " +
                                       std::to_string(got));
}

void GlooCommunicator::do_send(const void* buffer, std::size_t bytes, int peer, std::uint32_t tag) {
  run("send", [&] {
    Outgoing out = post_message(buffer, bytes, peer, tag);
    finish(out);
  });
}

void GlooCommunicator::do_recv(void* buffer, std::size_t bytes, int peer, std::uint32_t tag) {
  run("recv", [&] {
    Incoming in = post_header_receive(peer, tag);
    check_size("recv", bytes, receive_payload(in, buffer, bytes), peer, tag);
  });
}

// Both transfers are in flight at once, so a ring step costs one transfer
// time, not two.
void GlooCommunicator::do_sendrecv(const void* send, std::size_t send_bytes, int dest, void* recv,
                                   std::size_t recv_bytes, int source, std::uint32_t tag) {
  run("sendrecv", [&] {
    // The receive is posted first, so the peer's size message finds it ready.
    Incoming in = post_header_receive(source, tag);
    Outgoing out = post_message(send, send_bytes, dest, tag);
    const std::size_t got = receive_payload(in, recv, recv_bytes);
    finish(out);
    check_size("sendrecv", recv_bytes, got, source, tag);
  });
}

std::unique_ptr<Communicator> GlooCommunicator::do_split(int color, int key) {
  // Everyone learns everyone's (color, key); ranks of one color then meet
  // under a prefix no other split of this communicator uses.
  std::array<std::int64_t, 2> mine = {color, key};
  std::vector<std::int64_t> all(2 * static_cast<std::size_t>(size()));
  run("split", [&] {
    allgatherv_now(mine.data(), all.data(), std::vector<std::size_t>(size(), 2), DataType::i64);
  });
  const int sequence = splits_++;
  if (color < 0) return nullptr;
  std::vector<int> members;
  for (int r = 0; r < size(); ++r) {
    if (all[2 * r] == color) members.push_back(r);
  }
  std::stable_sort(members.begin(), members.end(),
                   [&](int a, int b) { return all[2 * a + 1] < all[2 * b + 1]; });
  const int new_rank =
      static_cast<int>(std::find(members.begin(), members.end(), rank()) - members.begin());
  const std::string prefix =
      prefix_ + "/split" + std::to_string(sequence) + "/color" + std::to_string(color);
  return connect(shared_, prefix, new_rank, static_cast<int>(members.size()));
}

std::unique_ptr<Communicator> create_world(const WorldOptions& options) {
  if (options.rank < 0 || options.size <= 0 || options.rank >= options.size) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: needs this process's rank and the world size (RINGTAIL_RANK and "
                "RINGTAIL_SIZE; ringtail-run sets them), got rank " +
                    std::to_string(options.rank) + " of " + std::to_string(options.size));
  }
  if (options.timeout.count() <= 0) {
    throw Error(ErrorKind::invalid_argument,
                "gloo: the timeout (RINGTAIL_TIMEOUT_SECONDS) must be positive, got " +
                    std::to_string(options.timeout.count()) + " ms");
  }
  auto shared = std::make_shared<SharedTransport>();
  shared->store = make_store(options);
  {
    SigpipeGuard no_sigpipe;  // inherited by gloo's event-loop thread
    shared->device = make_tcp_device(options.gloo_interface);
  }
  shared->hostname = options.hostname.empty() ? this_hostname() : options.hostname;
  shared->timeout = options.timeout;
  return GlooCommunicator::connect(std::move(shared), options.store_prefix, options.rank,
                                   options.size);
}

}  // namespace gloo_backend

void register_gloo_backend(BackendRegistry& registry) {
  registry.add("gloo", gloo_backend::create_world);
}

}  // namespace ringtail::coll
