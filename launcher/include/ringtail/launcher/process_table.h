#pragma once
// The processes of this machine as /proc shows them, and the descendants of a
// process: how ringtail-run finds every process a job left behind, whatever
// process group or session it moved to.

#include <sys/types.h>

#include <string>
#include <vector>

namespace ringtail::launcher {

struct ProcessEntry {
  pid_t pid = 0;
  pid_t parent = 0;
  pid_t group = 0;
  pid_t session = 0;
  char state = '?';  // 'Z': exited, not yet reaped
};

// Parses one /proc/<pid>/stat line; false when it is not one.
bool parse_proc_stat(const std::string& line, ProcessEntry* out);

std::vector<ProcessEntry> read_process_table();

// Every process below `root` (children, their children, ...), not `root`.
std::vector<pid_t> descendants_of(pid_t root, const std::vector<ProcessEntry>& table);

}  // namespace ringtail::launcher
