#pragma once
// Posts and waits on one peer's send or receive. Gloo's messages do not say
// which rank they concern; these carry the peer to the error translation.

#include <gloo/transport/unbound_buffer.h>

#include <chrono>
#include <stdexcept>
#include <string>

namespace ringtail::coll::gloo_backend {

struct PeerWaitFailure : std::runtime_error {
  PeerWaitFailure(int peer, const std::string& what) : std::runtime_error(what), peer(peer) {}
  int peer;
};

// Runs `post` (posting a send or receive for `peer`); a failure, such as the
// connection to `peer` being closed already, names `peer`.
template <typename Post>
void post_for(int peer, Post&& post) {
  try {
    post();
  } catch (const PeerWaitFailure&) {
    throw;
  } catch (const std::exception& e) {
    throw PeerWaitFailure(peer, e.what());
  }
}

inline void wait_recv_from(::gloo::transport::UnboundBuffer& buffer, int peer,
                           std::chrono::milliseconds timeout) {
  try {
    buffer.waitRecv(nullptr, timeout);
  } catch (const std::exception& e) {
    throw PeerWaitFailure(peer, e.what());
  }
}

inline void wait_send_to(::gloo::transport::UnboundBuffer& buffer, int peer,
                         std::chrono::milliseconds timeout) {
  try {
    buffer.waitSend(nullptr, timeout);
  } catch (const std::exception& e) {
    throw PeerWaitFailure(peer, e.what());
  }
}

}  // namespace ringtail::coll::gloo_backend
