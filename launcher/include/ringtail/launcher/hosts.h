#pragma once
// The hosts of a job, from -H or a hostfile. A host has a slot count, an
// instance type (whose preset gives the slots), or neither (filled in by
// plan_layout: one slot for -H, an error for a hostfile line).

#include <istream>
#include <optional>
#include <string>
#include <vector>

namespace ringtail::launcher {

// The most ranks one host may take: far past any machine, but a mistyped
// count fails instead of starting that many processes.
inline constexpr int kMaxSlots = 4096;

struct HostSpec {
  std::string name;
  std::optional<int> slots;  // 1 to kMaxSlots
  std::string instance;  // empty: not given
  std::string origin;    // where it was written, for messages: "-H" or "hosts.txt line 3"
};

// "-H node1:4,node2:8,node3": host[:slots], comma-separated.
std::vector<HostSpec> parse_host_list(const std::string& text);

// One host per line: "host slots=N", "host instance=p4d.24xlarge" or both;
// "#" starts a comment. Errors name the file and the line number.
std::vector<HostSpec> parse_hostfile(std::istream& in, const std::string& filename);

// Reads the file; throws ringtail::Error when it cannot be opened.
std::vector<HostSpec> read_hostfile(const std::string& path);

}  // namespace ringtail::launcher
