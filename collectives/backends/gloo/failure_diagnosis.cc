#include "failure_diagnosis.h"

#include <algorithm>
#include <sstream>

namespace ringtail::coll::gloo_backend {
namespace {

bool is_timeout(const std::string& cause) {
  return cause.find("Timed out") != std::string::npos || cause.find("timeout") != std::string::npos;
}

}  // namespace

std::vector<char> Notice::encode() const {
  const std::string text =
      std::to_string(static_cast<int>(kind)) + "\n" + std::to_string(lost_rank) + "\n" + reason;
  return std::vector<char>(text.begin(), text.end());
}

Notice Notice::decode(const std::vector<char>& bytes) {
  std::istringstream in(std::string(bytes.begin(), bytes.end()));
  Notice n;
  int kind = -1;
  if (!(in >> kind >> n.lost_rank) || kind < 0 || kind > static_cast<int>(ErrorKind::backend)) {
    n.kind = ErrorKind::peer_lost;
    n.lost_rank = -1;
    n.reason = "(an unreadable notice)";
    return n;
  }
  n.kind = static_cast<ErrorKind>(kind);
  in.ignore(1);
  std::getline(in, n.reason, '\0');
  return n;
}

std::string without_source_location(std::string message) {
  // Strip every "[...file.cc:NNN] " gloo's nested GLOO_ERROR_MSG macros add;
  // addresses such as "[127.0.0.1]:4000" have no ".cc:" or ".h:" and stay.
  for (;;) {
    const auto open = message.find('[');
    if (open == std::string::npos) break;
    const auto close = message.find("] ", open);
    if (close == std::string::npos) break;
    const std::string inside = message.substr(open, close - open);
    if (inside.find(".cc:") == std::string::npos && inside.find(".h:") == std::string::npos) break;
    message.erase(open, close + 2 - open);
  }
  return message;
}

Diagnosis diagnose(const FailedOperation& failed, const PeerWatch::State& peers,
                   const std::map<int, Notice>& notices,
                   const std::function<std::string(int)>& name) {
  // Connections this rank saw break, not closed by its own timeout, from peers
  // that did not leave a notice.
  std::vector<int> lost;
  for (const auto& [p, reason] : peers.broken) {
    if (!PeerWatch::closed_by_local_timeout(reason) && notices.count(p) == 0) lost.push_back(p);
  }
  const auto seen = [&](int p) { return std::find(lost.begin(), lost.end(), p) != lost.end(); };

  Diagnosis d;
  int reporter = -1;
  for (const auto& [p, notice] : notices) {
    if (notice.lost_rank >= 0 && notice.lost_rank != p && notice.lost_rank != failed.self) {
      reporter = p;
      break;
    }
  }
  if (reporter >= 0) {
    const Notice& notice = notices.at(reporter);
    d.kind = notice.kind == ErrorKind::timeout ? ErrorKind::timeout : ErrorKind::peer_lost;
    d.lost_rank = notice.lost_rank;
    d.origin =
        seen(d.lost_rank) ? without_source_location(peers.broken.at(d.lost_rank)) : notice.reason;
    d.reason = seen(d.lost_rank)
                   ? d.origin
                   : notice.reason + " (as rank " + std::to_string(reporter) + " reported)";
  } else if (!lost.empty()) {
    d.kind = ErrorKind::peer_lost;
    d.lost_rank = lost.front();
    d.reason = without_source_location(peers.broken.at(d.lost_rank));
  } else if (!notices.empty()) {
    const auto& [p, notice] = *notices.begin();
    d.kind = notice.kind == ErrorKind::timeout ? ErrorKind::timeout : ErrorKind::peer_lost;
    d.lost_rank = p;
    d.reason = "it gave up: " + notice.reason;
  }

  if (d.lost_rank >= 0) {
    if (d.origin.empty()) d.origin = d.reason;
    d.message =
        std::string(failed.what) + ": lost connection to " + name(d.lost_rank) + ": " + d.reason;
    for (int p : lost) {
      if (p != d.lost_rank) d.message += "; also lost " + name(p);
    }
    return d;
  }

  const std::string cause = without_source_location(failed.cause);
  if (!is_timeout(failed.cause) && !peers.departed.empty()) {
    // Not a crash: a peer closed its communicator while this rank still
    // needed it (the ranks disagree on how many operations to run).
    const int p = failed.waited_for >= 0 ? failed.waited_for : peers.departed.front();
    d.kind = ErrorKind::peer_lost;
    d.lost_rank = p;
    d.reason = "it closed its communicator while this rank still expected data from it";
    d.origin = d.reason;
    d.message = std::string(failed.what) + ": lost connection to " + name(p) + ": " + d.reason;
    return d;
  }
  if (is_timeout(failed.cause)) {
    d.kind = ErrorKind::timeout;
    d.reason = "no progress within " + std::to_string(failed.timeout.count()) + " ms" +
               (failed.waited_for >= 0 ? " waiting for " + name(failed.waited_for)
                                       : std::string(" waiting for a peer")) +
               " (" + cause + ")";
  } else {
    d.kind = ErrorKind::backend;
    d.reason = "gloo: " + cause;
  }
  d.origin = d.reason;
  d.message = std::string(failed.what) + ": " + d.reason;
  return d;
}

}  // namespace ringtail::coll::gloo_backend
