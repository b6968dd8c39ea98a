#pragma once
// Rendezvous and connection of one gloo context: every rank publishes a record
// (host, process, and the address it listens on for each peer) in the store,
// waits for every peer's record, and connects one TCP pair per peer.
//
// gloo's own connectFullMesh does the same, but when a peer never arrives it
// reports only "Wait timeout for key(s)" after waiting in whole seconds, and
// its pairs' error messages name socket addresses that cannot be traced back to
// a rank. This one names the missing ranks and keeps each peer's published
// address for ringtail's error messages.

#include <gloo/context.h>
#include <gloo/transport/device.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "rendezvous_store.h"

namespace ringtail::coll::gloo_backend {

// What a peer published about itself.
struct PeerInfo {
  int rank = -1;
  std::string hostname;
  long pid = 0;
  std::string address;  // where it listens for its pair with this rank, "ip:port"
};

class FullMeshContext final : public ::gloo::Context {
 public:
  FullMeshContext(int rank, int size, std::chrono::milliseconds timeout);

  // Rendezvous through `store` (already scoped to this context's prefix) and
  // connect a pair to every peer. Waiting for the peers' records is bounded by
  // the context's timeout, and so is each connection.
  // Throws ringtail::Error: timeout naming the ranks that did not arrive,
  // peer_lost naming a rank that could not be reached, invalid_argument when
  // the records disagree (world size, a rank claimed twice).
  // Returns one PeerInfo per rank (this rank's own included).
  std::vector<PeerInfo> connect(RendezvousStore& store,
                                const std::shared_ptr<::gloo::transport::Device>& device,
                                const std::string& hostname);
};

}  // namespace ringtail::coll::gloo_backend
