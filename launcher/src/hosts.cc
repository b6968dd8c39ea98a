#include "ringtail/launcher/hosts.h"

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

#include "ringtail/collectives/error.h"
#include "ringtail/launcher/presets.h"

namespace ringtail::launcher {
namespace {

[[noreturn]] void bad(const std::string& origin, const std::string& what) {
  throw Error(ErrorKind::invalid_argument, origin + ": " + what);
}

int parse_slots(const std::string& text, const std::string& origin) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (text.empty() || *end != '\0' || errno != 0 || v < 1 || v > kMaxSlots) {
    bad(origin, "slots '" + text + "' is not a whole number from 1 to " + std::to_string(kMaxSlots));
  }
  return static_cast<int>(v);
}

void check_name(const std::string& name, const std::string& origin) {
  if (name.empty()) bad(origin, "a host name is empty");
  // ssh and mpirun would read a leading '-' as one of their options (ssh
  // -oProxyCommand takes the next word, the rank's command, and runs it here).
  if (name[0] == '-') bad(origin, "host name '" + name + "' starts with '-'");
  for (char c : name) {
    const bool ok = std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '_';
    if (!ok) bad(origin, "host name '" + name + "' contains '" + std::string(1, c) + "'");
  }
}

void check_instance(const std::string& instance, const std::string& origin) {
  if (find_preset(instance) == nullptr) {
    bad(origin, "unknown instance type '" + instance + "' (known: " + preset_names() + ")");
  }
}

// A host listed twice would silently double its slots in Open MPI; say so instead.
void check_unique(const std::vector<HostSpec>& hosts) {
  std::map<std::string, std::string> seen;
  for (const auto& h : hosts) {
    auto [it, inserted] = seen.emplace(h.name, h.origin);
    if (!inserted) {
      bad(h.origin, "host '" + h.name + "' is listed again (first at " + it->second +
                        "); give it once with all its slots");
    }
  }
}

}  // namespace

std::vector<HostSpec> parse_host_list(const std::string& text) {
  std::vector<HostSpec> hosts;
  std::stringstream in(text);
  std::string item;
  int index = 0;
  while (std::getline(in, item, ',')) {
    ++index;
    HostSpec h;
    h.origin = "-H entry " + std::to_string(index);
    const auto colon = item.find(':');
    h.name = item.substr(0, colon);
    check_name(h.name, h.origin);
    if (colon != std::string::npos) h.slots = parse_slots(item.substr(colon + 1), h.origin);
    hosts.push_back(h);
  }
  if (hosts.empty() || text.back() == ',') bad("-H", "'" + text + "' is not a list of host[:slots]");
  check_unique(hosts);
  return hosts;
}

std::vector<HostSpec> parse_hostfile(std::istream& in, const std::string& filename) {
  std::vector<HostSpec> hosts;
  std::string line;
  int number = 0;
  while (std::getline(in, line)) {
    ++number;
    const std::string origin = filename + " line " + std::to_string(number);
    if (const auto hash = line.find('#'); hash != std::string::npos) line.erase(hash);
    std::stringstream words(line);
    std::string word;
    if (!(words >> word)) continue;
    HostSpec h;
    h.origin = origin;
    h.name = word;
    check_name(h.name, origin);
    while (words >> word) {
      const auto eq = word.find('=');
      const std::string key = word.substr(0, eq);
      const std::string value = eq == std::string::npos ? "" : word.substr(eq + 1);
      if (eq == std::string::npos || value.empty()) {
        bad(origin, "'" + word + "' is not key=value (expected slots=N or instance=TYPE)");
      }
      if (key == "slots") {
        if (h.slots) bad(origin, "slots is given twice");
        h.slots = parse_slots(value, origin);
      } else if (key == "instance") {
        if (!h.instance.empty()) bad(origin, "instance is given twice");
        check_instance(value, origin);
        h.instance = value;
      } else {
        bad(origin, "unknown setting '" + key + "' (a hostfile line is: host slots=N instance=TYPE)");
      }
    }
    hosts.push_back(h);
  }
  if (hosts.empty()) bad(filename, "the hostfile lists no hosts");
  check_unique(hosts);
  return hosts;
}

std::vector<HostSpec> read_hostfile(const std::string& path) {
  std::ifstream in(path);
  if (!in) {
    throw Error(ErrorKind::invalid_argument,
                "cannot read hostfile '" + path + "': " + std::strerror(errno));
  }
  return parse_hostfile(in, path);
}

}  // namespace ringtail::launcher
