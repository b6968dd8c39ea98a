#include "peer_watch.h"

#include "peer_wait.h"
#include "slots.h"

namespace ringtail::coll::gloo_backend {
namespace {

const std::uint64_t kGoodbyeSlot = make_slot(kGoodbyePrefix, 0);
const std::uint64_t kHandshakeSlot = make_slot(kHandshakePrefix, 0);

}  // namespace

PeerWatch::PeerWatch(::gloo::Context& context) : context_(context) {
  peers_.resize(static_cast<std::size_t>(context.size));
  for (int p = 0; p < context.size; ++p) {
    if (p == context.rank) continue;
    // Receives from one peer on one slot complete in the order they were posted.
    peers_[p].first = context.createUnboundBuffer(&inbox_[0], 1);
    peers_[p].first->recv(p, kGoodbyeSlot, 0, 1);
    peers_[p].second = context.createUnboundBuffer(&inbox_[1], 1);
    peers_[p].second->recv(p, kGoodbyeSlot, 0, 1);
  }
}

PeerWatch::~PeerWatch() = default;

void PeerWatch::handshake(std::chrono::milliseconds timeout) {
  char out = 1;
  std::vector<char> in(static_cast<std::size_t>(context_.size));
  std::vector<std::unique_ptr<::gloo::transport::UnboundBuffer>> sends(in.size());
  std::vector<std::unique_ptr<::gloo::transport::UnboundBuffer>> receives(in.size());
  for (int p = 0; p < context_.size; ++p) {
    if (p == context_.rank) continue;
    post_for(p, [&] {
      sends[p] = context_.createUnboundBuffer(&out, 1);
      sends[p]->send(p, kHandshakeSlot, 0, 1);
      receives[p] = context_.createUnboundBuffer(&in[p], 1);
      receives[p]->recv(p, kHandshakeSlot, 0, 1);
    });
  }
  for (int p = 0; p < context_.size; ++p) {
    if (p == context_.rank) continue;
    wait_recv_from(*receives[p], p, timeout);
    wait_send_to(*sends[p], p, timeout);
  }
}

bool PeerWatch::closed_by_local_timeout(const std::string& reason) {
  return reason.find("Timed out waiting") != std::string::npos ||
         reason.find("Application timeout") != std::string::npos;
}

void PeerWatch::probe(::gloo::transport::UnboundBuffer& buffer, std::string& reason) {
  if (!reason.empty()) return;
  // With the abort flag raised, waitRecv returns at once: false while the
  // receive is pending or complete, or it rethrows the connection's error.
  try {
    buffer.abortWaitRecv();
    buffer.waitRecv(nullptr, std::chrono::milliseconds(1));
  } catch (const std::exception& e) {
    reason = *e.what() != '\0' ? e.what() : "connection closed";
  }
}

PeerWatch::State PeerWatch::inspect() {
  State state;
  for (int p = 0; p < context_.size; ++p) {
    if (p == context_.rank) continue;
    Peer& peer = peers_[p];
    probe(*peer.first, peer.first_reason);
    probe(*peer.second, peer.second_reason);
    if (!peer.first_reason.empty()) {
      state.broken[p] = peer.first_reason;
    } else if (!peer.second_reason.empty()) {
      state.departed.push_back(p);
    } else {
      state.connected.push_back(p);
    }
  }
  return state;
}

void PeerWatch::say_goodbye() noexcept {
  for (int p : inspect().connected) {
    try {
      auto buffer = context_.createUnboundBuffer(&goodbye_, 1);
      buffer->send(p, kGoodbyeSlot, 0, 1);
      goodbyes_.push_back(std::move(buffer));
    } catch (const std::exception&) {
      // That connection is gone already; nobody to tell.
    }
  }
}

}  // namespace ringtail::coll::gloo_backend
