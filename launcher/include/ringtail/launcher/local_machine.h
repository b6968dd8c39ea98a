#pragma once
// What ringtail-run knows about the machine it runs on: which host names mean
// "here" (those ranks are started directly, not over ssh), how many CPUs it
// has, and the addresses of its network interfaces.

#include <string>
#include <vector>

namespace ringtail::launcher {

struct LocalMachine {
  std::string hostname;                // gethostname()
  std::vector<std::string> addresses;  // IPv4 and IPv6 addresses of the interfaces
  int cpus = 0;                        // CPUs this process may run on
};

// Reads this machine's host name, addresses and CPU count.
LocalMachine detect_local_machine();

// "localhost", a loopback address, this machine's host name (or its first
// label), or one of its addresses.
bool is_local_host(const std::string& name, const LocalMachine& local);

bool is_ip_address(const std::string& text);
bool is_loopback_address(const std::string& text);

// The IPv4 address of a network interface (eth0); throws ringtail::Error naming
// the interfaces that exist when there is no such interface or it has no IPv4
// address.
std::string interface_address(const std::string& interface);

// The addresses a host name resolves to (empty when it does not resolve).
std::vector<std::string> resolve_host(const std::string& name);

}  // namespace ringtail::launcher
