#include "ringtail/launcher/local_machine.h"

#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <sched.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <set>

#include "ringtail/collectives/error.h"

namespace ringtail::launcher {
namespace {

std::string address_text(const sockaddr* sa) {
  char text[INET6_ADDRSTRLEN] = "";
  if (sa->sa_family == AF_INET) {
    inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
  } else if (sa->sa_family == AF_INET6) {
    inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
  }
  return text;
}

}  // namespace

LocalMachine detect_local_machine() {
  LocalMachine m;
  std::array<char, 256> name{};
  if (gethostname(name.data(), name.size() - 1) == 0) m.hostname = name.data();
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) == 0) {
    for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
      if (i->ifa_addr == nullptr) continue;
      const std::string text = address_text(i->ifa_addr);
      if (!text.empty()) m.addresses.push_back(text);
    }
    freeifaddrs(list);
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  m.cpus = sched_getaffinity(0, sizeof set, &set) == 0 ? CPU_COUNT(&set)
                                                       : static_cast<int>(sysconf(_SC_NPROCESSORS_ONLN));
  return m;
}

bool is_ip_address(const std::string& text) {
  unsigned char buffer[sizeof(in6_addr)];
  return inet_pton(AF_INET, text.c_str(), buffer) == 1 || inet_pton(AF_INET6, text.c_str(), buffer) == 1;
}

bool is_loopback_address(const std::string& text) {
  in_addr v4{};
  if (inet_pton(AF_INET, text.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
  in6_addr v6{};
  return inet_pton(AF_INET6, text.c_str(), &v6) == 1 && IN6_IS_ADDR_LOOPBACK(&v6);
}

bool is_local_host(const std::string& name, const LocalMachine& local) {
  if (name == "localhost" || is_loopback_address(name)) return true;
  if (!local.hostname.empty()) {
    if (name == local.hostname) return true;
    const std::string short_name = local.hostname.substr(0, local.hostname.find('.'));
    if (name == short_name) return true;
  }
  return std::find(local.addresses.begin(), local.addresses.end(), name) != local.addresses.end();
}

std::string interface_address(const std::string& interface) {
  ifaddrs* list = nullptr;
  if (getifaddrs(&list) != 0) {
    throw Error(ErrorKind::backend, "cannot list the network interfaces (getifaddrs failed)");
  }
  std::string found;
  std::set<std::string> names;
  for (const ifaddrs* i = list; i != nullptr; i = i->ifa_next) {
    if (i->ifa_name != nullptr) names.insert(i->ifa_name);
    if (i->ifa_addr == nullptr || i->ifa_addr->sa_family != AF_INET) continue;
    if (interface == i->ifa_name && found.empty()) found = address_text(i->ifa_addr);
  }
  freeifaddrs(list);
  if (found.empty()) {
    std::string known;
    for (const auto& n : names) known += (known.empty() ? "" : ", ") + n;
    throw Error(ErrorKind::invalid_argument,
                "--network-interface " + interface +
                    (names.count(interface) ? " has no IPv4 address" : " does not exist here") +
                    " (interfaces: " + known + ")");
  }
  return found;
}

std::vector<std::string> resolve_host(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  std::vector<std::string> out;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &list) != 0) return out;
  for (const addrinfo* ai = list; ai != nullptr; ai = ai->ai_next) {
    const std::string text = address_text(ai->ai_addr);
    if (!text.empty() && std::find(out.begin(), out.end(), text) == out.end()) out.push_back(text);
  }
  freeaddrinfo(list);
  return out;
}

}  // namespace ringtail::launcher
