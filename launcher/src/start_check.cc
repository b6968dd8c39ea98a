#include "ringtail/launcher/start_check.h"

#include <algorithm>
#include <set>

namespace ringtail::launcher {
namespace {

bool from_this_machine(const rendezvous::PeerInfo& p, const LocalMachine& local) {
  return is_loopback_address(p.address) ||
         std::find(local.addresses.begin(), local.addresses.end(), p.address) != local.addresses.end();
}

bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

}  // namespace

std::vector<MissingRanks> missing_ranks(const Layout& layout, const std::vector<rendezvous::PeerInfo>& all_peers,
                                        const StartCheckInputs& in) {
  // One process may open several clients; count processes.
  std::vector<rendezvous::PeerInfo> peers;
  std::set<std::pair<std::string, std::uint32_t>> seen;
  for (const auto& p : all_peers) {
    if (seen.emplace(p.address, p.pid).second) peers.push_back(p);
  }
  const auto used = layout.used_hosts();
  std::map<std::string, int> appeared;
  std::vector<bool> matched(peers.size(), false);
  auto match = [&](auto&& belongs) {
    for (std::size_t i = 0; i < peers.size(); ++i) {
      if (matched[i]) continue;
      for (const auto* h : used) {
        if (belongs(*h, peers[i])) {
          ++appeared[h->name];
          matched[i] = true;
          break;
        }
      }
    }
  };
  // Ranks started here, by process id.
  match([&](const HostPlan& h, const rendezvous::PeerInfo& p) {
    if (!h.local || !from_this_machine(p, in.local)) return false;
    const auto it = in.local_pids.find(h.name);
    return it != in.local_pids.end() &&
           std::find(it->second.begin(), it->second.end(), static_cast<pid_t>(p.pid)) != it->second.end();
  });
  // Other hosts, by the address the connection came from or the host's own name.
  match([&](const HostPlan& h, const rendezvous::PeerInfo& p) {
    if (h.local) return false;
    const auto it = in.addresses.find(h.name);
    const std::string short_name = p.hostname.substr(0, p.hostname.find('.'));
    return p.address == h.name || p.hostname == h.name || short_name == h.name ||
           (it != in.addresses.end() && contains(it->second, p.address));
  });
  // A local rank under a wrapper (a shell script) has another pid: count the
  // rest of this machine's clients towards local hosts that still miss ranks.
  match([&](const HostPlan& h, const rendezvous::PeerInfo& p) {
    return h.local && from_this_machine(p, in.local) && appeared[h.name] < h.ranks;
  });
  std::vector<MissingRanks> missing;
  for (const auto* h : used) {
    const int n = appeared[h->name];
    if (n < h->ranks) missing.push_back({h->name, n, h->ranks});
  }
  return missing;
}

std::string describe_missing(const std::vector<MissingRanks>& missing) {
  std::string out;
  for (const auto& m : missing) {
    out += (out.empty() ? "" : ", ") + m.host + " (" + std::to_string(m.appeared) + " of " +
           std::to_string(m.expected) + (m.expected == 1 ? " rank)" : " ranks)");
  }
  return out;
}

}  // namespace ringtail::launcher
