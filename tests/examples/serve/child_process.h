#pragma once
// A child process with its stdout and stderr on pipes, for tests of the real
// `serve` command: read lines with a deadline, send signals, wait for the
// exit status with a deadline. The destructor kills a child still running.

#include <sys/types.h>

#include <chrono>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace ringtail_test {

class ChildProcess {
 public:
  ChildProcess(const std::vector<std::string>& argv,
               const std::vector<std::pair<std::string, std::string>>& extra_env = {});
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // Reads stdout until a line contains `needle`; returns that line, or nullopt
  // at end of output or after `timeout`. Everything read is kept in stdout_text().
  std::optional<std::string> wait_for_line(const std::string& needle, std::chrono::seconds timeout);
  void send(int signal);
  // The exit status (or 128 + signal), or nullopt after `timeout`. Drains both pipes.
  std::optional<int> wait(std::chrono::seconds timeout);

  const std::string& stdout_text() const { return out_; }
  const std::string& stderr_text() const { return err_; }

 private:
  bool pump(int timeout_ms);  // reads what is available from both pipes; false when both closed

  pid_t pid_ = -1;
  int out_fd_ = -1;
  int err_fd_ = -1;
  std::string out_;
  std::string err_;
  std::size_t scanned_ = 0;
  bool exited_ = false;
};

}  // namespace ringtail_test
