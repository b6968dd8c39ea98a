#pragma once
// Knows which peers of a gloo context are still connected, which said goodbye
// (closed their communicator normally) and which were lost.
//
// Gloo reports a broken connection only to operations pending on that very
// connection, and its messages name a socket address, not a rank. So for every
// peer this posts two receives on a slot only goodbyes use, pending for the
// life of the context. A closing connection fails the receives still pending:
//   - a peer that dies fails both: the first one broken means "lost";
//   - a peer that closes its communicator normally first sends one goodbye
//     message, which completes the first receive, so its closing fails only
//     the second: "departed".

#include <gloo/context.h>
#include <gloo/transport/unbound_buffer.h>

#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace ringtail::coll::gloo_backend {

class PeerWatch {
 public:
  // Posts the two receives on every peer of `context`.
  explicit PeerWatch(::gloo::Context& context);

  // Exchanges one byte with every peer. When it returns, every peer has
  // finished connecting and has posted its receives (messages between two ranks
  // arrive in order), so a goodbye can leave at once. Throws PeerWaitFailure.
  void handshake(std::chrono::milliseconds timeout);
  ~PeerWatch();
  PeerWatch(const PeerWatch&) = delete;
  PeerWatch& operator=(const PeerWatch&) = delete;

  struct State {
    std::map<int, std::string> broken;  // peer -> gloo's reason: connection lost
    std::vector<int> departed;          // peers that closed their communicator
    std::vector<int> connected;         // peers still connected as far as we know
  };
  // Non-blocking.
  State inspect();

  // Tells every connected peer that this rank closes its communicator normally.
  // Does not wait: a one-byte message almost always leaves at once, and a peer
  // that misses it only calls this rank lost instead of departed, should it
  // still need it. Never throws.
  void say_goodbye() noexcept;

  // Whether gloo's reason says the connection was closed because an operation
  // of this rank timed out (gloo then closes every connection of the context).
  static bool closed_by_local_timeout(const std::string& reason);

 private:
  struct Peer {
    std::string first_reason;   // why the first receive failed; empty while pending
    std::string second_reason;  // why the second receive failed; empty while pending
    std::unique_ptr<::gloo::transport::UnboundBuffer> first;
    std::unique_ptr<::gloo::transport::UnboundBuffer> second;
  };
  static void probe(::gloo::transport::UnboundBuffer& buffer, std::string& reason);

  ::gloo::Context& context_;
  std::vector<Peer> peers_;
  std::vector<std::unique_ptr<::gloo::transport::UnboundBuffer>> goodbyes_;
  char inbox_[2] = {0, 0};  // goodbyes land here; their content is never read
  char goodbye_ = 1;
};

}  // namespace ringtail::coll::gloo_backend
