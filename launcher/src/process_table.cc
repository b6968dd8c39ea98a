#include "ringtail/launcher/process_table.h"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace ringtail::launcher {

bool parse_proc_stat(const std::string& line, ProcessEntry* out) {
  // "pid (comm) state ppid pgrp session ...": comm may hold spaces and ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return false;
  std::istringstream head(line.substr(0, line.find(' ')));
  std::istringstream rest(line.substr(close + 1));
  ProcessEntry e;
  if (!(head >> e.pid) || !(rest >> e.state >> e.parent >> e.group >> e.session)) return false;
  *out = e;
  return true;
}

std::vector<ProcessEntry> read_process_table() {
  std::vector<ProcessEntry> table;
  DIR* dir = opendir("/proc");
  if (dir == nullptr) return table;
  while (const dirent* entry = readdir(dir)) {
    char* end = nullptr;
    std::strtol(entry->d_name, &end, 10);
    if (*end != '\0') continue;
    std::ifstream stat(std::string("/proc/") + entry->d_name + "/stat");
    std::string line;
    ProcessEntry e;
    if (std::getline(stat, line) && parse_proc_stat(line, &e)) table.push_back(e);
  }
  closedir(dir);
  return table;
}

std::vector<pid_t> descendants_of(pid_t root, const std::vector<ProcessEntry>& table) {
  std::multimap<pid_t, pid_t> children;
  for (const auto& e : table) children.emplace(e.parent, e.pid);
  std::vector<pid_t> out;
  std::set<pid_t> seen = {root};
  std::vector<pid_t> frontier = {root};
  while (!frontier.empty()) {
    const pid_t p = frontier.back();
    frontier.pop_back();
    const auto [begin, end] = children.equal_range(p);
    for (auto it = begin; it != end; ++it) {
      if (!seen.insert(it->second).second) continue;  // a table read while pids were reused
      out.push_back(it->second);
      frontier.push_back(it->second);
    }
  }
  return out;
}

}  // namespace ringtail::launcher
