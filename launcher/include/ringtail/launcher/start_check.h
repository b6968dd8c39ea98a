#pragma once
// --start-timeout: which hosts still miss ranks at the rendezvous. A rank has
// appeared once its rendezvous client said hello (server.h's PeerInfo). Peers
// are matched to hosts by process id for ranks ringtail-run started here, by
// address or host name for other hosts.

#include <map>
#include <string>
#include <sys/types.h>
#include <vector>

#include "ringtail/launcher/layout.h"
#include "ringtail/rendezvous/server.h"

namespace ringtail::launcher {

struct MissingRanks {
  std::string host;
  int appeared = 0;
  int expected = 0;
};

struct StartCheckInputs {
  std::map<std::string, std::vector<pid_t>> local_pids;          // host name -> ranks started here
  std::map<std::string, std::vector<std::string>> addresses;    // host name -> its addresses
  LocalMachine local;
};

// The used hosts with fewer appeared ranks than planned (empty: every rank is
// there).
std::vector<MissingRanks> missing_ranks(const Layout& layout, const std::vector<rendezvous::PeerInfo>& peers,
                                        const StartCheckInputs& in);

// "node2 (0 of 8 ranks), node3 (3 of 8 ranks)".
std::string describe_missing(const std::vector<MissingRanks>& missing);

}  // namespace ringtail::launcher
