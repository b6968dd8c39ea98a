#pragma once
// The "gloo" backend: ringtail's Communicator over Gloo's TCP transport.
//
// A world and every communicator split from it share one TCP device (one event
// loop thread) and one rendezvous store; each communicator has its own gloo
// context (one TCP connection per peer) under its own store prefix.
//
// Failures. Gloo gives up on a context when an operation times out or a
// connection breaks. This backend then works out which peer is to blame
// (peer_watch.h, failure_diagnosis.h), leaves its diagnosis in the store for
// the peers, and closes its connections, so peers blocked on it fail at once
// instead of at their timeout. It throws ringtail::Error: peer_lost naming the
// lost rank and its address, or timeout naming the operation (and the rank
// waited for, where known). Every later call on the communicator fails at once
// with the same kind of error. A communicator destroyed normally says goodbye
// to its peers first, so they can tell a rank that finished from one that died.

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "failure_diagnosis.h"
#include "full_mesh.h"
#include "peer_watch.h"
#include "rendezvous_store.h"
#include "ringtail/collectives/communicator.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll::gloo_backend {

// What a world and every communicator split from it share.
struct SharedTransport {
  std::shared_ptr<::gloo::transport::Device> device;
  std::shared_ptr<RendezvousStore> store;
  std::string hostname;
  std::chrono::milliseconds timeout{0};
};

class GlooCommunicator final : public Communicator {
 public:
  // Rendezvous under `prefix` in the shared store and connect to every peer.
  // Throws ringtail::Error (see FullMeshContext::connect).
  static std::unique_ptr<GlooCommunicator> connect(std::shared_ptr<const SharedTransport> shared,
                                                   const std::string& prefix, int rank, int size);
  ~GlooCommunicator() override;

  std::string_view backend() const noexcept override { return "gloo"; }

 protected:
  void do_allreduce(const void* send, void* recv, std::size_t count, DataType type,
                    ReduceOp op) override;
  void do_allgatherv(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                     DataType type) override;
  void do_broadcast(void* buffer, std::size_t count, DataType type, int root) override;
  void do_reducescatter(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                        DataType type, ReduceOp op) override;
  void do_alltoallv(const void* send, const std::vector<std::size_t>& send_counts, void* recv,
                    const std::vector<std::size_t>& recv_counts, DataType type) override;
  void do_barrier() override;
  void do_send(const void* buffer, std::size_t bytes, int peer, std::uint32_t tag) override;
  void do_recv(void* buffer, std::size_t bytes, int peer, std::uint32_t tag) override;
  void do_sendrecv(const void* send, std::size_t send_bytes, int dest, void* recv,
                   std::size_t recv_bytes, int source, std::uint32_t tag) override;
  std::unique_ptr<Communicator> do_split(int color, int key) override;

 private:
  GlooCommunicator(std::shared_ptr<const SharedTransport> shared, std::string prefix,
                   std::shared_ptr<FullMeshContext> context, std::vector<PeerInfo> peers);

  // Runs one operation; turns any failure into ringtail::Error (see above).
  template <typename Body>
  void run(const char* what, Body&& body);
  [[noreturn]] void fail(const char* what, int waited_for, const std::string& cause);
  static std::string notice_key(int rank);
  std::map<int, Notice> read_notices(const PeerWatch::State& peers);
  void close_connections() noexcept;
  // The bodies of barrier and allgatherv, for use inside another run().
  void barrier_now();
  void allgatherv_now(const void* send, void* recv, const std::vector<std::size_t>& recv_counts,
                      DataType type);

  std::unique_ptr<::gloo::transport::UnboundBuffer> unbound(const void* data, std::size_t bytes);

  // Point-to-point messages: an 8-byte size, with the payload in the same
  // message up to kInlinePayloadBytes, else in a second message.
  struct Outgoing {
    int peer = -1;
    std::unique_ptr<char[]> head_bytes;  // the size, and an inline payload
    std::unique_ptr<::gloo::transport::UnboundBuffer> head;
    std::unique_ptr<::gloo::transport::UnboundBuffer> body;
  };
  Outgoing post_message(const void* buffer, std::size_t bytes, int peer, std::uint32_t tag);
  void finish(Outgoing& out);
  struct Incoming {
    int peer = -1;
    std::uint32_t tag = 0;
    std::unique_ptr<char[]> head_bytes;  // room for the size and an inline payload
    std::unique_ptr<::gloo::transport::UnboundBuffer> head;
  };
  Incoming post_header_receive(int peer, std::uint32_t tag);
  // Waits for the size, then receives the payload into `buffer` when it has
  // `bytes` bytes, else discards it. Returns the size the sender sent.
  std::size_t receive_payload(Incoming& in, void* buffer, std::size_t bytes);
  static void check_size(const char* what, std::size_t expected, std::size_t got, int peer,
                         std::uint32_t tag);
  std::string peer_name(int peer) const;  // "rank 2 (127.0.0.1:40001)"
  std::chrono::milliseconds timeout() const { return shared_->timeout; }

  std::shared_ptr<const SharedTransport> shared_;
  std::string prefix_;
  PrefixedStore store_;  // this communicator's keys
  std::vector<PeerInfo> peers_;
  std::shared_ptr<FullMeshContext> context_;
  std::unique_ptr<PeerWatch> watch_;  // declared after context_: destroyed before it
  std::optional<Error> failure_;
  int splits_ = 0;
  std::vector<char> scratch_;
  char empty_[1] = {0};  // the address of zero-byte buffers
};

}  // namespace ringtail::coll::gloo_backend
