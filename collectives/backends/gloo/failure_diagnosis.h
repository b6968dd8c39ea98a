#pragma once
// Turns a failed gloo operation into the ringtail::Error a user can act on:
// which peer was lost (seen directly, or reported by a peer that left), or which
// operation timed out.
//
// A rank that gives up on a communicator leaves a notice in the rendezvous
// store ("abort/<rank>": its diagnosis) before it closes its connections; a
// peer that then sees the connection break reads it, so every rank names the
// rank that was really lost, not just the neighbour that left after it. The
// store carries notices because the connections cannot: an aborted operation
// may leave half a message queued on them.

#include <chrono>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "peer_watch.h"
#include "ringtail/collectives/error.h"

namespace ringtail::coll::gloo_backend {

struct Notice {
  ErrorKind kind = ErrorKind::peer_lost;
  int lost_rank = -1;  // the rank the sender lost, or -1
  std::string reason;  // why, in the sender's words

  std::vector<char> encode() const;
  static Notice decode(const std::vector<char>& bytes);
};

struct Diagnosis {
  ErrorKind kind = ErrorKind::backend;
  int lost_rank = -1;   // the peer to blame, when there is one
  std::string reason;   // why, without the operation
  std::string origin;   // why, as first diagnosed: what this rank's notice passes on
  std::string message;  // the whole error message
};

struct FailedOperation {
  const char* what;   // "allreduce"
  int self;           // this rank
  int waited_for;     // the peer the failed wait was on, or -1
  std::string cause;  // gloo's exception text
  std::chrono::milliseconds timeout;
};

// `notices` holds what peers that gave up reported; `name(p)` formats a peer
// for messages ("rank 2 (127.0.0.1:40001)"). Priority: a lost rank a peer
// reported, then a peer this rank saw go, then a peer that gave up for another
// reason, then a peer that closed its communicator normally (unless this rank
// timed out), then this rank's own timeout, then gloo's error.
Diagnosis diagnose(const FailedOperation& failed, const PeerWatch::State& peers,
                   const std::map<int, Notice>& notices,
                   const std::function<std::string(int)>& name);

// gloo's messages start with "[/path/to/file.cc:123] "; users need not see it.
std::string without_source_location(std::string message);

}  // namespace ringtail::coll::gloo_backend
