#include "ringtail/collectives/topology.h"

#include <unistd.h>

#include <algorithm>
#include <array>
#include <map>

#include "ringtail/collectives/error.h"

namespace ringtail::coll {
namespace {

constexpr std::size_t kMaxHostname = 256;

std::string this_hostname() {
  std::array<char, kMaxHostname> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "localhost";
  return std::string(buffer.data());
}

}  // namespace

bool Topology::homogeneous() const {
  return std::all_of(ranks_per_host.begin(), ranks_per_host.end(),
                     [this](int n) { return n == ranks_per_host.front(); });
}

Topology discover_topology(Communicator& world, const std::string& hostname) {
  Topology t;
  t.rank = world.rank();
  t.size = world.size();
  t.hostname = hostname.empty() ? this_hostname() : hostname;
  if (t.hostname.size() >= kMaxHostname) {
    throw Error(ErrorKind::invalid_argument,
                "topology: host name '" + t.hostname + "' is longer than 255 characters");
  }
  std::vector<char> mine(kMaxHostname, '\0');
  std::copy(t.hostname.begin(), t.hostname.end(), mine.begin());
  std::vector<char> all(kMaxHostname * static_cast<std::size_t>(t.size));
  world.allgather(mine.data(), all.data(), kMaxHostname, DataType::u8);

  std::map<std::string, int> host_index;
  t.host_of_rank.resize(static_cast<std::size_t>(t.size));
  std::vector<int> local_rank_of(static_cast<std::size_t>(t.size));
  for (int r = 0; r < t.size; ++r) {
    std::string name(all.data() + static_cast<std::size_t>(r) * kMaxHostname);
    auto [it, inserted] = host_index.emplace(name, static_cast<int>(t.ranks_per_host.size()));
    if (inserted) t.ranks_per_host.push_back(0);
    t.host_of_rank[r] = it->second;
    local_rank_of[r] = t.ranks_per_host[it->second]++;
  }
  t.host = t.host_of_rank[t.rank];
  t.local_rank = local_rank_of[t.rank];
  t.local_size = t.ranks_per_host[t.host];
  t.cross_rank = 0;
  t.cross_size = 0;
  for (int h = 0; h < t.num_hosts(); ++h) {
    if (t.ranks_per_host[h] > t.local_rank) {
      if (h < t.host) ++t.cross_rank;
      ++t.cross_size;
    }
  }
  return t;
}

TopologyCommunicators split_by_host(Communicator& world, const std::string& hostname) {
  TopologyCommunicators out;
  out.topology = discover_topology(world, hostname);
  out.local = world.split(out.topology.host, world.rank());
  out.cross = world.split(out.topology.local_rank, world.rank());
  return out;
}

}  // namespace ringtail::coll
