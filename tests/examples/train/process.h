#pragma once
// Runs a program as a child process with its standard output and error merged
// into one pipe, for tests of the ringtail-pets command line.

#include <string>
#include <vector>

namespace ringtail_test {

struct ProcessResult {
  int exit_code = -1;      // the exit status, or 128 + signal when killed
  std::string output;      // stdout and stderr, interleaved as written
  bool timed_out = false;  // run_process with a limit: the child was stopped
};

// Runs argv[0] (a path) with the arguments and waits for it.
ProcessResult run_process(const std::vector<std::string>& argv);

// The same for a child that might hang: at `limit_seconds` it is sent SIGTERM
// (mpirun passes it to its ranks), 10 s later SIGKILL, and timed_out is set.
ProcessResult run_process(const std::vector<std::string>& argv, int limit_seconds);

// Runs it and reads its output line by line; at the first line containing
// `needle` it sends the child `signal` (SIGKILL: as a preempted process is
// killed; SIGTERM to mpirun: it passes the signal to its ranks and ends when
// they have) and waits for it. `found` says whether the line came before the
// child ended.
ProcessResult run_until_line_then_kill(const std::vector<std::string>& argv, const std::string& needle,
                                       int signal, bool* found);

// "a b 'c d'" for messages.
std::string command_text(const std::vector<std::string>& argv);

}  // namespace ringtail_test
