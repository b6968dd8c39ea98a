#include "transport_device.h"

#include <arpa/inet.h>
#include <gloo/transport/tcp/device.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <unistd.h>

#include <array>
#include <optional>

#include "ringtail/collectives/error.h"
#include "ringtail/collectives/log.h"

namespace ringtail::coll::gloo_backend {
namespace {

std::string this_hostname() {
  std::array<char, 256> buffer{};
  if (gethostname(buffer.data(), buffer.size() - 1) != 0) return "";
  return buffer.data();
}

// The numeric address `name` resolves to (IPv4 preferred), or nothing. Gloo
// resolves host names itself, but reads getaddrinfo's result even when the
// lookup failed (and crashes), so it only ever gets numeric addresses.
std::optional<std::string> numeric_address(const std::string& name) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (getaddrinfo(name.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) {
    return std::nullopt;
  }
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  std::array<char, INET6_ADDRSTRLEN> text{};
  const void* where =
      pick->ai_family == AF_INET
          ? static_cast<const void*>(&reinterpret_cast<const sockaddr_in*>(pick->ai_addr)->sin_addr)
          : static_cast<const void*>(
                &reinterpret_cast<const sockaddr_in6*>(pick->ai_addr)->sin6_addr);
  const bool ok = inet_ntop(pick->ai_family, where, text.data(), text.size()) != nullptr;
  freeaddrinfo(found);
  if (!ok) return std::nullopt;
  return std::string(text.data());
}

std::shared_ptr<::gloo::transport::Device> on_address(const std::string& address) {
  ::gloo::transport::tcp::attr attr;
  attr.hostname = address;
  return ::gloo::transport::tcp::CreateDevice(attr);
}

}  // namespace

std::shared_ptr<::gloo::transport::Device> make_tcp_device(const std::string& where) {
  if (where.empty()) {
    const std::string host = this_hostname();
    const auto address = host.empty() ? std::nullopt : numeric_address(host);
    if (address) {
      try {
        return on_address(*address);
      } catch (const std::exception& e) {
        log::warning("gloo: cannot listen on ", *address, ", the address of host name '", host,
                     "' (", e.what(), "); using 127.0.0.1, so only ranks on this host can join");
      }
    } else {
      log::warning("gloo: host name '", host,
                   "' does not resolve; using 127.0.0.1, so only ranks on this host can join "
                   "(set RINGTAIL_GLOO_IFACE)");
    }
    return on_address("127.0.0.1");
  }
  try {
    // An interface name wins over a host name of the same spelling.
    if (if_nametoindex(where.c_str()) != 0) {
      ::gloo::transport::tcp::attr attr;
      attr.iface = where;
      return ::gloo::transport::tcp::CreateDevice(attr);
    }
    const auto address = numeric_address(where);
    if (!address) throw std::runtime_error("not an interface, and does not resolve to an address");
    return on_address(*address);
  } catch (const std::exception& e) {
    throw Error(
        ErrorKind::invalid_argument,
        "gloo: cannot listen on '" + where +
            "' (RINGTAIL_GLOO_IFACE: an interface name, address or host name): " + e.what());
  }
}

}  // namespace ringtail::coll::gloo_backend
