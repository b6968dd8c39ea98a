#pragma once
// Runs ringtail-run as a test would from a shell, and reports what a user could
// see: the exit code, the output, how long it took to end after a marker line,
// and every process the job left behind. The test process is a child subreaper,
// and ringtail-run starts in a session of its own, so a leftover is found both
// ways: as a descendant of the test and as a member of that session or group.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace ringtail::launcher_test {

struct RunOptions {
  std::chrono::seconds deadline{90};  // the test fails and everything is killed after this
  std::string marker;                 // times the end from the first output line holding this
  int signal = 0;                     // sent to ringtail-run once `marker` appears
};

struct RunResult {
  bool finished = false;  // false: killed at the deadline
  int exit_code = -1;     // 128 + signal when ringtail-run itself was killed by one
  std::string out;
  std::string err;
  double seconds_after_marker = -1;  // -1: the marker never appeared
  std::vector<std::string> leftovers;  // "pid 123 (sleep 300)" per process left behind
};

RunResult run_launcher(const std::vector<std::string>& args, const RunOptions& options = {});

// Lines of `text` that contain `part`.
std::vector<std::string> lines_with(const std::string& text, const std::string& part);

}  // namespace ringtail::launcher_test
